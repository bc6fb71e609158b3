"""Snakemake script of the `evaluate` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_evaluate(snakemake)  # noqa: F821  (the object Snakemake injects)
