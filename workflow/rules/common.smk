# Shared helpers: the runs of the resolved preset, and the parameters each job receives.

import json

import marlbc.code_version


def runs(arm=None):
    """(arm, n, seed) of every training job of the preset (optionally of one arm)."""
    return [(a, n, s) for a, spec in CFG["arms"].items() if arm in (None, a)
            for n in spec["n"] for s in marlbc.config.arm_seeds(CFG, a)]


def run_dir(arm, n, seed):
    return f"{RESULTS}/runs/{arm}/n{n}/seed{seed}"


def run_files(name, arm=None):
    return [f"{run_dir(a, n, s)}/{name}" for a, n, s in runs(arm)]


def arm_params(wildcards):
    """Only what one job depends on (marlbc.config.job_settings: its arm's spec without the
    sweep over n, calibration and the economy settings). Snakemake reruns a job when its params
    change, so editing one arm reruns only that arm, and adding an n to a sweep trains only the
    new n. A target outside the preset's sweep (n or seed) is refused here, by name."""
    arm = wildcards.arm
    marlbc.config.check_run(CFG, arm, int(wildcards.n), int(wildcards.seed))
    return json.dumps({**marlbc.config.job_settings(CFG, arm), "preset": CFG["preset"]}, sort_keys=True)


def code(module, entry):
    """The digest of the package code a job runs: ``module``, what it imports and the glue
    function ``marlbc.pipeline.<entry>`` that calls it with what that uses (marlbc.code_version),
    a param of every rule, so that editing that code reruns the job and what reads its outputs,
    and editing a comment, a docstring or another rule's glue reruns nothing."""
    return marlbc.code_version.code_version(module, entry=entry)


def eval_params(wildcards):
    """What an evaluation reads beyond its arm: the window of C5's shock-free drift (SPEC §4)."""
    return json.dumps({"drift_window": CFG["claims"]["C5"]["drift_window"]})


benchmark_path = marlbc.config.benchmark_path   # results/benchmarks/<name>.nc, its log and tsv: shared by all presets


def bench_tsv(arm, n, seed):
    """The Snakemake benchmark file (wall time, memory) of one training job."""
    return f"{RESULTS}/bench/train/{arm}/n{n}/seed{seed}.tsv"


def benchmark_params(which):
    """What one benchmark is solved from, so that editing a calibration reruns its benchmark."""
    cal = marlbc.config.benchmark_calibration(CFG, which.replace("_", "-"))
    if which == "game":
        cal = {"calibration": cal, "heterogeneity": CFG["arms"]["heterogeneous"]["heterogeneity"]}
    return json.dumps(cal, sort_keys=True)


def train_runtime(wildcards):
    """Minutes requested on a cluster: scaled with the arm's budget and n (10 + updates/3000 · (1 + n/500))."""
    updates = CFG["arms"][wildcards.arm]["budget"]["updates"]
    return int(10 + updates / 3000 * (1 + int(wildcards.n) / 500))


def eval_benchmark_names(wildcards):
    """The benchmarks an evaluation reads: the KS solution's aggregate shock path (every ks run)
    and the global RBC solution that scores an n = 1 policy of the rbc arm. The others are read
    by the claims."""
    if CFG["arms"][wildcards.arm]["economy"] == "ks":
        return ["ks"]
    return ["rbc"] if wildcards.arm == "rbc" else []


def eval_benchmarks(wildcards):
    return [benchmark_path(name) for name in eval_benchmark_names(wildcards)]


wildcard_constraints:
    arm="|".join(marlbc.config.ARMS),
    n=r"[1-9]\d*",
    seed=r"\d+",
