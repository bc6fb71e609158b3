"""benchmarks/job_times.py: a run's Snakemake benchmark files, each read once and summed."""

import subprocess
import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from .workflow_utils import ROOT, load_benchmark_script

SCRIPT = ROOT / "benchmarks" / "job_times.py"

jt = load_benchmark_script("job_times")


def write_tsv(path: Path, s: float, max_rss: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("s\th:m:s\tmax_rss\tcpu_time\n" f"{s}\t0:00:00\t{max_rss}\t{s}\n")


@pytest.fixture
def run_tree(tmp_path):
    """A ci-preset tree: results/ci/bench/{train,evaluate}, the shared benchmarks in results/bench."""
    results = tmp_path / "results"
    write_tsv(results / "ci/bench/train/ks/n500/seed0.tsv", 360.5, 610.0)
    write_tsv(results / "ci/bench/train/ks/n500/seed1.tsv", 400.25, 600.0)
    write_tsv(results / "ci/bench/train/rbc/n1/seed0.tsv", 300.0, 400.0)
    write_tsv(results / "ci/bench/evaluate/ks/n500/seed0.tsv", 13.0, 500.0)
    write_tsv(results / "ci/bench/evaluate/ks/n500/seed1.tsv", 14.0, 500.0)
    write_tsv(results / "bench/benchmark_ks.tsv", 20.0, 300.0)
    write_tsv(results / "bench/benchmark_game_n20.tsv", 2.5, 200.0)
    write_tsv(results / "ci/bench/notes.tsv", 999.0, 1.0)            # not a job's file: not read
    return results


def test_each_benchmark_file_is_counted_once_under_its_rule(run_tree):
    times = jt.job_times(run_tree / "ci", root=run_tree.parent)
    assert sorted(times["train"]) == [("ks", 500, 0), ("ks", 500, 1), ("rbc", 1, 0)]
    assert_allclose(sum(v[0] for v in times["train"].values()), 1060.75, rtol=1e-12)
    assert_allclose(sum(v[0] for v in times["evaluate"].values()), 27.0, rtol=1e-12)
    assert times["benchmark"] == {"game_n20": (2.5, 200.0), "ks": (20.0, 300.0)}
    assert times["train"][("ks", 500, 1)] == (400.25, 600.0)


def test_command_line_prints_totals_and_the_lower_bound(run_tree):
    out = subprocess.run([sys.executable, str(SCRIPT), str(run_tree / "ci"), "--cores", "2"],
                         cwd=run_tree.parent, capture_output=True, text=True, check=True).stdout
    assert "train       3 jobs    1060.8 s" in out
    assert "evaluate    2 jobs      27.0 s" in out
    assert "benchmark   2 jobs      22.5 s" in out
    assert f"/ 2 cores = {(1060.75 + 27 + 22.5) / 2 / 60:.1f} min" in out
    assert "ks               n =  500  seeds 0,1        360.5   400.2" in out


def test_a_tree_without_training_files_is_refused_by_name(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "nowhere")], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "nowhere/bench/train/" in r.stderr
