"""marlbc.runtime: every job on one thread, and glibc keeping freed memory in the process,
without changing a bit of what training computes."""

import platform
import subprocess
import sys

import pytest
import torch

from marlbc import runtime

from .conftest import ROOT

TRAIN = r"""
import hashlib, sys, tempfile
from pathlib import Path
import torch
import marlbc.runtime as runtime
from marlbc import config
from marlbc.rl.train import train

if sys.argv[1] == "off":                       # glibc's default allocator behaviour
    runtime.keep_freed_memory = lambda: False
cfg = config.load(sys.argv[2])
arm = cfg["arms"]["heterogeneous"]             # the envelope loss, the costliest update
arm["budget"]["updates"] = 300
arm["sac"].update(eval_every=150, checkpoint_every=300, eval_periods=10, ss_periods=10, learning_starts=100)
with tempfile.TemporaryDirectory() as d:
    train(cfg, "heterogeneous", 9, 0, Path(d), preset="full", progress=False)
    actor = torch.load(Path(d) / "policy.pt", weights_only=False)["actor"]
h = hashlib.sha256()
for name in sorted(actor):
    h.update(actor[name].contiguous().numpy().tobytes())
print(torch.get_num_threads(), h.hexdigest())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the allocator settings are glibc's")
def test_glibc_takes_both_settings():
    assert runtime.keep_freed_memory() is True


def test_one_job_sets_one_thread():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        runtime.one_job()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_training_is_the_same_to_the_bit_with_and_without_the_allocator_settings():
    """Two fresh processes, one with glibc's defaults: the trained policies' weights are equal."""
    out = {}
    for mode in ("on", "off"):
        run = subprocess.run([sys.executable, "-c", TRAIN, mode, str(ROOT / "config.yaml")],
                             capture_output=True, text=True, cwd=ROOT, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        out[mode] = run.stdout.split()
    assert out["on"][0] == out["off"][0] == "1"          # train() runs on one thread
    assert out["on"][1] == out["off"][1]
