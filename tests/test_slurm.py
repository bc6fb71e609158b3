"""The pipeline through SLURM gives the same results as a local run (issue 6).

Opt-in, marker ``slurm`` (``.ci/run`` deselects it with ``-m "not slurm"``). It runs only when
``MARLBC_SLURM=1`` is set, because it submits jobs to whatever cluster ``sbatch`` reaches; with
``MARLBC_SLURM=1`` and no cluster answering it fails (it does not skip). Start the one-node
cluster first (as root, idempotent):

    .ci/slurm.sh
    MARLBC_SLURM=1 pytest -m slurm tests/test_slurm.py -s      # -s shows the timings

Environment:
    MARLBC_SLURM_PRESET   preset of the runs (default ``smoke``)
    MARLBC_SLURM_TARGET   Snakemake targets, space separated (default: the pipeline's default
                          target ``all``; e.g. ``benchmarks`` for the benchmark rules only)

The repository (``git ls-files``: tracked and untracked-but-not-ignored files) is copied twice to
a temporary directory; one copy runs ``snakemake --cores <cpus>`` locally, the other runs through
SLURM with the workflow profile ``workflow/profiles/slurm``. The test checks in ``sacct`` that
every non-local job went through SLURM and completed there, that no local rule did, and that
every netCDF file under ``results/`` is identical in both copies (``xarray.testing
.assert_identical``, data and attributes) except for the provenance listed in ``IGNORED_ATTRS``
and ``IGNORED_VARS``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml

from .workflow_utils import copy_repo, open_without_timings  # noqa: E402

pytestmark = pytest.mark.slurm

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "workflow/profiles/slurm"
PRESET = os.environ.get("MARLBC_SLURM_PRESET", "smoke")
TARGETS = shlex.split(os.environ.get("MARLBC_SLURM_TARGET", ""))
TIMEOUT_S = int(os.environ.get("MARLBC_SLURM_TIMEOUT", "3600"))   # per Snakemake run

def _slurm_env() -> dict:
    """The environment of the Snakemake runs: one thread per job, no SLURM variables of an
    enclosing allocation (the SLURM jobs inherit it: the plugin submits with --export=ALL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_", "SRUN_"))}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


def _cluster_cpus() -> int:
    """CPUs of the largest idle or mixed node, or 0 when no cluster answers."""
    try:
        out = subprocess.run(["sinfo", "-h", "-N", "-o", "%T %c"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    cpus = [int(c) for state, c in (line.split() for line in out.splitlines() if line.strip())
            if state.rstrip("*~#") in ("idle", "mixed")]
    return max(cpus, default=0)


@pytest.fixture(scope="module")
def cluster_cpus() -> int:
    if os.environ.get("MARLBC_SLURM") != "1":
        pytest.skip("opt-in: set MARLBC_SLURM=1 (start a one-node cluster with .ci/slurm.sh)")
    cpus = _cluster_cpus()
    if not cpus:
        pytest.fail("MARLBC_SLURM=1 but `sinfo` shows no idle node: start the cluster with .ci/slurm.sh")
    if shutil.which("sacct") is None or subprocess.run(["sacct", "-n", "-X", "-j", "1"],
                                                       capture_output=True).returncode != 0:
        pytest.fail("`sacct` does not work: the Snakemake SLURM plugin needs job accounting (.ci/slurm.sh sets it up)")
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.fail("the Snakemake SLURM executor plugin is not installed: pip install -e '.[slurm]'")
    return cpus


def _snakemake(workdir: Path, *args: str) -> tuple[str, float]:
    """Run Snakemake in ``workdir`` (its own package first on the path); output and wall time."""
    env = _slurm_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir / "src"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "snakemake", *TARGETS, *args, "--config", f"preset={PRESET}"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    seconds = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(out.splitlines()[-80:])
        pytest.fail(f"`{shlex.join(cmd[1:])}` in {workdir} exited {proc.returncode}:\n{tail}")
    return out, seconds


def _sacct(run_id: str, expected: set[str]) -> list[dict]:
    """The SLURM jobs of one Snakemake run (job name = the plugin's run ID), once slurmdbd has
    recorded all ``expected`` job ids in a final state."""
    fields = ["JobIDRaw", "JobName", "Comment", "State", "Elapsed", "AllocCPUS", "ReqMem"]
    rows: list[dict] = []
    for _ in range(60):
        out = subprocess.run(["sacct", "-X", "-n", "-P", "--starttime", "now-2days", "--name", run_id,
                              "--format", ",".join(f"{f}%200" for f in fields)],
                             capture_output=True, text=True, check=True).stdout
        rows = [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line.strip()]
        if {r["JobIDRaw"] for r in rows} >= expected and all(
                r["State"] not in ("PENDING", "RUNNING", "COMPLETING") for r in rows):
            break
        time.sleep(1)
    return rows


def _rules(out: str, kind: str) -> set[str]:
    """Rules of the jobs Snakemake announced as ``rule X:`` (submitted) or ``localrule X:``."""
    return set(re.findall(rf"^\s*{kind} (\w+):", out, re.MULTILINE))


def test_pipeline_through_slurm_equals_local_run(tmp_path, cluster_cpus):
    local = copy_repo(tmp_path / "local")
    slurm = copy_repo(tmp_path / "slurm")
    cpus = os.cpu_count() or 1

    out_local, t_local = _snakemake(local, "--cores", str(cpus), "--workflow-profile", "none")

    # The profile as shipped, with two adjustments to a small CI node: groups no wider than the
    # node (a group requests its members' CPUs side by side), and a first status check after 5 s
    # instead of 40 s (smoke jobs take seconds).
    profile = yaml.safe_load((slurm / PROFILE / "config.yaml").read_text())
    out_slurm, t_slurm = _snakemake(
        slurm, "--workflow-profile", PROFILE,
        "--group-components", *(f"{g}={min(k, cluster_cpus)}" for g, k in profile["group-components"].items()),
        "--slurm-init-seconds-before-status-checks", "5", "--slurm-keep-successful-logs")
    print(f"\nslurm-vs-local: preset {PRESET}, targets {TARGETS or ['all']}: local run "
          f"(--cores {cpus}) {t_local:.1f} s, through SLURM ({cluster_cpus}-CPU node) {t_slurm:.1f} s")

    # 1. every non-local job went through SLURM and completed there; no local rule did
    run_id = re.search(r"SLURM run ID: (\S+)", out_slurm)
    assert run_id, "the SLURM executor plugin did not run (no 'SLURM run ID' in the output)"
    submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", out_slurm))
    assert submitted, "no job was submitted to SLURM"
    jobs = _sacct(run_id.group(1), submitted)
    assert {j["JobIDRaw"] for j in jobs} == submitted, (submitted, jobs)
    assert all(j["State"] == "COMPLETED" for j in jobs), jobs
    comments = [j["Comment"] for j in jobs]
    group_of = profile["groups"]

    def in_slurm(rule: str) -> bool:
        """The plugin's comment is rule_<rule>[_wildcards_<values>] for a single job and
        rule_<group>_<rules of the group, joined by _> for a group job."""
        if rule in group_of:
            pattern = rf"rule_{group_of[rule]}_(\w+_)?{rule}(_\w+)?"
        else:
            pattern = rf"rule_{rule}(_wildcards_.*)?"
        return any(re.fullmatch(pattern, c) for c in comments)

    remote, local_rules = _rules(out_slurm, "rule"), _rules(out_slurm, "localrule")
    assert remote, "Snakemake announced no submitted job"
    assert {r for r in remote if not in_slurm(r)} == set(), comments
    assert {r for r in local_rules if in_slurm(r)} == set(), comments

    # 2. the same netCDF results, file for file
    nc_local = sorted(p.relative_to(local) for p in (local / "results").rglob("*.nc"))
    nc_slurm = sorted(p.relative_to(slurm) for p in (slurm / "results").rglob("*.nc"))
    assert nc_local, "the local run wrote no netCDF file under results/"
    assert nc_slurm == nc_local
    differ = []
    for rel in nc_local:
        try:
            xr.testing.assert_identical(open_without_timings(slurm / rel), open_without_timings(local / rel))
        except AssertionError as err:
            differ.append(f"{rel} (left: SLURM, right: local):\n{err}")
    assert not differ, f"{len(differ)} of {len(nc_local)} netCDF files differ:\n" + "\n".join(differ)

    print(f"slurm-vs-local: {len(jobs)} SLURM jobs (rules {', '.join(sorted(remote))}), local rules "
          f"{', '.join(sorted(local_rules))}; {len(nc_local)} netCDF files identical")
