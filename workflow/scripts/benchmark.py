"""Snakemake script of the `benchmark` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_benchmark(snakemake)  # noqa: F821  (the object Snakemake injects)
