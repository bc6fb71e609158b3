"""Krusell–Smith (1998) benchmark: EGM household policy, histogram simulation, law of motion.

The economy (SPEC §2, calibration ``ks98``)
--------------------------------------------
A continuum of households, aggregate state z ∈ {z_g, z_b} (index 0 = good, 1 = bad), own
employment ε ∈ {e, u}. Per period, with K and L per head,

    L_z = l̄ (1 − u_z)                      (exact: the unemployed mass is u_z every period)
    r   = α z (K/L_z)^(α−1),   w = (1−α) z (K/L_z)^α
    a   = (1 − δ + r) k + w l̄ 1{ε = e}    (cash on hand; no unemployment insurance)
    c + k' = a,   k' ≥ 0,   u(c) = log c,   β = 0.99.

Households perceive the law of motion ``log K' = a_z + b_z log K`` (z-dependent coefficients).

Transition matrix
-----------------
States are ordered **(g,e), (g,u), (b,e), (b,u)** (index 2·z + ε, z: 0 good / 1 bad, ε: 0
employed / 1 unemployed). With D the mean duration of an aggregate state and s_z the mean
unemployment spell in state z:

    π_zz = 1 − 1/D,  π_zz' = 1/D                      (z' ≠ z)
    p_uu(z, z) = 1 − 1/s_z                             (same-state spells 1.5 / 2.5 quarters)
    p_uu(g, b) = switch_gb · p_uu(b, b)                (1.25 · 0.6  = 0.75)
    p_uu(b, g) = switch_bg · p_uu(g, g)                (0.75 · 1/3 = 0.25)
    p_eu(z, z') = (u_z' − u_z p_uu(z, z')) / (1 − u_z) (unemployment moves exactly u_z → u_z')
    Π[(z,ε), (z',ε')] = π_zz' · P(ε' | ε, z, z')

so that, conditional on every (z, z'), u_z p_uu + (1 − u_z) p_eu = u_z' holds exactly. This is
the matrix of Krusell & Smith (1998) and of den Haan, Judd & Juillard (2010, JEDC), e.g. the
rows from (b,u): 0.525 (b,u), 0.35 (b,e), 0.03125 (g,u), 0.09375 (g,e).

Algorithm
---------
1. Household policy k'(k, ε; K, z) by the endogenous grid method on a curved k grid (k_j =
   k_max (j/(N−1))^θ, k_0 = 0) × a few K points around the representative-agent K. For every
   end-of-period k'_j, the Euler equation 1/c = β E[(1 − δ + r')/c'] gives c and the
   endogenous cash on hand a = c + k'_j; the new policy is interpolated on today's a(k). The
   constraint k' ≥ 0 is handled exactly: with log utility and zero income in unemployment, a
   household that saved k' = 0 and falls unemployed would consume 0, so 1/c' = ∞ at k'_0 = 0,
   the Euler point is (a, k') = (0, 0) and the constraint never binds for a > 0 (np.interp
   would set k' = 0 left of the first endogenous point if it ever did).
2. Non-stochastic simulation (Young 2010) of the cross-section on a fine k grid per ε, along a
   fixed z path (seeded :func:`z_path`): next-period capital is split by lottery between the
   two fine grid points around it (mean-preserving, so K' = Σ μ k' exactly), then employment
   moves with P(ε'|ε, z, z'); the unemployed mass equals u_z exactly every period.
3. OLS of log K_{t+1} on log K_t by z over the window after burn-in; damped update of the
   coefficients until max |fitted − perceived| < tol.

Published values this is held against
-------------------------------------
Krusell & Smith (1998, JPE 106(5), p. 877), benchmark economy:
``log K' = 0.095 + 0.962 log K`` (good), ``0.085 + 0.965 log K`` (bad), R² = 0.999998 in both
(quoted verbatim, with page, by the econ-ark/HARK KrusellSmith notebooks); wealth Gini ≈ 0.25.
KS98 scale labour so that the employed supply l̃ = 0.3271 (HARK's KrusellSmith defaults,
"LbrInd = 0.3271 ... from KS"); mean K ≈ 11.5–11.7 in the replications at that scale.
The project's ks98 calibration uses l̄ = 1/0.9 (den Haan, Judd & Juillard 2010; QuantEcon's
KrusellSmith notebook replicating Maliar, Maliar & Valli 2010). With log utility, k ≥ 0 and no
other income the model is homogeneous of degree one in l̄: every k, K, a and c scale by
λ = l̄ / 0.3271 ≈ 3.397, so the slopes b_z and the wealth shares / Gini are unchanged, mean K
is ≈ 3.4 × 11.6 ≈ 39.4, and the intercepts map as a_z(0.3271) = a_z(l̄) − (1 − b_z) log λ.
:func:`summary` reports the intercepts in both units (``a_*_ks98_units``).

What this implementation gives (defaults: T = 10 000 after 1 000 burn-in, seed 0; seeds 1, 2
in brackets; ~20 s on one core):

    slope b_good 0.96288 (0.96283, 0.96281)   published 0.962
    slope b_bad  0.96478 (0.96475, 0.96476)   published 0.965
    a_good 0.13919 at l̄ = 1/0.9, 0.0938 in KS98 units   published 0.095
    a_bad  0.12684 at l̄ = 1/0.9, 0.0838 in KS98 units   published 0.085
    R² 0.9999986 / 0.9999980                  published 0.999998 / 0.999998
    s.e. of regression 2.8e-5 / 3.4e-5; den Haan max 0.21 %, mean 0.06 %
    mean K 39.60 (= 11.66 in KS98 units)       replications 11.5–11.7
    wealth Gini 0.242 (0.245, 0.244)           published 0.25
    top 1 % 2.7 %, top 10 % 19.3 %, bottom 40 % 24.3 %
    Euler residuals off the grid: max 8e-4, mean log10 −5.2

The Gini moves by about ±0.004 with the grids and the path (top tail of rich households whose
expected drift is close to zero); the slopes by less than 1e-4.
"""

from __future__ import annotations

import math
import time as _time
import warnings
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .steady_state import capital_labour_ratio

STATES = ("g,e", "g,u", "b,e", "b,u")
Z_NAMES = ("good", "bad")
EPS_NAMES = ("employed", "unemployed")
KS98_LABOUR = 0.3271            # KS98's hours of the employed (HARK's LbrInd)

#: Krusell & Smith (1998) benchmark, p. 877 (intercepts at l̃ = 0.3271).
PUBLISHED = {
    "a_good": 0.095, "b_good": 0.962, "a_bad": 0.085, "b_bad": 0.965,
    "r2_good": 0.999998, "r2_bad": 0.999998, "gini": 0.25, "mean_K_ks98_units": (11.5, 11.7),
}


# --------------------------------------------------------------------------------------------
# Exogenous processes
# --------------------------------------------------------------------------------------------

def aggregate_transition(cal: Mapping) -> np.ndarray:
    """P(z' | z), 2×2 over (good, bad): stay with probability 1 − 1/z_duration."""
    stay = 1.0 - 1.0 / float(cal["z_duration"])
    return np.array([[stay, 1.0 - stay], [1.0 - stay, stay]])


def employment_transition(cal: Mapping) -> np.ndarray:
    """P(ε' | ε, z, z') as an array [z, z', ε, ε'] (ε: 0 employed, 1 unemployed); see module doc."""
    u = np.array([cal["u_good"], cal["u_bad"]], dtype=float)
    p_same = np.array([1.0 - 1.0 / cal["spell_good"], 1.0 - 1.0 / cal["spell_bad"]])
    p_uu = np.empty((2, 2))
    p_uu[0, 0], p_uu[1, 1] = p_same
    p_uu[0, 1] = cal["switch_gb"] * p_same[1]
    p_uu[1, 0] = cal["switch_bg"] * p_same[0]
    p_eu = (u[None, :] - u[:, None] * p_uu) / (1.0 - u[:, None])
    if np.any(p_uu < 0) or np.any(p_uu > 1) or np.any(p_eu < 0) or np.any(p_eu > 1):
        raise ValueError(f"ks98 calibration gives transition probabilities outside [0, 1]: "
                         f"p_uu = {p_uu.tolist()}, p_eu = {p_eu.tolist()}")
    P = np.empty((2, 2, 2, 2))
    P[:, :, 0, 1] = p_eu
    P[:, :, 0, 0] = 1.0 - p_eu
    P[:, :, 1, 1] = p_uu
    P[:, :, 1, 0] = 1.0 - p_uu
    return P


def transition_matrix(cal: Mapping) -> np.ndarray:
    """The 4×4 matrix Π[(z,ε),(z',ε')] = π_zz' P(ε'|ε,z,z'), states (g,e),(g,u),(b,e),(b,u).

    See the module docstring for the formula. Rows sum to one; conditional on (z, z') the
    unemployment rate moves exactly from u_z to u_z'.
    """
    Pz = aggregate_transition(cal)
    Pe = employment_transition(cal)                       # [z, z', e, e']
    Pi = Pz[:, None, :, None] * Pe.transpose(0, 2, 1, 3)  # [z, e, z', e']
    return Pi.reshape(4, 4)


def unemployment_next(P: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Next-period unemployment rate conditional on (z, z') from rate u_z today, [z, z'].

    ``u_z P(u'|u,z,z') + (1 − u_z) P(u'|e,z,z')``; equals u_z' for the ks98 matrix.
    """
    Pr = np.asarray(P).reshape(2, 2, 2, 2)               # [z, e, z', e']
    Pz = Pr[:, 0].sum(-1)                                 # [z, z'] (same from e or u)
    u = np.asarray(u, dtype=float)
    mass_u = u[:, None] * Pr[:, 1, :, 1] + (1.0 - u[:, None]) * Pr[:, 0, :, 1]
    return mass_u / Pz


def stationary_distribution(P: np.ndarray) -> np.ndarray:
    """Ergodic distribution of a Markov matrix (left unit eigenvector, normalised)."""
    w, v = np.linalg.eig(np.asarray(P).T)
    x = np.real(v[:, np.argmin(np.abs(w - 1.0))])
    return x / x.sum()


def stationary_unemployment(P: np.ndarray) -> np.ndarray:
    """Unemployment rate conditional on z under the ergodic distribution of the 4×4 chain."""
    pi = stationary_distribution(P).reshape(2, 2)         # [z, e]
    return pi[:, 1] / pi.sum(1)


def z_levels(cal: Mapping) -> np.ndarray:
    """(z_good, z_bad)."""
    return np.array([cal["z_good"], cal["z_bad"]], dtype=float)


def z_path(cal: Mapping, T: int, seed: int = 0) -> np.ndarray:
    """A Markov chain of aggregate states (int8, 0 = good, 1 = bad) of length T.

    Deterministic in ``seed`` (numpy ``default_rng``): z_0 is drawn from the stationary
    distribution, then z_{t+1} = z_t with probability P(z_t | z_t). The learned economies use
    the same path (``sol.z_path``) to be compared period by period.
    """
    Pz = aggregate_transition(cal)
    rng = np.random.default_rng(seed)
    pi = stationary_distribution(Pz)
    draws = rng.random(T)
    out = np.empty(T, dtype=np.int8)
    z = int(draws[0] >= pi[0])
    for t in range(T):
        if t > 0:
            z = z if draws[t] < Pz[z, z] else 1 - z
        out[t] = z
    return out


# --------------------------------------------------------------------------------------------
# Model primitives
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    alpha: float
    beta: float
    delta: float
    z: np.ndarray            # (2,)
    u: np.ndarray            # (2,)
    l_bar: float
    Pz: np.ndarray           # (2, 2)
    Pe: np.ndarray           # (2, 2, 2, 2) [z, z', e, e']
    Pi: np.ndarray           # (2, 2, 2, 2) [z, e, z', e']

    @classmethod
    def from_calibration(cls, cal: Mapping) -> "Model":
        return cls(alpha=float(cal["alpha"]), beta=float(cal["beta"]), delta=float(cal["delta"]),
                   z=z_levels(cal), u=np.array([cal["u_good"], cal["u_bad"]], dtype=float),
                   l_bar=float(cal["l_bar"]), Pz=aggregate_transition(cal),
                   Pe=employment_transition(cal), Pi=transition_matrix(cal).reshape(2, 2, 2, 2))

    @property
    def L(self) -> np.ndarray:
        return self.l_bar * (1.0 - self.u)

    def prices(self, K, zi):
        """(r, w) at capital K per head in aggregate state index zi (broadcasting)."""
        zi = np.asarray(zi)
        KL = np.asarray(K, dtype=float) / self.L[zi]
        zK = self.z[zi] * KL**self.alpha
        return self.alpha * zK / KL, (1.0 - self.alpha) * zK

    @property
    def K_rep(self) -> float:
        """Representative-agent steady state K at mean employment (complete markets)."""
        return capital_labour_ratio(self.alpha, self.beta, self.delta) * self.l_bar * (1.0 - self.u.mean())


def _coef_array(coefs) -> np.ndarray:
    if isinstance(coefs, Mapping):
        return np.array([[coefs["a_good"], coefs["b_good"]], [coefs["a_bad"], coefs["b_bad"]]], float)
    c = np.asarray(coefs, dtype=float)
    return c.reshape(2, 2)


def law_of_motion_forecast(coefs, z_path: np.ndarray, K0: float) -> np.ndarray:
    """Iterate log K_{t+1} = a_{z_t} + b_{z_t} log K_t alone from K_0 along ``z_path``.

    ``coefs`` is [[a_good, b_good], [a_bad, b_bad]] or a mapping with those keys. Returns K_t
    for t = 0 .. len(z_path) − 1 (den Haan's dynamic forecast).
    """
    c = _coef_array(coefs)
    z = np.asarray(z_path, dtype=int)
    logK = np.empty(len(z))
    logK[0] = math.log(K0)
    for t in range(len(z) - 1):
        logK[t + 1] = c[z[t], 0] + c[z[t], 1] * logK[t]
    K = np.exp(logK)
    K[0] = K0
    return K


# --------------------------------------------------------------------------------------------
# Household problem: EGM
# --------------------------------------------------------------------------------------------

def curved_grid(k_max: float, n: int, curvature: float) -> np.ndarray:
    """k_j = k_max (j/(n−1))^curvature, j = 0..n−1 (k_0 = 0, dense near the constraint)."""
    return k_max * np.linspace(0.0, 1.0, n) ** curvature


def _K_weights(K_grid: np.ndarray, K) -> tuple[np.ndarray, np.ndarray]:
    """Left index and weight for linear interpolation / extrapolation in K."""
    K = np.asarray(K, dtype=float)
    i = np.clip(np.searchsorted(K_grid, K) - 1, 0, len(K_grid) - 2)
    w = (K - K_grid[i]) / (K_grid[i + 1] - K_grid[i])
    return i, w


def cash_on_hand(m: Model, k_grid, K_grid) -> np.ndarray:
    """a(k, ε; K, z) on the grid, array [z, e, K, k]."""
    zi = np.arange(2)[:, None]
    r, w = m.prices(K_grid[None, :], zi)                               # [z, K]
    eps = np.array([1.0, 0.0])
    return ((1.0 - m.delta + r)[:, None, :, None] * k_grid[None, None, None, :]
            + (w[:, None, :, None] * m.l_bar * eps[None, :, None, None]))


def egm_step(m: Model, coefs: np.ndarray, k_grid, K_grid, kp: np.ndarray,
             a_now: np.ndarray | None = None) -> np.ndarray:
    """One EGM (time-iteration) update of the savings policy kp[z, e, K, k]."""
    nK, nk = len(K_grid), len(k_grid)
    if a_now is None:
        a_now = cash_on_hand(m, k_grid, K_grid)
    Kp = np.exp(coefs[:, 0][:, None] + coefs[:, 1][:, None] * np.log(K_grid)[None, :])   # [z, K]
    iK, wK = _K_weights(K_grid, Kp)                                                     # [z, K]
    # tomorrow's policy at K' for every z', at k = k'_j: [z, K, z', e', k]
    kp_lo = kp[:, :, iK, :]                                   # [z', e', z, K, k]
    kp_hi = kp[:, :, iK + 1, :]
    kpp = (1.0 - wK)[None, None, :, :, None] * kp_lo + wK[None, None, :, :, None] * kp_hi
    kpp = kpp.transpose(2, 3, 0, 1, 4)                         # [z, K, z', e', k]
    zi = np.arange(2)
    r1, w1 = m.prices(Kp[:, :, None], zi[None, None, :])      # [z, K, z']
    R1 = 1.0 - m.delta + r1
    eps = np.array([1.0, 0.0])
    a1 = R1[..., None, None] * k_grid + (w1[..., None] * m.l_bar * eps)[..., None]   # [z,K,z',e',k]
    c1 = a1 - kpp
    # R'/c'; c' = 0 (k' = 0 and unemployed: no income) gives ~1e300, i.e. c = 0 below, and
    # stays finite so zero-probability transitions contribute 0, not nan
    mu = R1[..., None, None] / np.maximum(c1, 1e-300)                    # [z, K, z', e', k]
    # expectation over (z', e') with Π[z, e, z', e']: a (2 × 4) @ (4 × nk) product per (z, K)
    Emu = np.matmul(m.Pi.reshape(2, 1, 2, 4), mu.reshape(2, nK, 4, nk))  # [z, K, e, k]
    c = 1.0 / (m.beta * Emu.transpose(0, 2, 1, 3))                         # [z, e, K, k]
    a_endo = c + k_grid                                                   # [z, e, K, k]
    new = _rowwise_interp(a_now.reshape(-1, nk), a_endo.reshape(-1, nk), k_grid).reshape(kp.shape)
    np.maximum(new, 0.0, out=new)
    np.minimum(new, a_now, out=new)
    return new


def _rowwise_interp(x, xp, fp):
    """Row-wise linear interpolation y[i] = interp(x[i], xp[i], fp) in one np.interp call.

    Rows are stacked on disjoint intervals (offset by a large constant); each row gets a
    sentinel to the left (the constrained value fp[0]) and a sentinel to the right (linear
    extrapolation with the last slope), so no row reads its neighbours.
    """
    n_rows, n = xp.shape
    fp = np.broadcast_to(fp, xp.shape)
    span = max(float(np.max(x)), float(np.max(xp))) - min(float(np.min(x)), float(np.min(xp)), 0.0)
    big = 4.0 * span + 1.0
    half = 0.5 * big
    slope = (fp[:, -1] - fp[:, -2]) / (xp[:, -1] - xp[:, -2])
    XP = np.empty((n_rows, n + 2))
    FP = np.empty((n_rows, n + 2))
    XP[:, 0] = xp[:, 0] - half
    XP[:, 1:-1] = xp
    XP[:, -1] = xp[:, -1] + half
    FP[:, 0] = fp[:, 0]
    FP[:, 1:-1] = fp
    FP[:, -1] = fp[:, -1] + slope * half
    off = (np.arange(n_rows) * 2.0 * big)[:, None]
    return np.interp((x + off).ravel(), (XP + off).ravel(), FP.ravel()).reshape(x.shape)


def solve_household(m: Model, coefs, k_grid, K_grid, kp0=None, tol: float = 1e-9,
                    max_iter: int = 20000) -> tuple[np.ndarray, int]:
    """Iterate EGM to a fixed point; returns kp[z, e, K, k] and the iteration count."""
    coefs = _coef_array(coefs)
    a_now = cash_on_hand(m, k_grid, K_grid)
    kp = 0.9 * a_now * m.beta if kp0 is None else kp0.copy()
    scale = max(1.0, float(k_grid[-1]))
    for it in range(1, max_iter + 1):
        new = egm_step(m, coefs, k_grid, K_grid, kp, a_now)
        diff = np.max(np.abs(new - kp))
        kp = new
        if diff < tol * scale:
            return kp, it
    warnings.warn(f"EGM did not converge in {max_iter} iterations (last change {diff:.2e})")
    return kp, max_iter


def euler_errors(sol: "KSSolution", n_points: int = 200, k_range: tuple[float, float] | None = None):
    """Unit-free Euler residuals 1 − c_Euler/c of the policy off the grid, [z, e, K, point].

    Points are log-spaced in k within ``k_range`` (default: 0.1 % to 99.9 % quantiles of the
    averaged wealth distribution); K on the K grid; next-period policy interpolated in (k, K).
    """
    m = Model.from_calibration(sol.cal)
    kg, Kg, kp = sol.k_grid, sol.K_grid, sol.policy
    coefs = _coef_array(sol.coefs_perceived)
    if k_range is None:
        cdf = np.cumsum(sol.wealth_hist.sum(0))
        kf = sol.k_fine
        k_range = (max(kf[np.searchsorted(cdf, 1e-3)], kg[1]), kf[min(np.searchsorted(cdf, 0.999), len(kf) - 1)])
    ks = np.geomspace(k_range[0], k_range[1], n_points)
    out = np.empty((2, 2, len(Kg), n_points))
    eps = np.array([1.0, 0.0])
    for z in range(2):
        for j, K in enumerate(Kg):
            r, w = m.prices(K, z)
            Kp = math.exp(coefs[z, 0] + coefs[z, 1] * math.log(K))
            iK, wK = _K_weights(Kg, Kp)
            for e in range(2):
                a = (1 - m.delta + r) * ks + w * m.l_bar * eps[e]
                kp_now = np.interp(ks, kg, kp[z, e, j])
                c = a - kp_now
                Emu = np.zeros_like(ks)
                for z1 in range(2):
                    r1, w1 = m.prices(Kp, z1)
                    for e1 in range(2):
                        pol = (1 - wK) * kp[z1, e1, iK] + wK * kp[z1, e1, iK + 1]
                        a1 = (1 - m.delta + r1) * kp_now + w1 * m.l_bar * eps[e1]
                        c1 = a1 - np.interp(kp_now, kg, pol)
                        Emu += m.Pi[z, e, z1, e1] * (1 - m.delta + r1) / c1
                out[z, e, j] = 1.0 - 1.0 / (m.beta * Emu) / c
    return out


# --------------------------------------------------------------------------------------------
# Non-stochastic simulation (Young 2010)
# --------------------------------------------------------------------------------------------

def _simulate(m: Model, kp_fine: np.ndarray, K_grid: np.ndarray, k_fine: np.ndarray,
              zs: np.ndarray, mu0: np.ndarray, burn: int, stat_stride: int):
    """Histogram simulation along zs. kp_fine[z, e, K, j]: policy on the fine grid.

    The fine grid must be k_j = k_max (j/(n−1))² (the bracket of k' is found analytically);
    the K grid geometric. Returns the K path (len(zs)), the final distribution [e, j], the
    time-averaged histogram over t ≥ burn and snapshots of the ε-summed distribution every
    ``stat_stride`` periods from ``burn``.
    """
    N = len(zs)
    nf = len(k_fine)
    kmax = float(k_fine[-1])
    dk = np.diff(k_fine)
    k2 = np.concatenate([k_fine, k_fine])
    logK0 = math.log(K_grid[0])
    dlogK = math.log(K_grid[1] / K_grid[0])
    nK = len(K_grid)
    dkp = np.diff(kp_fine, axis=2)                       # [z, e, K-1, j]
    PeT = m.Pe.transpose(0, 1, 3, 2).copy()              # [z, z', e', e]
    targets = np.array([[1.0 - u, u] for u in m.u])      # exact masses (employed, unemployed)
    base = np.array([0, nf])[:, None]
    scale = (nf - 1) / math.sqrt(kmax)
    mu = mu0.copy()
    K = np.empty(N)
    hist = np.zeros_like(mu)
    snaps = []
    for t in range(N):
        Kt = float(mu.ravel() @ k2)
        K[t] = Kt
        if t >= burn:
            hist += mu
            if (t - burn) % stat_stride == 0:
                snaps.append(mu.sum(0))
        if t == N - 1:
            break
        z, z1 = zs[t], zs[t + 1]
        iK = min(max(int((math.log(Kt) - logK0) / dlogK), 0), nK - 2)
        wK = (Kt - K_grid[iK]) / (K_grid[iK + 1] - K_grid[iK])
        kp = kp_fine[z, :, iK] + wK * dkp[z, :, iK]                              # [e, j]
        np.maximum(kp, 0.0, out=kp)
        np.minimum(kp, kmax, out=kp)
        idx = (np.sqrt(kp) * scale).astype(np.int64)
        np.minimum(idx, nf - 2, out=idx)
        # exact weights against the grid values (the analytic bracket may be off by one
        # in rounding; the clip keeps the lottery inside [0, 1])
        wt = (kp - k_fine[idx]) / dk[idx]
        np.clip(wt, 0.0, 1.0, out=wt)
        flat = (idx + base).ravel()
        mw = mu * wt
        moved = np.bincount(flat, (mu - mw).ravel(), 2 * nf)
        moved += np.bincount(flat + 1, mw.ravel(), 2 * nf)
        mu = PeT[z, z1] @ moved.reshape(2, nf)                                   # [e', j]
        # remove floating drift: the unemployed mass is exactly u_z'
        mu *= (targets[z1] / mu.sum(1))[:, None]
    return K, mu, hist / max(N - burn, 1), np.array(snaps)


# --------------------------------------------------------------------------------------------
# Distribution statistics
# --------------------------------------------------------------------------------------------

def gini(values, weights=None) -> float:
    """Gini coefficient of a (weighted) distribution of non-negative values.

    Exact for point masses: G = 1 − Σ_i f_i (S_{i−1} + S_i) / S_n with values sorted, f_i the
    population shares and S_i the cumulative wealth.
    """
    x = np.asarray(values, dtype=float).ravel()
    f = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    order = np.argsort(x, kind="stable")
    x, f = x[order], f[order]
    f = f / f.sum()
    S = np.cumsum(f * x)
    if S[-1] <= 0:
        return 0.0
    S_prev = np.concatenate([[0.0], S[:-1]])
    return float(1.0 - np.sum(f * (S_prev + S)) / S[-1])


def _gini_sorted(x, F):
    """Gini of many distributions on a sorted support x; F: (n_dist, n) masses summing to 1."""
    S = np.cumsum(F * x, axis=1)
    S_prev = np.concatenate([np.zeros((F.shape[0], 1)), S[:, :-1]], axis=1)
    return 1.0 - np.sum(F * (S_prev + S), axis=1) / S[:, -1]


def _share_below(x, F, p):
    """Wealth share of the poorest fraction p (atoms split proportionally), per row of F."""
    cumF = np.cumsum(F, axis=1)
    W = F * x
    cumW = np.cumsum(W, axis=1)
    out = np.empty(F.shape[0])
    for i in range(F.shape[0]):
        j = int(np.searchsorted(cumF[i], p))
        j = min(j, F.shape[1] - 1)
        prevF = cumF[i, j - 1] if j > 0 else 0.0
        prevW = cumW[i, j - 1] if j > 0 else 0.0
        out[i] = (prevW + (p - prevF) * x[j]) / cumW[i, -1]
    return out


def wealth_shares(values, weights=None, top=(0.01, 0.10), bottom=(0.40,)) -> dict:
    """Top and bottom wealth shares of a (weighted) distribution."""
    x = np.asarray(values, dtype=float).ravel()
    f = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    order = np.argsort(x, kind="stable")
    x, F = x[order], (f[order] / f.sum())[None, :]
    out = {f"top{round(100 * q)}": float(1.0 - _share_below(x, F, 1.0 - q)[0]) for q in top}
    out.update({f"bottom{round(100 * q)}": float(_share_below(x, F, q)[0]) for q in bottom})
    return out


# --------------------------------------------------------------------------------------------
# The algorithm
# --------------------------------------------------------------------------------------------

@dataclass
class KSSolution:
    """Converged Krusell–Smith solution (model units: capital per head, quarters)."""

    cal: dict
    coefs: np.ndarray              # [[a_good, b_good], [a_bad, b_bad]] fitted on the final simulation
    coefs_perceived: np.ndarray    # the law of motion the final policy was solved with
    r2: np.ndarray                 # (good, bad)
    se: np.ndarray                 # standard error of regression of log K', (good, bad)
    k_grid: np.ndarray
    K_grid: np.ndarray
    policy: np.ndarray             # k'[z, e, K, k]
    k_fine: np.ndarray
    wealth_hist: np.ndarray        # time-averaged histogram [e, k_fine] over the window
    z_path: np.ndarray             # int8 states 0 good / 1 bad, length burn + T; the learned
                                   # economies run on this path (window: z_path[burn:])
    K_path: np.ndarray             # simulated K_t, length burn + T
    K_forecast: np.ndarray         # law-of-motion-only forecast from K_burn, length T
    burn: int
    T: int
    seed: int
    mean_K: float
    gini: float
    top1: float
    top10: float
    bottom40: float
    den_haan_max: float            # %, max_t 100 |log K̃_t − log K_t| over the window
    den_haan_mean: float
    iterations: int
    seconds: float
    converged: bool
    history: list = field(default_factory=list)   # max |Δcoef| per outer iteration

    @property
    def consumption(self) -> np.ndarray:
        """c[z, e, K, k] = a − k'."""
        return cash_on_hand(Model.from_calibration(self.cal), self.k_grid, self.K_grid) - self.policy

    @property
    def z_values(self) -> np.ndarray:
        """z levels along the path."""
        return z_levels(self.cal)[self.z_path.astype(int)]


def _regress(K: np.ndarray, zs: np.ndarray, burn: int):
    x, y, z = np.log(K[burn:-1]), np.log(K[burn + 1:]), zs[burn:-1]
    coefs, r2, se = np.empty((2, 2)), np.empty(2), np.empty(2)
    for s in range(2):
        xs, ys = x[z == s], y[z == s]
        X = np.column_stack([np.ones_like(xs), xs])
        beta, *_ = np.linalg.lstsq(X, ys, rcond=None)
        res = ys - X @ beta
        coefs[s] = beta
        r2[s] = 1.0 - res @ res / np.sum((ys - ys.mean()) ** 2)
        se[s] = math.sqrt(res @ res / max(len(ys) - 2, 1))
    return coefs, r2, se


def solve(cal: Mapping, T: int = 10_000, seed: int = 0, burn: int = 1000, *,
          damping: float = 0.3, tol: float = 1e-6, max_iter: int = 200,
          nk: int = 200, k_curv: float = 3.0, nK: int = 11, K_span: float = 0.15,
          nf: int = 1000, k_max_mult: float = 12.0, egm_tol: float = 1e-10,
          init_coefs=None, stat_stride: int = 10, verbose: bool = False) -> KSSolution:
    """Solve the Krusell–Smith (1998) model; see the module docstring.

    T periods of regression window after ``burn`` burn-in periods along ``z_path(cal, burn+T,
    seed)``. ``damping`` is the weight on the newly fitted coefficients. Grids: ``nk`` curved
    EGM points and ``nf`` fine histogram points (curvature 2) on [0, k_max_mult · K_rep],
    ``nK`` K points spanning K_rep · (1 ± K_span) in logs.
    """
    t0 = _time.perf_counter()
    cal = dict(cal)
    m = Model.from_calibration(cal)
    Krep = m.K_rep
    k_max = k_max_mult * Krep
    k_grid = curved_grid(k_max, nk, k_curv)
    K_grid = Krep * np.exp(np.linspace(-K_span, K_span, nK))
    curv_f = 2.0
    k_fine = curved_grid(k_max, nf, curv_f)
    zs = z_path(cal, burn + T, seed)

    if init_coefs is None:
        b0 = 0.96
        coefs = np.array([[(1 - b0) * math.log(Krep * 1.01), b0], [(1 - b0) * math.log(Krep * 0.99), b0]])
    else:
        coefs = _coef_array(init_coefs).copy()

    # initial cross-section: everyone at K_rep (lottery on the fine grid), exact unemployment
    j = int(np.searchsorted(k_fine, Krep)) - 1
    wj = (Krep - k_fine[j]) / (k_fine[j + 1] - k_fine[j])
    mu = np.zeros((2, nf))
    u0 = m.u[zs[0]]
    for e, mass in enumerate((1 - u0, u0)):
        mu[e, j], mu[e, j + 1] = mass * (1 - wj), mass * wj
    kp = None
    history = []
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        # inexact early iterations: the household tolerance tightens with the coefficient change
        tol_now = max(egm_tol, 1e-4 * history[-1]) if history else max(egm_tol, 1e-7)
        kp, n_egm = solve_household(m, coefs, k_grid, K_grid, kp0=kp, tol=tol_now)
        kp_fine = _rowwise_interp(np.broadcast_to(k_fine, (4 * nK, nf)),
                                  np.broadcast_to(k_grid, (4 * nK, nk)),
                                  kp.reshape(-1, nk)).reshape(2, 2, nK, nf)
        if it == 1:
            # a 2000-period pre-burn on another z path, so the first window does not start
            # from a point mass
            pre = z_path(cal, 2000, seed + 10_007)
            pre[-1] = zs[0]
            _, mu, _, _ = _simulate(m, kp_fine, K_grid, k_fine, pre, mu, len(pre), stat_stride)
        K, mu_end, hist, snaps = _simulate(m, kp_fine, K_grid, k_fine, zs, mu, burn, stat_stride)
        fitted, r2, se = _regress(K, zs, burn)
        diff = float(np.max(np.abs(fitted - coefs)))
        history.append(diff)
        if verbose:
            print(f"iter {it:3d}  egm {n_egm:5d}  coefs {fitted.ravel().round(6)}  "
                  f"R2 {r2.round(8)}  diff {diff:.2e}  {_time.perf_counter() - t0:.1f}s")
        if diff < tol:
            converged = True
            break
        coefs = damping * fitted + (1.0 - damping) * coefs
        # the next iteration starts from this iteration's final cross-section (its employment
        # masses set to u_{z_0}); the mismatch is washed out by the burn-in
        mu = mu_end
        mu *= (np.array([1.0 - m.u[zs[0]], m.u[zs[0]]]) / mu.sum(1))[:, None]
    if not converged:
        warnings.warn(f"Krusell–Smith coefficients did not converge in {max_iter} iterations "
                      f"(last change {diff:.2e})")
    Kw = K[burn:]
    if Kw.min() < K_grid[0] or Kw.max() > K_grid[-1]:
        warnings.warn(f"simulated K in [{Kw.min():.3f}, {Kw.max():.3f}] leaves the K grid "
                      f"[{K_grid[0]:.3f}, {K_grid[-1]:.3f}]; widen K_span")
    mass_top = hist.sum(0)[-max(nf // 50, 2):].sum()
    if mass_top > 1e-8:
        warnings.warn(f"mass {mass_top:.1e} near k_max = {k_max:.1f}; raise k_max_mult")

    K_fc = law_of_motion_forecast(fitted, zs[burn:], K[burn])
    err = 100.0 * np.abs(np.log(K_fc) - np.log(Kw))
    G = _gini_sorted(k_fine, snaps)
    top1 = 1.0 - _share_below(k_fine, snaps, 0.99)
    top10 = 1.0 - _share_below(k_fine, snaps, 0.90)
    bot40 = _share_below(k_fine, snaps, 0.40)
    return KSSolution(
        cal=cal, coefs=fitted, coefs_perceived=coefs, r2=r2, se=se, k_grid=k_grid, K_grid=K_grid,
        policy=kp, k_fine=k_fine, wealth_hist=hist, z_path=zs, K_path=K, K_forecast=K_fc,
        burn=burn, T=T, seed=seed, mean_K=float(Kw.mean()), gini=float(G.mean()),
        top1=float(top1.mean()), top10=float(top10.mean()), bottom40=float(bot40.mean()),
        den_haan_max=float(err.max()), den_haan_mean=float(err.mean()), iterations=it,
        seconds=_time.perf_counter() - t0, converged=converged, history=history)


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------

def ks98_units(sol: KSSolution) -> dict:
    """Intercepts and mean K rescaled to KS98's labour endowment l̃ = 0.3271 (see module doc)."""
    lam = sol.cal["l_bar"] / KS98_LABOUR
    a = sol.coefs[:, 0] - (1.0 - sol.coefs[:, 1]) * math.log(lam)
    return {"a_good_ks98_units": float(a[0]), "a_bad_ks98_units": float(a[1]),
            "mean_K_ks98_units": float(sol.mean_K / lam), "labour_scale": float(lam)}


def summary(sol: KSSolution) -> dict:
    """JSON-serialisable summary of a solution (plain floats / ints / bools)."""
    out = {
        "a_good": float(sol.coefs[0, 0]), "b_good": float(sol.coefs[0, 1]),
        "a_bad": float(sol.coefs[1, 0]), "b_bad": float(sol.coefs[1, 1]),
        "r2_good": float(sol.r2[0]), "r2_bad": float(sol.r2[1]),
        "se_good": float(sol.se[0]), "se_bad": float(sol.se[1]),
        "mean_K": sol.mean_K, "gini": sol.gini, "top1": sol.top1, "top10": sol.top10,
        "bottom40": sol.bottom40, "den_haan_max": sol.den_haan_max,
        "den_haan_mean": sol.den_haan_mean, "iterations": int(sol.iterations),
        "seconds": float(sol.seconds), "converged": bool(sol.converged),
        "T": int(sol.T), "burn": int(sol.burn), "seed": int(sol.seed),
    }
    out.update(ks98_units(sol))
    return out


def to_dataset(sol: KSSolution):
    """The solution as an ``xarray.Dataset`` with units and long names (netCDF-ready)."""
    import xarray as xr

    N = len(sol.z_path)
    t = np.arange(N)
    fc = np.full(N, np.nan)
    fc[sol.burn:] = sol.K_forecast
    scal = lambda v, ln, units="1": ((), float(v), {"long_name": ln, "units": units})
    ds = xr.Dataset(
        data_vars={
            "z_index": ("time", sol.z_path.astype(np.int8),
                        {"long_name": "aggregate state index (0 good, 1 bad)", "units": "1"}),
            "z": ("time", sol.z_values, {"long_name": "aggregate productivity z_t", "units": "1"}),
            "K": ("time", sol.K_path, {"long_name": "simulated capital per head K_t", "units": "model units"}),
            "K_forecast": ("time", fc, {"long_name": "law-of-motion-only forecast of K_t from K_burn (den Haan)",
                                        "units": "model units"}),
            "policy_k": (("z_state", "employment", "K_grid", "k"), sol.policy,
                         {"long_name": "savings policy k'(k, eps; K, z)", "units": "model units"}),
            "policy_c": (("z_state", "employment", "K_grid", "k"), sol.consumption,
                         {"long_name": "consumption policy c(k, eps; K, z)", "units": "model units"}),
            "wealth_hist": (("employment", "k_fine"), sol.wealth_hist,
                            {"long_name": "time-averaged histogram of capital holdings (mass per fine grid point)",
                             "units": "1"}),
            "lom_intercept": ("z_state", sol.coefs[:, 0], {"long_name": "law of motion intercept a_z", "units": "1"}),
            "lom_slope": ("z_state", sol.coefs[:, 1], {"long_name": "law of motion slope b_z", "units": "1"}),
            "r2": ("z_state", sol.r2, {"long_name": "R^2 of log K' on log K", "units": "1"}),
            "se": ("z_state", sol.se, {"long_name": "standard error of regression of log K'", "units": "1"}),
            "mean_K": scal(sol.mean_K, "mean capital per head over the window", "model units"),
            "gini": scal(sol.gini, "wealth Gini, averaged over the window"),
            "top1": scal(sol.top1, "wealth share of the top 1%, averaged over the window"),
            "top10": scal(sol.top10, "wealth share of the top 10%, averaged over the window"),
            "bottom40": scal(sol.bottom40, "wealth share of the bottom 40%, averaged over the window"),
            "den_haan_max": scal(sol.den_haan_max, "den Haan maximum dynamic forecast error", "percent"),
            "den_haan_mean": scal(sol.den_haan_mean, "den Haan mean dynamic forecast error", "percent"),
        },
        coords={
            "time": ("time", t, {"long_name": "period (quarter); regression window starts at attr burn",
                                 "units": "quarter"}),
            "z_state": ("z_state", list(Z_NAMES), {"long_name": "aggregate state"}),
            "employment": ("employment", list(EPS_NAMES), {"long_name": "employment status"}),
            "k": ("k", sol.k_grid, {"long_name": "individual capital (EGM grid)", "units": "model units"}),
            "K_grid": ("K_grid", sol.K_grid, {"long_name": "aggregate capital per head (policy grid)",
                                               "units": "model units"}),
            "k_fine": ("k_fine", sol.k_fine, {"long_name": "individual capital (histogram grid)",
                                              "units": "model units"}),
        },
    )
    attrs = {"title": "Krusell-Smith (1998) benchmark: EGM + non-stochastic simulation",
             "state_order": ", ".join(STATES), "seed": int(sol.seed), "T": int(sol.T),
             "burn": int(sol.burn), "iterations": int(sol.iterations), "seconds": float(sol.seconds),
             "converged": int(sol.converged)}
    for k, v in sol.cal.items():
        attrs[f"cal_{k}"] = v if isinstance(v, (int, float, str)) else str(v)
    for k, v in ks98_units(sol).items():
        attrs[k] = v
    ds.attrs.update(attrs)
    return ds
