"""The Snakemake workflow end to end on the `smoke` preset, in a clean copy of the repository:
every rule runs, every output holds its variables and dims, reruns are minimal, results are
reproducible, and a killed training job resumes from its checkpoint.

These tests take minutes (marker `pipeline`); CI runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

import marlbc.config
from marlbc.evaluation.io import open_checked

from .workflow_utils import ROOT as REPO
from .workflow_utils import copy_repo, open_without_timings

pytestmark = pytest.mark.pipeline

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(cwd: Path, *args: str, check: bool = True, preset: str = "smoke") -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": str(cwd / "src")}   # the copy's package, not the installed one
    proc = subprocess.run([*SNAKEMAKE, *args, "--cores", "2", "--config", f"preset={preset}"], cwd=cwd,
                          capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def planned_jobs(cwd: Path, *args: str, preset: str = "smoke") -> dict[str, int]:
    """Rule -> number of jobs Snakemake would run now (dry run)."""
    out = snakemake(cwd, "-n", "--quiet", "rules", *args, preset=preset).stdout
    jobs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            jobs[parts[0]] = int(parts[1])
    return jobs


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> Path:
    repo = copy_repo(tmp_path_factory.mktemp("smoke_a"))
    t0 = time.perf_counter()
    snakemake(repo)
    print(f"smoke preset: {time.perf_counter() - t0:.0f} s")
    return repo


def test_dry_run_and_lint_are_clean(tmp_path):
    repo = copy_repo(tmp_path)
    snakemake(repo, "-n")
    lint = snakemake(repo, "--lint", check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_every_output_has_its_variables_and_dims(smoke_run):
    b = smoke_run / "results/benchmarks"        # shared by every preset
    r = smoke_run / "results/smoke"             # the smoke preset's own tree
    open_checked(b / "rbc.nc", ["chat", "ell", "value", "irf_Y", "constant_welfare_loss_pct"], ["K", "A", "quarter"])
    open_checked(b / "ks.nc", ["lom_intercept", "lom_slope", "wealth_hist"])
    open_checked(b / "closed_form.nc", ["chat", "ell", "ell_eq13"])
    open_checked(b / "game_n20.nc", ["k", "ell", "c", "kappa", "lambda"], ["household"])
    runs = sorted((r / "runs").glob("*/n*/seed*"))
    assert {p.parts[-3] for p in runs} == {"rbc_closed_form", "rbc", "baseline", "heterogeneous", "ks"}
    for run in runs:
        tr = open_checked(run / "train.nc", ["eval_return", "chat_mean"], ["update"])
        ev = open_checked(run / "eval.nc", ["mean_K", "eval_return", "k_final"])
        for ds in (tr, ev):
            for attr in ("marlbc_version", "git_commit", "config_hash", "seed", "arm", "n"):
                assert attr in ds.attrs, (run, attr)
    for bench in b.glob("*.nc"):
        attrs = xr.open_dataset(bench).attrs
        assert {"marlbc_version", "git_commit", "config_hash", "seed"} <= set(attrs), bench
    ds = open_checked(r / "marlbc.nc", dims=["arm", "n", "seed"])
    assert set(ds["arm"].values) == {"rbc_closed_form", "rbc", "baseline", "heterogeneous", "ks"}
    for claim in ("C1", "C2", "C3", "C4", "C5", "C6"):
        result = json.loads((r / "claims" / f"{claim}.json").read_text())
        assert {"id", "passed", "fidelity", "metrics"} <= set(result)
        assert 0.0 <= result["fidelity"] <= 1.0
    table = (r / "claims.md").read_text()
    assert "| claim | metric | threshold | measured | fidelity | pass |" in table
    assert "Δ = variant − baseline" in (r / "baseline_vs_variant.md").read_text()
    for fig in (smoke_run / "figures/smoke").glob("*.pdf"):
        assert fig.stat().st_size > 1000 and fig.with_suffix(".png").stat().st_size > 1000
    assert len(list((smoke_run / "figures/smoke").glob("*.png"))) == 7


def test_smoke_leaves_the_full_runs_results_alone(smoke_run):
    """Only `full` writes results/ and figures/ (committed); smoke wrote nothing there but the
    shared benchmarks, so the committed claims table and figures are what the full run wrote."""
    assert (smoke_run / "results/claims.md").read_text() == (REPO / "results/claims.md").read_text()
    assert not (smoke_run / "results/runs").exists() and not (smoke_run / "results/claims").exists()
    for png in (REPO / "figures").glob("*.png"):
        assert (smoke_run / "figures" / png.name).read_bytes() == png.read_bytes(), png.name


def test_a_finished_job_leaves_no_checkpoint(smoke_run):
    """checkpoint.pt serves a killed job's resume; once policy.pt and train.nc are written the
    pipeline removes it (17-18 MB a run)."""
    runs = sorted((smoke_run / "results/smoke/runs").glob("*/n*/seed*"))
    assert runs and all((r / "policy.pt").exists() for r in runs)
    assert not list((smoke_run / "results/smoke/runs").rglob("checkpoint.pt"))


def test_best_response_command_runs_on_a_finished_run(smoke_run):
    """``marlbc best-response --run RUN_DIR`` on the smoke run's heterogeneous
    n = 20: one line per household asked for, then the summary (the method itself is tested
    against the game in test_evaluation)."""
    run = smoke_run / "results/smoke/runs/heterogeneous/n20/seed0"
    proc = subprocess.run([sys.executable, "-m", "marlbc.cli", "--config", str(smoke_run / "config.yaml"), "best-response",
                           "--run", str(run), "--households", "0", "7", "--quarters", "40"], cwd=smoke_run,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(smoke_run / "src")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("heterogeneous n = 20") and "θ = " in lines[0]
    assert [ln.split()[1] for ln in lines[1:3]] == ["0", "7"] and all("best response" in ln for ln in lines[1:3])
    assert lines[3].startswith("over these 2 households: median |k_best/k_learned − 1|")
    assert len(lines) == 4 or lines[4].startswith("the game at θ = ")


def test_a_target_outside_the_presets_sweep_is_refused_by_name(smoke_run):
    proc = snakemake(smoke_run, "-n", "results/smoke/runs/ks/n5/seed0/eval.nc", check=False)
    assert proc.returncode != 0
    assert "n = 5 is not in the smoke preset's sweep of arm 'ks'" in proc.stdout + proc.stderr


def test_a_preset_trains_each_arm_on_its_own_seeds(smoke_run):
    """`ci` gives three arms one seed (presets.ci.arm_seeds): the planned jobs are those, and a
    target for another seed of such an arm is refused, naming the key to edit."""
    ci = marlbc.config.resolve(marlbc.config.load(smoke_run / "config.yaml"), "ci")
    expected = sum(len(spec["n"]) * len(marlbc.config.arm_seeds(ci, arm)) for arm, spec in ci["arms"].items())
    assert expected < len(ci["seeds"]) * sum(len(spec["n"]) for spec in ci["arms"].values())
    jobs = planned_jobs(smoke_run, preset="ci")
    assert jobs["train"] == jobs["evaluate"] == expected, jobs
    proc = snakemake(smoke_run, "-n", "results/ci/runs/rbc/n1/seed1/eval.nc", preset="ci", check=False)
    assert proc.returncode != 0
    assert ("seed 1 is not among the ci preset's seeds of arm 'rbc' ([0]); "
            "add it to config key 'presets.ci.arm_seeds.rbc'") in proc.stdout + proc.stderr


def test_a_target_of_another_preset_is_refused_by_name(smoke_run):
    proc = snakemake(smoke_run, "-n", "results/runs/ks/n10/seed0/train.nc", check=False)
    assert proc.returncode != 0
    assert "'results/runs/ks/n10/seed0/train.nc' is written by the full preset, not by smoke" in proc.stdout + proc.stderr


def test_claims_target_reports_but_does_not_gate_under_smoke(smoke_run):
    proc = snakemake(smoke_run, "claims")
    assert "not gating under the smoke preset" in proc.stdout + proc.stderr or \
        "all claims passed" in proc.stdout + proc.stderr


def test_editing_a_figure_reruns_only_that_figure(smoke_run):
    assert planned_jobs(smoke_run) == {}
    module = smoke_run / "src/marlbc/figures/irf.py"
    module.write_text(module.read_text() + "\n# edited\n")
    assert planned_jobs(smoke_run) == {"figure": 1, "all": 1}
    snakemake(smoke_run, "figures/smoke/irf.pdf")


def test_changing_one_arm_budget_reruns_only_that_arm(smoke_run):
    cfg = smoke_run / "config.yaml"
    text = cfg.read_text()
    old = "    budget: {updates: 25000} "     # rbc_closed_form's line (no other arm trains 25,000)
    assert text.count(old) == 1
    cfg.write_text(text.replace(old, "    budget: {updates: 26000} "))
    try:
        jobs = planned_jobs(smoke_run)
    finally:
        cfg.write_text(text)
    # rbc_closed_form has one seed and n = 1 under smoke: one training and one evaluation job,
    # then what reads them (aggregate, two figures... C1, C4 do not read it unless listed)
    assert jobs.get("train") == 1 and jobs.get("evaluate") == 1
    assert "benchmark_rbc" not in jobs and "benchmark_ks" not in jobs


def test_editing_the_shared_figure_module_reruns_every_figure(smoke_run):
    module = smoke_run / "src/marlbc/figures/common.py"
    text = module.read_text()
    module.write_text(text + "\n# edited\n")
    try:
        jobs = planned_jobs(smoke_run)
    finally:
        module.write_text(text)
        subprocess.run(["touch", "-d", "2000-01-01", str(module)], check=True)   # older than the figures again
    assert jobs.get("figure") == 7 and "train" not in jobs and "evaluate" not in jobs


def test_editing_package_code_reruns_the_jobs_that_run_it(smoke_run):
    # every rule has the digest of the package code it runs as a param (marlbc.code_version)
    module = smoke_run / "src/marlbc/economy/rbc.py"
    text = module.read_text()
    assert text.startswith('"""The RBC family')
    try:
        module.write_text(text.replace('"""The RBC family', '"""Edited. The RBC family', 1) + "\n# edited\n")
        assert planned_jobs(smoke_run) == {}          # a docstring and a comment: nothing
        module.write_text(text + "\nEDITED = True\n")
        jobs = planned_jobs(smoke_run)
    finally:
        module.write_text(text)
    # every arm trains on an economy module's code (smoke: five arms, one n and seed each),
    # the evaluations and what reads them follow; the benchmarks do not import the economy
    assert jobs.get("train") == 5 and jobs.get("evaluate") == 5, jobs
    assert not [rule for rule in jobs if rule.startswith("benchmark")], jobs
    assert planned_jobs(smoke_run) == {}


def test_editing_one_rules_glue_reruns_only_that_rules_jobs(smoke_run):
    # each rule digests only the glue its script calls (marlbc.pipeline.run_<rule> and what that
    # uses): an edit of the claims gate reruns nothing, one of run_figure only the figures
    module = smoke_run / "src/marlbc/pipeline.py"
    text = module.read_text()
    try:
        module.write_text(text.replace("    failed = [r[\"id\"] for r", "    failed = [str(r[\"id\"]) for r", 1))
        assert module.read_text() != text
        assert planned_jobs(smoke_run) == {}
        module.write_text(text.replace("        module.plot(", "        print(module)\n        module.plot(", 1))
        jobs = planned_jobs(smoke_run)
    finally:
        module.write_text(text)
    assert jobs.get("figure") == 7 and set(jobs) <= {"figure", "all"}, jobs
    # and a training job records the digest its rule was given, so a checkpoint resumes under it
    from marlbc.code_version import code_version
    from marlbc.rl.policy import load_policy
    policy = load_policy(next((smoke_run / "results/smoke/runs/rbc").glob("n*/seed*")))
    assert policy.meta["code_version"] == code_version("marlbc.rl.train", entry="run_train",
                                                       root=smoke_run / "src/marlbc")


@pytest.mark.parametrize("old,new,expected", [
    # a calibration reruns its benchmark and the arm trained on it (ks, n = 10, one seed), not
    # the other benchmarks
    ("    u_bad: 0.10", "    u_bad: 0.09", {"benchmark_ks": 1, "train": 1, "evaluate": 1,
                                            "benchmark_rbc": None, "benchmark_game": None}),
    # a threshold reruns its claim and the table, no training or evaluation
    ("    drift_max: 0.01 ", "    drift_max: 0.02 ", {"claim": 1, "claims_table": 1, "train": None,
                                                      "evaluate": None}),
    # adding an n to a sweep trains, evaluates and benchmarks only the new n
    ("    n: {heterogeneous: [20], ks: [10]}", "    n: {heterogeneous: [20, 9], ks: [10]}",
     {"train": 1, "evaluate": 1, "benchmark_game": 1, "benchmark_ks": None}),
    # C5's window is also what every evaluation measures its shock-free drift over (5 under smoke)
    ("    drift_window: 500 ", "    drift_window: 400 ", {"evaluate": 5, "train": None}),
])
def test_changing_a_calibration_or_threshold_reruns_what_reads_it(smoke_run, old, new, expected):
    cfg = smoke_run / "config.yaml"
    text = cfg.read_text()
    assert text.count(old) == 1
    cfg.write_text(text.replace(old, new))
    try:
        jobs = planned_jobs(smoke_run)
    finally:
        cfg.write_text(text)
    assert {k: jobs.get(k) for k in expected} == expected, jobs


def test_smoke_is_reproducible(smoke_run, tmp_path):
    """A second run from scratch gives identical netCDF contents and claim JSONs."""
    repo_b = copy_repo(tmp_path)
    snakemake(repo_b)
    a_files = sorted(p.relative_to(smoke_run) for p in (smoke_run / "results").rglob("*.nc"))
    assert a_files == sorted(p.relative_to(repo_b) for p in (repo_b / "results").rglob("*.nc"))
    for rel in a_files:
        xr.testing.assert_identical(open_without_timings(smoke_run / rel), open_without_timings(repo_b / rel))
    for claim in (smoke_run / "results/smoke/claims").glob("C[1-5].json"):
        assert claim.read_text() == (repo_b / "results/smoke/claims" / claim.name).read_text(), claim.name


def test_killed_training_job_resumes_from_its_checkpoint(tmp_path):
    """SIGKILL the whole Snakemake process group at a random point after the first checkpoint;
    `snakemake --rerun-incomplete` then resumes the job from checkpoint.pt and ends where an
    uninterrupted run ends; no half-written output is ever left looking complete."""
    import random
    import signal

    import yaml

    def prepare(repo: Path) -> Path:
        cfg_path = repo / "config.yaml"
        cfg = yaml.safe_load(cfg_path.read_text())
        arm = cfg["arms"]["rbc_closed_form"]
        arm["budget"]["updates"] = 300_000                      # 3,000 updates under smoke: at 500-600 updates/s
        # the job outlasts the kill's random delay of up to 2 s after the first checkpoint (800 did not)
        arm.setdefault("sac", {}).update(checkpoint_every=100, eval_every=100)
        cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        return repo

    target = "results/smoke/runs/rbc_closed_form/n1/seed0/train.nc"
    killed = prepare(copy_repo(tmp_path / "killed"))
    straight = prepare(copy_repo(tmp_path / "straight"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(killed / "src")}
    proc = subprocess.Popen([*SNAKEMAKE, target, "--cores", "1", "--config", "preset=smoke"], cwd=killed,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    ckpt = killed / "results/smoke/runs/rbc_closed_form/n1/seed0/checkpoint.pt"
    deadline = time.time() + 300
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert ckpt.exists() and proc.poll() is None, "the job ended or never wrote a checkpoint"
    time.sleep(random.Random(0).uniform(0.0, 2.0))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # whatever the kill left under an output's name is whole (writes go to a temporary name first)
    import torch
    for f in ckpt.parent.iterdir():
        if f.suffix == ".pt":
            torch.load(f, weights_only=False)
        elif f.suffix == ".nc":
            xr.load_dataset(f)
    snakemake(killed, "--unlock")
    snakemake(killed, target, "--rerun-incomplete")
    log = (killed / "results/smoke/logs/train/rbc_closed_form/n1/seed0.log").read_text()
    assert "resumed from" in log, log[-2000:]

    snakemake(straight, target)
    xr.testing.assert_identical(open_without_timings(killed / target), open_without_timings(straight / target))


def test_report_renders_figures_and_claims(smoke_run, tmp_path):
    """`snakemake --report` (the `reports` extra) builds one page with the figures and tables."""
    pytest.importorskip("snakemake_interface_report_plugins")
    report = tmp_path / "report.html"
    snakemake(smoke_run, "--report", str(report))
    assert report.stat().st_size > 100_000


@pytest.mark.parametrize("passed", [False, True])
def test_the_claims_gate_fails_the_snakemake_run_when_a_claim_fails(tmp_path, passed):
    """The `claims` rule's gate inside a Snakemake `run:` block, under the `ci` preset: a failed
    claim makes Snakemake exit non-zero promptly (a SystemExit there left it hanging), a passed
    one exits 0."""
    (tmp_path / "C3.json").write_text(json.dumps({"id": "C3", "passed": passed}))
    (tmp_path / "Snakefile").write_text(
        "rule claims:\n"
        "    input: 'C3.json'\n"
        "    run:\n"
        "        import marlbc.pipeline\n"
        "        marlbc.pipeline.gate_claims(input, config['preset'], 'gate.log', table='claims.md')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([*SNAKEMAKE, "--cores", "1", "claims", "--config", "preset=ci"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=300)
    out = proc.stdout + proc.stderr
    if passed:
        assert proc.returncode == 0, out[-3000:]
        assert (tmp_path / "gate.log").read_text() == "all claims passed under preset 'ci'\n"
    else:
        assert proc.returncode != 0
        assert "claims failed under preset 'ci': C3 (see claims.md)" in out
