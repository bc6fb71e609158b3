# Shared helpers: the runs of the resolved preset, and the parameters each job receives.

import json


def runs(arm=None):
    """(arm, n, seed) of every training job of the preset (optionally of one arm)."""
    return [(a, n, s) for a, spec in CFG["arms"].items() if arm in (None, a)
            for n in spec["n"] for s in CFG["seeds"]]


def run_dir(arm, n, seed):
    return f"{RESULTS}/runs/{arm}/n{n}/seed{seed}"


def run_files(name, arm=None):
    return [f"{run_dir(a, n, s)}/{name}" for a, n, s in runs(arm)]


def arm_params(wildcards):
    """Only what one arm's jobs depend on: its spec, calibration and the economy settings.
    Snakemake reruns a job when its params change, so editing one arm reruns only that arm.
    A target outside the preset's sweep (n or seed) is refused here, by name."""
    arm = wildcards.arm
    marlbc.config.check_run(CFG, arm, int(wildcards.n), int(wildcards.seed))
    return json.dumps({"arm": CFG["arms"][arm],
                       "calibration": marlbc.config.arm_calibration(CFG, arm),
                       "economy": CFG["economy"], "preset": CFG["preset"]}, sort_keys=True)


def eval_params(wildcards):
    """What an evaluation reads beyond its arm: the window of C5's shock-free drift (SPEC §4)."""
    return json.dumps({"drift_window": CFG["claims"]["C5"]["drift_window"]})


benchmark_path = marlbc.config.benchmark_path   # results/benchmarks/<name>.nc, its log and tsv: shared by all presets


def bench_tsv(arm, n, seed):
    """The Snakemake benchmark file (wall time, memory) of one training job."""
    return f"{RESULTS}/bench/train/{arm}/n{n}/seed{seed}.tsv"


def benchmark_params(which):
    """What one benchmark is solved from, so that editing a calibration reruns its benchmark."""
    if which == "closed_form":
        cal = marlbc.config.arm_calibration(CFG, "rbc_closed_form")
    elif which == "game":
        het = CFG["arms"]["heterogeneous"]
        cal = {"calibration": CFG["calibrations"][het["calibration"]], "heterogeneity": het["heterogeneity"]}
    else:
        cal = CFG["calibrations"]["ks98" if which == "ks" else "seed"]
    return json.dumps(cal, sort_keys=True)


def train_runtime(wildcards):
    """Minutes requested on a cluster: scaled with the arm's budget and n (10 + updates/3000 · (1 + n/500))."""
    updates = CFG["arms"][wildcards.arm]["budget"]["updates"]
    return int(10 + updates / 3000 * (1 + int(wildcards.n) / 500))


def eval_benchmarks(wildcards):
    economy = CFG["arms"][wildcards.arm]["economy"]
    if economy == "ks":
        return [benchmark_path("ks")]
    if wildcards.arm in ("rbc", "baseline"):
        return [benchmark_path("rbc")]
    if wildcards.arm == "heterogeneous":
        return [benchmark_path(f"game_n{wildcards.n}")]
    return [benchmark_path("closed_form")]


wildcard_constraints:
    arm="|".join(marlbc.config.ARMS),
    n=r"[1-9]\d*",
    seed=r"\d+",
