"""Global solution of the stochastic representative-household RBC (the ``rbc`` arm's benchmark).

The economy (SPEC §1 with n = 1, κ = λ = 1; the competitive equilibrium is the planner's)::

    Y = A K^α L^(1-α),   r = α Y / K,   w = (1-α) Y / L
    a = (1-δ) K + Y                       (cash on hand: wealth after production)
    c = ĉ a,   K' = a - c                 (the action is (ĉ, ℓ); ℓ = L)
    u(c, ℓ) = log c - χ ℓ                 ("linear_labour", the seed)
            = log c + b log(1 - ℓ)        ("log_leisure", the paper)
    log A' = ρ log A + σ_A ε',  ε' ~ N(0, 1)

Timing is the textbook one: A is drawn, observed, then (ĉ, ℓ) are chosen. The optimum solves

    Euler    1/c = β E[(1 - δ + r') / c']
    labour   w / c = χ                     (linear_labour)
             w / c = b / (1 - ℓ)           (log_leisure)

Method (:func:`solve`): log c(K, A) is a tensor Chebyshev polynomial in (log K, log A) on a box
around the deterministic steady state (K within ±``k_width``, log A within ±``a_width``
stationary standard deviations), found by *time iteration* at the Chebyshev collocation nodes:
given next period's policy, each node's log c solves the Euler equation (vectorised Newton), and
hours follow from the labour condition given c (closed form for linear labour,
ℓ = ((1-α) A K^α / (χ c))^(1/α); a vectorised Newton for log leisure). The expectation over A'
uses Gauss–Hermite quadrature on the *continuous* AR(1) innovation, not a Rouwenhorst chain, so
the solver solves exactly the Euler equation that :func:`euler_errors` judges any policy by.
The δ = 1 closed form ĉ = 1 - αβ, ℓ constant, is log-linear in (K, A), so the polynomial
reproduces it to solver precision.

Scoring of *any* policy (a vectorised callable ``policy(K, A) -> (ĉ, ℓ)`` with K and A in levels,
like :func:`policy_from_solution` returns): :func:`euler_errors` (unit-free log10 errors on the
policy's own ergodic set), :func:`impulse_response`, :func:`business_cycle_moments` (HP-filtered,
λ = 1600) and :func:`welfare_loss` (consumption-equivalent loss against the optimum, common
random numbers). :func:`best_constant_rule` finds the best state-independent (ĉ, ℓ).
:func:`to_dataset` and :func:`summary` collect everything for ``results/benchmarks/rbc.nc``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.linalg
from numpy.polynomial import chebyshev

from .steady_state import SteadyState, steady_state

Policy = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""A policy maps capital K and TFP A (levels, arrays of one shape) to (ĉ, ℓ) of that shape."""

IRF_VARIABLES = ("Y", "C", "I", "L", "K", "r", "w")
MOMENT_SERIES = ("Y", "C", "I", "L", "K", "w")


# --------------------------------------------------------------------------------------------
# Model primitives
# --------------------------------------------------------------------------------------------

def _check_calibration(cal: dict) -> None:
    missing = [k for k in ("alpha", "beta", "delta", "rho", "sigma_A") if k not in cal]
    if missing:
        raise ValueError(f"calibration lacks {', '.join(missing)}")
    utility = cal.get("utility", "linear_labour")
    if utility not in ("linear_labour", "log_leisure"):
        raise ValueError(f"utility {utility!r} is not allowed; allowed: linear_labour, log_leisure")


def period_utility(c: np.ndarray, ell: np.ndarray, cal: dict) -> np.ndarray:
    """u(c, ℓ) = log c − χ ℓ (linear_labour) or log c + b log(1 − ℓ) (log_leisure)."""
    if cal.get("utility", "linear_labour") == "linear_labour":
        return np.log(c) - cal.get("chi", 1.0) * ell
    return np.log(c) + cal.get("b", 5.0) * np.log1p(-ell)


def hours_from_consumption(K: np.ndarray, A: np.ndarray, c: np.ndarray, cal: dict,
                           newton_steps: int = 60) -> np.ndarray:
    """Hours ℓ that satisfy the labour condition given consumption c.

    The wage is w = (1-α) A K^α ℓ^(-α).

    linear_labour:  w = χ c          =>  ℓ = ((1-α) A K^α / (χ c))^(1/α)
    log_leisure:    w (1-ℓ) = b c    =>  α log ℓ − log(1-ℓ) = log((1-α) A K^α / (b c)),
                    solved by Newton in s = logit ℓ (the left side is increasing and convex in
                    s with slope α(1-ℓ) + ℓ ∈ [α, 1], so Newton converges from any start).
    """
    alpha = cal["alpha"]
    K, A, c = np.broadcast_arrays(np.asarray(K, float), np.asarray(A, float), np.asarray(c, float))
    if cal.get("utility", "linear_labour") == "linear_labour":
        return ((1.0 - alpha) * A * K**alpha / (cal.get("chi", 1.0) * c)) ** (1.0 / alpha)
    target = np.log((1.0 - alpha) * A * K**alpha / (cal.get("b", 5.0) * c))
    s = np.zeros_like(target)
    for _ in range(newton_steps):
        ell = 1.0 / (1.0 + np.exp(-s))
        g = alpha * np.log(ell) - np.log1p(-ell) - target
        step = g / (alpha * (1.0 - ell) + ell)
        s = s - step
        if np.all(np.abs(step) < 1e-14):
            break
    return 1.0 / (1.0 + np.exp(-s))


def _step(K, A, chat, ell, cal):
    """One period given the action: (Y, r, w, a, c, K') with r = αY/K, w = (1-α)Y/L."""
    alpha, delta = cal["alpha"], cal["delta"]
    Y = A * K**alpha * ell ** (1.0 - alpha)
    a = (1.0 - delta) * K + Y
    c = chat * a
    return Y, alpha * Y / K, (1.0 - alpha) * Y / ell, a, c, a - c


def gauss_hermite(n_quad: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ε_q and weights ω_q (summing to 1) with E f(ε) ≈ Σ ω_q f(ε_q) for ε ~ N(0, 1)."""
    x, w = np.polynomial.hermite.hermgauss(n_quad)
    return math.sqrt(2.0) * x, w / math.sqrt(math.pi)


def stationary_sd_logA(cal: dict) -> float:
    """Stationary standard deviation of log A, σ_A / sqrt(1 − ρ²)."""
    return cal["sigma_A"] / math.sqrt(1.0 - cal["rho"] ** 2)


# --------------------------------------------------------------------------------------------
# Chebyshev approximation in (log K, log A)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChebyshevBox:
    """Tensor Chebyshev basis on [logK_lo, logK_hi] × [logA_lo, logA_hi] of degrees (n_K-1, n_A-1)."""

    logK_bounds: tuple[float, float]
    logA_bounds: tuple[float, float]
    n_K: int
    n_A: int

    @staticmethod
    def _to_unit(x, bounds):
        lo, hi = bounds
        return (2.0 * x - (lo + hi)) / (hi - lo)

    @staticmethod
    def _from_unit(z, bounds):
        lo, hi = bounds
        return 0.5 * (lo + hi) + 0.5 * (hi - lo) * z

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Collocation nodes (Chebyshev roots) as (n_K, n_A) arrays of log K and log A."""
        zK = np.cos(np.pi * (np.arange(self.n_K) + 0.5) / self.n_K)[::-1]
        zA = np.cos(np.pi * (np.arange(self.n_A) + 0.5) / self.n_A)[::-1]
        return np.meshgrid(self._from_unit(zK, self.logK_bounds),
                           self._from_unit(zA, self.logA_bounds), indexing="ij")

    def evaluate(self, coef: np.ndarray, logK: np.ndarray, logA: np.ndarray) -> np.ndarray:
        """f(log K, log A) = Σ_ij coef_ij T_i(z_K) T_j(z_A), broadcasting logK against logA.

        Points outside the box are extrapolated by the polynomial (used only slightly outside,
        for next-period TFP at the box's edge)."""
        logK, logA = np.broadcast_arrays(logK, logA)
        TK = chebyshev.chebvander(self._to_unit(logK, self.logK_bounds), self.n_K - 1)
        TA = chebyshev.chebvander(self._to_unit(logA, self.logA_bounds), self.n_A - 1)
        return np.einsum("...i,ij,...j->...", TK, coef, TA)

    def fit(self, values: np.ndarray) -> np.ndarray:
        """Coefficients that interpolate ``values`` (n_K, n_A) given at :meth:`nodes`."""
        logK, logA = self.nodes()
        VK = chebyshev.chebvander(self._to_unit(logK[:, 0], self.logK_bounds), self.n_K - 1)
        VA = chebyshev.chebvander(self._to_unit(logA[0, :], self.logA_bounds), self.n_A - 1)
        return np.linalg.solve(VK, np.linalg.solve(VA, values.T).T)

    def basis(self, logK: np.ndarray, logA: np.ndarray) -> np.ndarray:
        """Basis matrix (..., n_K·n_A) with coefficient order coef.ravel()."""
        logK, logA = np.broadcast_arrays(logK, logA)
        TK = chebyshev.chebvander(self._to_unit(logK, self.logK_bounds), self.n_K - 1)
        TA = chebyshev.chebvander(self._to_unit(logA, self.logA_bounds), self.n_A - 1)
        return (TK[..., :, None] * TA[..., None, :]).reshape(*logK.shape, -1)


# --------------------------------------------------------------------------------------------
# The solution
# --------------------------------------------------------------------------------------------

@dataclass
class RBCSolution:
    """Global solution: log c(K, A) and V(K, A) as Chebyshev polynomials on ``box``.

    Use :meth:`policy` (ĉ, ℓ), :meth:`consumption` and :meth:`value`; :func:`policy_from_solution`
    gives the policy as a plain callable. ``analysis`` caches :func:`analyse` (IRFs, moments,
    Euler errors, best constant rule) for :func:`to_dataset` and :func:`summary`.
    """

    cal: dict
    steady: SteadyState
    box: ChebyshevBox
    coef_logc: np.ndarray            # (n_K, n_A) Chebyshev coefficients of log c
    coef_V: np.ndarray               # (n_K, n_A) Chebyshev coefficients of V
    n_quad: int                      # Gauss–Hermite nodes for E over A'
    iterations: int                  # time iterations
    max_change: float                # last sup-norm change of log c at the nodes
    solve_seconds: float             # wall time of solve() (policy and value function)
    analysis: dict | None = field(default=None, repr=False)

    def consumption(self, K, A) -> np.ndarray:
        """Optimal consumption c(K, A)."""
        return np.exp(self.box.evaluate(self.coef_logc, np.log(K), np.log(A)))

    def policy(self, K, A) -> tuple[np.ndarray, np.ndarray]:
        """Optimal action (ĉ, ℓ) at capital K and TFP A (levels): ℓ from the labour condition
        given c(K, A), then ĉ = c / a with a = (1-δ)K + A K^α ℓ^(1-α)."""
        K, A = np.broadcast_arrays(np.asarray(K, float), np.asarray(A, float))
        c = self.consumption(K, A)
        ell = hours_from_consumption(K, A, c, self.cal)
        a = (1.0 - self.cal["delta"]) * K + A * K ** self.cal["alpha"] * ell ** (1.0 - self.cal["alpha"])
        return c / a, ell

    def value(self, K, A) -> np.ndarray:
        """Value V(K, A) = E Σ_t β^t u(c_t, ℓ_t) under the optimal policy."""
        return self.box.evaluate(self.coef_V, np.log(K), np.log(A))

    def __call__(self, K, A):
        return self.policy(K, A)


def policy_from_solution(sol: RBCSolution) -> Policy:
    """The benchmark's optimal policy as a callable (K, A) -> (ĉ, ℓ) (levels, vectorised)."""
    return sol.policy


def _euler_expectation(box, coef_logc, K, A, c, cal, eps, omega):
    """β E[(1-δ+r')/c'] when c is consumed at (K, A) and next period follows coef_logc."""
    alpha, delta, rho, sigma = cal["alpha"], cal["delta"], cal["rho"], cal["sigma_A"]
    ell = hours_from_consumption(K, A, c, cal)
    Kp = (1.0 - delta) * K + A * K**alpha * ell ** (1.0 - alpha) - c
    Kp = Kp[..., None]
    logAp = rho * np.log(A)[..., None] + sigma * eps
    Ap = np.exp(logAp)
    cp = np.exp(box.evaluate(coef_logc, np.log(Kp), logAp))
    ellp = hours_from_consumption(Kp, Ap, cp, cal)
    rp = alpha * Ap * Kp ** (alpha - 1.0) * ellp ** (1.0 - alpha)
    return cal["beta"] * np.sum(omega * (1.0 - delta + rp) / cp, axis=-1)


def solve(cal: dict, n_K: int = 12, n_A: int = 7, k_width: float = 0.4, a_width: float = 4.0,
          n_quad: int = 9, tol: float = 1e-11, max_iter: int = 5000,
          initial_chat: float | None = None) -> RBCSolution:
    """Solve the stochastic RBC globally by time iteration on the Euler equation.

    log c(K, A) ≈ Σ θ_ij T_i(z_K) T_j(z_A) on log K ∈ log K_ss + [log(1-k_width), log(1+k_width)],
    log A ∈ ±a_width · σ_A/sqrt(1-ρ²). Each iteration, at every collocation node, solve for log c

        log c + log β E[(1 - δ + r') / c'] = 0,   c' = c_old(K', A'),  K' = a(K, A, ℓ(c)) - c,

    by Newton with a finite-difference slope (the residual is increasing in log c), with
    E over A' = exp(ρ log A + σ_A ε') by ``n_quad``-node Gauss–Hermite quadrature; stop when
    the sup-norm change of log c at the nodes is below ``tol``. Then evaluate the optimal policy
    exactly in the same basis: V = u + β E V(K', A') is a linear system in V's coefficients.

    The initial guess is c = ĉ₀ a(K, A, ℓ_ss) with ĉ₀ = ``initial_chat`` (default the steady
    state's ĉ, which is already the exact solution when δ = 1).
    """
    _check_calibration(cal)
    t0 = time.perf_counter()
    ss = steady_state(**cal)
    sd = stationary_sd_logA(cal)
    box = ChebyshevBox((math.log(ss.K * (1.0 - k_width)), math.log(ss.K * (1.0 + k_width))),
                       (-a_width * sd, a_width * sd), n_K, n_A)
    logK, logA = box.nodes()
    K, A = np.exp(logK), np.exp(logA)
    eps, omega = gauss_hermite(n_quad)

    chat0 = ss.chat if initial_chat is None else initial_chat
    logc = np.log(chat0 * ((1.0 - cal["delta"]) * K + A * K ** cal["alpha"] * ss.L ** (1.0 - cal["alpha"])))
    h = 1e-6
    change = np.inf
    for it in range(1, max_iter + 1):
        coef = box.fit(logc)
        x = logc.copy()
        for _ in range(20):
            f = x + np.log(_euler_expectation(box, coef, K, A, np.exp(x), cal, eps, omega))
            f_h = x + h + np.log(_euler_expectation(box, coef, K, A, np.exp(x + h), cal, eps, omega))
            dx = -f * h / (f_h - f)
            x = x + np.clip(dx, -0.5, 0.5)
            if np.max(np.abs(dx)) < 1e-14:
                break
        change = float(np.max(np.abs(x - logc)))
        logc = x
        if change < tol:
            break
    coef_logc = box.fit(logc)
    sol = RBCSolution(cal=dict(cal), steady=ss, box=box, coef_logc=coef_logc,
                      coef_V=np.zeros_like(coef_logc), n_quad=n_quad, iterations=it,
                      max_change=change, solve_seconds=0.0)
    sol.coef_V = _policy_value_coefficients(sol, sol.policy)
    sol.solve_seconds = time.perf_counter() - t0
    return sol


def _policy_value_coefficients(sol: RBCSolution, policy: Policy) -> np.ndarray:
    """Coefficients θ of V_π(K, A) = u(c, ℓ) + β E V_π(K', A') for a policy π (collocation).

    At the nodes x_n: Σ_m [Φ_m(x_n) − β Σ_q ω_q Φ_m(K'_n, A'_nq)] θ_m = u_n, a linear system.
    Valid for policies whose K' stays near the box (the benchmark's does)."""
    cal, box = sol.cal, sol.box
    logK, logA = box.nodes()
    K, A = np.exp(logK), np.exp(logA)
    eps, omega = gauss_hermite(sol.n_quad)
    chat, ell = policy(K, A)
    _, _, _, _, c, Kp = _step(K, A, chat, ell, cal)
    u = period_utility(c, ell, cal)
    logAp = cal["rho"] * logA[..., None] + cal["sigma_A"] * eps
    Phi = box.basis(logK, logA).reshape(u.size, -1)
    EPhi = np.einsum("q,nqm->nm", omega, box.basis(np.log(Kp)[..., None], logAp).reshape(u.size, len(eps), -1))
    theta = np.linalg.solve(Phi - cal["beta"] * EPhi, u.ravel())
    return theta.reshape(box.n_K, box.n_A)
