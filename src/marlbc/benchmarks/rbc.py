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

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.linalg

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
        g = -alpha * np.logaddexp(0.0, -s) + np.logaddexp(0.0, s) - target   # α log ℓ − log(1−ℓ)
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
    nodes, weights = _gauss_hermite(n_quad)
    return nodes.copy(), weights.copy()


@functools.cache
def _gauss_hermite(n_quad: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gauss_hermite`, computed once per ``n_quad`` (training asks at every update)."""
    x, w = np.polynomial.hermite.hermgauss(n_quad)
    return math.sqrt(2.0) * x, w / math.sqrt(math.pi)


def stationary_sd_logA(cal: dict) -> float:
    """Stationary standard deviation of log A, σ_A / sqrt(1 − ρ²)."""
    return cal["sigma_A"] / math.sqrt(1.0 - cal["rho"] ** 2)


# --------------------------------------------------------------------------------------------
# Chebyshev approximation in (log K, log A)
# --------------------------------------------------------------------------------------------

def _chebvander(z: np.ndarray, degree: int, linear_outside: bool = False) -> np.ndarray:
    """[T_0(z), …, T_degree(z)] along a new last axis: T_0 = 1, T_1 = z, T_k+1 = 2z T_k − T_k−1.

    With ``linear_outside``, each T_k is continued linearly outside [-1, 1] from the nearest end,
    T_k(±1) + T_k'(±1)(z ∓ 1) with T_k(±1) = (±1)^k and T_k'(±1) = (±1)^(k+1) k², so an
    approximation extends as its first-order Taylor expansion instead of an exploding polynomial.
    """
    z = np.asarray(z, float)
    zc = np.clip(z, -1.0, 1.0) if linear_outside else z
    T = [np.ones_like(zc), zc]
    for _ in range(degree - 1):
        T.append(2.0 * zc * T[-1] - T[-2])
    V = np.stack(T[: degree + 1], axis=-1)
    outside = np.abs(z) > 1.0
    if linear_outside and np.any(outside):
        k = np.arange(degree + 1)
        edge = np.sign(z[outside])[:, None]
        V[outside] += edge ** (k + 1) * k**2 * (z[outside] - edge[:, 0])[:, None]
    return V


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

        Beyond the capital bounds f continues linearly in log K (first-order Taylor expansion at
        the boundary: policies far from the box stay sane); beyond the TFP bounds the polynomial
        itself extrapolates (it is needed only slightly outside, for next-period TFP at the
        box's edge, where it is more accurate than a linear continuation)."""
        logK, logA = np.broadcast_arrays(logK, logA)
        TK = _chebvander(self._to_unit(logK, self.logK_bounds), self.n_K - 1, linear_outside=True)
        TA = _chebvander(self._to_unit(logA, self.logA_bounds), self.n_A - 1)
        return np.einsum("...i,ij,...j->...", TK, coef, TA)

    def fit(self, values: np.ndarray) -> np.ndarray:
        """Coefficients that interpolate ``values`` (n_K, n_A) given at :meth:`nodes`."""
        logK, logA = self.nodes()
        VK = _chebvander(self._to_unit(logK[:, 0], self.logK_bounds), self.n_K - 1)
        VA = _chebvander(self._to_unit(logA[0, :], self.logA_bounds), self.n_A - 1)
        return np.linalg.solve(VK, np.linalg.solve(VA, values.T).T)

    def basis(self, logK: np.ndarray, logA: np.ndarray) -> np.ndarray:
        """Basis matrix (..., n_K·n_A) with coefficient order coef.ravel()."""
        logK, logA = np.broadcast_arrays(logK, logA)
        TK = _chebvander(self._to_unit(logK, self.logK_bounds), self.n_K - 1, linear_outside=True)
        TA = _chebvander(self._to_unit(logA, self.logA_bounds), self.n_A - 1)
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


def _consumption_with_share(K, A, chat, cal):
    """c with c = ĉ a(K, A, ℓ(c)) and ℓ(c) from the labour condition, by bisection in log c
    (c − ĉ a is increasing in c: more consumption means fewer hours and less cash on hand)."""
    alpha, delta = cal["alpha"], cal["delta"]
    K, A = np.broadcast_arrays(np.asarray(K, float), np.asarray(A, float))
    centre = np.log(chat * ((1.0 - delta) * K + A * K**alpha))
    lo, hi = centre - 30.0, centre + 30.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        c = np.exp(mid)
        ell = hours_from_consumption(K, A, c, cal)
        excess = c - chat * ((1.0 - delta) * K + A * K**alpha * ell ** (1.0 - alpha))
        lo, hi = np.where(excess < 0, mid, lo), np.where(excess < 0, hi, mid)
    return np.exp(0.5 * (lo + hi))


def _euler_expectation(box, coef_logc, K, A, c, cal, eps, omega):
    """β E[(1-δ+r')/c'] when c is consumed at (K, A) and next period follows coef_logc.

    Next-period A' at the box's edge, and K' in early iterations, fall outside the box (see
    :meth:`ChebyshevBox.evaluate`)."""
    alpha, delta, rho, sigma = cal["alpha"], cal["delta"], cal["rho"], cal["sigma_A"]
    ell = hours_from_consumption(K, A, c, cal)
    Kp = (1.0 - delta) * K + A * K**alpha * ell ** (1.0 - alpha) - c
    Kp = Kp[..., None]
    logKp = np.log(Kp)
    logAp = rho * np.log(A)[..., None] + sigma * eps
    Ap = np.exp(logAp)
    cp = np.exp(box.evaluate(coef_logc, logKp, logAp))
    ellp = hours_from_consumption(Kp, Ap, cp, cal)
    rp = alpha * Ap * Kp ** (alpha - 1.0) * ellp ** (1.0 - alpha)
    return cal["beta"] * np.sum(omega * (1.0 - delta + rp) / cp, axis=-1)


def solve(cal: dict, n_K: int = 12, n_A: int = 7, k_width: float = 0.4, a_width: float = 4.0,
          n_quad: int = 9, tol: float = 1e-11, max_iter: int = 5000,
          initial_chat: float | None = None) -> RBCSolution:
    """Solve the stochastic RBC globally by time iteration on the Euler equation.

    log c(K, A) ≈ Σ θ_ij T_i(z_K) T_j(z_A) on log K ∈ log K_ss + [log(1-k_width), log(1+k_width)],
    log A ∈ ±a_width · σ_A/sqrt(1-ρ²) (±a_width · 0.0125 when σ_A = 0). Each iteration, at
    every collocation node, solve for log c

        log c + log β E[(1 - δ + r') / c'] = 0,   c' = c_old(K', A'),  K' = a(K, A, ℓ(c)) - c,

    by Newton with a finite-difference slope (the residual is increasing in log c), with
    E over A' = exp(ρ log A + σ_A ε') by ``n_quad``-node Gauss–Hermite quadrature; stop when
    the sup-norm change of log c at the nodes is below ``tol``. Then evaluate the optimal policy
    exactly in the same basis: V = u + β E V(K', A') is a linear system in V's coefficients.

    The initial guess is the constant share ĉ₀ = ``initial_chat`` (default the steady state's
    ĉ, which is already the exact solution when δ = 1) with hours from the labour condition.
    """
    _check_calibration(cal)
    t0 = time.perf_counter()
    ss = steady_state(**cal)
    sd = stationary_sd_logA(cal) or 0.0125   # σ_A = 0: a box for deterministic TFP paths
    box = ChebyshevBox((math.log(ss.K * (1.0 - k_width)), math.log(ss.K * (1.0 + k_width))),
                       (-a_width * sd, a_width * sd), n_K, n_A)
    logK, logA = box.nodes()
    K, A = np.exp(logK), np.exp(logA)
    eps, omega = gauss_hermite(n_quad)

    logc = np.log(_consumption_with_share(K, A, ss.chat if initial_chat is None else initial_chat, cal))

    def euler_residual(x, coef):   # log c + log β E[(1-δ+r')/c'], increasing in x = log c
        return x + np.log(_euler_expectation(box, coef, K, A, np.exp(x), cal, eps, omega))

    h = 1e-6
    change = np.inf
    for it in range(1, max_iter + 1):
        coef = box.fit(logc)
        x = logc.copy()
        f = euler_residual(x, coef)
        for _ in range(30):                  # Newton with a finite-difference slope
            dx = np.clip(-f * h / (euler_residual(x + h, coef) - f), -0.5, 0.5)
            for _halving in range(60):       # halve steps that leave K' ≤ 0 (non-finite residual)
                f_new = euler_residual(x + dx, coef)
                bad = ~np.isfinite(f_new)
                if not bad.any():
                    break
                dx = np.where(bad, 0.5 * dx, dx)
            x, f = x + dx, f_new
            if np.max(np.abs(dx)) < 1e-14:
                break
        if not np.all(np.isfinite(x)):
            raise RuntimeError(f"time iteration produced non-finite consumption at iteration {it}; "
                               "try another initial_chat or a wider box")
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


# --------------------------------------------------------------------------------------------
# Simulation of any policy
# --------------------------------------------------------------------------------------------

def simulate(policy: Policy, cal: dict, T: int, K0, logA0, eps: np.ndarray | None = None) -> dict:
    """Simulate ``policy`` for T periods from (K_0, log A_0); arrays of shape (T, *K0.shape).

    log A_t = ρ log A_{t-1} + σ_A ε_t for t = 1..T-1 with ε_t = ``eps[t-1]`` (``eps`` of shape
    (T-1, *K0.shape); ``None`` means no shocks). Returns K, A, logA, chat, L (= ℓ), Y, C, I,
    r, w, a (cash on hand), u (period utility) and K_next, with I = Y − C = K' − (1−δ)K.
    """
    K = np.asarray(K0, float)
    logA = np.broadcast_to(np.asarray(logA0, float), K.shape).copy()
    names = ("K", "A", "logA", "chat", "L", "Y", "C", "I", "r", "w", "a", "u", "K_next")
    out = {name: np.empty((T, *K.shape)) for name in names}
    for t in range(T):
        if t > 0:
            logA = cal["rho"] * logA + (cal["sigma_A"] * eps[t - 1] if eps is not None else 0.0)
        A = np.exp(logA)
        chat, ell = policy(K, A)
        Y, r, w, a, c, Kp = _step(K, A, chat, ell, cal)
        for name, x in zip(names, (K, A, logA, chat, ell, Y, c, Y - c, r, w, a,
                                   period_utility(c, ell, cal), Kp)):
            out[name][t] = x
        K = Kp
    return out


def _ergodic_path(policy: Policy, cal: dict, n_periods: int, burn_in: int, seed: int) -> dict:
    """A long path of ``policy`` from the deterministic steady state; the burn-in is dropped."""
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(n_periods + burn_in - 1)
    sim = simulate(policy, cal, n_periods + burn_in, steady_state(**cal).K, 0.0, eps)
    return {name: x[burn_in:] for name, x in sim.items()}


def deterministic_steady_state(policy: Policy, cal: dict, K0: float | None = None,
                               max_periods: int = 20_000, rtol: float = 1e-12) -> dict:
    """Fixed point of the policy with A = 1 and no shocks, found by iterating K' = K'(K, 1)
    from K0 (default the analytical steady state) until |K' − K| ≤ rtol·K. Returns K, L, C, Y,
    I, r, w, chat (floats), periods and converged."""
    K = steady_state(**cal).K if K0 is None else float(K0)
    one = np.ones(1)
    converged = False
    for period in range(1, max_periods + 1):
        chat, ell = policy(np.array([K]), one)
        Kp = float(_step(np.array([K]), one, chat, ell, cal)[5][0])
        done = abs(Kp - K) <= rtol * K
        K = Kp
        if done:
            converged = True
            break
    chat, ell = policy(np.array([K]), one)
    Y, r, w, a, c, Kp = (float(x[0]) for x in _step(np.array([K]), one, chat, ell, cal))
    return {"K": K, "L": float(ell[0]), "C": c, "Y": Y, "I": Y - c, "r": r, "w": w,
            "chat": float(chat[0]), "periods": period, "converged": converged}


# --------------------------------------------------------------------------------------------
# Accuracy: Euler-equation and labour-condition errors
# --------------------------------------------------------------------------------------------

def euler_errors_at(policy: Policy, cal: dict, K: np.ndarray, A: np.ndarray,
                    n_quad: int = 9) -> dict:
    """Unit-free errors of ``policy`` at states (K, A) (arrays of one shape).

    Euler:   |1 − c̃/c|,  c̃ = 1 / (β E[(1 − δ + r')/c'])  (the consumption that the Euler
             equation implies given next period's choices under the same policy), E over
             A' = exp(ρ log A + σ_A ε') by ``n_quad``-node Gauss–Hermite quadrature.
    Labour:  |1 − χ c / w|  (linear_labour)  or  |1 − b c / (w (1 − ℓ))|  (log_leisure).
    """
    delta = cal["delta"]
    K, A = np.broadcast_arrays(np.asarray(K, float), np.asarray(A, float))
    chat, ell = policy(K, A)
    _, _, w, _, c, Kp = _step(K, A, chat, ell, cal)
    eps, omega = gauss_hermite(n_quad)
    Kp_q = np.broadcast_to(Kp[..., None], (*Kp.shape, n_quad))
    Ap_q = np.exp(cal["rho"] * np.log(A)[..., None] + cal["sigma_A"] * eps)
    chat_p, ell_p = policy(Kp_q, Ap_q)
    _, r_p, _, _, c_p, _ = _step(Kp_q, Ap_q, chat_p, ell_p, cal)
    c_implied = 1.0 / (cal["beta"] * np.sum(omega * (1.0 - delta + r_p) / c_p, axis=-1))
    if cal.get("utility", "linear_labour") == "linear_labour":
        labour = np.abs(1.0 - cal.get("chi", 1.0) * c / w)
    else:
        labour = np.abs(1.0 - cal.get("b", 5.0) * c / (w * (1.0 - ell)))
    return {"euler": np.abs(1.0 - c_implied / c), "labour": labour}


def _log10(err: np.ndarray) -> np.ndarray:
    """log10 of an error, floored at double precision (1e-16, i.e. −16)."""
    return np.log10(np.maximum(err, 1e-16))


def euler_errors(sol: RBCSolution, policy: Policy | None = None, n_periods: int = 10_000,
                 burn_in: int = 1_000, seed: int = 0, on: str = "policy") -> dict:
    """log10 Euler-equation and labour-condition errors of ``policy`` on an ergodic set.

    The ergodic set is the path of ``n_periods`` quarters (after ``burn_in``, from the
    deterministic steady state, shocks from ``numpy.random.default_rng(seed)``) of the policy
    itself (``on="policy"``, the default: each policy is judged where it lives) or of the
    benchmark (``on="benchmark"``: the same states for every policy). ``policy`` defaults to the
    benchmark. Returns euler_max, euler_mean (the mean of log10 errors), labour_max,
    labour_mean and n_states; errors below 1e-16 count as 1e-16.
    """
    policy = sol.policy if policy is None else policy
    if on not in ("policy", "benchmark"):
        raise ValueError(f"on = {on!r} is not allowed; allowed: policy, benchmark")
    path = _ergodic_path(policy if on == "policy" else sol.policy, sol.cal, n_periods, burn_in, seed)
    errs = euler_errors_at(policy, sol.cal, path["K"], path["A"], sol.n_quad)
    euler, labour = _log10(errs["euler"]), _log10(errs["labour"])
    return {"euler_max": float(np.max(euler)), "euler_mean": float(np.mean(euler)),
            "labour_max": float(np.max(labour)), "labour_mean": float(np.mean(labour)),
            "n_states": int(euler.size)}


# --------------------------------------------------------------------------------------------
# Impulse responses
# --------------------------------------------------------------------------------------------

def impulse_response(policy: Policy, cal: dict, shock: float, T: int = 40,
                     relative_to: str = "no_shock") -> dict:
    """Responses of Y, C, I, L, K, r, w (percent) to a TFP shock, quarters 0..T-1.

    Start at the deterministic steady-state capital K_ss with log A_0 = ``shock``; log A then
    decays as ρ^t·shock, with no further shocks. The response of X is 100 (X_t / X̄_t − 1), where
    X̄ is the policy's path from the same K_0 with log A_0 = 0 (``relative_to="no_shock"``, the
    default: for the benchmark it is the steady state itself, and a learned policy's drift to
    its own steady state cancels) or the analytical steady state (``"steady_state"``).
    K is capital at the start of the quarter, so its response at t = 0 is 0.
    """
    if relative_to not in ("no_shock", "steady_state"):
        raise ValueError(f"relative_to = {relative_to!r} is not allowed; allowed: no_shock, steady_state")
    ss = steady_state(**cal)
    path = simulate(policy, cal, T, np.array(ss.K), np.array(float(shock)))
    if relative_to == "no_shock":
        base = simulate(policy, cal, T, np.array(ss.K), np.array(0.0))
    else:
        base = {"Y": ss.Y, "C": ss.C, "I": ss.I, "L": ss.L, "K": ss.K, "r": ss.r, "w": ss.w}
    return {x: 100.0 * (path[x] / base[x] - 1.0) for x in IRF_VARIABLES}


# --------------------------------------------------------------------------------------------
# Business-cycle moments
# --------------------------------------------------------------------------------------------

def hp_filter(y: np.ndarray, lamb: float = 1600.0) -> tuple[np.ndarray, np.ndarray]:
    """Hodrick–Prescott filter: the trend τ minimises Σ (y_t − τ_t)² + λ Σ (Δ²τ_t)², i.e.
    (I + λ D'D) τ = y with D the (T−2)×T second-difference matrix. Returns (trend, cycle)."""
    y = np.asarray(y, float)
    T = y.size
    D = scipy.sparse.diags([np.ones(T - 2), -2.0 * np.ones(T - 2), np.ones(T - 2)], [0, 1, 2],
                           shape=(T - 2, T))
    trend = scipy.sparse.linalg.spsolve((scipy.sparse.eye(T) + lamb * (D.T @ D)).tocsc(), y)
    return trend, y - trend


def business_cycle_moments(policy: Policy, cal: dict, n_periods: int = 10_000,
                           burn_in: int = 1_000, seed: int = 0, lamb: float = 1600.0) -> dict:
    """HP-filtered (λ = 1600) moments of a long simulation of ``policy``.

    Each series X ∈ {Y, C, I, L, K, w} is logged and HP-filtered; returns std_Y_pct
    (100·sd of the cycle of log Y), rel_std_X = sd(X)/sd(Y), corr_X_Y = corr(X, Y), and
    autocorr_Y (first-order autocorrelation of the cycle of log Y).
    """
    path = _ergodic_path(policy, cal, n_periods, burn_in, seed)
    cycles = {x: hp_filter(np.log(path[x]), lamb)[1] for x in MOMENT_SERIES}
    sd_Y = np.std(cycles["Y"])
    out = {"std_Y_pct": float(100.0 * sd_Y),
           "autocorr_Y": float(np.corrcoef(cycles["Y"][1:], cycles["Y"][:-1])[0, 1])}
    for x in MOMENT_SERIES[1:]:
        out[f"rel_std_{x}"] = float(np.std(cycles[x]) / sd_Y)
    for x in MOMENT_SERIES[1:]:
        out[f"corr_{x}_Y"] = float(np.corrcoef(cycles[x], cycles["Y"])[0, 1])
    return out


# --------------------------------------------------------------------------------------------
# Welfare
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WelfareDraws:
    """Common random numbers for welfare comparisons: start states and innovations.

    ``K0``, ``logA0`` (M,) are draws from the benchmark's ergodic distribution; ``eps`` (T, M)
    holds the innovations ε_1..ε_T in antithetic pairs (path j + M/2 uses −ε of path j from the
    same start); ``V_opt`` (M,) is the benchmark's discounted utility along the same draws.
    """

    K0: np.ndarray
    logA0: np.ndarray
    eps: np.ndarray
    V_opt: np.ndarray


def welfare_draws(sol: RBCSolution, n_paths: int = 1000, T: int = 1000, burn_in: int = 500,
                  seed: int = 0) -> WelfareDraws:
    """Draw ``n_paths`` (even) start states and T-quarter innovation paths for :func:`welfare_loss`.

    Start states: n_paths/2 chains of the benchmark run for ``burn_in`` quarters from
    (K_ss, log A ~ its stationary law), each used by an antithetic pair of paths."""
    if n_paths % 2:
        raise ValueError(f"n_paths = {n_paths} must be even (antithetic pairs)")
    rng = np.random.default_rng(seed)
    half = n_paths // 2
    logA0 = stationary_sd_logA(sol.cal) * rng.standard_normal(half)
    burn = simulate(sol.policy, sol.cal, burn_in + 1, np.full(half, sol.steady.K), logA0,
                    rng.standard_normal((burn_in, half)))
    eps = rng.standard_normal((T, half))
    draws = WelfareDraws(K0=np.tile(burn["K"][-1], 2), logA0=np.tile(burn["logA"][-1], 2),
                         eps=np.concatenate([eps, -eps], axis=1), V_opt=np.empty(0))
    return WelfareDraws(draws.K0, draws.logA0, draws.eps, discounted_utility(sol, sol.policy, draws))


def discounted_utility(sol: RBCSolution, policy: Policy, draws: WelfareDraws) -> np.ndarray:
    """Per path, Σ_{t<T} β^t u(c_t, ℓ_t) + β^T V(K_T, A_T) under ``policy`` along ``draws``.

    The continuation V (the optimum's, with (K_T, A_T) clipped to the approximation box) is the
    value of switching to the optimal policy at T: exact for the optimum, and for any other
    policy an error of at most β^T (V_opt − V_policy)(s_T), negligible for T = 1000 (β^T ≈ 4e-5).
    """
    cal, beta = sol.cal, sol.cal["beta"]
    K, logA = draws.K0.copy(), draws.logA0.copy()
    total = np.zeros_like(K)
    discount = 1.0
    for t in range(draws.eps.shape[0]):
        A = np.exp(logA)
        chat, ell = policy(K, A)
        _, _, _, _, c, K = _step(K, A, chat, ell, cal)
        total += discount * period_utility(c, ell, cal)
        discount *= beta
        logA = cal["rho"] * logA + cal["sigma_A"] * draws.eps[t]
    logK_T = np.clip(np.log(K), *sol.box.logK_bounds)
    logA_T = np.clip(logA, *sol.box.logA_bounds)
    return total + discount * sol.box.evaluate(sol.coef_V, logK_T, logA_T)


def welfare_loss(sol: RBCSolution, policy: Policy, draws: WelfareDraws | None = None,
                 **draw_kwargs) -> float:
    """Consumption-equivalent welfare loss (percent) of ``policy`` against the optimum.

    Δ solves E[Σ β^t u((1−Δ) c*_t, ℓ*_t)] = E[V_policy], averaged over the benchmark's ergodic
    distribution of start states (see :func:`welfare_draws`; both utilities are additive in
    log c, so log(1−Δ)/(1−β) shifts the optimum's value):

        Δ = 1 − exp((1 − β)(mean V_policy − mean V_opt)),   reported as 100 Δ.

    V_policy and V_opt are simulated along the same draws (common random numbers, antithetic
    pairs), so their difference is precise even where each is noisy; the loss of the optimum is
    exactly 0. ``draw_kwargs`` (n_paths, T, burn_in, seed) go to :func:`welfare_draws`.
    """
    draws = welfare_draws(sol, **draw_kwargs) if draws is None else draws
    dV = np.mean(discounted_utility(sol, policy, draws) - draws.V_opt)
    return float(100.0 * -np.expm1((1.0 - sol.cal["beta"]) * dV)) + 0.0


def constant_policy(chat: float, ell: float) -> Policy:
    """The state-independent rule (ĉ, ℓ) as a policy callable."""
    def policy(K, A):
        shape = np.broadcast_shapes(np.shape(K), np.shape(A))
        return np.full(shape, float(chat)), np.full(shape, float(ell))
    return policy


def best_constant_rule(sol: RBCSolution, draws: WelfareDraws | None = None,
                       euler_kwargs: dict | None = None, **draw_kwargs) -> dict:
    """The constant (ĉ, ℓ) that maximises welfare (mean V over ``draws``), by Nelder–Mead from
    the steady state (ĉ_ss, ℓ_ss). Returns chat, ell, welfare_loss_pct and its Euler and
    labour errors on its own ergodic set (keys of :func:`euler_errors`)."""
    draws = welfare_draws(sol, **draw_kwargs) if draws is None else draws

    def neg_welfare(x):
        chat, ell = x
        if not (0.0 < chat < 1.0 and 0.0 < ell and (ell < 1.0 or sol.cal.get("utility") == "linear_labour")):
            return np.inf
        return -np.mean(discounted_utility(sol, constant_policy(chat, ell), draws) - draws.V_opt)

    res = scipy.optimize.minimize(neg_welfare, x0=[sol.steady.chat, sol.steady.L], method="Nelder-Mead",
                                  options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 2000})
    chat, ell = (float(v) for v in res.x)
    rule = constant_policy(chat, ell)
    return {"chat": chat, "ell": ell, "welfare_loss_pct": welfare_loss(sol, rule, draws),
            **euler_errors(sol, rule, **(euler_kwargs or {}))}


# --------------------------------------------------------------------------------------------
# Everything together: analysis, xarray dataset, JSON summary
# --------------------------------------------------------------------------------------------

SHOCKS = {"one_sigma": None, "log_0.1": 0.1}   # None: one standard deviation σ_A
STEADY_VARIABLES = ("K", "L", "C", "Y", "I", "r", "w", "chat")


def analyse(sol: RBCSolution, n_periods: int = 10_000, burn_in: int = 1_000, seed: int = 0,
            welfare_paths: int = 1000, welfare_T: int = 1000, irf_T: int = 40,
            refresh: bool = False) -> dict:
    """Evaluate the benchmark (cached in ``sol.analysis``): Euler errors on its ergodic set,
    the fixed point of its policy at A = 1 (the risky steady state), IRFs to a one-σ and a 0.1
    log TFP shock, HP moments, the best constant rule, and a check of V(K, A) against
    simulated discounted utility."""
    if sol.analysis is not None and not refresh:
        return sol.analysis
    cal = sol.cal
    draws = welfare_draws(sol, n_paths=welfare_paths, T=welfare_T, seed=seed)
    V_cheb = sol.value(draws.K0, np.exp(draws.logA0))
    ergodic = {"n_periods": n_periods, "burn_in": burn_in, "seed": seed}
    sol.analysis = {
        "euler": euler_errors(sol, **ergodic),
        "risky_steady_state": deterministic_steady_state(sol.policy, cal),
        "irf": {name: impulse_response(sol.policy, cal, cal["sigma_A"] if size is None else size, irf_T)
                for name, size in SHOCKS.items()},
        "shock_sizes": {name: float(cal["sigma_A"] if size is None else size) for name, size in SHOCKS.items()},
        "moments": business_cycle_moments(sol.policy, cal, **ergodic),
        "constant_rule": best_constant_rule(sol, draws, euler_kwargs=ergodic),
        "value_check": {"V_simulated_mean": float(np.mean(draws.V_opt)),
                        "V_chebyshev_mean": float(np.mean(V_cheb)),
                        "V_simulated_se": float(np.std(draws.V_opt) / math.sqrt(draws.V_opt.size))},
        "settings": {**ergodic, "welfare_paths": welfare_paths, "welfare_T": welfare_T, "irf_T": irf_T},
    }
    return sol.analysis


def summary(sol: RBCSolution) -> dict:
    """JSON-serialisable numbers of :func:`analyse` (floats, ints, nested dicts)."""
    a = analyse(sol)
    return {
        **a["euler"],
        "solve_seconds": float(sol.solve_seconds),
        "iterations": int(sol.iterations),
        "steady_state": {k: float(v) for k, v in sol.steady.as_dict().items()},
        "risky_steady_state": {k: float(a["risky_steady_state"][k]) for k in STEADY_VARIABLES},
        "constant_rule": {k: (int(v) if k == "n_states" else float(v)) for k, v in a["constant_rule"].items()},
        "moments": dict(a["moments"]),
        "value_check": dict(a["value_check"]),
        "calibration": {k: v for k, v in sol.cal.items()},
    }


_POLICY_VARS = {
    "chat": ("1", "optimal consumption share of cash on hand, chat = c/a"),
    "ell": ("1", "optimal hours, ell = L"),
    "consumption": ("model units per quarter", "optimal consumption c(K, A)"),
    "K_next": ("model units", "next-period capital K' = a - c"),
    "value": ("utils", "value function V(K, A) = E sum_t beta^t u(c_t, ell_t) under the optimum"),
}
_IRF_UNITS = "percent deviation from the no-shock path (= deterministic steady state for the benchmark)"


def to_dataset(sol: RBCSolution, calibration_name: str | None = None, n_K: int = 61,
               n_A: int = 9):
    """The benchmark as an ``xarray.Dataset``: policy and value on a (K, A) grid
    (K ∈ [0.7, 1.3]·K_ss, log A ∈ ±3 stationary sd), IRFs (shock, quarter), HP moments
    (series), Euler-error statistics, the best constant rule, the steady states, and the
    Chebyshev coefficients (:func:`from_dataset` rebuilds the solution from them)."""
    import xarray as xr

    a = analyse(sol)
    cal, ss = sol.cal, sol.steady
    sd = stationary_sd_logA(cal) or 0.0125
    K = ss.K * np.linspace(0.7, 1.3, n_K)
    A = np.exp(sd * np.linspace(-3.0, 3.0, n_A))
    KK, AA = np.meshgrid(K, A, indexing="ij")
    chat, ell = sol.policy(KK, AA)
    c = sol.consumption(KK, AA)
    Kp = _step(KK, AA, chat, ell, cal)[5]
    grids = {"chat": chat, "ell": ell, "consumption": c, "K_next": Kp, "value": sol.value(KK, AA)}

    def var(dims, values, units, description):
        return xr.Variable(dims, values, {"units": units, "long_name": description, "description": description})

    data = {name: var(("K", "A"), grids[name], *_POLICY_VARS[name]) for name in _POLICY_VARS}
    shocks = list(SHOCKS)
    for x in IRF_VARIABLES:
        data[f"irf_{x}"] = var(("shock", "quarter"), np.stack([a["irf"][s][x] for s in shocks]),
                               "percent", f"impulse response of {x} to a TFP shock, {_IRF_UNITS}")
    data["shock_size"] = var(("shock",), [a["shock_sizes"][s] for s in shocks], "log points",
                             "log A_0 at quarter 0; then log A_t = rho^t log A_0, no further shocks")
    m = a["moments"]
    series = list(MOMENT_SERIES[1:])
    data["std_Y_pct"] = var((), m["std_Y_pct"], "percent", "std of HP-filtered (1600) log output")
    data["autocorr_Y"] = var((), m["autocorr_Y"], "1", "first-order autocorrelation of HP-filtered log output")
    data["rel_std"] = var(("series",), [m[f"rel_std_{x}"] for x in series], "1",
                          "std of HP-filtered log series relative to that of output")
    data["corr_with_Y"] = var(("series",), [m[f"corr_{x}_Y"] for x in series], "1",
                              "correlation of HP-filtered log series with HP-filtered log output")
    for key, text in (("euler_max", "max log10 Euler-equation error |1 - c_implied/c| on the ergodic set"),
                      ("euler_mean", "mean log10 Euler-equation error on the ergodic set"),
                      ("labour_max", "max log10 labour-condition error on the ergodic set"),
                      ("labour_mean", "mean log10 labour-condition error on the ergodic set")):
        data[key] = var((), a["euler"][key], "log10", f"benchmark: {text}")
        data[f"constant_{key}"] = var((), a["constant_rule"][key], "log10",
                                      f"best constant rule: {text} (its own ergodic set)")
    cr = a["constant_rule"]
    data["constant_chat"] = var((), cr["chat"], "1", "best constant consumption share chat")
    data["constant_ell"] = var((), cr["ell"], "1", "best constant hours ell")
    data["constant_welfare_loss_pct"] = var((), cr["welfare_loss_pct"], "percent",
                                            "consumption-equivalent welfare loss of the best constant rule "
                                            "vs the optimum, over the benchmark's ergodic distribution")
    agg = list(STEADY_VARIABLES)
    data["steady_state"] = var(("aggregate",), [getattr(ss, x) for x in agg],
                               "model units per head (r, w per quarter; chat, L fractions)",
                               "deterministic steady state (analytical)")
    data["risky_steady_state"] = var(("aggregate",), [a["risky_steady_state"][x] for x in agg],
                                     "model units per head (r, w per quarter; chat, L fractions)",
                                     "fixed point of the stochastic optimal policy at A = 1 without shocks")
    data["coef_logc"] = var(("cheb_K", "cheb_A"), sol.coef_logc, "1",
                            "Chebyshev coefficients of log c in (log K, log A) on the box (attrs)")
    data["coef_V"] = var(("cheb_K", "cheb_A"), sol.coef_V, "1",
                         "Chebyshev coefficients of V in (log K, log A) on the box (attrs)")
    coords = {
        "K": ("K", K, {"units": "model units", "long_name": "capital per head at the start of the quarter"}),
        "A": ("A", A, {"units": "1", "long_name": "total factor productivity (level)"}),
        "quarter": ("quarter", np.arange(len(a["irf"][shocks[0]]["Y"])),
                    {"units": "quarters", "long_name": "quarters after the shock"}),
        "shock": ("shock", shocks, {"long_name": "TFP shock: one_sigma = sigma_A, log_0.1 = 0.1 log points"}),
        "series": ("series", series, {"long_name": "HP-filtered log series"}),
        "aggregate": ("aggregate", agg, {"long_name": "steady-state variable"}),
    }
    vc = a["value_check"]
    attrs = {
        "title": "Global solution of the stochastic representative-household RBC",
        "calibration": calibration_name or "unnamed",
        "calibration_json": json.dumps(cal, sort_keys=True),
        **{f"calibration_{k}": (v if isinstance(v, (int, float, str)) else str(v)) for k, v in cal.items()},
        "method": ("time iteration on the Euler equation; log c(K, A) tensor Chebyshev in (log K, log A) "
                   "at collocation nodes; Gauss-Hermite expectation over the continuous AR(1); "
                   "V by collocation policy evaluation"),
        "box_logK": [*sol.box.logK_bounds], "box_logA": [*sol.box.logA_bounds],
        "n_quad": sol.n_quad, "iterations": sol.iterations, "max_change": sol.max_change,
        "solve_seconds": sol.solve_seconds,
        "ergodic_set": ("benchmark path of {n_periods} quarters after {burn_in} burn-in, "
                        "seed {seed}").format(**a["settings"]),
        "welfare": ("CE loss averaged over the benchmark's ergodic distribution, {welfare_paths} antithetic "
                    "paths of {welfare_T} quarters, common random numbers").format(**a["settings"]),
        "V_check": f"mean V simulated {vc['V_simulated_mean']:.8f} (se {vc['V_simulated_se']:.1e}) "
                   f"vs Chebyshev {vc['V_chebyshev_mean']:.8f}",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def from_dataset(ds) -> RBCSolution:
    """Rebuild an :class:`RBCSolution` (policy and value) from :func:`to_dataset`'s output."""
    cal = json.loads(ds.attrs["calibration_json"])
    coef = np.asarray(ds["coef_logc"].values)
    box = ChebyshevBox(tuple(float(x) for x in np.ravel(ds.attrs["box_logK"])),
                       tuple(float(x) for x in np.ravel(ds.attrs["box_logA"])), *coef.shape)
    return RBCSolution(cal=cal, steady=steady_state(**cal), box=box, coef_logc=coef,
                       coef_V=np.asarray(ds["coef_V"].values), n_quad=int(ds.attrs["n_quad"]),
                       iterations=int(ds.attrs["iterations"]), max_change=float(ds.attrs["max_change"]),
                       solve_seconds=float(ds.attrs["solve_seconds"]))
