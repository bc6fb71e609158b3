# Evaluation: deterministic rollouts (shock-free and with shocks), impulse responses and, for
# n = 1, Euler errors and welfare scored by the benchmark.


rule evaluate:
    input:
        policy=f"{RESULTS}/runs/{{arm}}/n{{n}}/seed{{seed}}/policy.pt",
        benchmarks=eval_benchmarks,
    output: f"{RESULTS}/runs/{{arm}}/n{{n}}/seed{{seed}}/eval.nc"
    params:
        spec=arm_params,
        evaluation=eval_params,
        benchmark_names=eval_benchmark_names,
        code=code("marlbc.evaluation.evaluate", "run_evaluate"),
    log: f"{RESULTS}/logs/evaluate/{{arm}}/n{{n}}/seed{{seed}}.log"
    benchmark: f"{RESULTS}/bench/evaluate/{{arm}}/n{{n}}/seed{{seed}}.tsv"
    threads: 1
    resources: runtime=15, mem_mb=2000
    conda: "../../environment.yml"
    script: "../scripts/evaluate.py"
