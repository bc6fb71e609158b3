"""What a training job cost, and that cost at the paper's workload (claim C6, the cost figure).

The paper (Fig. 8) trains SAC for 10⁵ updates per agent, one environment step per update. A job
of ours does ``U`` gradient updates of the shared policy and ``S`` batched environment steps
(each steps every economy of the job at once). Its time at the paper's workload is taken as

    T_equal = T · max(10⁵ / U, 10⁵ / S),

the more expensive of the two readings of "10⁵ per agent": as many updates, or as many steps of
the economy. Both are linear extrapolations of the measured wall time T (Snakemake's benchmark
``s``), start-up and evaluations included.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from .. import config

PAPER_UPDATES = 100_000
"""Updates (and environment steps) per agent in the paper's KS training, Fig. 8."""


def read_benchmark_tsv(path: str | Path) -> dict:
    """One Snakemake ``benchmark:`` file: the mean over its repeats of each numeric column
    (``s`` = wall-clock seconds, ``max_rss`` MB, ``cpu_time`` s, …) and the number of repeats.
    A missing file, or a missing or non-numeric ``s`` column, is an error naming the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"benchmark file '{path}' does not exist")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows or "s" not in rows[0]:
        cols = ", ".join(rows[0]) if rows else "none (empty file)"
        raise ValueError(f"benchmark file '{path}' lacks the column 's' (wall-clock seconds); it has columns: {cols}")
    out: dict = {"repeats": len(rows)}
    for col in rows[0]:
        vals = []
        for r in rows:
            try:
                vals.append(float(r[col]))
            except (TypeError, ValueError):
                if col == "s":
                    raise ValueError(f"benchmark file '{path}': column 's' is not numeric ({r[col]!r})") from None
        if vals:
            out[col] = float(np.mean(vals))
    return out


def train_wall_seconds(ds) -> float:
    """train.nc's ``wall_s`` at its last record: training seconds summed over every attempt of
    the job (NaN for a log written before ``wall_s`` was recorded)."""
    return float(ds["wall_s"].values[-1]) if "wall_s" in ds else float("nan")


def job_seconds(benchmark_s: float, train_wall_s: float = float("nan")) -> tuple[float, bool]:
    """Wall seconds of one training job, and whether train.nc's ``wall_s`` supplied them.

    Snakemake's benchmark file times the last attempt of a job only; train.nc's ``wall_s`` sums
    the training time of every attempt (resumes from a checkpoint), start-up excluded. The job's
    time is the larger: the benchmark's for a job that ran once, ``wall_s`` for a resumed one."""
    if np.isfinite(train_wall_s) and train_wall_s > benchmark_s:
        return float(train_wall_s), True
    return float(benchmark_s), False


RESUMED_NOTE = "train.nc wall_s (summed over resumes; the benchmark file timed the last attempt only)"


def arm_budget(cfg: dict, arm: str) -> dict:
    """Updates, batched environment steps and transitions per household of one job of ``arm``
    under the resolved config: S = max(learning_starts, n_step + 2) + ⌊U · env_steps_per_update⌋."""
    from ..rl.sac import SACConfig

    spec = cfg["arms"][arm]
    updates = int(spec["budget"]["updates"])
    sc = SACConfig.from_dict(spec.get("sac"), where=f"arms.{arm}.sac")
    E = config.arm_envs(cfg, arm)
    env_steps = max(sc.learning_starts, sc.n_step + 2) + math.floor(updates * sc.env_steps_per_update)
    return {"updates": updates, "env_steps": env_steps, "envs": E,
            "transitions_per_household": env_steps * E}


def equal_workload_scale(updates: float, env_steps: float = float("nan")) -> float:
    """max(10⁵ / U, 10⁵ / S): the factor that takes a job of U updates and S batched environment
    steps to the paper's workload (an unknown S, NaN, leaves 10⁵ / U)."""
    scales = [PAPER_UPDATES / x for x in (updates, env_steps) if np.isfinite(x) and x > 0]
    return float(max(scales)) if scales else float("nan")
