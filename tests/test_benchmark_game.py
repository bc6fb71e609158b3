"""Steady state of the heterogeneous RBC as an n-player game (marlbc.benchmarks.game).

The optimality conditions are checked against an independent implementation of SPEC §1's
prices, written here, with own-effect derivatives ∂m_i/∂k_i, ∂m_i/∂ℓ_i by complex-step
differentiation (exact to rounding), not with the module's analytic formulas.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import marlbc.config as mc
from marlbc.benchmarks import game
from marlbc.benchmarks.steady_state import steady_state
from numpy.testing import assert_allclose

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
TOL = 1e-9


@pytest.fixture(scope="module")
def cfg():
    return mc.load(CONFIG)


@pytest.fixture(scope="module")
def cal(cfg):
    return mc.arm_calibration(cfg, "heterogeneous")


@pytest.fixture(scope="module")
def het(cfg):
    return cfg["arms"]["heterogeneous"]["heterogeneity"]


_SOLVED: dict = {}


def solved(cal, het, n, aggregation=None, utility=None):
    key = (n, aggregation, utility)
    if key not in _SOLVED:
        c = dict(cal)
        if utility:
            c.update(utility=utility, b=5.0)
        kappa, lam = mc.heterogeneity(het, n)
        _SOLVED[key] = game.solve_game(c, kappa, lam, aggregation=aggregation)
    return _SOLVED[key]


# ---- independent check of the conditions (SPEC §1 written out, complex-step derivatives) ----

def _own_income(cal, kappa, lam, k, ell, aggregation, dk=0.0, dl=0.0):
    """m_i when household i alone moves k_i += dk, ℓ_i += dl (vectorised over i)."""
    al, n = cal["alpha"], k.size
    if aggregation == "marginal":
        K = k.sum() + dk
        L = ell.sum() + dl
        r = al * (K / L) ** (al - 1) * kappa
        w = (1 - al) * (K / L) ** al * lam
    else:
        K = (kappa * k).mean() + kappa * dk / n
        L = (lam * ell).mean() + lam * dl / n
        Y = K**al * L ** (1 - al)
        r = al * Y / K * kappa
        w = (1 - al) * Y / L * lam
    return r * (k + dk) + w * (ell + dl)


def spec_conditions(sol, cal):
    """(euler, labour, budget) computed from the SPEC's prices, derivatives by complex step."""
    h = 1e-30
    agg = sol.aggregation
    m = _own_income(cal, sol.kappa, sol.lam, sol.k, sol.ell, agg).real
    m_k = _own_income(cal, sol.kappa, sol.lam, sol.k.astype(complex), sol.ell, agg, dk=1j * h).imag / h
    m_l = _own_income(cal, sol.kappa, sol.lam, sol.k, sol.ell.astype(complex), agg, dl=1j * h).imag / h
    euler = 1 - cal["beta"] * (1 - cal["delta"] + m_k)
    if sol.utility == "linear_labour":
        labour = m_l / sol.c - cal["chi"]
    else:
        labour = m_l / sol.c - cal.get("b", 5.0) / (1 - sol.ell)
    budget = sol.c - (m - cal["delta"] * sol.k)
    return euler, labour, budget


def assert_optimal(sol, cal, tol=TOL):
    euler, labour, budget = spec_conditions(sol, cal)
    interior = ~sol.corner
    assert np.all(sol.k >= 0)
    assert np.all(sol.k[sol.corner] == 0)
    assert np.all(sol.k[interior] > 0)
    assert np.abs(euler[interior]).max() <= tol                 # equality where k_i > 0
    if sol.corner.any():
        assert euler[sol.corner].min() >= -tol                  # 1 ≥ β(1 − δ + m_k) where k_i = 0
    assert np.abs(sol.k * euler).max() <= tol                   # complementarity: product zero
    assert np.abs(labour).max() <= tol
    assert np.abs(budget).max() <= tol
    assert np.all(sol.c > 0) and np.all(sol.ell > 0)
    assert sol.max_residual <= tol
    # and the module's own residuals agree
    res = game.residuals(dict(cal, utility=sol.utility), sol.kappa, sol.lam, sol.k, sol.ell, sol.c,
                         aggregation=sol.aggregation)
    assert res.max <= tol
    np.testing.assert_allclose(res.euler, euler, atol=1e-12)


# ---- representative steady state ---------------------------------------------------------

@pytest.mark.parametrize("n", [1, 20, 100])
def test_symmetric_equals_representative(cal, n):
    ss = steady_state(**cal)
    sol = game.solve_game(cal, np.ones(n), np.ones(n))
    assert sol.aggregation == "marginal" and sol.n_corner == 0
    np.testing.assert_allclose(sol.k, ss.K, rtol=1e-12)
    np.testing.assert_allclose(sol.ell, ss.L, rtol=1e-12)
    np.testing.assert_allclose(sol.c, ss.C, rtol=1e-12)
    # marginal aggregation: K, L are sums, so totals are n times the per-head steady state
    assert sol.K == pytest.approx(n * ss.K, rel=1e-12)
    assert sol.L == pytest.approx(n * ss.L, rel=1e-12)
    assert sol.Y == pytest.approx(n * ss.Y, rel=1e-12)
    assert sol.C == pytest.approx(n * ss.C, rel=1e-12)
    assert sol.R == pytest.approx(ss.r, rel=1e-12) and sol.W == pytest.approx(ss.w, rel=1e-12)
    assert_optimal(sol, cal, tol=1e-12)


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
@pytest.mark.parametrize("utility", ["linear_labour", "log_leisure"])
@pytest.mark.parametrize("n", [1, 20, 100])
def test_symmetric_equals_representative_variants(cal, aggregation, utility, n):
    c = dict(cal, utility=utility, b=5.0)
    ss = steady_state(**c)
    sol = game.solve_game(c, np.ones(n), np.ones(n), aggregation=aggregation)
    per_head = n if aggregation == "marginal" else 1        # effective: K, L are means
    np.testing.assert_allclose(sol.k, ss.K, rtol=1e-12)
    np.testing.assert_allclose(sol.ell, ss.L, rtol=1e-12)
    np.testing.assert_allclose(sol.c, ss.C, rtol=1e-12)
    assert sol.K == pytest.approx(per_head * ss.K, rel=1e-12)
    assert sol.Y == pytest.approx(per_head * ss.Y, rel=1e-12)


def test_tfp_scaling(cal):
    """With A ≠ 1, K and C scale with A^(1/(1−α)) and hours do not."""
    ss, A = steady_state(**cal), 1.1
    sol = game.solve_game(cal, np.ones(5), np.ones(5), A=A)
    np.testing.assert_allclose(sol.k, ss.K * A ** (1 / (1 - cal["alpha"])), rtol=1e-12)
    np.testing.assert_allclose(sol.ell, ss.L, rtol=1e-12)


def test_own_price_effects_cancel_at_symmetry(cal):
    """κ = λ = 1, k_i/K = ℓ_i/L: ∂m_i/∂k_i = r and ∂m_i/∂ℓ_i = w (Euler's theorem)."""
    n = 7
    k, ell = np.full(n, 3.0), np.full(n, 0.4)
    inc = game.income(cal, np.ones(n), np.ones(n), k, ell)
    np.testing.assert_allclose(inc.m_k, inc.R, rtol=1e-14)
    np.testing.assert_allclose(inc.m_l, inc.W, rtol=1e-14)
    # but away from symmetry they do not: more capital than hours lowers the own return
    k2 = k.copy()
    k2[0] *= 2
    inc2 = game.income(cal, np.ones(n), np.ones(n), k2, ell)
    assert inc2.m_k[0] < inc2.R


# ---- heterogeneous: the config's productivities ------------------------------------------

@pytest.mark.parametrize("n", [20, 100, 529])
def test_optimality_conditions_config_heterogeneity(cal, het, n):
    sol = solved(cal, het, n)
    kappa, lam = mc.heterogeneity(het, n)
    np.testing.assert_array_equal(sol.kappa, kappa)
    np.testing.assert_array_equal(sol.lam, lam)
    assert_optimal(sol, cal)


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
@pytest.mark.parametrize("utility", ["linear_labour", "log_leisure"])
@pytest.mark.parametrize("n", [20, 100, 529])
def test_optimality_conditions_variants(cal, het, aggregation, utility, n):
    assert_optimal(solved(cal, het, n, aggregation, utility), cal)


def test_n20_interior_capital_ratio(cal, het):
    sol = solved(cal, het, 20)
    assert sol.n_corner == 0
    ratio = sol.k.max() / sol.k.min()
    assert ratio == pytest.approx(3.2343, rel=1e-3)            # "capital ranges over a factor of ~3"
    # the richest household has the highest capital productivity, the poorest the lowest
    assert sol.kappa[np.argmax(sol.k)] == sol.kappa.max()
    assert sol.kappa[np.argmin(sol.k)] == sol.kappa.min()
    # dispersion, with aggregate capital close to the representative one
    ss = steady_state(**cal)
    assert sol.K / 20 == pytest.approx(ss.K, rel=0.05)


@pytest.mark.parametrize("n, expected", [(9, 0), (25, 0), (49, 7), (100, 40), (225, 135), (529, 391)])
def test_corners_on_paper_grids(cal, het, n, expected):
    """On the paper grids the lowest-κ rows of the grid hold no capital."""
    sol = solved(cal, het, n)
    assert sol.n_corner == expected
    assert_optimal(sol, cal)
    if expected:
        # corners are whole κ-levels of the grid: everyone with κ below a threshold
        assert sol.kappa[sol.corner].max() < sol.kappa[~sol.corner].min()
        assert sol.n_corner % int(round(np.sqrt(n))) == 0


def test_solution_independent_of_start(cal, het):
    n = 100
    ref = solved(cal, het, n)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x0 = (ref.K / n * rng.uniform(0.2, 3, n), rng.uniform(0.3, 1.2, n), rng.uniform(1, 3, n))
        sol = game.solve_game(cal, ref.kappa, ref.lam, x0=x0)
        np.testing.assert_array_equal(sol.corner, ref.corner)
        np.testing.assert_allclose(sol.k, ref.k, atol=1e-9)
        np.testing.assert_allclose(sol.ell, ref.ell, atol=1e-12)


def test_paper_grid_529_solves(cal, het):
    kappa, lam = mc.heterogeneity(het, 529)
    sol = game.solve_game(cal, kappa, lam)
    assert sol.max_residual <= 1e-12


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), seed=st.integers(0, 2**31 - 1),
       aggregation=st.sampled_from(["marginal", "effective"]))
def test_random_productivities(cal, n, seed, aggregation):
    rng = np.random.default_rng(seed)
    kappa, lam = rng.uniform(0.98, 1.02, n), rng.uniform(0.98, 1.02, n)
    sol = game.solve_game(cal, kappa, lam, aggregation=aggregation)
    assert_optimal(sol, cal)


# ---- derivatives and Jacobian: finite differences ----------------------------------------

def _point(n, rng):
    kappa, lam = rng.uniform(0.97, 1.03, n), rng.uniform(0.97, 1.03, n)
    k = rng.uniform(5, 40, n)
    ell = rng.uniform(0.3, 0.9, n)
    c = rng.uniform(1.5, 2.5, n)
    return kappa, lam, k, ell, c


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
def test_income_derivatives_finite_difference(cal, aggregation):
    rng = np.random.default_rng(2)
    kappa, lam, k, ell, _ = _point(6, rng)
    inc = game.income(cal, kappa, lam, k, ell, aggregation=aggregation)
    for i in range(6):
        for which, analytic in (("k", inc.m_k[i]), ("l", inc.m_l[i])):
            h = 1e-5 * (k[i] if which == "k" else ell[i])
            e = np.zeros(6)
            e[i] = h
            up = game.income(cal, kappa, lam, k + e * (which == "k"), ell + e * (which == "l"),
                             aggregation=aggregation).m[i]
            dn = game.income(cal, kappa, lam, k - e * (which == "k"), ell - e * (which == "l"),
                             aggregation=aggregation).m[i]
            assert (up - dn) / (2 * h) == pytest.approx(analytic, rel=1e-8)


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
@pytest.mark.parametrize("utility", ["linear_labour", "log_leisure"])
@pytest.mark.parametrize("active_set", [False, True])
@pytest.mark.parametrize("theta", [1.0, 0.4])
def test_jacobian_finite_difference(cal, aggregation, utility, active_set, theta):
    c_ = dict(cal, utility=utility, b=5.0)
    rng = np.random.default_rng(3)
    n = 7
    kappa, lam, k, ell, c = _point(n, rng)
    fixed = (np.arange(n) % 3 == 0) if active_set else None
    jac = functools.partial(game.jacobian, own_price_weight=theta)
    F, J = jac(c_, kappa, lam, k, ell, c, aggregation=aggregation, fixed=fixed)
    assert J.shape == (3 * n, 3 * n)
    z = np.concatenate([k, ell, c])
    Jfd = np.empty_like(J)
    for j in range(3 * n):
        h = 1e-6 * max(1.0, abs(z[j]))
        zp, zm = z.copy(), z.copy()
        zp[j] += h
        zm[j] -= h
        Fp, _ = jac(c_, kappa, lam, zp[:n], zp[n:2 * n], zp[2 * n:], aggregation=aggregation, fixed=fixed)
        Fm, _ = jac(c_, kappa, lam, zm[:n], zm[n:2 * n], zm[2 * n:], aggregation=aggregation, fixed=fixed)
        Jfd[:, j] = (Fp - Fm) / (2 * h)
    np.testing.assert_allclose(J, Jfd, rtol=1e-6, atol=1e-8)


def test_woodbury_solve_matches_dense(cal, het):
    """The O(n) structured Newton solve agrees with the dense Jacobian."""
    sol = solved(cal, het, 49)
    e = game._econ(cal, sol.kappa, sol.lam)
    z = np.concatenate([sol.k * 1.1 + 0.5, sol.ell * 0.9, sol.c])
    F, Js = game._system(e, z, game._k_scale(e))
    np.testing.assert_allclose(Js.dense() @ Js.solve(F), F, rtol=0, atol=1e-10)


# ---- outputs -----------------------------------------------------------------------------

def test_to_dataset_and_netcdf(cal, het, tmp_path):
    import xarray as xr

    sol = solved(cal, het, 100)
    ds = game.to_dataset(sol)
    assert ds.sizes["household"] == 100
    for name in ("k", "ell", "c", "kappa", "lambda", "corner", "euler", "r", "w"):
        assert ds[name].dims == ("household",)
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"]
    for name in ("K", "L", "Y", "C"):
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"]
    assert ds.attrs["n"] == 100 and ds.attrs["aggregation"] == "marginal"
    assert ds.attrs["n_corner"] == 40
    assert ds.attrs["calibration_alpha"] == cal["alpha"]
    assert ds.attrs["calibration_utility"] == cal["utility"]
    path = tmp_path / "game.nc"
    ds.to_netcdf(path)
    back = xr.load_dataset(path)
    np.testing.assert_array_equal(back["k"].values, sol.k)
    assert int(back["corner"].sum()) == sol.n_corner


def test_summary_json(cal, het):
    sol = solved(cal, het, 100)
    s = json.loads(json.dumps(game.summary(sol)))
    for key in ("k", "ell", "c", "kappa", "lambda"):
        assert len(s[key]) == 100
    assert s["n_corner"] == 40 and len(s["corner"]) == 40
    assert s["K"] == pytest.approx(sol.K) and s["L"] == pytest.approx(sol.L)
    assert s["K"] == pytest.approx(sum(s["k"]))


def test_bad_inputs(cal):
    with pytest.raises(ValueError, match="aggregation"):
        game.solve_game(cal, np.ones(3), np.ones(3), aggregation="bogus")
    with pytest.raises(ValueError, match="same length"):
        game.solve_game(cal, np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="utility"):
        game.solve_game(dict(cal, utility="cobb"), np.ones(3), np.ones(3))


def test_windfall_persistence_is_the_stable_root_of_the_households_own_problem(cal, het):
    """n = 1 (the household owns the economy): the share of a capital deviation left after one
    quarter is the stable eigenvalue of the linearised map (k, c) -> (k', c') of the Euler
    equation and the budget with hours held, found here by finite differences; n > 1 keeps more
    (the own-price effect is O(1/n)), corners are NaN."""
    one = solved(cal, het, 1)
    e = game._econ(cal, one.kappa, one.lam)
    ell = one.ell

    def step(z):
        k, c = z
        k1 = (1 - e.delta) * k + game._income(e, np.array([k]), ell).m[0] - c
        c1 = c * e.beta * (1 - e.delta + game._income(e, np.array([k1]), ell).m_k[0])
        return np.array([k1, c1])

    z0, h = np.array([one.k[0], one.c[0]]), 1e-6
    J = np.column_stack([(step(z0 + h * d) - step(z0 - h * d)) / (2 * h) for d in np.eye(2)])
    stable = min(abs(np.linalg.eigvals(J)))
    np.testing.assert_allclose(game.windfall_persistence(cal, one.kappa, one.lam, one.k, one.ell, one.c, 1)[0],
                               stable, rtol=1e-6)
    many = solved(cal, het, 100)
    kept = game.windfall_persistence(cal, many.kappa, many.lam, many.k, many.ell, many.c, 10)
    assert np.isnan(kept[many.corner]).all() and many.corner.any()
    assert (kept[~many.corner] > stable**10).all() and (kept[~many.corner] < 1).all()


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
def test_own_curvature_is_the_derivative_of_the_own_return_in_own_capital(cal, het, aggregation):
    sol = solved(cal, het, 25, aggregation)
    e = game._econ(cal, sol.kappa, sol.lam, aggregation)
    m_kk = game.own_curvature(cal, sol.kappa, sol.lam, sol.k, sol.ell, aggregation)
    for i in np.flatnonzero(~sol.corner)[:5]:
        h = 1e-5 * sol.k[i]
        up, down = sol.k.copy(), sol.k.copy()
        up[i] += h
        down[i] -= h
        fd = (game._income(e, up, sol.ell).m_k[i] - game._income(e, down, sol.ell).m_k[i]) / (2 * h)
        np.testing.assert_allclose(m_kk[i], fd, rtol=1e-6)
    assert (m_kk < 0).all()                   # the own-price effect lowers the return as k_i grows


def test_euler_tolerance_is_the_residual_that_moves_own_capital_by_rel(cal, het):
    """Household i alone solves 1 − β(1 − δ + m_k,i(k_i)) = tolerance_i (the others and its hours
    held): its capital moves by ``rel`` to first order; the tolerance shrinks about as 1/n."""
    from scipy.optimize import brentq

    sol = solved(cal, het, 25)
    e = game._econ(cal, sol.kappa, sol.lam)
    rel = 1e-3
    tol = game.euler_tolerance(cal, sol.kappa, sol.lam, sol.k, sol.ell, rel)
    for i in np.flatnonzero(~sol.corner)[:5]:
        def gap(ki):
            k = sol.k.copy()
            k[i] = ki
            return 1.0 - e.beta * (1.0 - e.delta + game._income(e, k, sol.ell).m_k[i]) - tol[i]
        moved = brentq(gap, 0.5 * sol.k[i], 1.5 * sol.k[i], xtol=1e-14)
        np.testing.assert_allclose(abs(moved / sol.k[i] - 1.0), rel, rtol=1e-2)
    med = {n: np.nanmedian(game.euler_tolerance(cal, s.kappa, s.lam, s.k, s.ell))
           for n, s in ((n, solved(cal, het, n)) for n in (9, 49))}
    assert 0.5 < med[9] / med[49] * 9 / 49 < 2.0
    many = solved(cal, het, 100)
    assert np.isnan(game.euler_tolerance(cal, many.kappa, many.lam, many.k, many.ell)[many.corner]).all()


def test_own_price_weight_scales_the_own_price_term_and_spreads_capital(cal, het):
    """θ weights the own-price term of the return on capital only: m_k(θ) = κ R + θ (m_k(1) − κ R),
    m and m_l unchanged. The weaker the own-price effect that pins a household's capital, the
    further capital concentrates in the productive households: the coefficient of variation of
    the steady state rises as θ falls (n = 20; at θ = 0.9 the median household moves 2–3 %)."""
    kappa, lam = mc.heterogeneity(het, 20)
    base = game.solve_game(cal, kappa, lam)
    inc1 = game.income(cal, kappa, lam, base.k, base.ell)
    inc = game.income(cal, kappa, lam, base.k, base.ell, own_price_weight=0.6)
    assert_allclose(inc.m_k, inc1.r + 0.6 * (inc1.m_k - inc1.r), rtol=1e-14)
    assert_allclose(inc.m_l, inc1.m_l, rtol=0)
    assert_allclose(inc.m, inc1.m, rtol=0)
    cv = []
    for theta in (1.0, 0.9, 0.75, 0.5):
        sol = game.solve_game(cal, kappa, lam, own_price_weight=theta)
        assert sol.own_price_weight == theta
        res = game.residuals(cal, kappa, lam, sol.k, sol.ell, sol.c, own_price_weight=theta)
        assert res.max <= 1e-10
        cv.append(sol.k.std() / sol.k.mean())
        if theta == 1.0:
            assert_allclose(sol.k, base.k, rtol=0)
        if theta == 0.9:
            assert 0.01 < np.median(np.abs(sol.k / base.k - 1)) < 0.05
    assert np.all(np.diff(cv) > 0)
    with pytest.raises(ValueError, match="own_price_weight"):
        game.solve_game(cal, kappa, lam, own_price_weight=-0.1)


def test_game_at_ratio_moves_the_aggregate_with_one_common_wedge(cal, het):
    """At the game's own K/L the common wedge is 0 and the solution the game's; at the K/L of the
    game with another β it recovers that β, to the bracketing tolerance, and its solution."""
    kappa, lam = mc.heterogeneity(het, 20)
    base = game.solve_game(cal, kappa, lam)
    sol, beta = game.solve_game_at_ratio(cal, kappa, lam, base.K / base.L)
    assert beta == pytest.approx(cal["beta"], abs=1e-13)
    assert_allclose(sol.k, base.k, rtol=1e-9)
    other = game.solve_game({**cal, "beta": cal["beta"] + 3e-4}, kappa, lam)
    sol, beta = game.solve_game_at_ratio(cal, kappa, lam, other.K / other.L)
    assert beta == pytest.approx(cal["beta"] + 3e-4, abs=1e-12)
    assert_allclose(sol.k, other.k, rtol=1e-8)
    assert other.K / other.L > base.K / base.L                  # K/L rises with β
    with pytest.raises(ValueError, match="K/L"):
        game.solve_game_at_ratio(cal, kappa, lam, 2.0 * base.K / base.L)
    with pytest.raises(ValueError, match="target K/L"):
        game.solve_game_at_ratio(cal, kappa, lam, float("nan"))
