"""Stability of SAC across n and seeds on Krusell–Smith (C4, ``ks`` arm).

Inputs: ``train.nc`` of each ``ks`` run — ``eval_return`` and ``chat_mean`` against ``update``
(the deterministic policy evaluated during training on fixed evaluation economies) — and
``eval.nc`` of each ``ks`` run — ``eval_return`` (discounted return per household of the
evaluated policy on the KS benchmark's z path) and ``chat_at_bound_frac`` when present.

Panels, with the definitions of :mod:`marlbc.claims` (so the figure shows what C4 scores):
(a) the final return of each seed's learning curve (last ``eval_return`` of train.nc) against n,
with the seed spread (max − min)/|mean| at each n against its threshold; (b) the evaluated
policy's return (eval.nc) against n; (c) learning curves, a colour per n and a line style per
seed, with each run's progress (R_final − R_0)/(R_best − R_0) in the legend; (d) mean ĉ over
training with the action bounds (a collapse onto a bound is a failure mode).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..claims.checks import learning_progress
from ..claims.common import rel_spread
from ..evaluation.statistics import BOUND_TOL, COLLAPSE_SHARE, at_bound
from . import common

NAME = "stability"
ARM = "ks"
TRAIN_VARS = ("eval_return", "chat_mean")
EVAL_VARS = ("eval_return",)
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))


def _by_n_panel(ax, groups, cols, values, thr, ylabel, title, spread_label=True):
    """A marker per seed at each n, the mean as a bar, the seed spread annotated."""
    ns = sorted(groups)
    for n in ns:
        vals = [values(r) for r in groups[n]]
        fin = [v for v in vals if np.isfinite(v)]
        ax.plot([n] * len(vals), vals, "o", color=cols[n], ms=5)
        if fin:
            ax.plot([n], [np.mean(fin)], "_", color="black", ms=14, mew=2)
        if not spread_label:
            continue
        s = rel_spread(vals)
        txt = f"spread {s:.1%}" if np.isfinite(s) else ("1 seed" if len(vals) == 1 else "spread n/a")
        if len(fin) < len(vals):
            txt += f", {len(vals) - len(fin)} non-finite"
        ax.annotate(txt, (n, max(fin) if fin else 0.0), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=6.5, color="tab:red" if (np.isfinite(s) and s > thr) else "0.2")
    ax.set(xscale="log", xlabel="households n", ylabel=ylabel, title=title)
    common.n_axis(ax, ns)
    ax.margins(x=0.15, y=0.15)


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    trains = common.load_runs(inputs, "train.nc", TRAIN_VARS, ("update",), arm=ARM, figure=NAME)
    evals = common.load_runs(inputs, "eval.nc", EVAL_VARS, arm=ARM, figure=NAME)
    gt, ge = common.by_n(trains), common.by_n(evals)
    ns = sorted(set(gt) | set(ge))
    cols = dict(zip(ns, common.colors(len(ns))))
    th = cfg.get("claims", {}).get("C4", {})
    thr = float(th.get("return_spread_max", 0.05))
    frac = float(th.get("curve_fraction_min", 0.95))
    bounds = (cfg.get("economy", {}) or {}).get("chat_bounds")

    fig, axes = common.figure(2, 2, width=11.0, height=7.6)
    (ax_f, ax_e), (ax_c, ax_h) = axes

    def last_return(r):
        return float(np.asarray(r.ds["eval_return"].values, float)[-1])

    _by_n_panel(ax_f, gt, cols, last_return, thr, "return per household (utils)",
                f"final return of the learning curve (C4: seed spread ≤ {thr:.0%})")
    bound_runs = [f"n={r.n} s{r.seed}" for r in evals
                  if "chat_at_bound_frac" in r.ds and r.scalar("chat_at_bound_frac") >= COLLAPSE_SHARE]
    _by_n_panel(ax_e, ge, cols, lambda r: r.scalar("eval_return"), thr, "return per household (utils)",
                "evaluated policy on the KS z path (eval.nc)", spread_label=False)
    if bound_runs:
        ax_e.text(0.02, 0.02, f"ĉ at a bound in ≥ {COLLAPSE_SHARE:.0%} of household-quarters: " + ", ".join(bound_runs),
                  transform=ax_e.transAxes, fontsize=6.5, color="tab:red")

    for n, rs in gt.items():
        for j, r in enumerate(rs):
            u = r.ds["update"].values
            ls = LINESTYLES[j % len(LINESTYLES)]
            y = np.asarray(r.ds["eval_return"].values, float)
            p = learning_progress(y)
            y = np.where(np.isfinite(y), y, np.nan)
            mk = "o" if len(u) < 12 else None
            ax_c.plot(u, y, color=cols[n], ls=ls, marker=mk, ms=3,
                      label=f"n = {n}, seed {r.seed}: progress {p:.2f}")
            ax_h.plot(u, r.ds["chat_mean"].values, color=cols[n], ls=ls, marker=mk, ms=3,
                      label=f"n = {n}, seed {r.seed}")
    ncol = 1 + len(trains) // 8
    ax_c.set(xlabel="SAC gradient updates", ylabel="evaluation return per household (utils)",
             title=f"learning curves (C4: progress ≥ {frac:g})")
    ax_c.legend(loc="best", fontsize=6.3, ncol=ncol)
    if bounds:
        for b in bounds:
            ax_h.axhline(b, color="tab:red", ls="--", lw=1.0)
        ax_h.plot([], [], color="tab:red", ls="--", label=f"ĉ bounds {bounds[0]:g}, {bounds[1]:g}")
        collapsed = [f"n={r.n} s{r.seed}" for r in trains
                     if np.isfinite(c := float(r.ds["chat_mean"].values[-1])) and at_bound(c, bounds)]
        if collapsed:
            ax_h.text(0.02, 0.15, f"final ĉ within {BOUND_TOL:.0%} of a bound (collapse):\n" + ", ".join(collapsed),
                      transform=ax_h.transAxes, fontsize=6.5, color="tab:red", va="center",
                      bbox={"fc": "white", "ec": "none", "alpha": 0.85})
    ax_h.set(xlabel="SAC gradient updates", ylabel="mean consumption fraction ĉ = c/a",
             title="mean ĉ during training (collapse check)")
    ax_h.legend(loc="center right", fontsize=6.3, ncol=ncol)

    cap = common.caption(
        cfg, ARM, trains or evals,
        extra="Return: Σ_t β^t r_t per household (utils), mean over households and environments, of the "
              "deterministic policy. Panels a, c, d: the training log (train.nc), fixed evaluation economies "
              "every eval_every updates; spread = (max − min)/|mean| across seeds of the last value; "
              "progress = (R_final − R_0)/(R_best − R_0) with R_0 the untrained policy. Panel b: the "
              "evaluated policy (policy.pt, the training evaluation kept by select_by) on the KS benchmark's aggregate "
              "shock path (eval.nc), a different rollout, so levels differ from panel a")
    common.add_caption(fig, cap, title="Stability of SAC on Krusell–Smith across n and seeds")
    common.save(fig, pdf, png)
