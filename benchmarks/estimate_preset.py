"""How long a preset's training jobs would take on this machine, measured before running it.

    python benchmarks/estimate_preset.py [--preset full] [--cores 2] [--config config.yaml]

Each distinct training job of the preset (arm, n) is run twice for a slice of its budget, E and
2E gradient updates, E the arm's ``eval_every``, with the arm's own settings otherwise (warm-up,
evaluations during training, final selection and evaluation). The two wall times give a fixed
cost a and a cost per update b, and a job of U updates is estimated at a + b U. The jobs of all
seeds are then laid on ``--cores`` lanes longest first, as ``snakemake --cores C`` runs them
(``priority``), and the makespan is printed. The slices run ``--cores`` at a time, one thread
each, so that they share the machine as the pipeline's jobs do.

Not included: the benchmarks (about 30 s), the evaluations (about 5 % of the training time in
the committed ``full`` run) and the figures and claims (seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import torch

from marlbc import config
from marlbc.rl.sac import SACConfig
from marlbc.rl.train import train


def time_slice(job: tuple[str, str, int, int]) -> tuple[str, int, int, float]:
    """Wall seconds of one training job of ``updates`` gradient updates (seed 0, one thread)."""
    path, arm, n, updates = job
    torch.set_num_threads(1)
    cfg = copy.deepcopy(config.load(path))
    cfg["arms"][arm]["budget"]["updates"] = updates
    with (tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()),
          contextlib.redirect_stderr(io.StringIO())):
        t0 = time.perf_counter()
        train(cfg, arm, n, 0, Path(d), preset="full", progress=False)
        return arm, n, updates, time.perf_counter() - t0


def eval_every(cfg: dict, arm: str) -> int:
    """Updates between the arm's evaluations during training (SACConfig's default if unset)."""
    return cfg["arms"][arm].get("sac", {}).get("eval_every", SACConfig.eval_every)


def lay_out(durations: list[float], cores: int) -> float:
    """Makespan of jobs laid longest first, each on the lane that frees up first."""
    lanes = [0.0] * cores
    for t in sorted(durations, reverse=True):
        i = lanes.index(min(lanes))
        lanes[i] += t
    return max(lanes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="full")
    ap.add_argument("--cores", type=int, default=2, help="jobs at a time, as snakemake --cores")
    ap.add_argument("--config", default="config.yaml")
    args = ap.parse_args()
    cfg = config.resolve(config.load(args.config), args.preset)
    cases = [(arm, n) for arm, spec in cfg["arms"].items() for n in spec["n"]]
    slices = []
    for arm, n in cases:
        every = eval_every(cfg, arm)
        slices += [(args.config, arm, n, every), (args.config, arm, n, 2 * every)]
    print(f"preset {args.preset!r}: {len(cases)} distinct jobs x {len(cfg['seeds'])} seeds; timing "
          f"{len(slices)} slices, {args.cores} at a time ...", flush=True)
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(args.cores) as pool:
        timed = pool.map(time_slice, slices, chunksize=1)
    walls = {(arm, n, u): s for arm, n, u, s in timed}
    print(f"{'arm':<16} {'n':>4} {'updates':>8} {'fixed s':>8} {'ms/update':>10} {'job s':>7}")
    durations = []
    for arm, n in cases:
        every = eval_every(cfg, arm)
        t1, t2 = walls[(arm, n, every)], walls[(arm, n, 2 * every)]
        b = (t2 - t1) / every
        a = max(t1 - b * every, 0.0)
        updates = cfg["arms"][arm]["budget"]["updates"]
        job = a + b * updates
        durations += [job] * len(cfg["seeds"])
        print(f"{arm:<16} {n:>4} {updates:>8,} {a:>8.1f} {1000 * b:>10.2f} {job:>7.0f}")
    total = sum(durations)
    span = lay_out(durations, args.cores)
    print(f"training: {len(durations)} jobs, {total:,.0f} s of job time; on {args.cores} cores about "
          f"{span / 60:.1f} min ({span:,.0f} s), longest first. Measured in {time.perf_counter() - t0:.0f} s.")


if __name__ == "__main__":
    main()
