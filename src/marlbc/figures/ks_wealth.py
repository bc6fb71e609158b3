"""Krusell–Smith: wealth distributions by n against the KS stationary distribution (C2).

Inputs: ``eval.nc`` of each ``ks`` run — ``k_final(env, household)`` (capital of each household
after the last quarter of the simulation on the benchmark's z path) and ``gini`` (wealth Gini,
averaged over the cross-sections of the window: the C2 metric) — and
``results/benchmarks/ks.nc`` — ``wealth_hist(employment, k_fine)`` (time-averaged mass of
capital holdings on the fine grid ``k_fine``) and ``gini``.

Panels: (a) CDF of capital holdings (model units): the final cross-sections of every
environment and seed of each n pooled, against the benchmark's histogram; (b) Lorenz curves of
the same; (c) the Gini against n (a marker per seed) with the KS value and the C2 tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import common

NAME = "ks_wealth"
ARM = "ks"
EVAL_VARS = ("k_final", "gini")
BENCH_VARS = ("wealth_hist", "k_fine", "gini")


def lorenz(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Population share and wealth share (both starting at 0) of non-negative ``values``."""
    v = np.asarray(values, dtype=float).ravel()
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float).ravel()
    keep = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[keep], w[keep]
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    pop = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    wealth = np.cumsum(v * w)
    share = np.concatenate([[0.0], wealth / wealth[-1] if wealth[-1] > 0 else wealth])
    return pop, share


def gini_from_lorenz(pop: np.ndarray, share: np.ndarray) -> float:
    """1 − 2 × area under the Lorenz curve (trapezoids)."""
    return float(1.0 - np.sum((pop[1:] - pop[:-1]) * (share[1:] + share[:-1])))


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    runs = common.load_runs(inputs, "eval.nc", EVAL_VARS, ("household",), arm=ARM, figure=NAME)
    bench = common.load_benchmark(inputs, "ks.nc", BENCH_VARS, ("k_fine",), figure=NAME)
    groups = common.by_n(runs)
    cols = dict(zip(groups, common.colors(len(groups))))
    tol = float(cfg.get("claims", {}).get("C2", {}).get("gini_abs_tol", 0.02))

    hist = np.asarray(bench["wealth_hist"].values, dtype=float)
    kf = np.asarray(bench["k_fine"].values, dtype=float)
    axis = bench["wealth_hist"].dims.index("k_fine")
    mass = hist.sum(axis=tuple(i for i in range(hist.ndim) if i != axis)) if hist.ndim > 1 else hist
    mass = mass / mass.sum()
    b_gini = float(bench["gini"])
    b_mean = float(np.sum(mass * kf))

    fig, axes = common.figure(1, 3, width=12.5, height=4.0)
    ax_c, ax_l, ax_g = axes[0]
    cdf = np.cumsum(mass)
    hi = kf[np.searchsorted(cdf, 0.999)] if cdf[-1] >= 0.999 else kf[-1]
    xmax = [hi]
    for n, rs in groups.items():
        k = np.concatenate([np.asarray(r.ds["k_final"].values, float).ravel() for r in rs])
        k = k[np.isfinite(k)]
        g = np.mean([r.scalar("gini") for r in rs])
        ks = np.sort(k)
        label = f"n = {n}: mean k {ks.mean():.3g} ({len(rs)} seed{'s' if len(rs) > 1 else ''}, {k.size} households)"
        ax_c.step(np.concatenate([[0.0], ks]), np.arange(ks.size + 1) / ks.size, where="post",
                  color=cols[n], label=label)
        xmax.append(np.quantile(ks, 0.999) if ks.size else 0.0)
        ax_l.plot(*lorenz(k), color=cols[n], label=f"n = {n}: Gini {g:.3f}")
        ax_g.plot([n] * len(rs), [r.scalar("gini") for r in rs], "o", color=cols[n], ms=5)
    ax_c.plot(kf, cdf, **common.BENCHMARK_STYLE, label=f"KS stationary distribution: mean k {b_mean:.3g}")
    ax_c.set(xlim=(0, 1.05 * max(xmax)), ylim=(0, 1.01), xlabel="capital holdings k (model units)",
             ylabel="share of households with capital ≤ k", title="CDF of capital holdings")
    ax_c.legend(loc="lower right", fontsize=6.5)

    ax_l.plot(*lorenz(kf, mass), **common.BENCHMARK_STYLE, label=f"KS solution: Gini {b_gini:.3f}")
    ax_l.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls=":", label="equality")
    ax_l.set(xlim=(0, 1), ylim=(0, 1), xlabel="population share (poorest first)", ylabel="share of capital",
             title="Lorenz curves of capital")
    ax_l.legend(loc="upper left")

    ns = np.array(list(groups))
    ax_g.axhline(b_gini, color="black", ls="--", lw=1.5, label=f"KS solution {b_gini:.3f}")
    ax_g.axhspan(b_gini - tol, b_gini + tol, color="0.5", alpha=0.15, label=f"C2 tolerance ±{tol:g}")
    ax_g.set(xscale="log", xlabel="households n", ylabel="wealth Gini (mean over the window)",
             title="Gini against n (a marker per seed)")
    common.n_axis(ax_g, ns)
    ax_g.legend(loc="best")

    cap = common.caption(
        cfg, ARM, runs,
        benchmark=common.benchmark_caption(bench, "Krusell–Smith (1998) algorithm, time-averaged histogram "
                                                  "of capital holdings over the simulation window, "
                                                  "results/benchmarks/ks.nc"),
        extra="Learned: capital of every household after the last quarter of the simulation on the "
              "benchmark's z path, all environments and seeds of each n pooled (panels a, b); the Gini in "
              "the legends and panel c is the C2 metric, the cross-sectional Gini averaged over the window "
              "after burn-in (mean over seeds). Capital in the package's ks98 model units")
    common.add_caption(fig, cap, title="Krusell–Smith: wealth distribution against the KS stationary distribution")
    common.save(fig, pdf, png)
