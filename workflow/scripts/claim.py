"""Snakemake script of the `claim` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_claim(snakemake)  # noqa: F821  (the object Snakemake injects)
