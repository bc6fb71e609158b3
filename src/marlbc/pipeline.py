"""Glue between Snakemake rules and the package: each ``run_<rule>(snakemake)`` reads the
rule's inputs, wildcards and resolved config, sends output to the rule's log, and calls the
package. The scripts in ``workflow/scripts/`` are one line each.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from . import config as _config
from .runtime import one_job


@contextlib.contextmanager
def logged(smk):
    """Redirect stdout and stderr to the rule's log file (if it has one); one torch thread and
    freed memory kept in the process (:func:`marlbc.runtime.one_job`)."""
    one_job()
    if not smk.log:
        yield
        return
    Path(smk.log[0]).parent.mkdir(parents=True, exist_ok=True)
    with open(smk.log[0], "w") as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        yield


def _cfg(smk) -> dict:
    return _config.resolve(dict(smk.config))


def run_benchmark(smk) -> None:
    from .benchmarks.run import run

    which = smk.rule.removeprefix("benchmark_").replace("_", "-")
    with logged(smk):
        n = int(smk.wildcards.n) if "n" in smk.wildcards.keys() else None
        summary = run(which, _cfg(smk), out=smk.output[0], n=n)
        print(json.dumps(summary, default=float))


def run_train(smk) -> None:
    from .rl.train import CHECKPOINT_FILE, train

    w = smk.wildcards
    out_dir = Path(smk.output.policy).parent
    with logged(smk):
        cfg = _cfg(smk)
        train(cfg, w.arm, n=int(w.n), seed=int(w.seed), out_dir=out_dir,
              preset=cfg["preset"], stale="restart")   # Snakemake reruns a job when its params changed
    # the outputs are whole: the checkpoint (17-18 MB; for resuming a killed job) has served. A
    # changed budget or setting starts over (another run_hash), so nothing would resume from it.
    (out_dir / CHECKPOINT_FILE).unlink(missing_ok=True)


def run_evaluate(smk) -> None:
    from .evaluation.evaluate import evaluate

    with logged(smk):
        options = {f"{name}_benchmark": str(path) for name, path in               # rbc.nc, ks.nc
                   zip(smk.params.benchmark_names, smk.input.benchmarks)}
        summary = evaluate(_cfg(smk), Path(smk.input.policy).parent, Path(smk.output[0]), options=options)
        print(json.dumps(summary, default=float))


def run_aggregate(smk) -> None:
    from .evaluation.aggregate import aggregate

    with logged(smk):
        aggregate(_cfg(smk), list(smk.input.evals), list(smk.input.trains), Path(smk.output[0]))


def run_figure(smk) -> None:
    import importlib

    with logged(smk):
        module = importlib.import_module(f"marlbc.figures.{smk.wildcards.name}")
        module.plot(_cfg(smk), [Path(p) for p in smk.input.data], Path(smk.output.pdf), Path(smk.output.png))


def run_claim(smk) -> None:
    from . import claims

    with logged(smk):
        result = claims.check(smk.wildcards.claim, _cfg(smk), [Path(p) for p in smk.input.data])
        claims.write_claim(result, Path(smk.output[0]))
        print(json.dumps(result, default=float, indent=1))


def run_claims_table(smk) -> None:
    from . import claims
    from .evaluation.io import atomic_write_text

    with logged(smk):
        results = [json.loads(Path(p).read_text()) for p in smk.input.results]
        preset = _cfg(smk)["preset"]
        table = claims.claims_table(results, claims.run_description(dict(smk.config), preset))
        atomic_write_text(Path(smk.output[0]), table)


def run_baseline_vs_variant(smk) -> None:
    from . import claims
    from .evaluation.io import atomic_write_text

    with logged(smk):
        table = claims.baseline_vs_variant(_cfg(smk), [Path(p) for p in smk.input.baseline],
                                           [Path(p) for p in smk.input.variant])
        atomic_write_text(Path(smk.output[0]), table)


class ClaimsFailed(RuntimeError):
    """A claim failed under a preset that gates on them (``ci``, ``full``)."""


def gate_claims(paths, preset: str, log: str | None = None, table: str = "results/claims.md") -> None:
    """Raise :class:`ClaimsFailed` when a claim failed under the ``ci`` or ``full`` preset, so
    that the ``claims`` rule fails and Snakemake exits non-zero (``smoke`` budgets are too small
    for claims to hold: there the check only reports). The verdict goes to the terminal and to
    ``log``. An exception, not ``sys.exit``: Snakemake 9 runs a ``run:`` block in a worker
    thread, and a ``SystemExit`` raised there leaves it waiting for ever."""
    failed = [json.loads(Path(p).read_text()) for p in paths]
    failed = [r["id"] for r in failed if not r["passed"]]
    if failed:
        msg = f"claims failed under preset '{preset}': {', '.join(failed)} (see {table})"
        if preset not in ("ci", "full"):
            msg += "; not gating under the smoke preset"
    else:
        msg = f"all claims passed under preset '{preset}'"
    print(msg)
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        Path(log).write_text(msg + "\n")
    if failed and preset in ("ci", "full"):
        raise ClaimsFailed(msg)
