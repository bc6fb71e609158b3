"""Run one benchmark for a config and write its netCDF: the entry point of ``marlbc benchmark``
and of the pipeline's ``benchmark_*`` rules.

    rbc          global solution of the stochastic RBC (the rbc arm's calibration: seed)
    closed-form  δ = 1 closed form and its steady state (rbc_closed_form's: paper, δ = 1)
    game         steady state of the n-household game (heterogeneous arm's calibration, κ, λ)
    ks           Krusell–Smith (1998) algorithm (the ks arm's calibration: ks98)

Each is solved with the calibration of the arm held against it, overrides applied
(``config.benchmark_calibration``), unless a calibration is named.
"""

from __future__ import annotations

import time
from pathlib import Path

import xarray as xr

from .. import config as _config
from ..evaluation.io import write_netcdf
from . import game, ks, rbc
from .steady_state import closed_form, steady_state


def _closed_form_dataset(cal: dict) -> xr.Dataset:
    cf = closed_form(**cal)
    ss = steady_state(**{**cal, "delta": 1.0})
    ds = xr.Dataset(attrs={"title": "closed form of the RBC with full depreciation (delta = 1)"})
    docs = {"chat": "consumption fraction c/a, closed form 1 - alpha*beta",
            "ell": "hours, closed form (1-alpha)/(b(1-alpha*beta)+1-alpha)",
            "ell_eq13": "hours by the paper's Eq. 13 (alpha and 1-alpha swapped: an erratum)"}
    for k, v in cf.items():
        ds[k] = xr.DataArray(v, attrs={"units": "1", "long_name": docs[k]})
    for k, v in ss.as_dict().items():
        ds[f"ss_{k}"] = xr.DataArray(v, attrs={"units": "model units per head",
                                               "long_name": f"deterministic steady state {k} (delta = 1)"})
    return ds


def run(which: str, cfg: dict, out: str | Path | None = None, n: int | None = None,
        calibration: str | None = None) -> dict:
    """Solve benchmark ``which`` and return its JSON-able summary; write netCDF to ``out`` if given."""
    t0 = time.perf_counter()
    if which not in _config.BENCHMARK_ARMS:
        raise ValueError(f"unknown benchmark {which!r}; allowed: {', '.join(_config.BENCHMARK_ARMS)}")
    if calibration is None:                        # the arm's own, overrides applied
        cal = _config.benchmark_calibration(cfg, which)
    else:
        cal = _config.named_calibration(cfg, calibration)
        if which == "closed-form":
            cal["delta"] = 1.0
    if which == "rbc":
        sol = rbc.solve(cal)
        ds, summary = rbc.to_dataset(sol), rbc.summary(sol)
    elif which == "closed-form":
        ds = _closed_form_dataset(cal)
        summary = closed_form(**cal)
    elif which == "game":
        spec = _config.arm_spec(cfg, "heterogeneous")
        n = spec["n"][0] if n is None else n
        if n < 1:
            raise _config.ConfigError(f"the game needs n >= 1 households, got n = {n}")
        kappa, lam = _config.heterogeneity(spec["heterogeneity"], n)
        sol = game.solve_game(cal, kappa, lam)
        ds, summary = game.to_dataset(sol), game.summary(sol)
    else:
        sol = ks.solve(cal)
        ds, summary = ks.to_dataset(sol), ks.summary(sol)
    seconds = time.perf_counter() - t0
    if out is not None:
        ds.attrs["benchmark"] = which
        ds.attrs["wall_seconds"] = seconds
        # rbc and ks simulate with seed 0 (ergodic sets, moments, the z path); game and the
        # closed form draw no random numbers
        stochastic = which in ("rbc", "ks")
        if not stochastic:
            ds.attrs["seed"] = "none (deterministic)"
        write_netcdf(ds, out, cfg, seed=0 if stochastic else None)
    return summary
