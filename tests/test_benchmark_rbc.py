"""Tests of the global RBC benchmark (marlbc.benchmarks.rbc)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from marlbc.benchmarks import rbc
from marlbc.benchmarks.steady_state import closed_form, steady_state

SEED = {"alpha": 0.33, "beta": 0.99, "delta": 0.025, "utility": "linear_labour", "chi": 1.0,
        "rho": 0.95, "sigma_A": 0.01, "aggregation": "marginal"}
PAPER_DELTA1 = {"alpha": 0.36, "beta": 0.95, "delta": 1.0, "utility": "log_leisure", "b": 5.0,
                "rho": 0.9, "sigma_A": 0.01, "aggregation": "marginal"}


@pytest.fixture(scope="module")
def seed_sol():
    return rbc.solve(SEED)


@pytest.fixture(scope="module")
def paper_sol():
    # start far from the closed form (the default guess, ĉ_ss, already is it when δ = 1)
    return rbc.solve(PAPER_DELTA1, initial_chat=0.5)


@pytest.fixture(scope="module")
def seed_draws(seed_sol):
    return rbc.welfare_draws(seed_sol, n_paths=200, T=600, seed=1)


def _grid(sol, n_K=25, n_A=7, k=0.3, m=3.0):
    sd = rbc.stationary_sd_logA(sol.cal)
    return np.meshgrid(sol.steady.K * np.linspace(1 - k, 1 + k, n_K),
                       np.exp(sd * np.linspace(-m, m, n_A)), indexing="ij")


# --- the configuration's calibrations ---------------------------------------------------------

def test_config_calibrations_are_the_ones_tested():
    import marlbc.config as mc
    cfg = mc.load(Path(__file__).resolve().parents[1] / "config.yaml")
    for arm, cal in (("rbc", SEED), ("rbc_closed_form", PAPER_DELTA1)):
        got = mc.arm_calibration(cfg, arm)
        assert {k: got[k] for k in cal} == cal


# --- solver -----------------------------------------------------------------------------------

def test_solve_converged(seed_sol):           # speed: README (measured, not asserted)
    assert seed_sol.max_change < 1e-10


def test_euler_errors_on_ergodic_set(seed_sol):
    e = rbc.euler_errors(seed_sol)
    assert e["n_states"] == 10_000
    assert e["euler_max"] <= -5.0
    assert e["euler_mean"] <= e["euler_max"]
    assert e["labour_max"] <= -12.0           # hours come from the labour condition exactly


def test_euler_errors_of_paper_calibration_with_partial_depreciation():
    sol = rbc.solve(dict(PAPER_DELTA1, delta=0.025))
    e = rbc.euler_errors(sol, n_periods=3000)
    assert e["euler_max"] <= -5.0 and e["labour_max"] <= -12.0


def test_euler_errors_on_benchmark_states_equal_own_states_for_the_benchmark(seed_sol):
    a = rbc.euler_errors(seed_sol, n_periods=2000, on="benchmark")
    b = rbc.euler_errors(seed_sol, n_periods=2000, on="policy")
    assert a == b
    with pytest.raises(ValueError, match="allowed: policy, benchmark"):
        rbc.euler_errors(seed_sol, on="elsewhere")


def test_euler_judge_scores_the_exact_closed_form_at_machine_precision():
    """The δ = 1 closed form is exact: the judge (Gauss–Hermite, any policy) must agree."""
    cf = closed_form(**PAPER_DELTA1)
    sol = rbc.solve(PAPER_DELTA1)
    e = rbc.euler_errors(sol, rbc.constant_policy(cf["chat"], cf["ell"]), n_periods=2000)
    assert e["euler_max"] <= -13.0 and e["labour_max"] <= -13.0
    # the paper's Eq. 13 hours (α and 1-α swapped) violate the labour condition
    wrong = rbc.euler_errors(sol, rbc.constant_policy(cf["chat"], cf["ell_eq13"]), n_periods=2000)
    assert wrong["labour_mean"] > -1.0


def test_deterministic_steady_state_of_deterministic_solution_matches_analytical():
    sol = rbc.solve(dict(SEED, sigma_A=0.0))
    got = rbc.deterministic_steady_state(sol.policy, sol.cal)
    ss = steady_state(**SEED)
    assert got["converged"]
    for x in ("K", "L", "C", "Y", "I", "r", "w", "chat"):
        assert_allclose(got[x], getattr(ss, x), rtol=1e-8, err_msg=x)


def test_risky_steady_state_is_the_deterministic_one_plus_precautionary_saving(seed_sol):
    got = rbc.deterministic_steady_state(seed_sol.policy, SEED)
    ss = steady_state(**SEED)
    assert got["converged"]
    for x in ("K", "L", "C", "Y"):
        assert_allclose(got[x], getattr(ss, x), rtol=1e-3, err_msg=x)   # O(σ²) apart
    assert got["K"] > ss.K                                               # precautionary saving


def test_closed_form_reproduced_over_the_grid(paper_sol):
    cf = closed_form(**PAPER_DELTA1)
    K, A = _grid(paper_sol, k=0.4, m=4.0)
    chat, ell = paper_sol.policy(K, A)
    assert_allclose(chat, cf["chat"], rtol=1e-9)
    assert_allclose(ell, cf["ell"], rtol=1e-9)
    assert not np.isclose(cf["ell"], cf["ell_eq13"])


def test_value_function_of_closed_form_has_analytical_slopes(paper_sol):
    """δ = 1: V = v0 + α/(1-αβ) log K + 1/((1-αβ)(1-βρ)) log A."""
    a, b, rho = PAPER_DELTA1["alpha"], PAPER_DELTA1["beta"], PAPER_DELTA1["rho"]
    K, A = _grid(paper_sol)
    V = paper_sol.value(K, A)
    X = np.column_stack([np.ones(V.size), np.log(K).ravel(), np.log(A).ravel()])
    coef, *_ = np.linalg.lstsq(X, V.ravel(), rcond=None)
    assert_allclose(coef[1:], [a / (1 - a * b), 1 / ((1 - a * b) * (1 - b * rho))], rtol=1e-9)
    assert_allclose(X @ coef, V.ravel(), rtol=1e-10)


def test_value_function_satisfies_bellman_equation_off_the_nodes(seed_sol):
    cal = seed_sol.cal
    K, A = _grid(seed_sol, n_K=13, n_A=5, k=0.2, m=2.5)
    chat, ell = seed_sol.policy(K, A)
    Y = A * K ** cal["alpha"] * ell ** (1 - cal["alpha"])
    a = (1 - cal["delta"]) * K + Y
    c, Kp = chat * a, a - chat * a
    eps, w = rbc.gauss_hermite(15)
    Ap = np.exp(cal["rho"] * np.log(A)[..., None] + cal["sigma_A"] * eps)
    rhs = rbc.period_utility(c, ell, cal) + cal["beta"] * np.sum(w * seed_sol.value(Kp[..., None], Ap), -1)
    assert_allclose(seed_sol.value(K, A), rhs, rtol=1e-9)


def test_gauss_hermite_integrates_normal_moments_and_hands_out_copies():
    eps, w = rbc.gauss_hermite(7)
    assert_allclose(w.sum(), 1.0, rtol=1e-14)
    assert_allclose([w @ eps, w @ eps**2, w @ eps**4, w @ eps**6], [0.0, 1.0, 3.0, 15.0], rtol=1e-12, atol=1e-14)
    eps[:] = 0.0                      # the nodes are computed once per size: a caller's edit must not stick
    w[:] = 0.0
    eps2, w2 = rbc.gauss_hermite(7)
    assert_allclose(w2 @ eps2**2, 1.0, rtol=1e-12)


def test_value_function_matches_simulated_discounted_utility(seed_sol, seed_draws):
    diff = seed_draws.V_opt - seed_sol.value(seed_draws.K0, np.exp(seed_draws.logA0))
    se = np.std(diff) / math.sqrt(diff.size)
    assert abs(np.mean(diff)) < 4 * se + 1e-6


def test_policy_from_solution_is_a_vectorised_callable(seed_sol):
    policy = rbc.policy_from_solution(seed_sol)
    K, A = _grid(seed_sol)
    chat, ell = policy(K, A)
    assert chat.shape == K.shape and ell.shape == K.shape
    c0, l0 = policy(K[3, 2], A[3, 2])
    assert_allclose([c0, l0], [chat[3, 2], ell[3, 2]], rtol=1e-14)
    assert np.all((chat > 0) & (chat < 1) & (ell > 0))


def test_initial_guess_does_not_matter(seed_sol):
    other = rbc.solve(SEED, initial_chat=0.2)
    K, A = _grid(seed_sol)
    assert_allclose(other.policy(K, A), seed_sol.policy(K, A), rtol=1e-9)


@settings(max_examples=50, deadline=None)
@given(K=st.floats(0.01, 100.0), logA=st.floats(-0.3, 0.3), c=st.floats(0.01, 5.0),
       utility=st.sampled_from(["linear_labour", "log_leisure"]))
def test_hours_satisfy_labour_condition(K, logA, c, utility):
    cal = dict(SEED, utility=utility, b=5.0)
    A = math.exp(logA)
    ell = float(rbc.hours_from_consumption(K, A, c, cal))
    w = (1 - cal["alpha"]) * A * K ** cal["alpha"] * ell ** (-cal["alpha"])
    if utility == "linear_labour":
        assert_allclose(w, cal["chi"] * c, rtol=1e-12)
    else:
        assert 0 < ell < 1
        assert_allclose(w * (1 - ell), cal["b"] * c, rtol=1e-10)


# --- impulse responses ------------------------------------------------------------------------

def test_irf_of_capital_starts_at_zero_and_returns(seed_sol):
    irf = rbc.impulse_response(seed_sol.policy, SEED, SEED["sigma_A"], T=300)
    assert set(irf) == set(rbc.IRF_VARIABLES) and all(v.shape == (300,) for v in irf.values())
    assert irf["K"][0] == 0.0
    peak = int(np.argmax(irf["K"]))
    assert irf["K"][peak] > 0.5 and 5 < peak < 60
    assert np.all(np.diff(irf["K"][peak:]) < 0)          # returns monotonically after the peak
    assert abs(irf["K"][-1]) < 0.01 * irf["K"][peak]
    assert irf["Y"][0] > 0 and irf["I"][0] > irf["Y"][0] > irf["C"][0] > 0


def test_irf_of_closed_form_is_analytical(paper_sol):
    """δ = 1: y_t = a_t + α k_t + (1-α) log ℓ* deviations, k_{t+1} = y_t, c = (1-αβ) y."""
    alpha, rho, s = PAPER_DELTA1["alpha"], PAPER_DELTA1["rho"], 0.1
    irf = rbc.impulse_response(paper_sol.policy, PAPER_DELTA1, s)
    k, y = np.zeros(40), np.zeros(40)
    for t in range(40):
        y[t] = rho**t * s + alpha * k[t]
        if t < 39:
            k[t + 1] = y[t]
    assert_allclose(irf["Y"], 100 * np.expm1(y), rtol=1e-8, atol=1e-9)
    assert_allclose(irf["C"], irf["Y"], rtol=1e-8, atol=1e-9)
    assert_allclose(irf["K"], 100 * np.expm1(k), rtol=1e-8, atol=1e-9)
    assert_allclose(irf["L"], 0.0, atol=1e-8)


def test_irf_baselines_agree_for_the_benchmark(seed_sol):
    a = rbc.impulse_response(seed_sol.policy, SEED, 0.01, relative_to="no_shock")
    b = rbc.impulse_response(seed_sol.policy, SEED, 0.01, relative_to="steady_state")
    # apart only by the no-shock drift from K_ss to the risky steady state (0.013 % in K)
    for x in rbc.IRF_VARIABLES:
        assert_allclose(a[x], b[x], atol=0.05, err_msg=x)


# --- business-cycle moments -------------------------------------------------------------------

def test_hp_filter_removes_a_linear_trend_exactly():
    t = np.arange(500.0)
    y = 3.0 - 0.02 * t
    trend, cycle = rbc.hp_filter(y)
    assert_allclose(trend, y, rtol=1e-12, atol=1e-10)
    assert_allclose(cycle, 0.0, atol=1e-10)


def test_hp_filter_cycle_is_orthogonal_to_constant_and_trend_and_matches_dense_solve():
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.standard_normal(200))
    trend, cycle = rbc.hp_filter(y, 1600.0)
    assert_allclose([cycle.sum(), (np.arange(200) * cycle).sum()], 0.0, atol=1e-7)
    D = np.diff(np.eye(200), n=2, axis=0)
    assert_allclose(trend, np.linalg.solve(np.eye(200) + 1600.0 * D.T @ D, y), rtol=1e-9)


def test_moments_of_seed_rbc_are_textbook(seed_sol):
    m = rbc.business_cycle_moments(seed_sol.policy, SEED, n_periods=5000)
    assert 1.0 < m["std_Y_pct"] < 4.0
    assert m["rel_std_I"] > 2.5 and m["rel_std_C"] < 0.5
    assert m["corr_I_Y"] > 0.95 and m["corr_L_Y"] > 0.9 and m["corr_C_Y"] > 0.5
    # linear labour: w = χ c exactly, so wages and consumption move together
    assert_allclose(m["rel_std_w"], m["rel_std_C"], rtol=1e-10)


def test_moments_of_closed_form(paper_sol):
    """δ = 1: C = (1-αβ)Y and I = αβY, so their cycles equal output's; hours are constant."""
    m = rbc.business_cycle_moments(paper_sol.policy, PAPER_DELTA1, n_periods=3000)
    assert_allclose([m["rel_std_C"], m["rel_std_I"], m["corr_C_Y"], m["corr_I_Y"]], 1.0, rtol=1e-9)
    assert m["rel_std_L"] < 1e-8


def test_moments_are_reproducible_with_a_seed(seed_sol):
    a = rbc.business_cycle_moments(seed_sol.policy, SEED, n_periods=1000, seed=3)
    b = rbc.business_cycle_moments(seed_sol.policy, SEED, n_periods=1000, seed=3)
    c = rbc.business_cycle_moments(seed_sol.policy, SEED, n_periods=1000, seed=4)
    assert a == b and a != c


# --- welfare ----------------------------------------------------------------------------------

def test_optimum_loses_nothing_and_perturbations_lose(seed_sol, seed_draws):
    assert rbc.welfare_loss(seed_sol, seed_sol.policy, seed_draws) == 0.0

    def greedy(K, A):
        chat, ell = seed_sol.policy(K, A)
        return 1.02 * chat, ell

    assert 0.0 < rbc.welfare_loss(seed_sol, greedy, seed_draws) < 0.5


def test_best_constant_rule_loses_a_little_and_has_worse_euler_errors(seed_sol, seed_draws):
    rule = rbc.best_constant_rule(seed_sol, seed_draws, euler_kwargs={"n_periods": 3000})
    bench = rbc.euler_errors(seed_sol, n_periods=3000)
    assert 0.0 < rule["welfare_loss_pct"] < 0.1           # SPEC: a few hundredths of a percent
    assert rule["euler_mean"] > bench["euler_mean"] + 3.0
    assert rule["euler_max"] > bench["euler_max"] + 3.0
    ss = steady_state(**SEED)
    assert_allclose([rule["chat"], rule["ell"]], [ss.chat, ss.L], rtol=0.01)
    # it is the best constant: moving away from it loses more
    for dc, dl in ((1.002, 1.0), (0.998, 1.0), (1.0, 1.002), (1.0, 0.998)):
        other = rbc.constant_policy(rule["chat"] * dc, rule["ell"] * dl)
        assert rbc.welfare_loss(seed_sol, other, seed_draws) > rule["welfare_loss_pct"]


def test_welfare_draws_need_an_even_number_of_paths(seed_sol):
    with pytest.raises(ValueError, match="even"):
        rbc.welfare_draws(seed_sol, n_paths=3)


# --- outputs ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def light_analysis(paper_sol):
    sol = rbc.solve(PAPER_DELTA1)
    rbc.analyse(sol, n_periods=2000, burn_in=200, welfare_paths=60, welfare_T=300)
    return sol


def test_dataset_has_units_descriptions_and_roundtrips(light_analysis, tmp_path):
    import xarray as xr
    ds = rbc.to_dataset(light_analysis, calibration_name="paper_delta1")
    assert ds.attrs["calibration"] == "paper_delta1" and ds.attrs["calibration_delta"] == 1.0
    for name, v in ds.data_vars.items():
        assert "units" in v.attrs and "long_name" in v.attrs, name
    assert ds["chat"].dims == ("K", "A") and ds["irf_Y"].dims == ("shock", "quarter")
    assert list(ds["shock"].values) == ["one_sigma", "log_0.1"]
    path = tmp_path / "rbc.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        again = rbc.from_dataset(back)
        K, A = _grid(light_analysis)
        assert_allclose(again.policy(K, A), light_analysis.policy(K, A), rtol=0, atol=0)
        assert_allclose(again.value(K, A), light_analysis.value(K, A), rtol=0, atol=0)
        assert_allclose(back["chat"].values, closed_form(**PAPER_DELTA1)["chat"], rtol=1e-9)


def test_summary_is_json_serialisable(light_analysis):
    s = rbc.summary(light_analysis)
    text = json.dumps(s)
    assert json.loads(text)["euler_max"] <= -5.0
    for key in ("euler_max", "euler_mean", "constant_rule", "steady_state", "moments"):
        assert key in s
    for key in ("chat", "ell", "welfare_loss_pct", "euler_mean"):
        assert isinstance(s["constant_rule"][key], float)


@pytest.mark.slow
def test_full_analysis_of_seed_calibration():
    sol = rbc.solve(SEED)
    s = rbc.summary(sol)
    assert s["euler_max"] <= -5.0
    assert 0.0 < s["constant_rule"]["welfare_loss_pct"] < 0.1
    assert s["constant_rule"]["euler_mean"] > s["euler_mean"] + 3.0
    vc = s["value_check"]
    assert abs(vc["V_simulated_mean"] - vc["V_chebyshev_mean"]) < 1e-4
    json.dumps(s)
