"""Shared machinery of the figures: style, input discovery, checked reads, captions, saving.

- :func:`load_runs` picks the files of one kind (``train.nc``, ``eval.nc``) out of a figure's
  inputs, opens each with :func:`marlbc.evaluation.io.open_checked` (a missing variable is an
  error naming the file and everything it lacks) and returns :class:`RunFile` records with
  arm, n, seed, preset, budget and config hash read from the file's attributes (the path
  ``…/<arm>/n<N>/seed<S>/…`` is the fallback).
- :func:`load_benchmark` finds one benchmark file by name among the inputs.
- :func:`caption` writes the line every figure carries: calibration (with its parameters),
  preset, seeds, budget and config hashes, from the files themselves, so a figure says what
  it shows even when looked at without the report.
- :func:`save` writes the PDF and the PNG atomically (temporary names in the destination's
  folder, then ``os.replace``): a reader never sees a half-written figure, and a plot that fails
  leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from ..evaluation.io import open_checked, parse_run_path  # noqa: E402

__all__ = ["FigureInputError", "RunFile", "STYLE", "add_caption", "benchmark_caption",
           "budget_text", "calibration_text", "caption", "colors", "figure", "load_benchmark",
           "load_runs", "parse_run_path", "plain_log", "save", "seeds_text", "styled"]

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.3,
    "pdf.fonttype": 42,            # embed TrueType: text stays text in the PDF
}

BENCHMARK_STYLE = {"color": "black", "lw": 2.0, "ls": "--", "zorder": 5}


class FigureInputError(ValueError):
    """A figure did not receive a file it needs (the message names the figure and the file)."""


def colors(k: int, cmap: str = "viridis") -> list:
    """``k`` distinguishable colours (a qualitative palette up to 10, else a sequential map)."""
    if k <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(k)]
    return [plt.get_cmap(cmap)(x) for x in np.linspace(0.0, 0.9, k)]


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

def _int_attr(v) -> int | None:
    try:
        return int(np.asarray(v).ravel()[0]) if np.size(v) else None
    except (TypeError, ValueError):
        return None


@dataclass
class RunFile:
    """One run's file (train.nc or eval.nc) and what its attributes say about the run."""

    path: Path
    ds: xr.Dataset
    arm: str
    n: int
    seed: int
    preset: str | None = None
    budget: int | None = None              # gradient updates of the run (train.nc attrs)
    config_hash: str | None = None
    attrs: dict = field(default_factory=dict)

    def scalar(self, name: str) -> float:
        """A 0-d variable of the file as a float (NaN when it is not finite)."""
        return float(np.asarray(self.ds[name].values).reshape(-1)[0])


def _meta(path: Path, ds: xr.Dataset) -> dict:
    from_path = parse_run_path(path) or {}
    a = ds.attrs
    arm = a.get("arm", from_path.get("arm"))
    n = _int_attr(a["n"]) if "n" in a else from_path.get("n")
    seed = _int_attr(a["seed"]) if "seed" in a else from_path.get("seed")
    missing = [k for k, v in (("arm", arm), ("n", n), ("seed", seed)) if v is None]
    if missing:
        raise FigureInputError(f"cannot tell the {', '.join(missing)} of '{path}': not in its attributes "
                               f"and not in its path (…/<arm>/n<N>/seed<S>/…)")
    budget = a.get("budget_updates", a.get("updates_done"))
    return {"arm": str(arm), "n": int(n), "seed": int(seed),
            "preset": str(a["preset"]) if "preset" in a else None,
            "budget": _int_attr(budget) if budget is not None else None,
            "config_hash": str(a["config_hash"]) if "config_hash" in a else None}


def load_runs(inputs: Iterable[str | os.PathLike], filename: str, variables: Iterable[str] = (),
              dims: Iterable[str] = (), arm: str | Sequence[str] | None = None, *, figure: str,
              required: bool = True) -> list[RunFile]:
    """The run files named ``filename`` among ``inputs`` (of ``arm`` when given), checked to hold
    ``variables`` and ``dims``, sorted by (arm, n, seed). With ``required``, none is an error."""
    arms = None if arm is None else ({arm} if isinstance(arm, str) else set(arm))
    variables, dims = list(variables), list(dims)
    out = []
    for p in map(Path, inputs):
        if p.name != filename:
            continue
        from_path = parse_run_path(p)
        if arms is not None and from_path is not None and from_path["arm"] not in arms:
            continue
        ds = open_checked(p, variables, dims)
        meta = _meta(p, ds)
        if arms is not None and meta["arm"] not in arms:
            continue
        out.append(RunFile(path=p, ds=ds, attrs=dict(ds.attrs), **meta))
    if required and not out:
        which = f" of arm {' or '.join(sorted(arms))}" if arms else ""
        raise FigureInputError(f"figure '{figure}' needs at least one {filename}{which} among its inputs; "
                               f"got: {', '.join(str(p) for p in inputs) or 'no files'}")
    return sorted(out, key=lambda r: (r.arm, r.n, r.seed))


def load_benchmark(inputs: Iterable[str | os.PathLike], filename: str, variables: Iterable[str] = (),
                   dims: Iterable[str] = (), *, figure: str, required: bool = True) -> xr.Dataset | None:
    """The benchmark file named ``filename`` (e.g. ``ks.nc``) among ``inputs``, checked."""
    paths = [Path(p) for p in inputs if Path(p).name == filename]
    if not paths:
        if not required:
            return None
        raise FigureInputError(f"figure '{figure}' needs the benchmark file {filename} among its inputs; got: "
                               f"{', '.join(str(p) for p in inputs) or 'no files'}")
    ds = open_checked(paths[0], variables, dims)
    ds.attrs.setdefault("source_path", str(paths[0]))
    return ds


def by_n(runs: Sequence[RunFile]) -> dict[int, list[RunFile]]:
    """Runs grouped by n (ascending)."""
    out: dict[int, list[RunFile]] = {}
    for r in sorted(runs, key=lambda r: (r.n, r.seed)):
        out.setdefault(r.n, []).append(r)
    return out


# --------------------------------------------------------------------------------------------
# captions
# --------------------------------------------------------------------------------------------

_SYMBOLS = {"alpha": "α", "beta": "β", "delta": "δ", "rho": "ρ", "sigma_A": "σ_A", "chi": "χ", "b": "b",
            "z_good": "z_g", "z_bad": "z_b", "u_good": "u_g", "u_bad": "u_b"}
_UTILITY = {"linear_labour": "u = log c − χℓ", "log_leisure": "u = log c + b log(1−ℓ)",
            "log": "u = log c (labour exogenous)"}


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float, np.floating)) else str(v)


def calibration_text(cfg: dict, arm: str) -> str:
    """'calibration seed: α=0.33, β=0.99, …, u = log c − χℓ' for ``arm`` (overrides applied)."""
    from .. import config as _config

    try:
        spec = _config.arm_spec(cfg, arm)
        cal = _config.arm_calibration(cfg, arm)
    except Exception:                                   # noqa: BLE001 - a caption must not fail
        return f"arm {arm}"
    keys = [k for k in _SYMBOLS if k in cal and not (k == "chi" and cal.get("utility") != "linear_labour")
            and not (k == "b" and cal.get("utility") != "log_leisure")]
    params = ", ".join(f"{_SYMBOLS[k]}={_fmt(cal[k])}" for k in keys)
    over = spec.get("overrides") or {}
    note = f" (override {', '.join(f'{_SYMBOLS.get(k, k)}={_fmt(v)}' for k, v in over.items())})" if over else ""
    util = _UTILITY.get(cal.get("utility"), "")
    return f"calibration '{spec['calibration']}'{note}: {params}" + (f"; {util}" if util else "")


def seeds_text(runs: Sequence[RunFile]) -> str:
    seeds = sorted({r.seed for r in runs})
    ns = sorted({r.n for r in runs})
    s = f"seed{'s' if len(seeds) != 1 else ''} {', '.join(map(str, seeds)) or 'none'}"
    return s + (f"; n = {', '.join(map(str, ns))}" if ns else "")


def budget_text(cfg: dict, arm: str, runs: Sequence[RunFile] = ()) -> str:
    """Gradient updates per run: from the files when they say, else from the config."""
    budgets = sorted({r.budget for r in runs if r.budget is not None})
    if not budgets:
        try:
            budgets = [int(cfg["arms"][arm]["budget"]["updates"])]
        except (KeyError, TypeError):
            return "budget unknown"
    return f"budget {'/'.join(f'{b:,}' for b in budgets)} SAC updates per run"


def caption(cfg: dict, arm: str | None, runs: Sequence[RunFile] = (), benchmark: str | None = None,
            extra: str | None = None) -> str:
    """The line under every figure: what was run (calibration, preset, seeds, budget, hashes)
    and against what."""
    parts = []
    if arm is not None:
        parts.append(f"arm '{arm}', {calibration_text(cfg, arm)}")
    presets = sorted({r.preset for r in runs if r.preset}) or [str(cfg.get("preset", "unknown"))]
    parts.append(f"preset {'/'.join(presets)}")
    if runs:
        parts.append(seeds_text(runs))
    if arm is not None:
        parts.append(budget_text(cfg, arm, runs))
    hashes = sorted({r.config_hash for r in runs if r.config_hash})
    if hashes:
        parts.append(f"config hash{'es' if len(hashes) > 1 else ''} {', '.join(hashes[:4])}"
                     + (f" (+{len(hashes) - 4})" if len(hashes) > 4 else ""))
    if benchmark:
        parts.append(f"benchmark: {benchmark}")
    if extra:
        parts.append(extra)
    return ". ".join(parts) + "."


def benchmark_caption(ds: xr.Dataset, what: str) -> str:
    h = ds.attrs.get("config_hash")
    return what + (f" (config hash {h})" if h else "")


# --------------------------------------------------------------------------------------------
# figure and saving
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _style():
    with matplotlib.rc_context(STYLE):
        yield


def styled(plot):
    """Decorator: run a figure's ``plot`` inside the shared matplotlib style."""
    import functools

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with _style():
            return plot(*args, **kwargs)
    return wrapper


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 10.0, height: float = 3.4, **kw):
    """A constrained-layout figure with the shared style and its axes (always a 2-D array)."""
    with _style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained",
                                 squeeze=False, **kw)
    return fig, axes


def plain_log(ax, axis: str = "both") -> None:
    """Log axes with plain tick labels (no 10^k notation, no minor labels): at 1, 2, 5 × 10^k
    over a wide range, at evenly spaced round values when the range is under a decade.
    Call after the data are plotted (the range decides the ticks)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    for name in ("x", "y") if axis == "both" else (axis,):
        a = getattr(ax, f"{name}axis")
        if getattr(ax, f"get_{name}scale")() != "log":
            continue
        lo, hi = sorted(getattr(ax, f"get_{name}lim")())
        narrow = lo > 0 and hi / lo < 10
        a.set_major_locator(MaxNLocator(6) if narrow else LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        a.set_minor_formatter(NullFormatter())


def add_caption(fig, text: str, title: str | None = None) -> None:
    """A title above and a wrapped caption below the axes (kept in by ``save``'s tight box)."""
    width_in = fig.get_figwidth()
    chars = max(60, int(width_in * 17))
    wrapped = "\n".join(textwrap.wrap(text, chars))
    if title:
        fig.suptitle(title, fontsize=11, fontweight="bold")
    fig.text(0.005, -0.01, wrapped, ha="left", va="top", fontsize=7.5, color="0.25",
             transform=fig.transFigure)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def save(fig, pdf: str | os.PathLike, png: str | os.PathLike, dpi: int = 150) -> tuple[Path, Path]:
    """Write ``fig`` to ``pdf`` and ``png`` atomically; close it. Both or neither are replaced
    only once both have been rendered (temporary files in the destination's folder)."""
    pdf, png = Path(pdf), Path(png)
    tmps = []
    try:
        with _style():
            for path, fmt in ((pdf, "pdf"), (png, "png")):
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp.{fmt}", dir=path.parent)
                os.close(fd)
                os.chmod(tmp, 0o666 & ~_UMASK)             # mkstemp makes 0600; figures are shared
                tmps.append((tmp, path))
                fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.08,
                            metadata={"Creator": "marlbc.figures"} if fmt == "pdf" else None)
        for tmp, path in tmps:
            os.replace(tmp, path)
        tmps = []
    finally:
        for tmp, _ in tmps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        plt.close(fig)
    return pdf, png


def n_axis(ax, ns) -> None:
    """Tick a (log) axis of household counts at exactly the n that were run, labelled plainly."""
    if len(ns):
        ax.set_xticks(ns, [str(n) for n in ns])
    ax.minorticks_off()
