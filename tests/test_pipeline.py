"""The glue between Snakemake rules and the package (`marlbc.pipeline`)."""

from __future__ import annotations

import json

import pytest

from marlbc.pipeline import ClaimsFailed, gate_claims


def _claims(tmp_path, **passed):
    paths = []
    for claim, ok in passed.items():
        p = tmp_path / f"{claim}.json"
        p.write_text(json.dumps({"id": claim, "passed": ok}))
        paths.append(str(p))
    return paths


@pytest.mark.parametrize("preset", ["ci", "full"])
def test_gate_raises_naming_the_failed_claims_under_a_gating_preset(tmp_path, preset):
    paths = _claims(tmp_path, C1=True, C3=False, C5=False)
    with pytest.raises(ClaimsFailed, match=rf"claims failed under preset '{preset}': C3, C5 \(see results/claims.md\)"):
        gate_claims(paths, preset, str(tmp_path / "gate.log"))
    assert (tmp_path / "gate.log").read_text().startswith(f"claims failed under preset '{preset}': C3, C5")


def test_gate_only_reports_under_smoke_and_passes_when_all_pass(tmp_path, capsys):
    gate_claims(_claims(tmp_path, C1=True, C3=False), "smoke")
    assert "C3 (see results/claims.md); not gating under the smoke preset" in capsys.readouterr().out
    gate_claims(_claims(tmp_path, C1=True, C3=True), "full")
    assert "all claims passed under preset 'full'" in capsys.readouterr().out
