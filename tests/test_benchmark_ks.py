"""Krusell–Smith (1998) benchmark: transition matrix, z path, statistics, EGM and the algorithm.

Fast tests use a coarse solve (T = 1500, coarse grids, ~3 s); the full default solve is
``slow``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marlbc import config
from marlbc.benchmarks import ks

ROOT = Path(__file__).resolve().parents[1]

# published KS98 benchmark (p. 877); intercepts in KS98 units (l̃ = 0.3271)
SLOPE_TOL = 0.003        # |b_z − published b_z|
INTERCEPT_TOL = 0.005    # |a_z(KS98 units) − published a_z|


@pytest.fixture(scope="module")
def cal() -> dict:
    return dict(config.load(ROOT / "config.yaml")["calibrations"]["ks98"])


@pytest.fixture(scope="module")
def coarse(cal):
    return ks.solve(cal, T=1500, burn=300, seed=0, nk=100, nK=9, nf=600)


# --------------------------------------------------------------------------------------------
# Exogenous processes
# --------------------------------------------------------------------------------------------

def test_transition_matrix_rows_and_bounds(cal):
    P = ks.transition_matrix(cal)
    assert P.shape == (4, 4)
    assert np.all(P >= 0) and np.all(P <= 1)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=0, atol=1e-15)


def test_transition_matrix_matches_den_haan_judd_juillard(cal):
    # den Haan, Judd & Juillard (2010) matrix, states (b,u), (b,e), (g,u), (g,e)
    djj = np.array([[0.525, 0.35, 0.03125, 0.09375],
                    [0.038889, 0.836111, 0.002083, 0.122917],
                    [0.09375, 0.03125, 0.291667, 0.583333],
                    [0.009115, 0.115885, 0.024306, 0.850694]])
    np.testing.assert_allclose(ks.transition_matrix(cal), djj[::-1, ::-1], atol=1e-6)


def test_unemployment_exact_conditional_on_z_and_zprime(cal):
    P = ks.transition_matrix(cal)
    u = np.array([cal["u_good"], cal["u_bad"]])
    nxt = ks.unemployment_next(P, u)
    np.testing.assert_allclose(nxt, np.broadcast_to(u, (2, 2)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ks.stationary_unemployment(P), [0.04, 0.10], rtol=0, atol=1e-12)


def test_spells_durations_and_switches(cal):
    Pe = ks.employment_transition(cal)           # [z, z', e, e']
    Pz = ks.aggregate_transition(cal)
    np.testing.assert_allclose(np.diag(Pz), 0.875, atol=1e-15)
    np.testing.assert_allclose(1.0 / (1.0 - np.diag(Pz)), 8.0)
    np.testing.assert_allclose(1.0 / (1.0 - Pe[0, 0, 1, 1]), 1.5)      # mean spell, good
    np.testing.assert_allclose(1.0 / (1.0 - Pe[1, 1, 1, 1]), 2.5)      # mean spell, bad
    np.testing.assert_allclose(Pe[0, 1, 1, 1], 1.25 * Pe[1, 1, 1, 1])  # g -> b
    np.testing.assert_allclose(Pe[1, 0, 1, 1], 0.75 * Pe[0, 0, 1, 1])  # b -> g
    # P(z'|z) is the same from either employment state
    P = ks.transition_matrix(cal).reshape(2, 2, 2, 2)
    np.testing.assert_allclose(P.sum(-1)[:, 0], P.sum(-1)[:, 1], atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(u_g=st.floats(0.01, 0.2), du=st.floats(0.0, 0.15), s_g=st.floats(1.05, 4.0),
       s_b=st.floats(1.05, 6.0), gb=st.floats(0.5, 1.5), bg=st.floats(0.3, 1.2),
       D=st.floats(1.5, 20.0))
def test_transition_matrix_properties(cal, u_g, du, s_g, s_b, gb, bg, D):
    c = dict(cal, u_good=u_g, u_bad=u_g + du, spell_good=s_g, spell_bad=s_b,
             switch_gb=gb, switch_bg=bg, z_duration=D)
    try:
        P = ks.transition_matrix(c)
    except ValueError:
        assume(False)
    u = np.array([c["u_good"], c["u_bad"]])
    np.testing.assert_allclose(P.sum(1), 1.0, atol=1e-14)
    assert np.all(P >= 0)
    np.testing.assert_allclose(ks.unemployment_next(P, u), np.broadcast_to(u, (2, 2)), atol=1e-13)
    np.testing.assert_allclose(ks.stationary_unemployment(P), u, atol=1e-10)


def test_invalid_calibration_raises(cal):
    with pytest.raises(ValueError, match="outside"):
        ks.transition_matrix(dict(cal, u_good=0.3, spell_good=1.05))   # p_eu(g,b) < 0


def test_z_path_deterministic_and_markov(cal):
    a, b = ks.z_path(cal, 1000, seed=3), ks.z_path(cal, 1000, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, ks.z_path(cal, 1000, seed=4))
    assert set(np.unique(a)) <= {0, 1} and a.dtype == np.int8
    z = ks.z_path(cal, 200_000, seed=0)
    stay = np.mean(z[1:] == z[:-1])
    assert abs(stay - 0.875) < 0.004
    assert abs(z.mean() - 0.5) < 0.03


def test_law_of_motion_forecast(cal):
    coefs = {"a_good": 0.1, "b_good": 0.97, "a_bad": 0.09, "b_bad": 0.97}
    z = np.array([0, 0, 1, 1, 0])
    K = ks.law_of_motion_forecast(coefs, z, 30.0)
    assert len(K) == len(z) and K[0] == 30.0
    for t in range(len(z) - 1):
        a, b = (0.1, 0.97) if z[t] == 0 else (0.09, 0.97)
        assert math.isclose(math.log(K[t + 1]), a + b * math.log(K[t]), rel_tol=1e-12)
    Kstar = math.exp(0.1 / 0.03)
    np.testing.assert_allclose(ks.law_of_motion_forecast([[0.1, 0.97], [0.1, 0.97]], np.zeros(50, int), Kstar),
                               Kstar, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------

def test_gini_known_values():
    assert ks.gini(np.ones(10)) == pytest.approx(0.0, abs=1e-15)
    assert ks.gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert ks.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    # weights are population masses: the same as repeating values
    assert ks.gini([1, 3], weights=[2, 1]) == pytest.approx(ks.gini([1, 1, 3]))
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=500)
    mad = np.abs(x[:, None] - x[None, :]).mean()
    assert ks.gini(x) == pytest.approx(mad / (2 * x.mean()), rel=1e-12)


def test_wealth_shares_known_values():
    s = ks.wealth_shares(np.arange(1, 101))           # 1..100, total 5050
    assert s["top1"] == pytest.approx(100 / 5050)
    assert s["top10"] == pytest.approx(sum(range(91, 101)) / 5050)
    assert s["bottom40"] == pytest.approx(sum(range(1, 41)) / 5050)
    eq = ks.wealth_shares(np.ones(7))
    assert eq["top1"] == pytest.approx(0.01) and eq["bottom40"] == pytest.approx(0.40)


# --------------------------------------------------------------------------------------------
# Household problem and simulation (coarse solve)
# --------------------------------------------------------------------------------------------

def test_coarse_solve_converges(coarse):
    assert coarse.converged
    assert coarse.r2.min() > 0.9999
    assert coarse.history[-1] < 1e-6


def test_coarse_coefficients_near_published(coarse):
    s = ks.summary(coarse)
    assert abs(s["b_good"] - ks.PUBLISHED["b_good"]) < SLOPE_TOL
    assert abs(s["b_bad"] - ks.PUBLISHED["b_bad"]) < SLOPE_TOL
    assert abs(s["a_good_ks98_units"] - ks.PUBLISHED["a_good"]) < INTERCEPT_TOL
    assert abs(s["a_bad_ks98_units"] - ks.PUBLISHED["a_bad"]) < INTERCEPT_TOL
    assert 11.4 < s["mean_K_ks98_units"] < 11.9
    assert s["den_haan_max"] < 1.0


def test_distribution_statistics_sensible(coarse):
    assert 0.20 < coarse.gini < 0.30
    assert 0.01 < coarse.top1 < 0.05
    assert 0.15 < coarse.top10 < 0.25
    assert 0.20 < coarse.bottom40 < 0.30
    h = coarse.wealth_hist
    assert h.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(h.sum(1)[1], np.mean(np.array([0.04, 0.10])[coarse.z_path[coarse.burn:]]),
                               rtol=1e-10)
    # the averaged histogram agrees with the Gini of its own (time-averaged) distribution
    assert ks.gini(coarse.k_fine, h.sum(0)) == pytest.approx(coarse.gini, abs=0.01)


def test_euler_residuals_small(coarse):
    err = np.abs(ks.euler_errors(coarse))
    assert np.all(np.isfinite(err))
    assert err.max() < 5e-3
    assert np.log10(err).mean() < -4.0


def test_egm_fixed_point_and_constraint(cal, coarse):
    m = ks.Model.from_calibration(cal)
    step = ks.egm_step(m, coarse.coefs_perceived, coarse.k_grid, coarse.K_grid, coarse.policy)
    assert np.max(np.abs(step - coarse.policy)) < 1e-6
    kp = coarse.policy
    assert np.all(kp >= 0)
    assert np.all(coarse.consumption >= 0)
    # k' > 0 for every k > 0: with zero income in unemployment the constraint never binds
    assert np.all(kp[..., 1:] > 0)
    # an unemployed household with nothing consumes nothing and saves nothing
    np.testing.assert_allclose(kp[:, 1, :, 0], 0.0, atol=1e-12)
    # policy increasing in k
    assert np.all(np.diff(kp, axis=-1) > 0)


def test_histogram_unemployment_exact_each_period(cal, coarse):
    m = ks.Model.from_calibration(cal)
    nK, nk, nf = len(coarse.K_grid), len(coarse.k_grid), len(coarse.k_fine)
    kp_fine = ks._rowwise_interp(np.broadcast_to(coarse.k_fine, (4 * nK, nf)),
                                 np.broadcast_to(coarse.k_grid, (4 * nK, nk)),
                                 coarse.policy.reshape(-1, nk)).reshape(2, 2, nK, nf)
    zs = coarse.z_path[:30]
    mu0 = np.zeros((2, nf))
    mu0[:, 300] = [1 - m.u[zs[0]], m.u[zs[0]]]
    prev_K = None
    for n in range(2, 30):
        K, mu, _, _ = ks._simulate(m, kp_fine, coarse.K_grid, coarse.k_fine, zs[:n], mu0, n, 10)
        assert mu.sum() == pytest.approx(1.0, abs=1e-14)
        assert mu[1].sum() == pytest.approx(m.u[zs[n - 1]], abs=1e-15)
        assert np.all(mu >= 0)
        if prev_K is not None:
            np.testing.assert_allclose(K[:-1], prev_K, rtol=1e-13)
        prev_K = K
    # the lottery preserves the mean: K_{t+1} = Σ μ_t k'(k, ε; K_t, z_t)
    K, _, _, _ = ks._simulate(m, kp_fine, coarse.K_grid, coarse.k_fine, zs[:2], mu0, 2, 10)
    iK, wK = ks._K_weights(coarse.K_grid, K[0])
    pol = (1 - wK) * kp_fine[zs[0], :, iK] + wK * kp_fine[zs[0], :, iK + 1]
    assert K[1] == pytest.approx(float(np.sum(mu0 * pol)), rel=1e-12)


def test_den_haan_uses_simulated_path(coarse):
    Kw = coarse.K_path[coarse.burn:]
    assert coarse.K_forecast[0] == Kw[0]
    err = 100 * np.abs(np.log(coarse.K_forecast / Kw))
    assert coarse.den_haan_max == pytest.approx(err.max())
    assert coarse.den_haan_mean == pytest.approx(err.mean())
    np.testing.assert_array_equal(coarse.z_path, ks.z_path(coarse.cal, coarse.burn + coarse.T, coarse.seed))


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------

REQUIRED = ("a_good", "b_good", "a_bad", "b_bad", "r2_good", "r2_bad", "mean_K", "gini",
            "se_good", "se_bad", "den_haan_max", "den_haan_mean", "top1", "top10", "bottom40",
            "iterations", "seconds")


def test_summary_json(coarse):
    s = ks.summary(coarse)
    for k in REQUIRED:
        assert k in s
    back = json.loads(json.dumps(s))
    assert back == s


def test_to_dataset_netcdf_roundtrip(coarse, tmp_path):
    import xarray as xr

    ds = ks.to_dataset(coarse)
    for name, var in ds.data_vars.items():
        assert "long_name" in var.attrs and "units" in var.attrs, name
    assert ds.attrs["cal_alpha"] == 0.36 and ds.attrs["state_order"].startswith("g,e")
    assert ds.policy_k.dims == ("z_state", "employment", "K_grid", "k")
    path = tmp_path / "ks.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        np.testing.assert_allclose(back.K.values, coarse.K_path)
        np.testing.assert_array_equal(back.z_index.values, coarse.z_path)
        assert float(back.gini) == pytest.approx(coarse.gini)


# --------------------------------------------------------------------------------------------
# The full solve
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def full(cal):
    return ks.solve(cal)                     # T = 10 000 after 1 000 burn-in, seed 0


@pytest.mark.slow
def test_full_solve_matches_published(full):
    sol = full
    s = ks.summary(sol)
    assert sol.converged and s["seconds"] < 180
    assert min(s["r2_good"], s["r2_bad"]) > 0.99999
    assert abs(s["b_good"] - 0.962) < SLOPE_TOL and abs(s["b_bad"] - 0.965) < SLOPE_TOL
    assert abs(s["a_good_ks98_units"] - 0.095) < INTERCEPT_TOL
    assert abs(s["a_bad_ks98_units"] - 0.085) < INTERCEPT_TOL
    assert 11.5 < s["mean_K_ks98_units"] < 11.8
    assert abs(s["gini"] - 0.25) < 0.02
    assert s["den_haan_max"] < 0.5
    err = np.abs(ks.euler_errors(sol))
    assert err.max() < 2e-3


@pytest.mark.slow
def test_solution_policy_through_the_evaluation_reproduces_its_statistics(full):
    """The learned policies' yardstick checked on the solution itself: its savings rule, run by
    ``evaluate_policy`` in 500 simulated households on the benchmark's z path, gives the
    solution's mean K, wealth Gini and law of motion (the solution: a continuum histogram)."""
    from marlbc.economy import make_params
    from marlbc.evaluation.evaluate import evaluate_policy
    from marlbc.evaluation.policies import ObsPolicyFromKS

    cfg = config.resolve(config.load(ROOT / "config.yaml"), "full")
    n = 500
    pol = ObsPolicyFromKS(full.policy, full.k_grid, full.K_grid, make_params(cfg, "ks", n))
    ds, s = evaluate_policy(cfg, pol, "ks", n, 0, options={"det_periods": 50})
    np.testing.assert_array_equal(ds["z_index"].values, full.z_path[: ds.sizes["t"]])
    assert s["mean_K"] == pytest.approx(full.mean_K, rel=1e-3)
    assert s["gini"] == pytest.approx(full.gini, abs=0.005)
    np.testing.assert_allclose(ds["lom_slope"].mean("env").values, full.coefs[:, 1], atol=5e-4)
    np.testing.assert_allclose(ds["lom_intercept"].mean("env").values, full.coefs[:, 0], atol=5e-3)
