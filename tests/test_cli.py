"""The marlbc command line prints what it promises and fails cleanly on bad input."""

import json
import subprocess
import sys

import pytest
from numpy.testing import assert_allclose

from marlbc.benchmarks.steady_state import closed_form, steady_state
from marlbc.cli import main

from .conftest import ROOT


def run_json(capsys, *argv):
    assert main(["--config", str(ROOT / "config.yaml"), *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_steady_state_json(capsys, cfg):
    out = run_json(capsys, "benchmark", "steady-state", "--calibration", "seed", "--json")
    assert list(out) == ["K", "L", "C", "Y", "I", "r", "w", "chat"]
    ss = steady_state(**cfg["calibrations"]["seed"])
    assert_allclose(out["K"], ss.K, rtol=1e-14)
    # closed-form checks of the steady state itself
    alpha, beta, delta = 0.33, 0.99, 0.025
    assert_allclose(out["r"], 1 / beta - 1 + delta, rtol=1e-12)
    assert_allclose(out["C"], out["w"], rtol=1e-12)                  # χ = 1: c = w
    assert_allclose(out["Y"], out["K"] ** alpha * out["L"] ** (1 - alpha), rtol=1e-12)
    assert_allclose(out["C"] + out["I"], out["Y"], rtol=1e-12)


def test_closed_form_json(capsys):
    out = run_json(capsys, "benchmark", "closed-form", "--calibration", "paper", "--json")
    assert set(out) == {"chat", "ell", "ell_eq13"}
    alpha, beta, b = 0.36, 0.95, 5.0
    assert_allclose(out["chat"], 1 - alpha * beta, rtol=1e-15)
    assert_allclose(out["ell"], (1 - alpha) / (b * (1 - alpha * beta) + 1 - alpha), rtol=1e-15)
    assert_allclose(out["ell_eq13"], alpha / (b * (1 - alpha * beta) + alpha), rtol=1e-15)


def test_closed_form_is_the_delta_one_steady_state(cfg):
    cal = {**cfg["calibrations"]["paper"], "delta": 1.0}
    ss, cf = steady_state(**cal), closed_form(**cal)
    assert_allclose([ss.chat, ss.L], [cf["chat"], cf["ell"]], rtol=1e-13)


def test_unknown_calibration_exits_2_with_one_line(capsys):
    assert main(["--config", str(ROOT / "config.yaml"), "benchmark", "steady-state", "--calibration", "sed"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "marlbc: config error: unknown calibration 'sed'; allowed: seed, paper, ks98"


def test_config_typo_exits_2_naming_the_key(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text((ROOT / "config.yaml").read_text().replace("sigma_A: 0.01", "sigma_a: 0.01", 1))
    proc = subprocess.run([sys.executable, "-m", "marlbc.cli", "--config", str(bad), "benchmark",
                           "steady-state", "--json"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown config key 'calibrations.seed.sigma_a'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_unknown_arm_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--arm", "rbcc", "--seed", "0", "--out", "x"])
    assert e.value.code == 2
    assert "invalid choice: 'rbcc'" in capsys.readouterr().err


@pytest.mark.parametrize("argv,fragment", [
    (["benchmark", "game", "--n", "0"], "argument --n: 0 is out of range; allowed: >= 1"),
    (["train", "--arm", "rbc", "--seed", "-1", "--out", "x"], "argument --seed: -1 is out of range; allowed: >= 0"),
])
def test_out_of_range_integers_are_rejected_by_argparse(capsys, argv, fragment):
    with pytest.raises(SystemExit) as e:
        main(["--config", str(ROOT / "config.yaml"), *argv])
    assert e.value.code == 2
    assert fragment in capsys.readouterr().err


def test_a_delta_override_meets_the_config_range(capsys):
    argv = ["--config", str(ROOT / "config.yaml"), "benchmark", "steady-state", "--delta", "1.5"]
    assert main(argv) == 2
    assert "'calibrations.seed.delta' = 1.5 is out of range" in capsys.readouterr().err


def test_delta_is_refused_outside_steady_state_and_the_closed_form_says_it_is_delta_one(capsys, cfg):
    argv = ["--config", str(ROOT / "config.yaml"), "benchmark", "closed-form", "--delta", "0.5"]
    assert main(argv) == 2
    assert "--delta applies to steady-state only, not closed-form" in capsys.readouterr().err
    assert main(["--config", str(ROOT / "config.yaml"), "benchmark", "closed-form", "--calibration", "seed", "--json"]) == 0
    printed = capsys.readouterr()
    assert_allclose(json.loads(printed.out)["chat"], 1 - 0.33 * 0.99, rtol=1e-12)   # the seed's alpha, beta at delta = 1
    assert "the closed form holds at delta = 1; calibration 'seed' is solved with its other parameters" in printed.err


def test_unreadable_inputs_are_one_line_naming_the_file(tmp_path, capsys):
    cfg = ["--config", str(ROOT / "config.yaml")]
    assert main([*cfg, "evaluate", "--run", str(tmp_path / "nosuch"), "--out", str(tmp_path / "e.nc")]) == 1
    err = capsys.readouterr().err
    assert f"no policy file at '{tmp_path / 'nosuch' / 'policy.pt'}'" in err and err.count("\n") == 1
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "policy.pt").write_bytes(b"PK\x03\x04 truncated")
    assert main([*cfg, "evaluate", "--run", str(tmp_path / "run"), "--out", str(tmp_path / "e.nc")]) == 1
    err = capsys.readouterr().err
    assert f"'{tmp_path / 'run' / 'policy.pt'}' cannot be read as a marlbc policy file" in err
    assert not (tmp_path / "e.nc").exists()
    bad = tmp_path / "config.yaml"
    bad.write_text("seeds: [0, 1\n")
    assert main(["--config", str(bad), "benchmark", "steady-state"]) == 2
    assert f"config file '{bad}' is not valid YAML" in capsys.readouterr().err


def test_steady_state_refuses_the_ks_calibration_and_an_unused_out(capsys):
    cfg = ["--config", str(ROOT / "config.yaml"), "benchmark", "steady-state"]
    assert main([*cfg, "--calibration", "ks98"]) == 2
    assert "steady-state takes an RBC calibration (seed, paper), not 'ks98'" in capsys.readouterr().err
    assert main([*cfg, "--out", "x.nc"]) == 2
    assert "drop --out" in capsys.readouterr().err


def test_best_response_names_a_missing_file_a_missing_variable_and_a_household_out_of_range(tmp_path, capsys):
    """Each refusal is one line naming what is wrong, before any policy is loaded or rolled out."""
    import numpy as np
    import xarray as xr

    cfg = ["--config", str(ROOT / "config.yaml"), "best-response", "--run", str(tmp_path)]
    assert main(cfg) == 1
    err = capsys.readouterr().err
    assert f"netCDF file '{tmp_path / 'eval.nc'}' does not exist" in err and err.count("\n") == 1
    hh = ("household", np.ones(3))
    xr.Dataset({"kappa": hh, "lambda": hh}, attrs={"arm": "heterogeneous", "n": 3}).to_netcdf(tmp_path / "eval.nc")
    assert main(cfg) == 1
    err = capsys.readouterr().err
    assert f"netCDF file '{tmp_path / 'eval.nc'}' lacks variables k_ss" in err and err.count("\n") == 1
    (tmp_path / "eval.nc").unlink()
    xr.Dataset({"k_ss": hh, "kappa": hh, "lambda": hh},
               attrs={"arm": "heterogeneous", "n": 3}).to_netcdf(tmp_path / "eval.nc")
    assert main([*cfg, "--households", "1", "5"]) == 1
    err = capsys.readouterr().err
    assert f"household(s) [5] out of range: the run in '{tmp_path}' has n = 3 households, 0 … 2" in err
    with pytest.raises(SystemExit):                       # argparse: indices and quarters are counts
        main([*cfg, "--quarters", "0"])
    assert "--quarters: 0 is out of range; allowed: >= 1" in capsys.readouterr().err
