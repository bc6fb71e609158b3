"""netCDF and JSON helpers shared by evaluation, aggregation and the claim checks.

- :func:`write_netcdf` writes an ``xarray.Dataset`` *atomically*: to a temporary file in the
  destination's directory, then ``os.replace`` onto the final name, so a reader (or Snakemake)
  never sees a half-written file, and a writer that raises leaves nothing behind. Numeric
  variables are zlib-compressed; provenance attributes (:func:`provenance`) are added.
- :func:`atomic_write_text` / :func:`atomic_write_json` do the same for text and JSON.
- :func:`open_checked` opens a netCDF file and checks that it holds the variables and
  dimensions a consumer needs, raising :class:`MissingDataError` that names the file and
  everything that is missing (not the first ``KeyError`` deep inside a computation).
- :func:`parse_run_path` and :func:`run_key` tell which run (arm, n, seed) a file belongs to.

Provenance attributes (every file written here): ``marlbc_version`` (``marlbc.__version__``),
``git_commit`` (``git rev-parse HEAD`` of the checkout the package lives in, ``+modified`` if the
package's files differ from it, or ``'unknown'``),
``config_hash`` (:func:`marlbc.config.config_hash`), ``seed`` (when given), ``created`` (UTC,
ISO 8601) and ``Conventions = 'CF-1.8'``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import marlbc
from marlbc import config as _config

__all__ = ["MissingDataError", "atomic_write_json", "atomic_write_text", "commit_of", "git_commit",
           "jsonable", "open_checked", "parse_run_path", "provenance", "run_key", "write_netcdf"]


class MissingDataError(KeyError, ValueError):
    """A netCDF file lacks variables or dimensions that a consumer needs (the message names them).
    A KeyError for the code that looks up variables, a ValueError (bad input) for the command line."""

    def __str__(self) -> str:          # KeyError would print the message with quotes
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def git_commit() -> str:
    """``git rev-parse HEAD`` of the checkout holding the package, with ``+modified`` when the
    package's files there differ from that commit (edited, added or deleted: the numbers are
    then not that commit's); else the HEAD of the working dir's checkout; else ``'unknown'``
    (outside a git checkout, or without git)."""
    package = Path(marlbc.__file__).resolve().parent
    return commit_of(package, check_modified=True) or commit_of(Path.cwd()) or "unknown"


def commit_of(where: Path, check_modified: bool = False) -> str | None:
    """HEAD of the git checkout holding folder ``where`` (``+modified`` appended, with
    ``check_modified``, if files below ``where`` differ from it), or None without one."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=5, check=False)
    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0 or not head.stdout.strip():
            return None
        modified = check_modified and bool(git("status", "--porcelain", "--", ".").stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+modified" if modified else "")


def provenance(cfg: dict | None = None, seed: int | None = None, **extra: Any) -> dict:
    """Attributes recorded in every output: package version, git commit, config hash, seed."""
    attrs = {
        "Conventions": "CF-1.8",
        "marlbc_version": marlbc.__version__,
        "git_commit": git_commit(),
        "config_hash": _config.config_hash(cfg) if cfg is not None else "unknown",
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
    if seed is not None:
        attrs["seed"] = int(seed)
    attrs.update(extra)
    return attrs


def _attr_value(v: Any):
    """netCDF attributes hold strings, numbers and 1-D numeric arrays: convert the rest."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, float, str, np.integer, np.floating)):
        return v
    if v is None:
        return "none"
    if isinstance(v, (list, tuple, np.ndarray)):
        arr = np.asarray(v)
        if arr.dtype.kind in "iuf" and arr.ndim == 1:
            return arr
        return json.dumps(jsonable(v))
    return json.dumps(jsonable(v)) if isinstance(v, Mapping) else str(v)


def _clean_attrs(attrs: Mapping) -> dict:
    return {str(k): _attr_value(v) for k, v in attrs.items()}


# --------------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write, suffix: str) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it into place.
    On any exception the temporary file is removed and ``path`` is left untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())          # mkstemp creates 0600; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def remove_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete what a killed :func:`atomic_write` of ``path`` left beside it (``.<name>.*``
    temporaries, which no reader takes for ``path``); returns them. Call it only where no other
    process writes ``path`` at the same time."""
    path = Path(path)
    left = [p for p in path.parent.glob(f".{path.name}.*") if p.is_file()]
    for p in left:
        p.unlink(missing_ok=True)
    return left


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same directory + os.replace)."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    return atomic_write(path, write, ".tmp")


def jsonable(obj: Any) -> Any:
    """``obj`` with NumPy scalars/arrays turned into Python values; NaN and ±inf become None
    (strict JSON has no NaN)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int = 2) -> Path:
    """Write ``obj`` as strict JSON (NaN -> null) atomically."""
    return atomic_write_text(path, json.dumps(jsonable(obj), indent=indent, allow_nan=False) + "\n")


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike, cfg: dict | None = None,
                 seed: int | None = None, compress: bool = True, complevel: int = 4,
                 **attrs: Any) -> Path:
    """Write ``ds`` to ``path`` atomically with provenance attributes and zlib compression.

    ``attrs`` are added to the global attributes (bools become 0/1, dicts JSON strings).
    """
    ds = ds.copy()
    ds.attrs = _clean_attrs({**ds.attrs, **provenance(cfg, seed), **attrs})
    for name in ds.variables:
        ds[name].attrs = _clean_attrs(ds[name].attrs)
    encoding = {}
    if compress:
        for name, var in ds.data_vars.items():
            if var.dtype.kind in "iufb" and var.ndim > 0:
                encoding[name] = {"zlib": True, "complevel": complevel}
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, encoding=encoding, engine="netcdf4"), ".nc.tmp")


# --------------------------------------------------------------------------------------------
# checked reads
# --------------------------------------------------------------------------------------------

def open_checked(path: str | os.PathLike, variables: Iterable[str] = (),
                 dims: Iterable[str] = ()) -> xr.Dataset:
    """Open a netCDF file fully into memory (the file is closed again) and check its contents.

    Raises ``FileNotFoundError`` naming ``path`` if it does not exist, and
    :class:`MissingDataError` naming ``path`` and *all* the missing variables and dimensions.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"netCDF file '{path}' does not exist")
    try:
        with xr.open_dataset(path, engine="netcdf4") as f:
            ds = f.load()
    except (OSError, ValueError) as err:
        raise OSError(f"cannot read netCDF file '{path}': {err}") from err
    missing_v = [v for v in variables if v not in ds.variables]
    missing_d = [d for d in dims if d not in ds.dims]
    if missing_v or missing_d:
        parts = []
        if missing_v:
            parts.append(f"variables {', '.join(missing_v)}")
        if missing_d:
            parts.append(f"dimensions {', '.join(missing_d)}")
        raise MissingDataError(f"netCDF file '{path}' lacks {' and '.join(parts)} "
                               f"(it has variables: {', '.join(sorted(map(str, ds.data_vars))) or 'none'}; "
                               f"dimensions: {', '.join(map(str, ds.dims)) or 'none'})")
    return ds


# A run's directory is results/runs/<arm>/n<N>/seed<S>; its benchmark file results/bench/train/<arm>/n<N>/seed<S>.tsv.
_RUN_PATH_RE = re.compile(r"(?:^|/)(?P<arm>[A-Za-z_]+)/n(?P<n>\d+)/seed(?P<seed>\d+)(?:/|\.tsv$|$)")


def parse_run_path(path: str | os.PathLike) -> dict | None:
    """arm, n, seed of a run's directory ``…/<arm>/n<N>/seed<S>``, of a file in it, or of its
    Snakemake benchmark file ``…/<arm>/n<N>/seed<S>.tsv``; None for any other path."""
    m = _RUN_PATH_RE.search(Path(path).as_posix())
    if not m:
        return None
    return {"arm": m.group("arm"), "n": int(m.group("n")), "seed": int(m.group("seed"))}


def run_key(ds: xr.Dataset, path: str | os.PathLike) -> tuple[str, int, int]:
    """(arm, n, seed) of a run file: its attributes, else its path (:func:`parse_run_path`)."""
    a = ds.attrs
    if all(k in a for k in ("arm", "n", "seed")):
        return str(a["arm"]), int(a["n"]), int(a["seed"])
    meta = parse_run_path(path)
    if meta is None:
        raise ValueError(f"cannot tell arm, n and seed of '{path}': no attributes arm/n/seed and the path "
                         f"is not …/<arm>/n<N>/seed<S>/…")
    return meta["arm"], meta["n"], meta["seed"]
