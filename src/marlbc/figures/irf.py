"""Impulse responses of the learned n = 1 policy against the global solution (C1, ``rbc`` arm).

Inputs: ``eval.nc`` of each ``rbc`` run and ``results/benchmarks/rbc.nc``; from both the
variables ``irf_Y, irf_C, irf_I, irf_L, irf_K`` with dimensions (shock, quarter), in percent
deviations from the no-shock path. The one-σ TFP shock is picked by its size (``irf_shock_size``
in eval.nc, ``shock_size`` in rbc.nc, equal to the calibration's σ_A) or, failing that, by its
label (``one_sd`` / ``one_sigma``). One panel per variable, a thin line per seed, the benchmark
thick and dashed; the last panel is the normalised RMSE ‖x − x*‖₂ / ‖x*‖₂ of each seed against the
benchmark (the C1 metric, :func:`marlbc.claims.checks.nrmse`) with its threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..claims.checks import nrmse
from . import common

NAME = "irf"
ARM = "rbc"
VARIABLES = ("Y", "C", "I", "L", "K")
LABELS = {"Y": "output Y", "C": "consumption C", "I": "investment I", "L": "hours L", "K": "capital K"}
IRF_VARS = tuple(f"irf_{x}" for x in VARIABLES)
HORIZON = 40                                   # quarters shown (SPEC C1)
ONE_SIGMA_LABELS = ("one_sd", "one_sigma", "one_σ", "sigma")


def one_sigma(ds: xr.Dataset, var: str, sigma: float | None, where: str) -> np.ndarray:
    """The response ``var`` (quarter,) to the one-σ shock: by shock size, else label, else alone."""
    da = ds[var]
    if "shock" not in da.dims:
        return np.asarray(da.values, dtype=float)
    for size_var in ("irf_shock_size", "shock_size"):
        if sigma is not None and size_var in ds and ds[size_var].dims == ("shock",):
            sizes = np.asarray(ds[size_var].values, dtype=float)
            hit = np.flatnonzero(np.isclose(sizes, sigma, rtol=1e-6, atol=0.0))
            if hit.size:
                return np.asarray(da.isel(shock=int(hit[0])).values, dtype=float)
    labels = [str(s) for s in ds["shock"].values] if "shock" in ds.coords else []
    for lab in ONE_SIGMA_LABELS:
        if lab in labels:
            return np.asarray(da.sel(shock=lab).values, dtype=float)
    if da.sizes["shock"] == 1:
        return np.asarray(da.isel(shock=0).values, dtype=float)
    raise common.FigureInputError(f"'{where}': cannot tell which shock of {var} is the one-σ TFP shock "
                                  f"(shock labels {labels}, no shock-size variable equal to σ_A = {sigma})")


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    runs = common.load_runs(inputs, "eval.nc", IRF_VARS, ("quarter",), arm=ARM, figure=NAME)
    bench = common.load_benchmark(inputs, "rbc.nc", IRF_VARS, ("quarter",), figure=NAME)
    try:
        from .. import config as _config
        sigma = float(_config.arm_calibration(cfg, ARM)["sigma_A"])
    except Exception:                                  # noqa: BLE001
        sigma = None
    bpath = bench.attrs.get("source_path", "rbc.nc")
    b = {x: one_sigma(bench, f"irf_{x}", sigma, bpath) for x in VARIABLES}
    horizon = min(HORIZON, len(b["Y"]), *(r.ds.sizes["quarter"] for r in runs))
    thr = float(cfg.get("claims", {}).get("C1", {}).get("irf_nrmse_max", 0.10))

    fig, axes = common.figure(2, 3, width=11.5, height=6.2)
    flat = axes.ravel()
    cols = common.colors(len(runs))
    errs = {x: [] for x in VARIABLES}
    for r, col in zip(runs, cols):
        for ax, x in zip(flat, VARIABLES):
            y = one_sigma(r.ds, f"irf_{x}", sigma, str(r.path))[:horizon]
            ax.plot(np.arange(len(y)), y, color=col, lw=1.1, alpha=0.9, label=f"learned, seed {r.seed}")
            errs[x].append(nrmse(y, b[x][:horizon]))
    q = np.arange(horizon)
    for ax, x in zip(flat, VARIABLES):
        ax.plot(q, b[x][:horizon], **common.BENCHMARK_STYLE, label="global solution (benchmark)")
        ax.axhline(0.0, color="0.5", lw=0.6)
        ax.set(title=LABELS[x], xlabel="quarters after the shock", ylabel="% deviation from no-shock path",
               xlim=(0, horizon - 1))
    flat[0].legend(loc="best")

    ax = flat[5]
    width = 0.8 / max(1, len(runs))
    for j, (r, col) in enumerate(zip(runs, cols)):
        vals = [errs[x][j] for x in VARIABLES]
        ax.bar(np.arange(len(VARIABLES)) + (j - (len(runs) - 1) / 2) * width, vals, width, color=col,
               label=f"seed {r.seed}")
    ax.axhline(thr, color="tab:red", ls="--", lw=1.2, label=f"C1 threshold {thr:g}")
    ax.set(xticks=np.arange(len(VARIABLES)), xticklabels=VARIABLES, ylabel="normalised RMSE",
           title=f"NRMSE ‖x − x*‖₂ / ‖x*‖₂ over {horizon} quarters (C1)")
    ax.legend(loc="best")

    cap = common.caption(
        cfg, ARM, runs,
        benchmark=common.benchmark_caption(bench, "global (Chebyshev time-iteration) solution of the planner "
                                                  "problem, results/benchmarks/rbc.nc"),
        extra=f"One-σ TFP shock (log A_0 = σ_A{f' = {sigma:g}' if sigma else ''}, then log A_t = ρ^t log A_0), "
              f"responses in percent of the no-shock path started at each policy's own deterministic steady "
              f"state; {horizon} quarters; K is capital at the start of the quarter (0 on impact)")
    common.add_caption(fig, cap,
                       title="Impulse responses to a one-σ TFP shock: learned n = 1 policy vs global solution")
    common.save(fig, pdf, png)
