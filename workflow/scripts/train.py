"""Snakemake script of the `train` rule: a thin call into the package."""

from marlbc import pipeline

pipeline.run_train(snakemake)  # noqa: F821  (the object Snakemake injects)
