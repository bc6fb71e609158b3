"""The paper's claims C1–C6 as checks with fidelity scores, and the report tables.

    check(claim_id, cfg, inputs) -> dict        inputs: paths (see marlbc.claims.checks)
    check_C1(cfg, inputs) … check_C6(cfg, inputs) -> dict
    write_claim(result, path)                    atomic, strict JSON
    claims_table(results, description) -> str    Markdown "claim | metric | threshold | measured | fidelity | pass"
    run_description(cfg, preset) -> str          what a preset runs: seeds, budgets, sweeps
    baseline_vs_variant(cfg, baseline_files, variant_files, n=20) -> str
"""

from .checks import (CHECKS, CLAIM_TEXT, check, check_C1, check_C2, check_C3, check_C4, check_C5, check_C6,
                     classify_inputs)
from .common import ClaimResult, Metric, fidelity, write_claim
from .report import baseline_vs_variant, claims_table, run_description

__all__ = ["CHECKS", "CLAIM_TEXT", "ClaimResult", "Metric", "baseline_vs_variant", "check", "check_C1",
           "check_C2", "check_C3", "check_C4", "check_C5", "check_C6", "claims_table", "classify_inputs",
           "fidelity", "run_description", "write_claim"]
