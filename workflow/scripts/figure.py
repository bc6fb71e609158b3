"""Snakemake script of the `figure` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_figure(snakemake)  # noqa: F821  (the object Snakemake injects)
