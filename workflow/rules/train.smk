# Training: one job per arm x n x seed, one thread each. A killed job started again resumes
# from results/runs/.../checkpoint.pt (not an output, so Snakemake keeps it).


rule train:
    output:
        policy=f"{RESULTS}/runs/{{arm}}/n{{n}}/seed{{seed}}/policy.pt",
        log_nc=f"{RESULTS}/runs/{{arm}}/n{{n}}/seed{{seed}}/train.nc",
    params:
        spec=arm_params,
        code=code("marlbc.rl.train", "run_train"),
    log: f"{RESULTS}/logs/train/{{arm}}/n{{n}}/seed{{seed}}.log"
    benchmark: f"{RESULTS}/bench/train/{{arm}}/n{{n}}/seed{{seed}}.tsv"
    threads: 1
    priority: train_runtime   # longest first, so that no long job is left to run alone at the end
    resources:
        runtime=train_runtime,
        mem_mb=lambda wc: 1500 + 4 * int(wc.n),
    conda: "../../environment.yml"
    script: "../scripts/train.py"
