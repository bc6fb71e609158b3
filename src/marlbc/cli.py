"""The ``marlbc`` command line: benchmarks, training, evaluation.

    marlbc benchmark steady-state --calibration seed --json
    marlbc benchmark closed-form --calibration paper --json
    marlbc benchmark {rbc,game,ks} [--out FILE.nc] [--json]
    marlbc train --arm ARM --seed S --out DIR [--n N] [--preset P]
    marlbc evaluate --run DIR --out FILE [--json]
    marlbc best-response --run DIR [--households I ...] [--quarters T]

Every command reads ``--config`` (default ./config.yaml), validated before anything runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import config as _config


def _print(obj: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(obj, indent=None, default=float))
    else:
        for k, v in obj.items():
            print(f"{k:>12}: {v}")


def cmd_benchmark(args, cfg: dict) -> None:
    from .benchmarks import steady_state as ss

    if args.which == "steady-state":
        cal = _config.named_calibration(cfg, args.calibration)
        if "utility" not in cal or cal["utility"] not in ss.UTILITIES:
            rbc = [k for k, c in cfg["calibrations"].items() if c.get("utility") in ss.UTILITIES]
            raise _config.ConfigError(f"steady-state takes an RBC calibration ({', '.join(rbc)}), not "
                                      f"{args.calibration!r} (`marlbc benchmark ks` solves that one)")
        if args.out is not None:
            raise _config.ConfigError("steady-state prints its numbers and writes no file: drop --out")
        if args.delta is not None:
            cal["delta"] = args.delta
            _config.validate({**cfg, "calibrations": {**cfg["calibrations"], args.calibration: cal}})
        _print(ss.steady_state(**cal).as_dict(), args.json)
        return
    from .benchmarks import run as bench_run

    if args.delta is not None:
        raise _config.ConfigError(f"--delta applies to steady-state only, not {args.which} (the closed form "
                                  "holds at delta = 1; the others solve their arm's calibration)")
    if args.which == "closed-form" and args.calibration is not None and \
            _config.named_calibration(cfg, args.calibration)["delta"] != 1.0:
        print(f"marlbc: note: the closed form holds at delta = 1; calibration {args.calibration!r} "
              f"is solved with its other parameters and delta = 1", file=sys.stderr)
    _print(bench_run.run(args.which, cfg, out=args.out, n=args.n, calibration=args.calibration), args.json)


def cmd_train(args, cfg: dict) -> None:
    from .rl.train import train

    _config.arm_spec(cfg, args.arm)
    summary = train(cfg, args.arm, n=args.n, seed=args.seed, out_dir=Path(args.out), preset=args.preset)
    _print(summary, args.json)


def cmd_evaluate(args, cfg: dict) -> None:
    from .evaluation.evaluate import evaluate

    _print(evaluate(cfg, Path(args.run), Path(args.out)), args.json)


def cmd_best_response(args, cfg: dict) -> None:
    from .evaluation.best_response import report
    from .runtime import one_job

    one_job()
    report(cfg, Path(args.run), args.households, args.quarters)


def _int_at_least(lo: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < lo:
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: >= {lo}")
        return value
    parse.__name__ = "integer"                   # argparse names the type in its message
    return parse


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="marlbc", description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=None,
                    help="configuration file (default: ./config.yaml, else the repository's own)")
    sub = ap.add_subparsers(dest="command", required=True)

    b = sub.add_parser("benchmark", help="economic benchmarks")
    b.add_argument("which", choices=["steady-state", "closed-form", "rbc", "game", "ks"])
    b.add_argument("--calibration", default=None, help="seed, paper or ks98 (default: that of the arm held against the benchmark, "
                   "its overrides applied; seed for steady-state)")
    b.add_argument("--delta", type=float, default=None, help="override δ (steady-state)")
    b.add_argument("--n", type=_int_at_least(1), default=None, help="households (game)")
    b.add_argument("--out", default=None, help="write the benchmark's netCDF here")
    b.add_argument("--json", action="store_true", help="print one JSON object")
    b.set_defaults(func=cmd_benchmark)

    t = sub.add_parser("train", help="train one arm for one seed")
    t.add_argument("--arm", required=True, choices=_config.ARMS)
    t.add_argument("--seed", type=_int_at_least(0), required=True)
    t.add_argument("--n", type=_int_at_least(1), default=None, help="households (default: the arm's first n)")
    t.add_argument("--out", required=True, help="run directory")
    t.add_argument("--preset", default=None, choices=_config.PRESETS, help="budget preset (default: the config's 'preset' key)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="roll a trained policy out and write netCDF")
    e.add_argument("--run", required=True, help="run directory written by `marlbc train`")
    e.add_argument("--out", required=True, help="netCDF file to write")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)

    r = sub.add_parser("best-response", help="would a household of a learned RBC economy keep its capital? "
                       "(marlbc.evaluation.best_response)")
    r.add_argument("--run", required=True, help="run directory with policy.pt and eval.nc (baseline or heterogeneous)")
    r.add_argument("--households", type=_int_at_least(0), nargs="+", default=None,
                   help="household indices (default: all; about 20 s each at n = 20)")
    r.add_argument("--quarters", type=_int_at_least(1), default=2000, help="shock-free quarters of each deviation")
    r.set_defaults(func=cmd_best_response)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = _config.load(args.config)
        if args.command == "benchmark" and args.which == "steady-state" and args.calibration is None:
            args.calibration = "seed"
        args.func(args, cfg)
    except _config.ConfigError as e:
        print(f"marlbc: config error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, RuntimeError) as e:   # unreadable inputs, a diverged run: one line
        if os.environ.get("MARLBC_TRACEBACK"):
            raise
        print(f"marlbc: error: {e} (MARLBC_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
