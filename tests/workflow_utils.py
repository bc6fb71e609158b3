"""Helpers of the workflow tests: a clean copy of the checkout, and netCDF contents without
the figures that measure the machine rather than the economy."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import xarray as xr

ROOT = Path(__file__).resolve().parents[1]

# Attributes that legitimately differ between two runs of the same job (dataset and variable
# attributes alike): when the file was written and how long the job took.
IGNORED_ATTRS = {
    "created",          # UTC time the file was written (marlbc.evaluation.io.provenance)
    "wall_seconds",     # wall time of the whole benchmark job (marlbc.benchmarks.run)
    "solve_seconds",    # wall time of the solver (rbc.nc, game_n<N>.nc)
    "seconds",          # wall time of the Krusell-Smith algorithm (ks.nc)
    "seconds_det_s", "seconds_sim_s", "seconds_irf_s", "seconds_accuracy_s",  # eval.nc: wall
                        # time of each evaluation stage (marlbc.evaluation.evaluate)
}
# Data variables that measure the machine, not the economy: wall time and throughput.
IGNORED_VARS = {
    "eval_seconds",                                     # eval.nc: wall time of the evaluation
    "wall_s", "updates_per_s", "transitions_per_s",     # train.nc: over `update`
    "train_wall_s", "train_updates_per_s", "train_transitions_per_s",   # the same in marlbc.nc
}




def load_benchmark_script(name: str):
    """The module of ``benchmarks/<name>.py``, imported as its command line runs it: with its
    folder on ``sys.path`` (``estimate_preset`` imports ``job_times`` from there)."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.append(folder)
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def copy_repo(dst: Path) -> Path:
    """The checkout's files (tracked, and untracked but not ignored) copied to ``dst``: what a
    fresh clone holds before its first run, the committed claims table and figures included."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name, follow_symlinks=False)
    return dst


def open_without_timings(path: Path) -> xr.Dataset:
    """A netCDF file's contents without wall times, throughput and creation time."""
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    ds = ds.drop_vars(IGNORED_VARS & set(ds.variables))
    ds.attrs = {k: v for k, v in ds.attrs.items() if k not in IGNORED_ATTRS}
    for var in ds.variables.values():
        var.attrs = {k: v for k, v in var.attrs.items() if k not in IGNORED_ATTRS}
    return ds
