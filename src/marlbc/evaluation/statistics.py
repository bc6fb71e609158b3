"""Statistics of simulated paths and cross-sections: the Gini coefficient, the Krusell–Smith
law-of-motion regression, the drift of a path that should have settled, the elasticities of
households' capital to their productivities and distances between two allocations of capital.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["capital_share_distance", "capital_weighted_error", "gini_rows", "productivity_elasticities",
           "range_drift", "regress_law_of_motion", "trend_drift"]


def gini_rows(x: torch.Tensor) -> torch.Tensor:
    """Gini coefficient of each row of ``x`` (…, n) of non-negative values with equal weights:
    G = 2 Σ_i i x_(i) / (n Σ x) − (n + 1)/n (that of ``benchmarks.ks.gini`` for point masses)."""
    n = x.shape[-1]
    if n == 1:
        return torch.zeros(x.shape[:-1], dtype=x.dtype)
    xs, _ = torch.sort(x, dim=-1)
    i = torch.arange(1, n + 1, dtype=x.dtype)
    return (2.0 * (xs * i).sum(-1) / (n * xs.sum(-1)) - (n + 1.0) / n).clamp_min(0.0)


def regress_law_of_motion(K: np.ndarray, z: np.ndarray, burn: int):
    """OLS of log K_{t+1} on log K_t separately for z_t = good (0) and bad (1), t ≥ burn.

    Returns coefs [[a_good, b_good], [a_bad, b_bad]], R² (good, bad) and the standard error of
    the regression (good, bad): the benchmark's definition (``benchmarks.ks``)."""
    x, y, zz = np.log(K[burn:-1]), np.log(K[burn + 1:]), np.asarray(z)[burn:-1]
    coefs, r2, se = np.full((2, 2), np.nan), np.full(2, np.nan), np.full(2, np.nan)
    for s in range(2):
        xs, ys = x[zz == s], y[zz == s]
        if len(xs) < 3 or not np.all(np.isfinite(xs)) or not np.all(np.isfinite(ys)):
            continue
        X = np.column_stack([np.ones_like(xs), xs])
        beta, *_ = np.linalg.lstsq(X, ys, rcond=None)
        res = ys - X @ beta
        coefs[s] = beta
        tss = np.sum((ys - ys.mean()) ** 2)
        r2[s] = 1.0 - res @ res / tss if tss > 0 else np.nan
        se[s] = math.sqrt(res @ res / max(len(ys) - 2, 1))
    return coefs, r2, se


def productivity_elasticities(k, kappa, lam) -> tuple[float, float]:
    """Elasticities (e_κ, e_λ) of capital across households from the least-squares fit

        log k_i = a + e_κ log κ_i + e_λ log λ_i

    over the households with k_i > 0: how many percent more capital a household holds per
    percent of higher return (κ_i) or wage (λ_i) productivity. NaN with fewer than four such
    households or without spread in κ or λ."""
    k, kappa, lam = (np.asarray(v, float) for v in (k, kappa, lam))
    pos = k > 0
    if pos.sum() < 4 or np.ptp(kappa[pos]) == 0 or np.ptp(lam[pos]) == 0:
        return float("nan"), float("nan")
    X = np.column_stack([np.ones(pos.sum()), np.log(kappa[pos]), np.log(lam[pos])])
    coef, *_ = np.linalg.lstsq(X, np.log(k[pos]), rcond=None)
    return float(coef[1]), float(coef[2])


def capital_weighted_error(k, k_ref) -> float:
    """Capital-weighted relative error of an allocation ``k`` against ``k_ref`` (household by household):

        E = Σ_i |k_i − k_i*| / Σ_i k_i*

    the mean of |k_i/k_i* − 1| weighted by k_i*, plus whatever ``k`` gives the households that
    hold nothing in ``k_ref`` (corners), per unit of the reference's capital."""
    k, k_ref = np.asarray(k, float), np.asarray(k_ref, float)
    return float(np.abs(k - k_ref).sum() / k_ref.sum())


def capital_share_distance(k, k_ref) -> float:
    """Share of capital held by other households than in ``k_ref``, levels aside:

        D = ½ Σ_i |k_i/Σ_j k_j − k_i*/Σ_j k_j*|

    the total-variation distance between the two distributions of capital shares over households:
    0 when every household holds the same share in both, 1 when no household holding in one holds
    in the other."""
    k, k_ref = np.asarray(k, float), np.asarray(k_ref, float)
    return float(0.5 * np.abs(k / k.sum() - k_ref / k_ref.sum()).sum())


def trend_drift(path, window: int) -> np.ndarray:
    """Relative drift of a path over its last ``window`` entries (along the last axis): the change
    over the window of the OLS linear trend, divided by the window's mean,
    |slope · (window − 1)| / mean. Zero for a settled path; for a converging deterministic path
    it is (about) the change over the window; for a stochastic stationary path it is not
    inflated by the noise. NaN if the path is shorter than the window or not finite."""
    path = np.asarray(path, float)
    if path.shape[-1] < window:
        return np.full(path.shape[:-1], np.nan)
    w = path[..., -window:]
    t = np.arange(window) - (window - 1) / 2.0
    slope = (w * t).sum(-1) / (t * t).sum()
    return np.abs(slope * (window - 1)) / w.mean(-1)


def range_drift(path, window: int) -> np.ndarray:
    """max over the last ``window`` entries of |x_t / x_T − 1| (along the last axis)."""
    path = np.asarray(path, float)
    w = path[..., -min(window, path.shape[-1]):]
    return np.max(np.abs(w / w[..., -1:] - 1.0), axis=-1)


def closed_form_errors(chat: np.ndarray, ell: np.ndarray, cf: dict) -> dict:
    """Relative errors of learned ĉ and ℓ against the closed form ``cf`` (keys chat, ell):
    max and mean of |x/x* − 1| over the states given (C1's metric on the ergodic set)."""
    out = {}
    for name, x in (("chat", chat), ("ell", ell)):
        rel = np.abs(np.asarray(x) / cf[name] - 1.0)
        out[f"{name}_max_rel_err"] = float(np.max(rel))
        out[f"{name}_mean_rel_err"] = float(np.mean(rel))
    return out


BOUND_TOL = 0.01       # ĉ within this share of its range of a bound counts as at the bound
COLLAPSE_SHARE = 0.5   # a run whose ĉ sits at a bound in this share of household-quarters collapsed (C4)


def at_bound(chat, bounds):
    """Elementwise: is ĉ within ``BOUND_TOL`` of the width of ``bounds`` = (low, high) of either
    bound? (NumPy arrays, tensors or floats; C4's collapse check and the evaluation's share.)"""
    lo, hi = bounds
    tol = BOUND_TOL * (hi - lo)
    return (chat - lo <= tol) | (hi - chat <= tol)
