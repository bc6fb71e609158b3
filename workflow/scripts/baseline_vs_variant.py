"""Snakemake script of the `baseline_vs_variant` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_baseline_vs_variant(snakemake)  # noqa: F821  (the object Snakemake injects)
