"""Two allocations of capital over the same households compared, as C3 compares the learned
steady state with the n-player game's: households matched by their productivities (κ_i, λ_i),
the rank correlation and the median relative error. (The capital-weighted distances and the
productivity elasticities that C3 reports beside them are in :mod:`marlbc.evaluation.statistics`.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["match_types", "median_relative_error", "rank_correlation"]


def match_types(kappa, lam, kappa_ref, lam_ref) -> np.ndarray | None:
    """Households matched by their productivities: the index p with (κ*_p[i], λ*_p[i]) = (κ_i, λ_i)
    for every household i (to ``np.allclose``), so that ``x_ref[p]`` lists a reference variable in
    the order of ``kappa, lam``; None when the two sets of types differ."""
    kappa, lam, kappa_ref, lam_ref = (np.asarray(v, float) for v in (kappa, lam, kappa_ref, lam_ref))
    if kappa.shape != kappa_ref.shape:
        return None
    order = np.lexsort((np.round(lam, 10), np.round(kappa, 10)))
    order_ref = np.lexsort((np.round(lam_ref, 10), np.round(kappa_ref, 10)))
    if not (np.allclose(kappa[order], kappa_ref[order_ref]) and np.allclose(lam[order], lam_ref[order_ref])):
        return None
    p = np.empty(len(order), dtype=int)
    p[order] = order_ref
    return p


def rank_correlation(k, k_ref) -> float:
    """Spearman rank correlation of ``k`` and ``k_ref`` across households (C3's first metric);
    NaN when either has no spread."""
    from scipy.stats import spearmanr

    k, k_ref = np.asarray(k, float), np.asarray(k_ref, float)
    if np.ptp(k) == 0 or np.ptp(k_ref) == 0:
        return float("nan")
    return float(spearmanr(k, k_ref).statistic)


def median_relative_error(k, k_ref) -> float:
    """C3's second metric: the median over the households that hold capital in the reference of

        |k_i / k_i* − 1|,   k_i* > 0

    (the reference's corners, k_i* = 0, have no relative error); NaN when none holds any."""
    k, k_ref = np.asarray(k, float), np.asarray(k_ref, float)
    pos = k_ref > 0
    return float(np.median(np.abs(k[pos] / k_ref[pos] - 1.0))) if pos.any() else float("nan")
