"""Snakemake script of the `claims_table` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_claims_table(snakemake)  # noqa: F821  (the object Snakemake injects)
