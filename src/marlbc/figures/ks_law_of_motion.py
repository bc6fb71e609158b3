"""Krusell–Smith: the learned aggregate law of motion against the KS solution (C2, ``ks`` arm).

Inputs: ``eval.nc`` of each ``ks`` run — ``K(env, t)`` (capital per head on the benchmark's z
path), ``z_index(t)`` (0 good, 1 bad), ``lom_intercept, lom_slope(env, z_state)`` (OLS of
log K' on log K by z over t ≥ ``sim_burn``), ``mean_K`` — and ``results/benchmarks/ks.nc`` —
``lom_intercept, lom_slope(z_state)`` (a_z, b_z), ``K(time)``, ``mean_K`` and attribute ``burn``.

Panels (a, b): the law of motion K' = exp(a_z + b_z log K) in the good and the bad state,
drawn as the growth K'/K − 1 (percent) against K (log axis), which separates laws that all lie
near the 45° line: simulated pairs of one environment per n (dots, thinned), the learned law of
each n (mean of the coefficients over seeds and environments) over the range its simulation
visited, and the KS solution over the benchmark's range (black dashed).
Panel (c): slopes b_z against n (a marker per seed) with the KS values.
Panel (d): mean capital per head against n relative to the KS solution, with the C2 tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import common

NAME = "ks_law_of_motion"
ARM = "ks"
EVAL_VARS = ("K", "z_index", "lom_intercept", "lom_slope", "mean_K")
BENCH_VARS = ("lom_intercept", "lom_slope", "K", "mean_K")
STATES = ("good", "bad")


def _state_index(ds, state: int) -> dict:
    """isel for z_state ``state`` (0 good, 1 bad), by label when the coordinate has labels."""
    if "z_state" in ds.coords:
        labels = [str(v) for v in ds["z_state"].values]
        if STATES[state] in labels:
            return {"z_state": labels.index(STATES[state])}
    return {"z_state": state}


def _window(ds, key: str = "sim_burn", attr: str = "burn") -> int:
    if key in ds:
        return int(float(ds[key]))
    return int(ds.attrs.get(attr, 0))


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    runs = common.load_runs(inputs, "eval.nc", EVAL_VARS, ("env", "t", "z_state"), arm=ARM, figure=NAME)
    bench = common.load_benchmark(inputs, "ks.nc", BENCH_VARS, ("z_state",), figure=NAME)
    groups = common.by_n(runs)
    cols = dict(zip(groups, common.colors(len(groups))))
    tol_b = float(cfg.get("claims", {}).get("C2", {}).get("slope_abs_tol", 0.01))
    tol_K = float(cfg.get("claims", {}).get("C2", {}).get("mean_K_rel_tol", 0.02))

    fig, axes = common.figure(2, 2, width=10.5, height=7.6)
    (ax_g, ax_b), (ax_s, ax_m) = axes
    bK = np.asarray(bench["K"].values, dtype=float)
    bK = bK[int(bench.attrs.get("burn", 0)):]
    bK = bK[np.isfinite(bK) & (bK > 0)]
    def growth(K_next, K):                      # percent growth K'/K - 1
        return 100.0 * (K_next / K - 1.0)

    for s, ax in enumerate((ax_g, ax_b)):
        for n, rs in groups.items():
            r = rs[0]
            burn = _window(r.ds)
            K = np.asarray(r.ds["K"].isel(env=0).values, dtype=float)
            z = np.asarray(r.ds["z_index"].values)
            x, y, zz = K[burn:-1], K[burn + 1:], z[burn:-1]
            sel = (zz == s) & np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
            step = max(1, sel.sum() // 400)
            ax.plot(x[sel][::step], growth(y[sel][::step], x[sel][::step]), ".", ms=2.0, color=cols[n],
                    alpha=0.35)
            a = np.nanmean([r.ds["lom_intercept"].isel(_state_index(r.ds, s)).values for r in rs])
            b = np.nanmean([r.ds["lom_slope"].isel(_state_index(r.ds, s)).values for r in rs])
            Ks = np.concatenate([np.asarray(r.ds["K"].values, float)[:, burn:].ravel() for r in rs])
            Ks = Ks[np.isfinite(Ks) & (Ks > 0)]
            if Ks.size and np.isfinite(a) and np.isfinite(b):
                grid = np.geomspace(Ks.min(), Ks.max() * (1 + 1e-9), 50)
                ax.plot(grid, growth(np.exp(a + b * np.log(grid)), grid), color=cols[n], lw=1.6,
                        label=f"learned, n = {n} ({len(rs)} seed{'s' if len(rs) > 1 else ''}): "
                              f"a = {a:.4f}, b = {b:.4f}")
        ab = float(bench["lom_intercept"].isel(_state_index(bench, s)))
        bb = float(bench["lom_slope"].isel(_state_index(bench, s)))
        grid = np.geomspace(bK.min(), bK.max(), 50)
        ax.plot(grid, growth(np.exp(ab + bb * np.log(grid)), grid), **common.BENCHMARK_STYLE,
                label=f"KS solution: a = {ab:.4f}, b = {bb:.4f}")
        ax.axhline(0.0, color="0.5", lw=0.8, ls=":", label="K' = K")
        ax.set(xscale="log", xlabel="capital per head K_t (model units, log scale)",
               ylabel="K_{t+1} / K_t − 1 (%)",
               title=f"law of motion K' (K), {STATES[s]} state, as growth of K")
        common.plain_log(ax, "x")
        ax.legend(loc="best", fontsize=6.8)

    ns = np.array(list(groups))
    markers = ("o", "s")
    for s in (0, 1):
        bb = float(bench["lom_slope"].isel(_state_index(bench, s)))
        for n, rs in groups.items():
            vals = [float(np.nanmean(r.ds["lom_slope"].isel(_state_index(r.ds, s)).values)) for r in rs]
            ax_s.plot([n] * len(vals), vals, markers[s], color=cols[n], mfc="none" if s else cols[n], ms=5)
        ax_s.axhline(bb, color="black", lw=1.4, ls="--" if s == 0 else "-.",
                     label=f"KS b_{STATES[s]} = {bb:.4f}")
        ax_s.axhspan(bb - tol_b, bb + tol_b, color="0.5", alpha=0.12)
    ax_s.plot([], [], "o", color="0.3", label="learned b_good (a marker per seed)")
    ax_s.plot([], [], "s", color="0.3", mfc="none", label="learned b_bad")
    ax_s.set(xscale="log", xlabel="households n", ylabel="slope b_z of log K' = a_z + b_z log K",
             title=f"law-of-motion slopes (grey: KS ± {tol_b:g}, the C2 tolerance)")
    common.n_axis(ax_s, ns)
    ax_s.legend(loc="best")

    mk = float(bench["mean_K"])
    for n, rs in groups.items():
        vals = [r.scalar("mean_K") / mk - 1.0 for r in rs]
        ax_m.plot([n] * len(vals), np.array(vals) * 100, "o", color=cols[n], ms=5)
        ax_m.plot([n], [np.mean(vals) * 100], "_", color="black", ms=14, mew=2)
    ax_m.axhline(0.0, color="black", lw=1.4, ls="--", label=f"KS mean K = {mk:.3f}")
    ax_m.axhspan(-tol_K * 100, tol_K * 100, color="0.5", alpha=0.12, label=f"C2 tolerance ±{tol_K:.0%}")
    ax_m.set(xscale="log", xlabel="households n", ylabel="mean K / KS mean K − 1 (%)",
             title="mean capital per head against the KS solution (— mean over seeds)")
    common.n_axis(ax_m, ns)
    ax_m.legend(loc="best")

    cap = common.caption(
        cfg, ARM, runs,
        benchmark=common.benchmark_caption(bench, "Krusell–Smith (1998) algorithm (EGM, histogram simulation), "
                                                  "results/benchmarks/ks.nc"),
        extra="Learned coefficients: OLS of log K' on log K by aggregate state over the simulation on the "
              "benchmark's own z path after its burn-in, averaged over environments and seeds; dots: "
              "simulated (K_t, K_{t+1}) of one environment per n. Panels (a, b) show K'/K − 1, so the "
              "45° line K' = K is the horizontal zero line. Capital in the model units of the "
              "package's ks98 economy (the same in both)")
    common.add_caption(fig, cap, title="Krusell–Smith: learned aggregate law of motion against the KS solution")
    common.save(fig, pdf, png)
