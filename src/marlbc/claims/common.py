"""Shared machinery of the claim checks: inputs, metrics, fidelity, the result record.

Result record (what ``results/claims/<id>.json`` holds)::

    {"id": "C1", "claim": "<the claim, one sentence>",
     "metrics": [{"metric", "threshold", "sense", "measured", "passed", "fidelity", "scored", "note"}],
     "fidelity": float in [0, 1], "passed": bool, "verdict": "PASS: …" / "FAIL: …", "details": {…}}

Fidelity of one metric (a documented map from the distance to the threshold):

- ``measured ≤ threshold`` (or ``<``), an error that should be small: 1 when passed, else
  ``threshold / measured`` (both positive; for negative numbers such as log10 errors,
  ``measured / threshold``), i.e. the factor by which the error exceeds its tolerance;
- ``measured ≥ threshold`` (or ``>``), a score that should be large: 1 when passed, else
  ``measured / threshold`` (0 when measured ≤ 0);
- a sign test against 0 (e.g. the Spearman correlation of distance with n, which must be
  negative): 1 when passed, else ``(1 − ρ)/2`` for a correlation ρ (0 when ρ = 1).
- A metric that could not be measured (NaN: no runs, too few seeds) fails with fidelity 0.

The claim's fidelity is the mean over its *scored* metrics (reported-only metrics, such as
KS's R², have ``scored = False``); the claim passes iff every scored metric passes. Thresholds
come from ``cfg['claims']`` only; they are never relaxed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..evaluation.io import atomic_write_json, jsonable, open_checked, run_key

__all__ = ["ClaimResult", "EvalRun", "Metric", "fidelity", "load_evals", "write_claim"]

_SENSES = ("<=", "<", ">=", ">")


def fidelity(measured: float, threshold: float, sense: str, passed: bool, kind: str = "ratio") -> float:
    """Fidelity in [0, 1] of one metric (see the module docstring)."""
    if measured is None or not np.isfinite(measured):
        return 0.0
    if passed:
        return 1.0
    if kind == "correlation":
        return float(np.clip(round((1.0 - measured) / 2.0, 12), 0.0, 1.0))
    m, t = float(measured), float(threshold)
    if sense in ("<=", "<"):
        if t > 0 and m > 0:
            return float(np.clip(t / m, 0.0, 1.0))
        if t < 0 and m < 0:
            return float(np.clip(m / t, 0.0, 1.0))
        return 0.0
    if t > 0 and m > 0:
        return float(np.clip(m / t, 0.0, 1.0))
    if t < 0 and m < 0:
        return float(np.clip(t / m, 0.0, 1.0))
    return 0.0


def _compare(measured: float, threshold: float, sense: str) -> bool:
    if measured is None or not np.isfinite(measured):
        return False
    return {"<=": measured <= threshold, "<": measured < threshold,
            ">=": measured >= threshold, ">": measured > threshold}[sense]


@dataclass
class Metric:
    """One measured quantity against its threshold."""

    metric: str
    measured: float
    threshold: float | None = None
    sense: str = "<="
    scored: bool = True
    note: str = ""
    kind: str = "ratio"                 # "ratio" or "correlation" (fidelity map)
    passed: bool | None = field(default=None)
    fidelity: float | None = field(default=None)

    def __post_init__(self):
        if self.sense not in _SENSES:
            raise ValueError(f"sense {self.sense!r}; allowed: {', '.join(_SENSES)}")
        self.measured = float("nan") if self.measured is None else float(self.measured)
        if self.scored:
            self.passed = _compare(self.measured, self.threshold, self.sense)
            self.fidelity = fidelity(self.measured, self.threshold, self.sense, self.passed, self.kind)

    def as_dict(self) -> dict:
        return {"metric": self.metric, "threshold": self.threshold, "sense": self.sense,
                "measured": self.measured, "passed": self.passed, "fidelity": self.fidelity,
                "scored": self.scored, "note": self.note}

    def describe(self) -> str:
        m = "n/a" if not np.isfinite(self.measured) else f"{self.measured:.4g}"
        if not self.scored:
            return f"{self.metric} = {m} (reported)"
        rel = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}[self.sense]
        mark = "ok" if self.passed else "FAILS"
        return f"{self.metric} = {m} (needs {rel} {self.threshold:.4g}) {mark}"


@dataclass
class ClaimResult:
    id: str
    claim: str
    metrics: list[Metric]
    details: dict = field(default_factory=dict)

    @property
    def scored(self) -> list[Metric]:
        return [m for m in self.metrics if m.scored]

    @property
    def passed(self) -> bool:
        return bool(self.scored) and all(m.passed for m in self.scored)

    @property
    def fidelity(self) -> float:
        s = self.scored
        return float(np.mean([m.fidelity for m in s])) if s else 0.0

    def verdict(self) -> str:
        if not self.scored:
            return "FAIL: nothing could be measured"
        if self.passed:
            return "PASS: " + "; ".join(m.describe() for m in self.scored)
        return "FAIL: " + "; ".join(m.describe() for m in self.scored if not m.passed)

    def as_dict(self) -> dict:
        return jsonable({"id": self.id, "claim": self.claim, "passed": self.passed,
                         "fidelity": self.fidelity, "verdict": self.verdict(),
                         "metrics": [m.as_dict() for m in self.metrics], "details": self.details})


def write_claim(result: dict | ClaimResult, path: str | Path) -> Path:
    """Write a claim result as strict JSON, atomically (NaN becomes null)."""
    if isinstance(result, ClaimResult):
        result = result.as_dict()
    return atomic_write_json(path, result)


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

def as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, Path)):
        return [str(value)]
    return [str(v) for v in value]


def existing(value) -> str | None:
    """A single path if it names an existing file, else None."""
    files = as_list(value)
    return files[0] if files and Path(files[0]).exists() else None


@dataclass
class EvalRun:
    arm: str
    n: int
    seed: int
    path: str
    ds: xr.Dataset

    def scalar(self, name: str) -> float:
        if name not in self.ds:
            return float("nan")
        return float(self.ds[name].values)


def load_evals(files: Iterable[str | Path], arm: str | None = None,
               variables: Iterable[str] = ()) -> list[EvalRun]:
    """Open eval.nc files (checked for ``variables``), optionally only those of ``arm``."""
    runs = []
    for f in as_list(files):
        ds = open_checked(f)
        key = run_key(ds, f)
        if arm is not None and key[0] != arm:
            continue
        if variables:
            missing = [v for v in variables if v not in ds.variables]
            if missing:
                open_checked(f, variables)            # raises, naming the file and the variables
        runs.append(EvalRun(*key, path=str(f), ds=ds))
    return sorted(runs, key=lambda r: (r.arm, r.n, r.seed))


def by_n(runs: list[EvalRun]) -> dict[int, list[EvalRun]]:
    out: dict[int, list[EvalRun]] = {}
    for r in runs:
        out.setdefault(r.n, []).append(r)
    return dict(sorted(out.items()))


def worst(values: dict, key=max) -> tuple[Any, float]:
    """(label, value) of the worst entry (max by default); NaN counts as worst."""
    if not values:
        return None, float("nan")
    items = list(values.items())
    for lab, v in items:
        if v is None or not np.isfinite(v):
            return lab, float("nan")
    lab, v = key(items, key=lambda kv: kv[1])
    return lab, float(v)


def rel_spread(values) -> float:
    """(max − min) / |mean| of a list of numbers (NaN for fewer than two)."""
    v = np.asarray([x for x in values], dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return float("nan")
    m = abs(v.mean())
    return float((v.max() - v.min()) / m) if m > 0 else float("inf")
