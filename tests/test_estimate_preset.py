"""benchmarks/estimate_preset.py: the slices it runs, the costs it reads from them, the lanes it lays out."""

import re
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
import yaml
from numpy.testing import assert_allclose

from marlbc import config

from .workflow_utils import ROOT, load_benchmark_script

est = load_benchmark_script("estimate_preset")


@pytest.mark.parametrize("preset", ["ci", "full"])
@pytest.mark.parametrize("factor", [1, 2])
def test_slices_run_the_presets_jobs_on_its_first_seed_at_multiples_of_eval_every(preset, factor):
    raw = config.load(ROOT / "config.yaml")
    overlay, updates = est.slice_overlay(raw, preset, factor)
    # what snakemake --configfile does: the overlay's preset replaces the config's, key by key
    merged = {**raw, "presets": {**raw["presets"], preset: {**raw["presets"][preset], **overlay["presets"][preset]}}}
    sliced, whole = config.resolve(merged, preset), config.resolve(raw, preset)
    assert sliced["seeds"] == whole["seeds"][:1]
    for arm in whole["arms"]:                                             # each arm's first seed
        assert config.arm_seeds(sliced, arm) == config.arm_seeds(whole, arm)[:1]
    for arm, spec in sliced["arms"].items():
        assert spec["n"] == whole["arms"][arm]["n"]                       # every n of the sweep
        every = whole["arms"][arm].get("sac", {}).get("eval_every", 1000)
        assert spec["budget"]["updates"] == updates[arm] == factor * every, arm
    assert updates["ks"] == factor * 2500 and updates["rbc"] == factor * 1000    # config.yaml's eval_every


def test_a_job_is_its_fixed_cost_plus_its_training_loops_cost_per_update(tmp_path):
    # a slice's train.nc: wall_s at update 0 (warm-up, untrained policy evaluated), 1000 and 2000
    xr.Dataset({"wall_s": ("update", np.array([0.75, 10.5, 20.75]))}, coords={"update": [0, 1000, 2000]}
               ).to_netcdf(tmp_path / "train.nc")
    loop = est.loop_seconds(tmp_path / "train.nc")
    assert_allclose(loop, 20.0, rtol=1e-12)
    a, b = est.fit_job(26.0, loop, 2000)                  # the job took 26 s by its benchmark file
    assert_allclose([a, b], [6.0, 0.01], rtol=1e-12)
    assert_allclose(a + b * 24_000, 246.0, rtol=1e-12)
    assert est.fit_job(19.0, 20.0, 2000) == (0.0, 0.01)   # never a negative fixed cost


def test_jobs_are_laid_longest_first_on_the_lane_that_frees_up_first():
    assert est.lay_out([3.0, 5.0, 3.0, 4.0], cores=2) == 8.0             # 5+3 | 4+3
    assert est.lay_out([3.0, 5.0, 3.0, 4.0], cores=1) == 15.0
    assert est.lay_out([7.0, 1.0, 1.0, 1.0], cores=2) == 7.0


def test_a_failed_pipeline_pass_names_its_scratch_folder(tmp_path):
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text())
    with pytest.raises(SystemExit, match="snakemake failed in the scratch folder") as err:
        est.run_pass(tmp_path, "ci", {"presets": {"ci": {"budget_scale": 1.0}}}, ["results/ci/no_such_file"], 1)
    assert str(tmp_path) in str(err.value)


def test_command_line_refuses_an_unknown_preset():
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "estimate_preset.py"), "--preset", "huge"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "'huge'" in r.stderr and "full" in r.stderr


@pytest.mark.pipeline
def test_the_estimate_runs_the_pipeline_on_slices_of_the_preset_end_to_end(tmp_path):
    """The smoke preset with 50 updates between evaluations, one interval a slice: Snakemake
    runs every (arm, n) of the preset on its first seed at 50 updates, and the estimate prints a
    row for each with the totals."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text())
    for spec in raw["arms"].values():
        spec.setdefault("sac", {})["eval_every"] = 50
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(raw))
    scratch = tmp_path / "scratch"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "estimate_preset.py"), "--preset", "smoke",
                        "--intervals", "1", "--config", str(tmp_path / "config.yaml"), "--keep", str(scratch)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    smoke = config.resolve(config.load(tmp_path / "config.yaml"), "smoke")
    for arm, spec in smoke["arms"].items():
        for n in spec["n"]:
            seeds = len(config.arm_seeds(smoke, arm))
            assert re.search(rf"^{arm}\s+{n}\s+{seeds}\s+{spec['budget']['updates']:,}\s", r.stdout, re.M), \
                (arm, n, r.stdout)
            with xr.open_dataset(scratch / "results/smoke/runs" / arm / f"n{n}" / "seed0" / "train.nc") as ds:
                assert ds["update"].values.tolist() == [0, 50]                  # one interval of 50 updates
            assert not (scratch / "results/smoke/runs" / arm / f"n{n}" / "seed1").exists()
    for rule, jobs in (("training", 5), ("evaluation", 5), ("benchmarks", 4)):
        assert re.search(rf"^{rule}\s+{jobs} jobs", r.stdout, re.M), r.stdout
    assert "on 2 cores, longest first: about" in r.stdout
