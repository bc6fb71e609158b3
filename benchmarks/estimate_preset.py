"""How long a preset takes on this machine, measured before running it.

    python benchmarks/estimate_preset.py [--preset full] [--cores 2] [--intervals 2] [--config config.yaml] [--keep DIR]

It runs the preset's own pipeline, this repository's Snakefile under ``snakemake --cores C``, in
a scratch folder: the economic benchmarks, and the first seed of every (arm, n) of the preset,
trained for a slice of ``--intervals`` × E gradient updates (E the arm's ``eval_every``) and
evaluated. Each measured job is therefore what the real run starts: an interpreter, the imports,
the warm-up, the evaluations during training, the outputs; and then the job's evaluation. From
Snakemake's benchmark files (read by ``job_times.py``) and each slice's ``train.nc``:

- a training job of U updates is estimated at a + b U seconds: b the seconds per update of the
  slice's training loop (``wall_s`` from update 0 to its last, evaluations during training
  included; the arm's schedules run over the slice, so that it mixes their phases, e.g. the
  ``ks`` arm's envelope loss over the first half, as the whole job does), a the rest of the
  job's wall time (start, warm-up, outputs);
- an evaluation, and each benchmark, at its measured time;
- every seed's jobs and the benchmarks are laid on C lanes longest first, as ``snakemake
  --cores C`` runs them, and the makespan is printed with each rule's total.

Not included: aggregation, figures and claims (about a minute in all) and Snakemake's start. The
estimate reads the machine of the minutes it runs in, and short slices read it noisily: against
the `ci` run of 2026-12-07 (11:30-12:00 UTC, 3,425 s of training) see README, *Presets*. The same
machine can be tens of percent slower an hour later (docs/runs.md).
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import xarray as xr
import yaml
from job_times import job_times  # benchmarks/job_times.py: this script's folder is on sys.path

from marlbc import config
from marlbc.rl.sac import SACConfig

REPO = Path(__file__).resolve().parents[1]


def eval_every(cfg: dict, arm: str) -> int:
    """Updates between the arm's evaluations during training (SACConfig's default if unset)."""
    return cfg["arms"][arm].get("sac", {}).get("eval_every", SACConfig.eval_every)


def slice_overlay(raw: dict, preset: str, factor: int) -> tuple[dict, dict[str, int]]:
    """The config overlay (``snakemake --configfile``) that runs ``preset`` on each arm's first
    seed with ``factor`` × E updates a training job, E the arm's ``eval_every``; and those updates
    by arm, as the pipeline resolves them."""
    resolved = config.resolve(raw, preset)
    spec = copy.deepcopy(raw["presets"][preset])
    spec["seeds"] = resolved["seeds"][:1]
    if "arm_seeds" in spec:
        spec["arm_seeds"] = {arm: seeds[:1] for arm, seeds in spec["arm_seeds"].items()}
    spec["arm_budget_scale"] = {arm: factor * eval_every(resolved, arm) / s["budget"]["updates"]
                                for arm, s in raw["arms"].items()}
    merged = copy.deepcopy(raw)
    merged["presets"][preset] = spec
    updates = {arm: s["budget"]["updates"] for arm, s in config.resolve(merged, preset)["arms"].items()}
    return {"presets": {preset: spec}}, updates


def fit_job(job_s: float, loop_s: float, updates: int) -> tuple[float, float]:
    """Fixed cost a (s) and cost per update b (s) of a training job that took ``job_s`` seconds
    in all (its Snakemake benchmark file) for ``updates`` updates, ``loop_s`` of them in the
    training loop: b = loop_s / updates, a = job_s - loop_s (never below zero)."""
    return max(job_s - loop_s, 0.0), loop_s / updates


def loop_seconds(train_nc: Path) -> float:
    """Seconds of a run's training loop: ``wall_s`` at its last evaluation less that at update 0
    (the warm-up and the untrained policy's evaluation)."""
    with xr.open_dataset(train_nc) as ds:
        wall = ds["wall_s"].values
    return float(wall[-1] - wall[0])


def run_dir(results: str, arm: str, n: int, seed: int) -> str:
    """A training job's folder, as the workflow names it (``workflow/rules/common.smk``)."""
    return f"{results}/runs/{arm}/n{n}/seed{seed}"


def lay_out(durations: list[float], cores: int) -> float:
    """Makespan of jobs laid longest first, each on the lane that frees up first."""
    lanes = [0.0] * cores
    for t in sorted(durations, reverse=True):
        i = lanes.index(min(lanes))
        lanes[i] += t
    return max(lanes)


def run_pass(scratch: Path, preset: str, overlay: dict, targets: list[str], cores: int) -> None:
    """``snakemake --cores C`` on ``targets`` in ``scratch`` with the config overlay; a failure
    stops the estimate with Snakemake's last lines."""
    path = scratch / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay))
    # the targets first: --quiet, --configfile and --config each take every word after them
    cmd = ["snakemake", *targets, "--snakefile", str(REPO / "Snakefile"), "--directory", str(scratch),
           "--cores", str(cores), "--quiet", "all", "--configfile", str(path), "--config", f"preset={preset}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-20:])
        raise SystemExit(f"snakemake failed in the scratch folder '{scratch}' (exit {r.returncode}):\n{tail}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="full", choices=config.PRESETS)
    ap.add_argument("--cores", type=int, default=2, help="jobs at a time, as snakemake --cores")
    ap.add_argument("--intervals", type=int, default=2,
                    help="a slice's length in evaluation intervals (longer: steadier, slower to measure)")
    ap.add_argument("--config", default=str(REPO / "config.yaml"))
    ap.add_argument("--keep", metavar="DIR", help="scratch folder to use and keep (default: a temporary one)")
    args = ap.parse_args()
    if args.intervals < 1:
        ap.error(f"--intervals {args.intervals}: need at least 1")
    raw = config.load(args.config)
    resolved = config.resolve(raw, args.preset)
    results, _ = config.output_dirs(args.preset)
    seeds = {arm: config.arm_seeds(resolved, arm) for arm in resolved["arms"]}
    cases = [(arm, n) for arm, spec in resolved["arms"].items() for n in spec["n"]]
    # what the preset runs but aggregation, figures and claims: the rule `benchmarks` and the evaluations
    targets = ["benchmarks"] + [f"{run_dir(results, arm, n, seeds[arm][0])}/eval.nc" for arm, n in cases]
    scratch = Path(args.keep or tempfile.mkdtemp(prefix="marlbc-estimate-"))
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copy(args.config, scratch / "config.yaml")
    print(f"preset {args.preset!r}: {len(cases)} distinct jobs, {sum(len(seeds[a]) for a, _ in cases)} with their "
          f"seeds; running the first seed of each for {args.intervals} evaluation intervals, {args.cores} at a time, "
          f"in '{scratch}' ...", flush=True)
    t0 = time.perf_counter()
    overlay, sliced = slice_overlay(raw, args.preset, args.intervals)
    run_pass(scratch, args.preset, overlay, targets, args.cores)
    times = job_times(scratch / results, root=scratch)

    print(f"{'arm':<16} {'n':>4} {'seeds':>5} {'updates':>8} {'fixed s':>8} {'ms/update':>10} {'train s':>8} {'eval s':>7}")
    train, evaluate = [], []
    for arm, n in cases:
        key = (arm, n, seeds[arm][0])
        loop = loop_seconds(scratch / run_dir(results, *key) / "train.nc")
        a, b = fit_job(times["train"][key][0], loop, sliced[arm])
        updates = resolved["arms"][arm]["budget"]["updates"]
        job, ev = a + b * updates, times["evaluate"][key][0]
        train += [job] * len(seeds[arm])
        evaluate += [ev] * len(seeds[arm])
        print(f"{arm:<16} {n:>4} {len(seeds[arm]):>5} {updates:>8,} {a:>8.1f} {1000 * b:>10.2f} {job:>8.0f} {ev:>7.1f}")
    bench = [s for s, _ in times.get("benchmark", {}).values()]
    for rule, jobs in (("training", train), ("evaluation", evaluate), ("benchmarks", bench)):
        print(f"{rule:<10} {len(jobs):3d} jobs {sum(jobs):9,.0f} s")
    span = lay_out(train + evaluate + bench, args.cores)
    print(f"on {args.cores} cores, longest first: about {span / 60:.1f} min ({span:,.0f} s) of jobs; "
          f"measured in {time.perf_counter() - t0:.0f} s.")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
