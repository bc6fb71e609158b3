"""Where a pipeline run's time went: its Snakemake benchmark files, each read once, summed.

    python benchmarks/job_times.py [RESULTS] [--cores 2]

RESULTS is the run's results folder (``results`` for ``full``, ``results/ci`` for ``ci``). Read:
``RESULTS/bench/train/<arm>/n<N>/seed<S>.tsv`` and ``RESULTS/bench/evaluate/…`` (one per job) and
``results/bench/benchmark_*.tsv`` (the economic benchmarks, shared by every preset). Printed: the
wall seconds of every training job by arm and n (seeds in order) with the largest resident memory,
the total seconds of each rule, and the total divided by ``--cores``, a lower bound on the wall
time of those jobs when ``snakemake --cores C`` runs them. Aggregation, figures and claims have no
benchmark file (seconds in all).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from marlbc import config
from marlbc.evaluation.cost import read_benchmark_tsv
from marlbc.evaluation.io import parse_run_path


def job_times(results: Path, root: Path = Path(".")) -> dict[str, dict]:
    """Seconds and peak memory (MB) of every benchmarked job of a run, by rule:
    ``{rule: {key: (s, max_rss)}}``, key (arm, n, seed) for train and evaluate, the benchmark's
    name for the benchmarks (their files where ``config.BENCHMARK_FILES`` puts them, under the
    workflow's ``root``). Each file is read once."""
    out: dict[str, dict] = defaultdict(dict)
    for rule in ("train", "evaluate"):
        for f in sorted((results / "bench" / rule).glob("*/n*/seed*.tsv")):
            meta = parse_run_path(f)
            b = read_benchmark_tsv(f)
            out[rule][(meta["arm"], meta["n"], meta["seed"])] = (b["s"], b.get("max_rss", float("nan")))
    prefix, suffix = config.BENCHMARK_FILES["tsv"]
    for f in sorted(root.glob(f"{prefix}*{suffix}")):
        b = read_benchmark_tsv(f)
        name = f.name[len(Path(prefix).name):-len(suffix)]
        out["benchmark"][name] = (b["s"], b.get("max_rss", float("nan")))
    return dict(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default="results", help="the run's results folder")
    ap.add_argument("--cores", type=int, default=2, help="cores the run had (for the lower bound)")
    args = ap.parse_args()
    times = job_times(Path(args.results))
    if not times.get("train"):
        raise SystemExit(f"no training benchmark files under '{args.results}/bench/train/' "
                         f"(expected <arm>/n<N>/seed<S>.tsv)")
    by_arm_n: dict[tuple[str, int], list[tuple[int, float, float]]] = defaultdict(list)
    for (arm, n, seed), (s, rss) in times["train"].items():
        by_arm_n[(arm, n)].append((seed, s, rss))
    print(f"training jobs, wall seconds by seed (Snakemake benchmark files under {args.results}/bench/train):")
    for (arm, n), rows in sorted(by_arm_n.items()):
        rows.sort()
        secs = " ".join(f"{s:7.1f}" for _, s, _ in rows)
        print(f"  {arm:16s} n = {n:4d}  seeds {','.join(str(sd) for sd, _, _ in rows):8s} {secs}"
              f"   max RSS {max(r for _, _, r in rows):6.0f} MB")
    total = 0.0
    for rule in ("train", "evaluate", "benchmark"):
        jobs = times.get(rule, {})
        s = sum(v[0] for v in jobs.values())
        total += s
        print(f"{rule:9s} {len(jobs):3d} jobs {s:9.1f} s")
    print(f"all       {sum(len(v) for v in times.values()):3d} jobs {total:9.1f} s; / {args.cores} cores = "
          f"{total / args.cores / 60:.1f} min, a lower bound on their wall time")


if __name__ == "__main__":
    main()
