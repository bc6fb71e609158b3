r"""Steady state of the heterogeneous RBC economy as an n-player game (deterministic, A = 1).

The economy (SPEC §1). Household i has productivities (κ_i, λ_i), capital k_i and hours ℓ_i.
Two aggregations are supported, written with weights (a_i, b_i):

    marginal  (the seed):   S_K = Σ_j k_j,      S_L = Σ_j ℓ_j        (a_i = b_i = 1)
                            K = S_K,  L = S_L   (sums, not means)
    effective (the paper):  S_K = Σ_j κ_j k_j,  S_L = Σ_j λ_j ℓ_j    (a_i = κ_i, b_i = λ_i)
                            K = S_K / n,  L = S_L / n   (means; Y = K^α L^(1−α) per head)

In both, with x = K/L = S_K/S_L and the *base prices*

    R(x) = α A x^(α−1),   W(x) = (1−α) A x^α,
    r_i = κ_i R(x),  w_i = λ_i W(x)                 (for "effective" R = αY/K, W = (1−α)Y/L)

household i's income and, in a steady state (k_i' = k_i), its consumption are

    m_i = r_i k_i + w_i ℓ_i,        c_i = m_i − δ k_i.

**The game.** Each household maximises Σ_t β^t u(c_t, ℓ_t) subject to
k_{t+1} = (1−δ) k_t + m_i(k_t, ℓ_t; others) − c_t and k_t ≥ 0, taking the others' (k_j, ℓ_j)
as given but *its own effect on K, L and hence on its prices into account* (Nash, not
price-taking). Its first-order conditions in a steady state are the 3n conditions

    Euler:    1 = β (1 − δ + ∂m_i/∂k_i)        where k_i > 0,
              1 ≥ β (1 − δ + ∂m_i/∂k_i)        where k_i = 0   (complementarity)
    labour:   ∂m_i/∂ℓ_i / c_i = χ              (linear_labour,  u = log c − χ ℓ)
              ∂m_i/∂ℓ_i / c_i = b / (1 − ℓ_i)  (log_leisure,    u = log c + b log(1 − ℓ))
    budget:   c_i = m_i − δ k_i.

**The derivatives of m_i.** Using x R'(x) = (α−1) R and x W'(x) = α W = (1−α) R x, the effect of
household i on its income through x is

    x ∂m_i/∂x = κ_i k_i x R' + λ_i ℓ_i x W' = (1−α) R (x λ_i ℓ_i − κ_i k_i)  =: P_i,

and ∂x/∂k_i = a_i x / S_K, ∂x/∂ℓ_i = −b_i x / S_L, so

    ∂m_i/∂k_i = κ_i R + a_i P_i / S_K,         ∂m_i/∂ℓ_i = λ_i W − b_i P_i / S_L.

For the marginal aggregation P_i/S_K = (1−α) R (λ_i ℓ_i/L − κ_i k_i/K): the own-price effect
is proportional to the gap between the household's (productivity-weighted) share of hours and
its share of capital.

**Why κ = λ = 1 gives the representative steady state for every n.** Then r = F_K and w = F_L
are the same for everyone and homogeneous of degree 0 in (K, L), so Euler's theorem gives
K ∂r/∂K + L ∂w/∂K = 0. Household i's extra term in ∂m_i/∂k_i is
k_i ∂r/∂K + ℓ_i ∂w/∂K = ∂r/∂K (k_i − ℓ_i K/L), which vanishes when k_i/K = ℓ_i/L; at the
symmetric point k_i/K = ℓ_i/L = 1/n it does (P_i = 0 above, and likewise in ∂m_i/∂ℓ_i).
The conditions then read 1 = β(1 − δ + F_K), χ c = F_L (or b c = F_L (1 − ℓ)), c = F_K k +
F_L ℓ − δ k = (Y − δK)/n: the representative household's steady state, per head, with totals
n times it for the marginal aggregation (:func:`marlbc.benchmarks.steady_state.steady_state`).
For n = 1 P_i = 0 identically (x = k/ℓ): the single household owns the whole economy.

**Corners.** The own-price terms are O(1/n) while the productivity gaps in ∂m_i/∂k_i = κ_i R
+ … are fixed, so for large n the return on capital cannot equalise across households: capital
concentrates in the most productive ones and the least productive hold none (k_i = 0, with the
Euler condition an inequality). The system is therefore solved as a complementarity problem,

    φ(k_i / k̄, 1 − ∂m_i/∂k_i / ρ) = 0,   ρ = 1/β − 1 + δ,   φ(a, b) = a + b − √(a² + b²)

(the Fischer–Burmeister function: φ = 0 ⇔ a ≥ 0, b ≥ 0, ab = 0; k̄ the representative capital
per head; 1 − m_k/ρ = (1 − β(1−δ+m_k)) / (βρ) is the Euler residual, scaled), together with the
labour and budget equations, by a damped semismooth Newton method (Armijo backtracking on
½‖F‖²) with the analytic Jacobian (:func:`jacobian`), started from the representative steady
state. Household i's conditions depend on the others only through (S_K, S_L), so the Jacobian is
3×3 blocks plus a rank-2 term and each Newton step is solved in O(n) by the Woodbury identity
(n = 529 takes a few hundredths of a second). A final active-set step fixes
the corner households at exactly k_i = 0 and solves the remaining smooth system to machine
precision. Corners are reported in :attr:`GameSolution.corner`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from marlbc.benchmarks.steady_state import steady_state

AGGREGATIONS = ("marginal", "effective")
UTILITIES = ("linear_labour", "log_leisure")


# --------------------------------------------------------------------------------------------
# the economy: income and its derivatives
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Econ:
    alpha: float
    beta: float
    delta: float
    utility: str
    chi: float
    b: float
    aggregation: str
    A: float
    kappa: np.ndarray
    lam: np.ndarray
    theta: float = 1.0      # weight of the own-price term in ∂m_i/∂k_i (1: the game; own_price_weight)

    @property
    def n(self) -> int:
        return self.kappa.size

    @property
    def required_return(self) -> float:
        """Required gross-of-depreciation return on capital, ρ = 1/β − 1 + δ (the module's ρ, not TFP's)."""
        return 1.0 / self.beta - 1.0 + self.delta

    @property
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        if self.aggregation == "marginal":
            return np.ones(self.n), np.ones(self.n)
        return self.kappa, self.lam

    @property
    def per_head(self) -> float:
        """K = S_K * per_head: 1 for the marginal sums, 1/n for the effective means."""
        return 1.0 if self.aggregation == "marginal" else 1.0 / self.n


def _econ(cal: dict, kappa, lam, aggregation: str | None = None, A: float = 1.0,
          theta: float = 1.0) -> _Econ:
    kappa = np.asarray(kappa, dtype=float).ravel()
    lam = np.asarray(lam, dtype=float).ravel()
    if kappa.shape != lam.shape or kappa.size == 0:
        raise ValueError(f"kappa and lam must be non-empty and of the same length, got "
                         f"{kappa.size} and {lam.size}")
    if np.any(kappa <= 0) or np.any(lam <= 0):
        raise ValueError("productivities kappa and lam must be positive")
    if not (np.isfinite(theta) and theta >= 0):
        raise ValueError(f"own_price_weight must be a finite number >= 0, got {theta!r}")
    agg = aggregation or cal.get("aggregation", "marginal")
    if agg not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {agg!r}; allowed: {', '.join(AGGREGATIONS)}")
    utility = cal.get("utility", "linear_labour")
    if utility not in UTILITIES:
        raise ValueError(f"unknown utility {utility!r}; allowed: {', '.join(UTILITIES)}")
    return _Econ(alpha=float(cal["alpha"]), beta=float(cal["beta"]), delta=float(cal["delta"]),
                 utility=utility, chi=float(cal.get("chi", 1.0)), b=float(cal.get("b", 5.0)),
                 aggregation=agg, A=float(A), kappa=kappa, lam=lam, theta=float(theta))


@dataclass
class Income:
    """Household income m_i = r_i k_i + w_i ℓ_i and its own-effect derivatives (Nash)."""

    m: np.ndarray          # m_i
    m_k: np.ndarray        # ∂m_i/∂k_i, including the effect through K, L
    m_l: np.ndarray        # ∂m_i/∂ℓ_i, including the effect through K, L
    r: np.ndarray          # r_i = κ_i R
    w: np.ndarray          # w_i = λ_i W
    R: float               # base rental rate α A x^(α−1)
    W: float               # base wage (1−α) A x^α
    x: float               # K / L
    S_K: float
    S_L: float
    P: np.ndarray          # x ∂m_i/∂x


def _income(e: _Econ, k: np.ndarray, ell: np.ndarray) -> Income:
    a, bw = e.weights
    S_K, S_L = float(a @ k), float(bw @ ell)
    x = S_K / S_L
    al = e.alpha
    R = al * e.A * x ** (al - 1.0)
    W = (1.0 - al) * e.A * x**al
    r, w = e.kappa * R, e.lam * W
    P = (1.0 - al) * R * (x * e.lam * ell - e.kappa * k)
    return Income(m=r * k + w * ell, m_k=r + e.theta * a * P / S_K, m_l=w - bw * P / S_L,
                  r=r, w=w, R=R, W=W, x=x, S_K=S_K, S_L=S_L, P=P)


def income(cal: dict, kappa, lam, k, ell, aggregation: str | None = None, A: float = 1.0,
           own_price_weight: float = 1.0) -> Income:
    """m_i and its Nash derivatives ∂m_i/∂k_i, ∂m_i/∂ℓ_i at (k, ℓ) (exposed for tests)."""
    e = _econ(cal, kappa, lam, aggregation, A, own_price_weight)
    return _income(e, np.asarray(k, float), np.asarray(ell, float))


def _income_jac(e: _Econ, k, ell, inc: Income):
    """Derivatives of (m, m_k, m_l) of every household w.r.t. every (k_j, ℓ_j).

    Each f_i ∈ {m_i, m_k,i, m_l,i} depends on (k_i, ℓ_i) and on the aggregates (S_K, S_L), so
    ∂f_i/∂k_j = [i = j] ∂f_i/∂k_i|_S + a_j ∂f_i/∂S_K and ∂f_i/∂ℓ_j = [i = j] ∂f_i/∂ℓ_i|_S +
    b_j ∂f_i/∂S_L. Returns, for each f, (own_k, own_l, d_SK, d_SL) as length-n arrays.
    """
    a, bw = e.weights
    al, R, W, x, S_K, S_L, P = e.alpha, inc.R, inc.W, inc.x, inc.S_K, inc.S_L, inc.P
    kap, lam = e.kappa, e.lam
    xR1 = (al - 1.0) * R                   # x R'(x)
    xW1 = al * W                           # x W'(x)
    # P = (1−α) R (x λ ℓ − κ k): own partials, and x ∂P/∂x
    P_k = -(1.0 - al) * R * kap
    P_l = (1.0 - al) * R * x * lam
    xP_x = (1.0 - al) * R * (al * x * lam * ell + (1.0 - al) * kap * k)
    # x as a function of S_K, S_L: ∂x/∂S_K = x/S_K, ∂x/∂S_L = −x/S_L
    m = (kap * R, lam * W, P / S_K, -P / S_L)
    ta = e.theta * a                       # m_k = κ R + θ a P / S_K
    mk = (ta * P_k / S_K, ta * P_l / S_K,
          (kap * xR1 + ta * xP_x / S_K - ta * P / S_K) / S_K,
          -(kap * xR1 + ta * xP_x / S_K) / S_L)
    ml = (-bw * P_k / S_L, -bw * P_l / S_L,
          (lam * xW1 - bw * xP_x / S_L) / S_K,
          -(lam * xW1 - bw * xP_x / S_L) / S_L + bw * P / S_L**2)
    return m, mk, ml


# --------------------------------------------------------------------------------------------
# optimality conditions
# --------------------------------------------------------------------------------------------

@dataclass
class Residuals:
    """The 3n optimality conditions at (k, ℓ, c).

    euler:   1 − β(1 − δ + ∂m_i/∂k_i): = 0 where k_i > 0, ≥ 0 where k_i = 0.
    labour:  ∂m_i/∂ℓ_i/χ − c_i (linear_labour) or ∂m_i/∂ℓ_i (1 − ℓ_i)/b − c_i (log_leisure),
             in units of consumption.
    budget:  m_i − δ k_i − c_i.
    natural: min(k_i / k̄, euler_i / (βρ)), the natural residual of the complementarity
             condition (= 0 iff k_i ≥ 0, euler_i ≥ 0 and one of them is zero); k̄ is the
             representative capital per head, βρ = 1 − β(1 − δ).
    """

    euler: np.ndarray
    labour: np.ndarray
    budget: np.ndarray
    natural: np.ndarray

    @property
    def max(self) -> float:
        return float(max(np.abs(self.natural).max(), np.abs(self.labour).max(),
                         np.abs(self.budget).max()))


def _k_scale(e: _Econ) -> float:
    ss = steady_state(e.alpha, e.beta, e.delta, utility=e.utility, chi=e.chi, b=e.b)
    return ss.K * e.A ** (1.0 / (1.0 - e.alpha))


def _residuals(e: _Econ, k, ell, c, kbar: float) -> tuple[Residuals, Income]:
    inc = _income(e, k, ell)
    euler = 1.0 - e.beta * (1.0 - e.delta + inc.m_k)
    if e.utility == "linear_labour":
        labour = inc.m_l / e.chi - c
    else:
        labour = inc.m_l * (1.0 - ell) / e.b - c
    budget = inc.m - e.delta * k - c
    natural = np.minimum(k / kbar, euler / (e.beta * e.required_return))
    return Residuals(euler=euler, labour=labour, budget=budget, natural=natural), inc


def residuals(cal: dict, kappa, lam, k, ell, c, aggregation: str | None = None,
              A: float = 1.0, own_price_weight: float = 1.0) -> Residuals:
    """The optimality conditions (Euler with complementarity, labour, budget) at (k, ℓ, c)."""
    e = _econ(cal, kappa, lam, aggregation, A, own_price_weight)
    res, _ = _residuals(e, np.asarray(k, float), np.asarray(ell, float), np.asarray(c, float),
                        _k_scale(e))
    return res


def _fb(a, b):
    """Fischer–Burmeister φ(a, b) = a + b − √(a² + b²) and its (generalised) partials."""
    s = np.hypot(a, b)
    safe = np.where(s > 0, s, 1.0)
    da = np.where(s > 0, 1.0 - a / safe, 1.0 - 1.0 / np.sqrt(2.0))
    db = np.where(s > 0, 1.0 - b / safe, 1.0 - 1.0 / np.sqrt(2.0))
    return a + b - s, da, db


class _Jac:
    """∂F/∂z = D + U Vᵀ: D has a 3×3 block per household (rows Euler/labour/budget, columns
    k_i, ℓ_i, c_i), and every household's rows depend on the others only through (S_K, S_L),
    so U (n, 3, 2) holds ∂F_i/∂(S_K, S_L) and V (n, 3, 2) = ∂(S_K, S_L)/∂z_i = [(a_i, 0),
    (0, b_i), (0, 0)]. Linear solves use the Woodbury identity, O(n)."""

    def __init__(self, D: np.ndarray, U: np.ndarray, V: np.ndarray):
        self.D, self.U, self.V = D, U, V

    def dense(self) -> np.ndarray:
        n = self.D.shape[0]
        U = self.U.transpose(1, 0, 2).reshape(3 * n, 2)
        V = self.V.transpose(1, 0, 2).reshape(3 * n, 2)
        J = U @ V.T
        idx = np.arange(n)
        for g in range(3):
            for h in range(3):
                J[g * n + idx, h * n + idx] += self.D[:, g, h]
        return J

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        n = self.D.shape[0]
        f = rhs.reshape(3, n).T                                   # (n, 3)
        try:
            with np.errstate(all="raise"):
                Df = np.linalg.solve(self.D, f[..., None])[..., 0]   # D⁻¹ f   (n, 3)
                DU = np.linalg.solve(self.D, self.U)                   # D⁻¹ U   (n, 3, 2)
                cap = np.eye(2) + np.einsum("nij,nik->jk", self.V, DU)
                y = np.linalg.solve(cap, np.einsum("nij,ni->j", self.V, Df))
                x = Df - DU @ y
            if np.all(np.isfinite(x)):
                return x.T.reshape(-1)
        except (np.linalg.LinAlgError, FloatingPointError):
            pass
        J = self.dense()
        try:
            return np.linalg.solve(J, rhs)
        except np.linalg.LinAlgError:
            return np.linalg.lstsq(J, rhs, rcond=None)[0]


def _system(e: _Econ, z: np.ndarray, kbar: float, fixed: np.ndarray | None = None,
            jac: bool = True):
    """F(z) and ∂F/∂z (a :class:`_Jac`) for z = (k, ℓ, c).

    Rows 0..n−1 are φ(k_i/k̄, 1 − m_k,i/ρ) (Fischer–Burmeister), or, when ``fixed`` (the
    active set) is given, k_i/k̄ for the households in it (k_i = 0) and the smooth Euler
    equation 1 − m_k,i/ρ for the others; then the labour and budget rows.
    """
    n = e.n
    k, ell, c = z[:n], z[n:2 * n], z[2 * n:]
    inc = _income(e, k, ell)
    eh = 1.0 - inc.m_k / e.required_return                  # scaled Euler residual
    a_k = k / kbar
    if fixed is None:
        F1, da, db = _fb(a_k, eh)
    else:
        F1 = np.where(fixed, a_k, eh)
        da = fixed.astype(float)
        db = (~fixed).astype(float)
    if e.utility == "linear_labour":
        lab = np.full(n, 1.0 / e.chi)                       # ∂F2/∂m_l
        F2 = inc.m_l * lab - c
    else:
        lab = (1.0 - ell) / e.b
        F2 = inc.m_l * lab - c
    F3 = inc.m - e.delta * k - c
    F = np.concatenate([F1, F2, F3])
    if not jac:
        return F, inc
    dm, dmk, dml = _income_jac(e, k, ell, inc)
    a, bw = e.weights
    D = np.zeros((n, 3, 3))
    U = np.zeros((n, 3, 2))
    V = np.zeros((n, 3, 2))
    V[:, 0, 0], V[:, 1, 1] = a, bw
    # Euler / FB rows: φ_a ∂(k/k̄) + φ_b ∂(1 − m_k/ρ)
    D[:, 0, 0] = da / kbar - db / e.required_return * dmk[0]
    D[:, 0, 1] = -db / e.required_return * dmk[1]
    U[:, 0, 0], U[:, 0, 1] = -db / e.required_return * dmk[2], -db / e.required_return * dmk[3]
    # labour rows
    D[:, 1, 0] = lab * dml[0]
    D[:, 1, 1] = lab * dml[1] - (0.0 if e.utility == "linear_labour" else inc.m_l / e.b)
    D[:, 1, 2] = -1.0
    U[:, 1, 0], U[:, 1, 1] = lab * dml[2], lab * dml[3]
    # budget rows
    D[:, 2, 0] = dm[0] - e.delta
    D[:, 2, 1] = dm[1]
    D[:, 2, 2] = -1.0
    U[:, 2, 0], U[:, 2, 1] = dm[2], dm[3]
    return F, _Jac(D, U, V)


def jacobian(cal: dict, kappa, lam, k, ell, c, aggregation: str | None = None,
             A: float = 1.0, fixed=None, own_price_weight: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(F, ∂F/∂z) of the Fischer–Burmeister system in z = (k, ℓ, c) (exposed for tests)."""
    e = _econ(cal, kappa, lam, aggregation, A, own_price_weight)
    z = np.concatenate([np.asarray(k, float), np.asarray(ell, float), np.asarray(c, float)])
    fx = None if fixed is None else np.asarray(fixed, bool)
    F, J = _system(e, z, _k_scale(e), fixed=fx)
    return F, J.dense()


# --------------------------------------------------------------------------------------------
# solver
# --------------------------------------------------------------------------------------------

@dataclass
class GameSolution:
    """Steady state of the n-player game (model units, per quarter)."""

    k: np.ndarray              # capital of each household
    ell: np.ndarray            # hours
    c: np.ndarray              # consumption
    kappa: np.ndarray
    lam: np.ndarray
    corner: np.ndarray         # True where k_i = 0 (Euler holds as an inequality)
    euler: np.ndarray          # 1 − β(1 − δ + ∂m_i/∂k_i)
    m_k: np.ndarray            # ∂m_i/∂k_i (own-effect return on capital)
    m_l: np.ndarray            # ∂m_i/∂ℓ_i
    r: np.ndarray              # rental rate of household i, κ_i R
    w: np.ndarray              # wage of household i, λ_i W
    R: float                   # base rental rate
    W: float                   # base wage
    K: float                   # aggregate capital (sum for "marginal", effective mean for "effective")
    L: float                   # aggregate labour (idem)
    Y: float                   # A K^α L^(1−α) on the same basis
    C: float                   # Σ c_i
    max_residual: float
    iterations: int
    converged: bool
    seconds: float
    aggregation: str
    utility: str
    calibration: dict = field(default_factory=dict)
    own_price_weight: float = 1.0   # θ of solve_game (1: the game)

    @property
    def n(self) -> int:
        return self.k.size

    @property
    def n_corner(self) -> int:
        return int(self.corner.sum())


class GameSolveError(RuntimeError):
    """The game's steady state was not found to the requested tolerance."""


def _newton(e: _Econ, z: np.ndarray, kbar: float, tol: float, maxiter: int,
            fixed: np.ndarray | None = None) -> tuple[np.ndarray, float, int]:
    """Damped (semismooth) Newton on ½‖F‖² with an Armijo backtracking line search."""
    n = e.n

    def ok(zz):
        k, ell = zz[:n], zz[n:2 * n]
        a, bw = e.weights
        if not (a @ k > 0 and bw @ ell > 0):
            return False
        if e.utility == "log_leisure" and np.any(ell >= 1.0):
            return False
        return True

    F, J = _system(e, z, kbar, fixed)
    f = 0.5 * F @ F
    it = 0
    while it < maxiter and np.abs(F).max() > tol:
        it += 1
        dz = J.solve(-F)
        t = 1.0
        while True:
            zn = z + t * dz
            if ok(zn):
                Fn, _ = _system(e, zn, kbar, fixed, jac=False)
                fn = 0.5 * Fn @ Fn
                if np.isfinite(fn) and fn <= (1.0 - 1e-4 * t) * f:
                    break
            t *= 0.5
            if t < 1e-12:
                raise GameSolveError(f"line search failed at iteration {it}, ‖F‖∞ = "
                                     f"{np.abs(F).max():.3e}")
        z = zn
        F, J = _system(e, z, kbar, fixed)
        f = 0.5 * F @ F
    return z, float(np.abs(F).max()), it


def solve_game(cal: dict, kappa, lam, aggregation: str | None = None, A: float = 1.0,
               tol: float = 1e-12, maxiter: int = 200, x0: tuple | None = None,
               own_price_weight: float = 1.0) -> GameSolution:
    """Steady state of the n-player game for productivities ``kappa``, ``lam``.

    ``cal`` is a calibration dict (alpha, beta, delta, utility, chi or b, aggregation);
    ``aggregation`` overrides ``cal['aggregation']``. ``x0 = (k, ell, c)`` is an optional
    initial guess (default: the representative steady state per household). Raises
    :class:`GameSolveError` if the conditions are not met to ``max(tol, 1e-10)``.

    ``own_price_weight`` θ scales the own-price term of the return on capital,
    ∂m_i/∂k_i = κ_i R + θ a_i P_i/S_K. θ = 1 is the game above (SPEC §3, the C3 benchmark: the
    others' capital and hours held forever). θ ≠ 1 is a sensitivity: households whose extra
    capital is answered by the others over the following quarters (Markov strategies, as
    learners' are) face the price path of :func:`marlbc.evaluation.evaluate.price_effect_weight`,
    whose present value is θ times the one-quarter effect.
    """
    t0 = time.perf_counter()
    e = _econ(cal, kappa, lam, aggregation, A, own_price_weight)
    n = e.n
    ss = steady_state(e.alpha, e.beta, e.delta, utility=e.utility, chi=e.chi, b=e.b)
    scale = e.A ** (1.0 / (1.0 - e.alpha))           # K, C scale with A^(1/(1−α)); L does not
    kbar = ss.K * scale
    if x0 is None:
        z = np.concatenate([np.full(n, ss.K * scale), np.full(n, ss.L), np.full(n, ss.C * scale)])
    else:
        z = np.concatenate([np.asarray(v, float).ravel() for v in x0])
    # 1. semismooth Newton on the Fischer–Burmeister system
    z, err, it = _newton(e, z, kbar, tol, maxiter)
    # 2. active set: corners at exactly k = 0, smooth Newton on the rest, check complementarity
    for _ in range(5):
        k = z[:n]
        eh = 1.0 - _income(e, k, z[n:2 * n]).m_k / e.required_return
        fixed = k / kbar <= eh                       # the smaller of the two is the zero one
        z = z.copy()
        z[:n][fixed] = 0.0
        z, err, it2 = _newton(e, z, kbar, tol, 20, fixed=fixed)
        it += it2
        res, inc = _residuals(e, z[:n], z[n:2 * n], z[2 * n:], kbar)
        if np.all(z[:n] >= 0) and np.all(res.euler[fixed] >= -tol):
            break
    k, ell, c = z[:n], z[n:2 * n], z[2 * n:]
    res, inc = _residuals(e, k, ell, c, kbar)
    maxres = res.max
    converged = maxres <= max(tol, 1e-10) and np.all(k >= 0)
    if not converged:
        raise GameSolveError(f"game steady state not found: max residual {maxres:.3e} "
                             f"(n = {n}, aggregation {e.aggregation})")
    K, L = inc.S_K * e.per_head, inc.S_L * e.per_head
    calib = {key: cal[key] for key in cal if isinstance(cal[key], (int, float, str, bool))}
    return GameSolution(
        k=k, ell=ell, c=c, kappa=e.kappa.copy(), lam=e.lam.copy(), corner=k == 0.0,
        euler=res.euler, m_k=inc.m_k, m_l=inc.m_l, r=inc.r, w=inc.w, R=inc.R, W=inc.W,
        K=K, L=L, Y=e.A * K**e.alpha * L ** (1.0 - e.alpha), C=float(c.sum()),
        max_residual=maxres, iterations=it, converged=bool(converged),
        seconds=time.perf_counter() - t0, aggregation=e.aggregation, utility=e.utility,
        calibration=calib, own_price_weight=e.theta)


def solve_game_at_ratio(cal: dict, kappa, lam, x: float, aggregation: str | None = None,
                        tol: float = 1e-12) -> tuple[GameSolution, float]:
    """The game whose households share one Euler wedge, chosen so that its K/L is ``x``:

        1 = β' (1 − δ + ∂m_i/∂k_i)   for every household with k_i > 0,  one β' for all,

    the wedge 1/β' − 1/β. Returns the solution and β'. It separates how far a learned steady
    state is from the game in its aggregate (which one common wedge moves) from how its capital
    is spread across households (which it cannot move): against this solution the learned
    allocation differs only in the spread. K/L rises with β'; β' is found by Brent's method
    between brackets widened from ±10⁻³ up to ±0.02. Raises ``ValueError`` for ``x`` that no
    such β' reaches."""
    from scipy.optimize import brentq

    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"x (the target K/L) must be a positive number, got {x!r}")
    beta0 = float(cal["beta"])
    sols: dict[float, GameSolution] = {}

    def solve(beta: float) -> GameSolution:
        if beta not in sols:
            sols[beta] = solve_game({**cal, "beta": beta}, kappa, lam, aggregation, tol=tol)
        return sols[beta]

    def gap(beta: float) -> float:                      # log of the game's K/L over the target
        s = solve(beta)
        return float(np.log(s.K / s.L / x))

    h = 1e-3
    while h <= 0.02 + 1e-12:
        lo, hi = beta0 - h, min(beta0 + h, 1.0 - 1e-9)
        if gap(lo) <= 0.0 <= gap(hi):
            beta = brentq(gap, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)
            return solve(beta), float(beta)
        h *= 2.0
    raise ValueError(f"no common Euler wedge with |β' − β| <= 0.02 gives K/L = {x:.6g} (the game's is "
                     f"{solve(beta0).K / solve(beta0).L:.6g})")


# --------------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------------

def _own_m_kk(e: _Econ, k: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """∂²m_i/∂k_i², the slope of household i's own (Nash) return on capital in its own capital,
    the others' and its hours held: ∂m_k,i/∂k_i|_S + a_i ∂m_k,i/∂S_K (:func:`_income_jac`).
    Without the own-price effect (price taking) it would be 0."""
    _, dmk, _ = _income_jac(e, k, ell, _income(e, k, ell))
    return dmk[0] + e.weights[0] * dmk[2]


def own_curvature(cal: dict, kappa, lam, k, ell, aggregation: str | None = None) -> np.ndarray:
    """∂²m_i/∂k_i² for every household at (k, ℓ) (exposed for tests)."""
    e = _econ(cal, kappa, lam, aggregation)
    return _own_m_kk(e, np.asarray(k, float), np.asarray(ell, float))


def windfall_persistence(cal: dict, kappa, lam, k, ell, c, quarters: int = 10,
                         aggregation: str | None = None) -> np.ndarray:
    """Share of a small deviation of household i's own capital from the steady state (k, ℓ, c)
    left after ``quarters``, when household i alone adjusts (the others at their steady state)
    and its hours are held: μ_i^quarters, μ_i the stable root of its linearised Euler equation
    c' = β c (1 − δ + ∂m_i/∂k_i(k')) and budget k' = (1 − δ) k + m_i(k) − c (u'(c) = 1/c):

        μ² − (1 + 1/β + ε_i) μ + 1/β = 0,    ε_i = −β c_i ∂²m_i/∂k_i²

    (∂²m_i/∂k_i² from :func:`own_curvature`). The own-price effect is all that makes
    ∂²m_i/∂k_i² < 0, so for n > 1 μ_i is close to 1: with its hours held, a game household keeps
    most of a windfall for a long time. Free to choose its hours (u = log c − χℓ) it would not:
    its conditions pin c_i = W_i/χ and next quarter's capital at the steady state's from any k_i
    (up to O(1/n) price terms), so it works less until the windfall is gone, as fast as the hours
    bounds allow. NaN at corners (k_i = 0)."""
    e = _econ(cal, kappa, lam, aggregation)
    k, ell, c = (np.asarray(v, float) for v in (k, ell, c))
    B = 1.0 + 1.0 / e.beta - e.beta * c * _own_m_kk(e, k, ell)
    mu = (B - np.sqrt(B * B - 4.0 / e.beta)) / 2.0
    return np.where(k > 0, mu**quarters, np.nan)


def windfall_wage_quarters(cal: dict, kappa, lam, k, ell, size: float = 0.1,
                           aggregation: str | None = None) -> np.ndarray:
    """A windfall of ``size`` times household i's capital, in quarters of its wage income at the
    steady state (k, ℓ): (1 − δ + r_i) size k_i / (w_i ℓ_i). Free to choose its hours
    (u = log c − χℓ), a game household sheds a windfall by working less, so this is about how
    long it takes with its hours at zero. NaN at corners (k_i = 0)."""
    e = _econ(cal, kappa, lam, aggregation)
    k, ell = np.asarray(k, float), np.asarray(ell, float)
    inc = _income(e, k, ell)
    return np.where(k > 0, (1.0 - e.delta + inc.r) * size * k / (inc.w * ell), np.nan)


def euler_tolerance(cal: dict, kappa, lam, k, ell, rel: float = 0.05,
                    aggregation: str | None = None) -> np.ndarray:
    """The Euler residual that moves household i's steady-state capital by the share ``rel``
    when it alone deviates (the others and its hours held), to first order:

        e_i = 1 − β(1 − δ + ∂m_i/∂k_i),   ∂e_i/∂k_i = −β ∂²m_i/∂k_i²,
        tolerance_i = rel · β · |∂²m_i/∂k_i²| · k_i.

    A learned policy whose steady state has Euler residuals (in the game's own terms) above
    ``tolerance_i`` cannot hold k_i within ``rel`` of the game's. The own-price curvature is
    O(1/n), so the tolerance shrinks about as 1/n. NaN at corners (k_i = 0)."""
    e = _econ(cal, kappa, lam, aggregation)
    k, ell = np.asarray(k, float), np.asarray(ell, float)
    tol = rel * e.beta * np.abs(_own_m_kk(e, k, ell)) * k
    return np.where(k > 0, tol, np.nan)


def to_dataset(sol: GameSolution):
    """The solution as an xarray Dataset over dim ``household`` with units and descriptions."""
    import xarray as xr

    hh = np.arange(sol.n)
    var = {
        "k": (sol.k, "model units of capital", "steady-state capital of the household"),
        "ell": (sol.ell, "hours per quarter (model units)", "steady-state hours worked"),
        "c": (sol.c, "model units of the good per quarter", "steady-state consumption"),
        "kappa": (sol.kappa, "1", "capital productivity kappa_i"),
        "lambda": (sol.lam, "1", "labour productivity lambda_i"),
        "corner": (sol.corner.astype("i1"), "1",
                   "1 where the household holds no capital (k_i = 0, Euler as inequality)"),
        "euler": (sol.euler, "1", "Euler residual 1 - beta (1 - delta + dm_i/dk_i); 0 where k_i > 0, "
                                  ">= 0 where k_i = 0"),
        "m_k": (sol.m_k, "per quarter", "own-effect marginal return on capital dm_i/dk_i"),
        "m_l": (sol.m_l, "model units of the good per hour", "own-effect marginal income of hours dm_i/dell_i"),
        "r": (sol.r, "per quarter", "rental rate of capital of the household, kappa_i R"),
        "w": (sol.w, "model units of the good per hour", "wage of the household, lambda_i W"),
    }
    basis = "sum over households" if sol.aggregation == "marginal" else \
        "mean over households of productivity-weighted units"
    ds = xr.Dataset(
        {name: ("household", np.asarray(v), {"units": u, "long_name": d})
         for name, (v, u, d) in var.items()},
        coords={"household": ("household", hh, {"long_name": "household index"})},
    )
    for name, v, u, d in (("K", sol.K, "model units of capital", f"aggregate capital ({basis})"),
                          ("L", sol.L, "hours per quarter", f"aggregate labour ({basis})"),
                          ("Y", sol.Y, "model units of the good per quarter", "output A K^alpha L^(1-alpha)"),
                          ("C", sol.C, "model units of the good per quarter", "total consumption"),
                          ("R", sol.R, "per quarter", "base rental rate alpha A (K/L)^(alpha-1)"),
                          ("W", sol.W, "model units of the good per hour", "base wage (1-alpha) A (K/L)^alpha")):
        ds[name] = ((), v, {"units": u, "long_name": d})
    ds.attrs.update({
        "title": "Steady state of the heterogeneous RBC economy as an n-player game",
        "description": "Nash steady state: each household takes its own effect on K, L and prices "
                       "into account; Euler condition with complementarity k_i >= 0",
        "n": int(sol.n), "n_corner": int(sol.n_corner), "aggregation": sol.aggregation,
        "utility": sol.utility, "A": 1.0, "max_residual": float(sol.max_residual),
        "iterations": int(sol.iterations), "solve_seconds": float(sol.seconds),
        **{f"calibration_{key}": val if not isinstance(val, bool) else int(val)
           for key, val in sol.calibration.items()},
    })
    return ds


def summary(sol: GameSolution) -> dict:
    """A JSON-serialisable summary with per-household lists."""
    pos = sol.k[sol.k > 0]
    return {
        "n": int(sol.n), "aggregation": sol.aggregation, "utility": sol.utility,
        "k": sol.k.tolist(), "ell": sol.ell.tolist(), "c": sol.c.tolist(),
        "kappa": sol.kappa.tolist(), "lambda": sol.lam.tolist(),
        "corner": np.flatnonzero(sol.corner).tolist(), "n_corner": int(sol.n_corner),
        "K": float(sol.K), "L": float(sol.L), "Y": float(sol.Y), "C": float(sol.C),
        "R": float(sol.R), "W": float(sol.W),
        "k_max_over_min_positive": float(pos.max() / pos.min()) if pos.size else None,
        "max_residual": float(sol.max_residual), "iterations": int(sol.iterations),
        "seconds": float(sol.seconds),
        "calibration": {k: v for k, v in sol.calibration.items()},
    }
