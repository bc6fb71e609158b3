"""Markdown reports: the claims table and the seed's "baseline vs variant" table.

    claims_table(results, description) -> str
        "claim | metric | threshold | measured | fidelity | pass", one row per metric, then a
        verdict per claim (a failing claim says FAIL with its measured numbers), under a line
        saying what was run (``run_description(cfg, preset)``: seeds, budgets, sweeps).
    baseline_vs_variant(cfg, baseline_files, variant_files, n=20) -> str
        baseline (κ = λ = 1) against heterogeneous at n = 20, from the runs' eval.nc: mean K, C,
        Y, L per head and std of log Y (simulation with shocks, ergodic window), wealth Gini and
        consumption dispersion (std of log c across households), the shock-free steady state,
        periods run; mean over seeds (± sd with ≥ 2 seeds) and Δ = variant − baseline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .common import load_evals

__all__ = ["baseline_vs_variant", "claims_table", "run_description"]

_REL = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}


def _fmt(x, digits: int = 4) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return "n/a"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def run_description(cfg: dict, preset: str) -> str:
    """One line on what a preset of ``cfg`` (config.yaml as written, not resolved) trains."""
    p = cfg["presets"][preset]
    seeds = ", ".join(map(str, p.get("seeds", cfg["seeds"])))
    apart = [f"{arm}: {', '.join(map(str, s))}" for arm, s in p.get("arm_seeds", {}).items() if arm in cfg["arms"]]
    seeds += f" ({'; '.join(apart)})" if apart else ""
    sweeps = "; ".join(f"{arm} n = {', '.join(map(str, p.get('n', {}).get(arm, spec['n'])))}"
                       for arm, spec in cfg["arms"].items())
    per_arm = ", ".join(f"{arm} × {scale:g}" for arm, scale in p.get("arm_budget_scale", {}).items()
                        if arm in cfg["arms"])
    budgets = f"training budgets × {p['budget_scale']:g} of config.yaml's" + (f" ({per_arm})" if per_arm else "")
    return (f"Preset `{preset}`: seeds {seeds}; {budgets}; {sweeps}. "
            "Thresholds from config.yaml (`claims`).")


def claims_table(results: Iterable[dict], description: str | None = None) -> str:
    """Markdown table of claim results (dicts as written by ``write_claim``), under an optional
    line saying what was run (:func:`run_description`)."""
    results = list(results)
    lines = ["# Claims", "", *([f"> {description}", ""] if description else []),
             "| claim | metric | threshold | measured | fidelity | pass |",
             "|---|---|---|---|---|---|"]
    for r in results:
        for m in r["metrics"]:
            thr = "reported" if not m.get("scored", True) else f"{_REL.get(m['sense'], m['sense'])} {_fmt(m['threshold'])}"
            ok = "—" if not m.get("scored", True) else ("PASS" if m["passed"] else "**FAIL**")
            fid = "—" if m.get("fidelity") is None else _fmt(m["fidelity"], 3)
            lines.append(f"| {r['id']} | {_cell(m['metric'])} | {_cell(thr)} | {_fmt(m['measured'])} | {fid} | {ok} |")
        verdict = "PASS" if r["passed"] else "**FAIL**"
        lines.append(f"| **{r['id']}** | **claim** | all scored metrics | | **{_fmt(r['fidelity'], 3)}** | {verdict} |")
    lines += ["", "## Verdicts", ""]
    for r in results:
        lines.append(f"- **{r['id']}** ({'PASS' if r['passed'] else 'FAIL'}, fidelity {_fmt(r['fidelity'], 3)}): "
                     f"{_cell(r.get('claim', ''))}  \n  {_cell(r.get('verdict', ''))}")
    n_pass = sum(bool(r["passed"]) for r in results)
    lines += ["", f"{n_pass} of {len(results)} claims pass. Fidelity per metric: 1 when passed, else "
              "threshold/measured (errors) or measured/threshold (scores); a claim's fidelity is the mean "
              "over its scored metrics (see marlbc.claims.common).", ""]
    return "\n".join(lines)


_BVV_ROWS = [
    ("mean_K", "capital per head, mean K"),
    ("mean_C", "consumption per head, mean C"),
    ("mean_Y", "output per head, mean Y"),
    ("mean_L", "hours per head, mean L"),
    ("gini", "wealth Gini (across households)"),
    ("sd_logc", "consumption dispersion, std of log c across households"),
    ("std_logY", "std of log Y over time"),
    ("std_logY_hp_pct", "std of HP-filtered log Y (%)"),
    ("ss_K", "shock-free steady state: K per head"),
    ("ss_C", "shock-free steady state: C per head"),
    ("gini_ss", "shock-free steady state: wealth Gini"),
    ("sd_logc_ss", "shock-free steady state: std of log c"),
    ("eval_return", "discounted return per household"),
    ("periods_sim", "periods run with shocks (per economy)"),
    ("periods_det", "periods run shock-free (per economy)"),
]


def baseline_vs_variant(cfg: dict, baseline_files: Iterable[str | Path], variant_files: Iterable[str | Path],
                        n: int | None = 20) -> str:
    """The "baseline vs variant" table (Markdown) from the runs' eval.nc files."""
    base = [r for r in load_evals(baseline_files) if n is None or r.n == n]
    var = [r for r in load_evals(variant_files) if n is None or r.n == n]
    if not base or not var:
        missing = "baseline" if not base else "heterogeneous"
        return (f"# Baseline vs variant\n\nNo {missing} evaluation at n = {n} among the inputs: "
                f"the table cannot be computed.\n")

    def stat(runs, key):
        v = np.array([r.scalar(key) for r in runs], float)
        return float(np.mean(v)), (float(np.std(v, ddof=1)) if v.size > 1 else float("nan"))

    def show(m, sd, integer=False):
        if integer:
            return f"{m:.0f}" if math.isfinite(m) else "n/a"
        return _fmt(m, 5) + (f" ± {_fmt(sd, 2)}" if math.isfinite(sd) else "")

    lines = ["# Baseline vs variant", "",
             f"Baseline (κ = λ = 1) vs heterogeneous (κ, λ ∈ [{cfg['arms']['heterogeneous']['heterogeneity'].get('low', '?')}, "
             f"{cfg['arms']['heterogeneous']['heterogeneity'].get('high', '?')}]), n = {base[0].n}; "
             f"simulation with TFP shocks after {int(base[0].scalar('sim_burn'))} quarters of burn-in, the same "
             f"shocks for every run; mean over seeds (± sd over seeds).", "",
             f"| metric | baseline ({len(base)} seeds) | heterogeneous ({len(var)} seeds) | Δ = variant − baseline |",
             "|---|---|---|---|"]
    for key, label in _BVV_ROWS:
        mb, sb = stat(base, key)
        mv, sv = stat(var, key)
        integer = key.startswith("periods")
        delta = mv - mb
        # a relative change only where the baseline is not (numerically) zero by construction,
        # as wealth Gini and consumption dispersion are for identical households
        rel = f" ({100 * delta / abs(mb):+.2f} %)" if not integer and math.isfinite(delta) \
            and math.isfinite(mb) and abs(delta) <= 10 * abs(mb) else ""
        lines.append(f"| {label} | {show(mb, sb, integer)} | {show(mv, sv, integer)} | "
                     f"{(f'{delta:+.0f}' if integer else _fmt(delta, 4)) if math.isfinite(delta) else 'n/a'}{rel} |")
    lines += ["", "Sources: " + ", ".join(r.path for r in base + var), ""]
    return "\n".join(lines)
