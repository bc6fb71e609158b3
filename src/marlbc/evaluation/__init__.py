"""Evaluation of learned policies and aggregation of every run into one dataset.

    evaluate(cfg, run_dir, out) -> dict            marlbc evaluate --run DIR --out FILE
    evaluate_policy(cfg, policy, arm, n, seed, out=None) -> (Dataset, dict)
    aggregate(cfg, eval_files, train_files, out) -> Dataset     results/marlbc.nc
    io: write_netcdf, open_checked, atomic_write_json / _text, provenance
    policies: stand-in policies (the benchmarks' rules, constant rules) and the learned n = 1 policy as (K, A) -> (ĉ, ℓ)
    statistics: Gini, the KS law-of-motion regression, drift of a path
    variables: units and long names of every number in eval.nc
"""

from .aggregate import aggregate
from .evaluate import evaluate, evaluate_policy
from .io import MissingDataError, atomic_write_json, atomic_write_text, open_checked, provenance, write_netcdf

__all__ = ["MissingDataError", "aggregate", "atomic_write_json", "atomic_write_text", "evaluate",
           "evaluate_policy", "open_checked", "provenance", "write_netcdf"]
