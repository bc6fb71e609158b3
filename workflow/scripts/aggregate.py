"""Snakemake script of the `aggregate` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_aggregate(snakemake)  # noqa: F821  (the object Snakemake injects)
