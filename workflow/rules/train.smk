# Training: one job per arm x n x seed, one thread each. A killed job started again resumes
# from results/runs/.../checkpoint.pt (not an output, so Snakemake keeps it).


def train_runtime(wildcards):
    """Minutes requested on a cluster: scaled with the arm's budget and n (see README)."""
    updates = CFG["arms"][wildcards.arm]["budget"]["updates"]
    return int(10 + updates / 3000 * (1 + int(wildcards.n) / 500))


rule train:
    output:
        policy="results/runs/{arm}/n{n}/seed{seed}/policy.pt",
        log_nc="results/runs/{arm}/n{n}/seed{seed}/train.nc",
    params:
        spec=arm_params,
    log: "results/logs/train/{arm}/n{n}/seed{seed}.log"
    benchmark: "results/bench/train/{arm}/n{n}/seed{seed}.tsv"
    threads: 1
    resources:
        runtime=train_runtime,
        mem_mb=lambda wc: 1500 + 4 * int(wc.n),
    script: "../scripts/train.py"
