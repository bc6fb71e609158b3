# Evaluation: deterministic rollouts (shock-free and with shocks), impulse responses and, for
# n = 1, Euler errors and welfare scored by the benchmark.


def eval_benchmarks(wildcards):
    economy = CFG["arms"][wildcards.arm]["economy"]
    if economy == "ks":
        return ["results/benchmarks/ks.nc"]
    if wildcards.arm in ("rbc", "baseline"):
        return ["results/benchmarks/rbc.nc"]
    if wildcards.arm == "heterogeneous":
        return [f"results/benchmarks/game_n{wildcards.n}.nc"]
    return ["results/benchmarks/closed_form.nc"]


rule evaluate:
    input:
        policy="results/runs/{arm}/n{n}/seed{seed}/policy.pt",
        benchmarks=eval_benchmarks,
    output: "results/runs/{arm}/n{n}/seed{seed}/eval.nc"
    params:
        spec=arm_params,
    log: "results/logs/evaluate/{arm}/n{n}/seed{seed}.log"
    benchmark: "results/bench/evaluate/{arm}/n{n}/seed{seed}.tsv"
    threads: 1
    resources: runtime=15, mem_mb=2000
    script: "../scripts/evaluate.py"
