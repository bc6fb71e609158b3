"""Training cost against n, with the paper's Fig. 8 SAC times as reference (C6).

Inputs: Snakemake ``benchmark:`` files of the training jobs,
``results/bench/train/<arm>/n<N>/seed<S>.tsv`` (tab-separated, column ``s`` = wall-clock seconds;
the mean over its rows when a job was benchmarked repeatedly), and optionally the jobs' train.nc,
whose ``wall_s`` times a job resumed from a checkpoint (``evaluation.cost.job_seconds``); arm,
n and seed come from the path. The budget of each arm (gradient updates, transitions) comes from
the resolved config.

Panels: (a) measured wall time of every training job against n, log axes, a marker per seed
and a line through the seed means per arm, with the paper's SAC times for KS (Fig. 8:
n = 10 … 500 → 0.69 … 2.95 h, 10⁵ updates per agent); (b) ``ks`` only, the measured time
linearly rescaled to the paper's workload (``evaluation.cost``) — an extrapolation, labelled as one, not a
measurement — against the paper's times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..evaluation.cost import arm_budget, equal_workload_scale, job_seconds, read_benchmark_tsv, train_wall_seconds
from . import common

NAME = "cost"
PAPER_N = np.array([10, 20, 50, 100, 200, 500])
PAPER_HOURS = np.array([0.69, 0.76, 0.94, 1.42, 1.87, 2.95])
MARKERS = {"rbc_closed_form": "v", "rbc": "^", "baseline": "s", "heterogeneous": "D", "ks": "o"}


def timed_jobs(inputs: list[Path]) -> list[dict]:
    """arm, n, seed and wall seconds of each training job among ``inputs`` (benchmark files,
    and train.nc files for the jobs resumed from a checkpoint); ``resumed`` says which source."""
    walls = {}
    for p in map(Path, inputs):
        meta = common.parse_run_path(p)
        if p.name == "train.nc" and meta is not None:
            with xr.open_dataset(p) as ds:
                walls[(meta["arm"], meta["n"], meta["seed"])] = train_wall_seconds(ds)
    jobs = []
    for p in map(Path, inputs):
        if p.suffix != ".tsv":
            continue
        meta = common.parse_run_path(p)
        if meta is None:
            raise common.FigureInputError(f"cannot tell arm, n and seed of '{p}': expected "
                                          f"results/bench/train/<arm>/n<N>/seed<S>.tsv")
        try:
            bench_s = read_benchmark_tsv(p)["s"]
        except ValueError as err:
            raise common.FigureInputError(f"figure '{NAME}': {err}") from err
        seconds, resumed = job_seconds(bench_s, walls.get((meta["arm"], meta["n"], meta["seed"]), float("nan")))
        jobs.append({**meta, "seconds": seconds, "resumed": resumed})
    return jobs


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    jobs = timed_jobs(inputs)
    if not jobs:
        raise common.FigureInputError(f"figure '{NAME}' needs at least one training benchmark file "
                                      f"results/bench/train/<arm>/n<N>/seed<S>.tsv; got: "
                                      f"{', '.join(map(str, inputs)) or 'no files'}")
    arms = sorted({j["arm"] for j in jobs}, key=lambda a: (a != "ks", a))
    cols = dict(zip(arms, common.colors(len(arms))))
    budgets = {}
    for a in arms:
        try:
            budgets[a] = arm_budget(cfg, a)
        except Exception:                           # noqa: BLE001 - an arm not in this config
            budgets[a] = None

    fig, axes = common.figure(1, 2, width=11.5, height=4.3)
    ax, ax_p = axes[0]
    for a in arms:
        js = [j for j in jobs if j["arm"] == a]
        ns = sorted({j["n"] for j in js})
        ax.plot([j["n"] for j in js], [j["seconds"] / 3600 for j in js], MARKERS.get(a, "o"), color=cols[a],
                ms=5, alpha=0.8, mfc="none")
        means = [np.mean([j["seconds"] for j in js if j["n"] == n]) / 3600 for n in ns]
        b = budgets[a]
        lab = f"{a} ({b['updates']:,} updates/job)" if b else a
        ax.plot(ns, means, "-", marker=MARKERS.get(a, "o"), color=cols[a], ms=5, label=lab)
    ax.plot(PAPER_N, PAPER_HOURS, "k--", marker="*", ms=8,
            label="paper Fig. 8, SAC, KS (10⁵ updates per agent)")
    ax.set(xscale="log", yscale="log", xlabel="households n", ylabel="training wall time (hours)",
           title="measured wall time per training job (markers: seeds)")
    common.plain_log(ax)
    ax.legend(loc="upper left", fontsize=6.8)

    ks = [j for j in jobs if j["arm"] == "ks"]
    if ks and budgets.get("ks"):
        b = budgets["ks"]
        scale = equal_workload_scale(b["updates"], b["env_steps"])
        ns = sorted({j["n"] for j in ks})
        ax_p.plot([j["n"] for j in ks], [j["seconds"] * scale / 3600 for j in ks], "o", color=cols["ks"],
                  mfc="none", ms=5)
        ax_p.plot(ns, [np.mean([j["seconds"] for j in ks if j["n"] == n]) * scale / 3600 for n in ns], "-o",
                  color=cols["ks"], ms=5,
                  label=f"ours, measured × {scale:,.4g} (extrapolated from {b['updates']:,} updates, "
                        f"{b['env_steps']:,} batched steps)")
        ax_p.plot(PAPER_N, PAPER_HOURS, "k--", marker="*", ms=8, label="paper Fig. 8, SAC (measured)")
        ax_p.set(xscale="log", yscale="log", xlabel="households n", ylabel="hours at 10⁵ updates and steps",
                 title="KS, rescaled to the paper's workload (linear extrapolation)")
        common.plain_log(ax_p)
        ax_p.legend(loc="best", fontsize=6.8)
    else:
        ax_p.text(0.5, 0.5, "no ks training jobs among the inputs", ha="center", va="center",
                  transform=ax_p.transAxes)
        ax_p.set_axis_off()

    seeds = sorted({j["seed"] for j in jobs})
    btxt = "; ".join(f"{a}: {b['updates']:,} gradient updates of the shared policy, {b['env_steps']:,} batched "
                     f"environment steps × {b['envs']} economies = {b['transitions_per_household']:,} "
                     f"transitions per household" for a, b in budgets.items() if b)
    cap = (f"Preset {cfg.get('preset', 'unknown')}; seeds {', '.join(map(str, seeds))}; one CPU thread per job. "
           f"Budget per job (this config): {btxt}. The paper trains SAC for 10⁵ updates per agent; our budget "
           f"is different, so panel a compares unequal workloads and panel b rescales ours linearly "
           f"to 10⁵ updates or 10⁵ environment steps, whichever costs more (C6's rule; an extrapolation that ignores any change of cost per update, and scales "
           f"the job's fixed start-up, warm-up and evaluation time too, so it overstates at small budgets such as "
           f"the smoke preset). Wall time "
           f"is Snakemake's benchmark 's' of each job, evaluations and checkpoints included, or for a job "
           f"resumed from a checkpoint ({sum(j['resumed'] for j in jobs)} here) its train.nc wall_s, summed "
           f"over the attempts; the paper's times are read off its Fig. 8.")
    common.add_caption(fig, cap, title="Training cost on one CPU against n, with the paper's SAC times")
    common.save(fig, pdf, png)
