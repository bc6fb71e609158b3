"""Collect every run's evaluation and training log into one CF-style netCDF, ``results/marlbc.nc``.

    aggregate(cfg, eval_files, train_files, out) -> xarray.Dataset

Dimensions: ``arm`` (str), ``n``, ``seed`` (the runs; cells without a run are NaN and
``has_eval`` / ``has_train`` are 0 there), and per variable some of ``household``, ``t_det``,
``t``, ``t_stat``, ``quarter``, ``shock``, ``z_state``, ``update``. Coordinates are the union over
runs (e.g. ``household`` runs to the largest n, ``t`` to the longest simulation); what a run
lacks is NaN.

From each ``eval.nc`` (see :mod:`marlbc.evaluation.evaluate`):
- every scalar (``ss_K``, ``mean_K``, ``gini``, ``euler_mean``, ``a_good``, …) -> (arm, n, seed);
- per-household variables (``k_ss``, ``ell_ss``, ``c_ss``, ``chat_ss``, ``kappa``, ``lambda``)
  -> (arm, n, seed, household);
- impulse responses ``irf_<X>`` -> (arm, n, seed, shock, quarter);
- shock-free aggregate paths ``<X>_det`` of rollout 0 -> (arm, n, seed, t_det), float32;
- aggregate paths with shocks of economy 0 (``K, C, Y, L, I, chat, ell, K_forecast``) and
  ``z_index`` -> (arm, n, seed, t), float32; KS ``gini_k`` of economy 0 -> (…, t_stat);
- the KS law of motion ``lom_intercept, lom_slope, r2, se`` (mean over economies) -> (…, z_state).
From each ``train.nc``: every variable over ``update`` as ``train_<name>`` -> (arm, n, seed,
update), and the attributes ``best_update``, ``updates_done``, ``budget_updates`` as scalars.

Every variable carries ``units`` and ``long_name`` through from its ``eval.nc`` / ``train.nc``
(train logs that lack them get those of ``marlbc.rl.train.LOG_VARS``); where RBC and KS runs
describe a variable differently (e.g. ``K``, ``mean_L``), the attribute gives each family's text,
labelled ("RBC arms: ...; KS arms: ...").

The file is written atomically with zlib compression and provenance attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import xarray as xr

from .. import config as _config
from .io import open_checked, run_key, write_netcdf

__all__ = ["aggregate", "run_key"]

PATH_VARS = ("K", "C", "Y", "L", "I", "chat", "ell", "K_forecast")
HOUSEHOLD_VARS = ("k_ss", "ell_ss", "c_ss", "chat_ss", "kappa", "lambda")
# train.nc attributes taken as scalars: name -> (units, long_name)
TRAIN_ATTR_SCALARS = {
    "best_update": ("1", "training: gradient update of the evaluation whose policy became policy.pt (select_by)"),
    "updates_done": ("1", "training: gradient updates done"),
    "budget_updates": ("1", "training: budget of gradient updates of the run"),
}


def _eval_pieces(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """The variables of one eval.nc that go into the aggregate, reduced as documented."""
    out = {}
    for name, v in ds.data_vars.items():
        dims = v.dims
        da = None
        if dims == ():
            da = v.astype(np.float64)
        elif dims == ("household",) and name in HOUSEHOLD_VARS:
            da = v.astype(np.float64)
        elif dims == ("shock", "quarter"):
            da = v.astype(np.float64)
        elif dims == ("env_det", "t_det") and name.endswith("_det"):
            da = v.isel(env_det=0, drop=True).astype(np.float32)
            da.attrs = {**v.attrs, "comment": "shock-free rollout 0 (first initial draw)"}
        elif dims == ("env", "t") and name in PATH_VARS:
            da = v.isel(env=0, drop=True).astype(np.float32)
            da.attrs = {**v.attrs, "comment": "economy 0 of the evaluation"}
        elif dims == ("env", "t_stat") and name == "gini_k":
            da = v.isel(env=0, drop=True).astype(np.float32)
            da.attrs = {**v.attrs, "comment": "economy 0 of the evaluation"}
        elif dims == ("t",) and name == "z_index":
            da = v.astype(np.float32)
        elif dims == ("env", "z_state"):
            da = v.mean("env")
            da.attrs = {**v.attrs, "comment": "mean over the evaluation economies"}
        if da is not None:
            if not da.attrs:
                da.attrs = dict(v.attrs)
            out[name] = da
    return out


def _train_pieces(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """The training log over ``update`` (attributes as written; units and description from
    ``marlbc.rl.train.LOG_VARS`` where the file lacks them) and the attribute scalars."""
    from ..rl.train import LOG_VARS

    out = {}
    for name, v in ds.data_vars.items():
        if v.dims == ("update",) and v.dtype.kind in "iuf":
            da = v.astype(np.float64)
            da.attrs = dict(v.attrs)
            units, description = LOG_VARS.get(name, (None, None))
            if units is not None:
                da.attrs.setdefault("units", units)
            description = da.attrs.get("description", description)
            if description and not da.attrs.get("long_name"):
                da.attrs["long_name"] = f"training log: {description}"
            out[f"train_{name}"] = da
    for key, (units, long_name) in TRAIN_ATTR_SCALARS.items():
        if key in ds.attrs:
            try:
                out[f"train_{key}"] = xr.DataArray(float(ds.attrs[key]), attrs={"units": units, "long_name": long_name})
            except (TypeError, ValueError):
                pass
    return out


def _merge_attrs(entries: list[tuple[str | None, dict]]) -> dict:
    """The attributes of one variable of the aggregate from those of its runs ((family, attrs)
    per run): what the runs agree on as is; where runs describe it differently (an RBC and a KS
    evaluation), each description labelled with the family of the runs that use it."""
    out: dict = {}
    for key in dict.fromkeys(k for _, a in entries for k in a):
        values: dict[str, tuple[object, list]] = {}
        for family, a in entries:
            if key in a:
                v = a[key]
                families = values.setdefault(v if isinstance(v, str) else repr(v), (v, []))[1]
                if family not in families:
                    families.append(family)
        if len(values) == 1:
            out[key] = next(iter(values.values()))[0]
        else:
            out[key] = "; ".join(
                f"{', '.join(f'{f.upper()} arms' if f else 'runs without a family' for f in fams)}: {v}"
                for v, fams in values.values())
    return out


def _union(values: list[np.ndarray]) -> np.ndarray:
    """Union of coordinate values: sorted for numbers, first-seen order for strings."""
    arrs = [np.asarray(v) for v in values]
    if all(a.dtype.kind in "iuf" for a in arrs):
        return np.unique(np.concatenate(arrs))
    seen: list = []
    for a in arrs:
        for x in a.tolist():
            if x not in seen:
                seen.append(x)
    return np.array(seen, dtype=object).astype(str)


def aggregate(cfg: dict, eval_files: Iterable[str | Path], train_files: Iterable[str | Path],
              out: str | Path | None) -> xr.Dataset:
    """Combine the runs' ``eval.nc`` and ``train.nc`` into one dataset over (arm, n, seed, …)
    and write it to ``out`` (atomically, zlib, provenance). Returns the dataset."""
    pieces: dict[tuple[str, int, int], dict[str, xr.DataArray]] = {}
    families: dict[tuple[str, int, int], str] = {}       # "rbc" or "ks", from eval.nc
    sources = {"eval": {}, "train": {}}
    for kind, files, extract in (("eval", eval_files, _eval_pieces), ("train", train_files, _train_pieces)):
        for f in files:
            ds = open_checked(f)                         # names the file it cannot read
            key = run_key(ds, f)
            pieces.setdefault(key, {}).update(extract(ds))
            if kind == "eval" and ds.attrs.get("family"):
                families[key] = str(ds.attrs["family"])
            sources[kind][key] = str(f)
    if not pieces:
        raise ValueError("aggregate: no eval or train files given")

    arm_order = [a for a in _config.ARMS if any(k[0] == a for k in pieces)]
    arm_order += sorted({k[0] for k in pieces} - set(arm_order))
    ns = sorted({k[1] for k in pieces})
    seeds = sorted({k[2] for k in pieces})
    idx = {("arm", a): i for i, a in enumerate(arm_order)}
    idx.update({("n", n): i for i, n in enumerate(ns)})
    idx.update({("seed", s): i for i, s in enumerate(seeds)})

    # per variable: its dims, the union of each dim's coordinates, dtype and attributes
    var_dims: dict[str, tuple] = {}
    var_attrs: dict[str, list] = {}
    var_dtype: dict[str, np.dtype] = {}
    dim_values: dict[str, list] = {}
    dim_attrs: dict[str, list] = {}
    for key, run in pieces.items():
        for name, da in run.items():
            if name in var_dims and var_dims[name] != da.dims:
                raise ValueError(f"aggregate: variable {name!r} has dims {da.dims} in one run and "
                                 f"{var_dims[name]} in another")
            var_dims[name] = da.dims
            var_attrs.setdefault(name, []).append((families.get(key), dict(da.attrs)))
            var_dtype[name] = np.result_type(var_dtype.get(name, da.dtype), da.dtype)
            for d in da.dims:
                vals = da[d].values if d in da.coords else np.arange(da.sizes[d])
                dim_values.setdefault(d, []).append(vals)
                if d in da.coords:
                    dim_attrs.setdefault(d, []).append((families.get(key), dict(da[d].attrs)))
    coords = {d: _union(v) for d, v in dim_values.items()}
    pos = {d: {x: i for i, x in enumerate(c.tolist())} for d, c in coords.items()}

    shape0 = (len(arm_order), len(ns), len(seeds))
    arrays = {name: np.full(shape0 + tuple(len(coords[d]) for d in dims), np.nan, dtype=var_dtype[name])
              for name, dims in var_dims.items()}
    has_eval = np.zeros(shape0, dtype=np.int8)
    has_train = np.zeros(shape0, dtype=np.int8)
    for (arm, n, seed), run in pieces.items():
        i0 = (idx[("arm", arm)], idx[("n", n)], idx[("seed", seed)])
        has_eval[i0] = (arm, n, seed) in sources["eval"]
        has_train[i0] = (arm, n, seed) in sources["train"]
        for name, da in run.items():
            sel = []
            for d in da.dims:
                vals = da[d].values if d in da.coords else np.arange(da.sizes[d])
                sel.append(np.array([pos[d][x] for x in np.asarray(vals).tolist()]))
            target = arrays[name][i0]
            if sel:
                target[np.ix_(*sel)] = da.values
            else:
                arrays[name][i0] = da.values

    data = {name: (("arm", "n", "seed") + var_dims[name], arrays[name], _merge_attrs(var_attrs[name]))
            for name in arrays}
    data["has_eval"] = (("arm", "n", "seed"), has_eval, {"long_name": "1 where the run has an evaluation", "units": "1"})
    data["has_train"] = (("arm", "n", "seed"), has_train, {"long_name": "1 where the run has a training log", "units": "1"})
    cattrs = {"t": {"units": "quarter", "long_name": "quarter of the simulation with shocks (KS: of the benchmark's z path)"},
              "t_det": {"units": "quarter", "long_name": "quarter of the shock-free rollout"},
              "t_stat": {"units": "quarter", "long_name": "quarters of the KS cross-sectional statistics"},
              "quarter": {"units": "quarter", "long_name": "quarters after the impulse"},
              "household": {"long_name": "household index"},
              "update": {"units": "1", "long_name": "gradient updates done"},
              "shock": {"long_name": "impulse: one sigma_A, or 0.1 log points of TFP"},
              "z_state": {"long_name": "aggregate state of the Krusell-Smith economy"}}
    all_coords = {"arm": ("arm", np.array(arm_order, dtype=str), {"long_name": "experimental arm (SPEC section 3)"}),
                  "n": ("n", np.array(ns), {"units": "1", "long_name": "households in the economy"}),
                  "seed": ("seed", np.array(seeds), {"long_name": "training seed"})}
    for d, c in coords.items():
        all_coords[d] = (d, c, cattrs.get(d) or _merge_attrs(dim_attrs.get(d, [])))
    ds = xr.Dataset(data, coords=all_coords)
    ds.attrs.update({"title": "marlbc: evaluations and training logs of every run",
                     "source": "marlbc evaluate (eval.nc) and marlbc train (train.nc)",
                     "n_eval_files": len(sources["eval"]), "n_train_files": len(sources["train"]),
                     "preset": str(cfg.get("preset", "unknown"))})
    if out is not None:
        write_netcdf(ds, out, cfg=cfg)
    return ds
