"""Claim checks C1-C6: stand-in policies that must pass, deliberately wrong ones that must fail
with their measured numbers, and the report tables."""

import json
import math

import numpy as np
import pytest
import xarray as xr
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from marlbc import claims, config
from marlbc.benchmarks import rbc as rbc_bm
from marlbc.benchmarks.game import solve_game, to_dataset as game_dataset
from marlbc.benchmarks.steady_state import closed_form, steady_state
from marlbc.claims.checks import learning_progress
from marlbc.evaluation.cost import equal_workload_scale, read_benchmark_tsv
from marlbc.claims.common import Metric, fidelity
from marlbc.economy import make_params
from marlbc.evaluation import evaluate_policy
from marlbc.evaluation.policies import constant_policy, steady_state_policy

from .conftest import ROOT

FAST = {"det_envs": 2, "det_periods": 700, "sim_envs": 2, "sim_periods": 800, "sim_burn": 200,
        "euler_periods": 1500, "euler_burn": 200, "welfare_paths": 100, "welfare_T": 400}


def metric(result, prefix):
    hits = [m for m in result["metrics"] if m["metric"].startswith(prefix)]
    assert hits, f"no metric starting with {prefix!r} in {[m['metric'] for m in result['metrics']]}"
    return hits[0]


def run_path(tmp_path, arm, n, seed, name="eval.nc"):
    p = tmp_path / "runs" / arm / f"n{n}" / f"seed{seed}" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


# --------------------------------------------------------------------------------------------
# C1
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def c1_files(cfg, tmp_path_factory):
    """Evaluations of the exact closed form, of a policy with ĉ 10 % too high, and of two rbc
    policies (the steady-state rule, and one with ĉ 10 % too high), plus a small rbc.nc."""
    tmp = tmp_path_factory.mktemp("c1")
    p_cf = make_params(cfg, "rbc_closed_form", 1)
    cal_cf = config.arm_calibration(cfg, "rbc_closed_form")
    cf = closed_form(**cal_cf)
    files = {}
    files["cf_exact"] = run_path(tmp / "exact", "rbc_closed_form", 1, 0)
    evaluate_policy(cfg, steady_state_policy(p_cf), "rbc_closed_form", 1, 0, files["cf_exact"], options=FAST)
    files["cf_wrong"] = run_path(tmp / "wrong", "rbc_closed_form", 1, 0)
    evaluate_policy(cfg, constant_policy([1.1 * cf["chat"], cf["ell"]]), "rbc_closed_form", 1, 0,
                    files["cf_wrong"], options=FAST)
    # rbc: a benchmark file with made-up constant-rule numbers the steady-state rule beats
    cal = config.arm_calibration(cfg, "rbc")
    ss = steady_state(**cal)
    irf = rbc_bm.impulse_response(rbc_bm.constant_policy(ss.chat, ss.L), cal, cal["sigma_A"])
    agg = ["K", "L", "C", "Y", "I", "r", "w", "chat"]
    bm = xr.Dataset({f"irf_{x}": (("shock", "quarter"), np.stack([irf[x], 2 * irf[x]])) for x in irf},
                    coords={"shock": ["one_sigma", "log_0.1"], "aggregate": agg})
    bm["steady_state"] = ("aggregate", [getattr(ss, x) for x in agg])
    bm["constant_welfare_loss_pct"] = 0.05
    bm["constant_euler_mean"] = -2.0
    bm["euler_mean"] = -11.0
    files["rbc_nc"] = tmp / "rbc.nc"
    bm.to_netcdf(files["rbc_nc"])
    p = make_params(cfg, "rbc", 1)
    files["rbc_good"] = run_path(tmp / "exact", "rbc", 1, 0)
    evaluate_policy(cfg, steady_state_policy(p), "rbc", 1, 0, files["rbc_good"], options=FAST)
    files["rbc_wrong"] = run_path(tmp / "wrong", "rbc", 1, 0)
    evaluate_policy(cfg, constant_policy([1.1 * ss.chat, ss.L]), "rbc", 1, 0, files["rbc_wrong"], options=FAST)
    return files


def test_C1_exact_closed_form_passes(cfg, c1_files):
    r = claims.check_C1(cfg, [c1_files["cf_exact"], c1_files["rbc_good"], c1_files["rbc_nc"]])
    m = metric(r, "rbc_closed_form: max |ĉ")
    assert m["passed"] and m["measured"] < 1e-12 and m["fidelity"] == 1.0
    assert metric(r, "rbc_closed_form: max |ℓ")["passed"]
    for prefix in ("rbc: steady-state K", "rbc: IRF NRMSE of Y", "rbc: welfare loss", "rbc: mean log10 Euler"):
        assert metric(r, prefix)["passed"], prefix
    assert r["passed"] and r["fidelity"] == 1.0 and r["verdict"].startswith("PASS")
    assert r["details"]["closed_form"]["benchmark"]["ell_eq13"] > 0     # the erratum is reported


def test_C1_wrong_policy_fails_with_the_measured_value(cfg, c1_files):
    r = claims.check_C1(cfg, [c1_files["cf_wrong"], c1_files["rbc_wrong"], c1_files["rbc_nc"]])
    m = metric(r, "rbc_closed_form: max |ĉ")
    assert not m["passed"]
    assert_allclose(m["measured"], 0.1, rtol=1e-9)
    assert_allclose(m["fidelity"], 0.01 / 0.1, rtol=1e-9)
    assert metric(r, "rbc_closed_form: max |ℓ")["passed"]                # hours were right
    k = metric(r, "rbc: steady-state K")
    assert not k["passed"] and k["measured"] > 0.02
    assert not r["passed"] and r["verdict"].startswith("FAIL")
    assert "0.1" in r["verdict"] and "needs ≤ 0.01" in r["verdict"]
    table = claims.claims_table([r])
    assert "**FAIL**" in table and "| C1 |" in table and "0.1 |" in table
    # the table says what was run: preset, seeds, budgets, sweeps (the raw config's preset)
    raw = yaml.safe_load((ROOT / "config.yaml").read_text())
    line = claims.run_description(raw, "ci")
    assert line.startswith("Preset `ci`: seeds 0, 1 (rbc_closed_form: 0; rbc: 0; baseline: 0); training budgets × 1 "
                           "of config.yaml's; ") and "ks n = 10, 500" in line
    assert claims.claims_table([r], line).splitlines()[2] == f"> {line}"
    raw["presets"]["ci"]["arm_budget_scale"] = {"rbc": 0.6}                 # a per-arm scale is named
    del raw["presets"]["ci"]["arm_seeds"]
    assert claims.run_description(raw, "ci").startswith(
        "Preset `ci`: seeds 0, 1; training budgets × 1 of config.yaml's (rbc × 0.6); ")


def test_C1_without_runs_fails_plainly(cfg, c1_files):
    r = claims.check_C1(cfg, [c1_files["rbc_nc"]])
    assert not r["passed"]
    m = metric(r, "rbc_closed_form: max |ĉ")
    assert m["measured"] is None or math.isnan(m["measured"])
    assert "no evaluation of rbc_closed_form" in m["note"]
    json.dumps(r, allow_nan=False)                       # strict JSON (NaN became None)


# --------------------------------------------------------------------------------------------
# C2
# --------------------------------------------------------------------------------------------

KS_BM = {"mean_K": 39.6, "gini": 0.242, "b": [0.9629, 0.9648], "a": [0.139, 0.127]}


def ks_eval(path, n, seed, K, G, b, r2=0.99999):
    ds = xr.Dataset({"mean_K": K, "gini": G, "den_haan_max": 0.2,
                     "lom_slope": (("env", "z_state"), [b]), "lom_intercept": (("env", "z_state"), [[0.14, 0.13]]),
                     "r2": (("env", "z_state"), [[r2, r2]])},
                    coords={"z_state": ["good", "bad"]}, attrs={"arm": "ks", "n": n, "seed": seed})
    ds.to_netcdf(path)
    return path


def ks_benchmark(path):
    xr.Dataset({"mean_K": KS_BM["mean_K"], "gini": KS_BM["gini"], "den_haan_max": 0.21,
                "lom_slope": ("z_state", KS_BM["b"]), "lom_intercept": ("z_state", KS_BM["a"]),
                "r2": ("z_state", [0.999998, 0.999998])}, coords={"z_state": ["good", "bad"]}).to_netcdf(path)
    return path


def test_C2_converging_economy_passes_and_off_gini_fails(cfg, tmp_path):
    bm = ks_benchmark(tmp_path / "ks.nc")
    files = [bm]
    for n, dK, dG, db in ((10, 0.05, 0.08, 0.02), (100, 0.02, 0.03, 0.01), (500, 0.005, 0.01, 0.004)):
        for seed in (0, 1):
            files.append(ks_eval(run_path(tmp_path, "ks", n, seed), n, seed, KS_BM["mean_K"] * (1 + dK),
                                 KS_BM["gini"] - dG, [b + db for b in KS_BM["b"]]))
    r = claims.check_C2(cfg, files)
    assert r["passed"], r["verdict"]
    assert metric(r, "distance to the KS solution falls")["measured"] == -1.0
    assert not metric(r, "n = 500: R²")["scored"]
    # the same at n = 500 but with a Gini 0.05 off the benchmark: fails, says by how much
    ks_eval(run_path(tmp_path, "ks", 500, 1), 500, 1, KS_BM["mean_K"], KS_BM["gini"] - 0.05, KS_BM["b"])
    r = claims.check_C2(cfg, files)
    m = metric(r, "n = 500: wealth Gini")
    assert not m["passed"] and m["measured"] == pytest.approx(0.05) and "worst seed 1" in m["note"]
    assert not r["passed"] and "0.05" in r["verdict"]


# --------------------------------------------------------------------------------------------
# C3
# --------------------------------------------------------------------------------------------

def het_eval(path, arm, n, seed, k, kappa, lam, **extra):
    """An eval.nc with steady-state capital and types; ``extra``: more variables, per household
    (arrays) or scalars."""
    more = {name: ("household", v) if np.ndim(v) else v for name, v in extra.items()}
    xr.Dataset({"k_ss": ("household", k), "kappa": ("household", kappa), "lambda": ("household", lam), **more},
               attrs={"arm": arm, "n": n, "seed": seed}).to_netcdf(path)
    return path


def test_C3_game_matching_capital_passes_and_shuffled_fails(cfg, tmp_path):
    n = 9
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    sol = solve_game(config.arm_calibration(cfg, "heterogeneous"), kappa, lam)
    # the game file stores households in another order: the check matches them by (κ, λ)
    perm = np.random.default_rng(0).permutation(n)
    g = game_dataset(sol).isel(household=perm).assign_coords(household=np.arange(n))
    g.to_netcdf(tmp_path / f"game_n{n}.nc")
    rng = np.random.default_rng(1)
    files = [tmp_path / f"game_n{n}.nc"]
    for seed in (0, 1):
        files.append(het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed,
                              sol.k * (1 + 0.01 * rng.standard_normal(n)), kappa, lam))
        files.append(het_eval(run_path(tmp_path, "baseline", n, seed), "baseline", n, seed,
                              np.full(n, sol.k.mean()), np.ones(n), np.ones(n)))
    r = claims.check_C3(cfg, files)
    assert r["passed"], r["verdict"]
    assert metric(r, f"n = {n}: Spearman")["measured"] > 0.9
    het_eval(run_path(tmp_path, "heterogeneous", n, 1), "heterogeneous", n, 1, sol.k[::-1].copy(), kappa, lam)
    r = claims.check_C3(cfg, files)
    m = metric(r, f"n = {n}: Spearman")
    assert not m["passed"] and m["measured"] < 0 and "worst seed 1" in m["note"]
    assert not r["passed"]


def test_C3_reports_the_learned_steady_states_euler_residuals_in_the_games_terms(cfg, tmp_path):
    """At the game's own (k, ℓ, c) the Euler residuals vanish; capital 1 % and 5 % above the
    game's leaves residuals about in proportion; the row reports the worst seed's and quotes the
    game's tolerance beside it."""
    from marlbc.benchmarks.game import euler_tolerance

    n = 9
    cal = config.arm_calibration(cfg, "heterogeneous")
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    sol = solve_game(cal, kappa, lam)
    game_dataset(sol).to_netcdf(tmp_path / f"game_n{n}.nc")

    def learned(seed, k):
        return het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed, k, kappa, lam,
                        ell_ss=sol.ell, c_ss=sol.c)

    files = [tmp_path / f"game_n{n}.nc", learned(0, sol.k.copy()), learned(1, sol.k * 1.01), learned(2, sol.k * 1.05)]
    r = claims.check_C3(cfg, files)
    per_n = r["details"]["per_n"][str(n)]                # JSON keys
    per_seed = {int(s): v for s, v in per_n["per_seed"].items()}
    assert per_seed[0]["euler_game_median"] < 1e-12
    tol = np.nanmedian(euler_tolerance(cal, kappa, lam, sol.k, sol.ell, 0.05))
    assert per_n["euler_tolerance_median"] == pytest.approx(tol)
    assert 4 < per_seed[2]["euler_game_median"] / per_seed[1]["euler_game_median"] < 6
    m = metric(r, f"n = {n}: log10 median |Euler residual|")
    assert m["measured"] == pytest.approx(np.log10(per_seed[2]["euler_game_median"])) and not m["scored"]
    assert f"{np.log10(tol):.2f}" in m["metric"]
    # the aggregate: K/L 0, +1 % and +5 % off the game's (hours held); a price taker's return gap at
    # those prices; the bound is the K/L error whose gap equals the Euler tolerance
    assert [per_seed[s]["KL_rel_err"] for s in (0, 1, 2)] == pytest.approx([0.0, 0.01, 0.05], abs=1e-12)
    x = np.sum(sol.k) / np.sum(sol.ell)
    R = cal["alpha"] * x ** (cal["alpha"] - 1)
    gap = cal["beta"] * (1 - cal["delta"] + R * 1.05 ** (cal["alpha"] - 1)) - 1
    assert per_seed[2]["aggregate_return_gap"] == pytest.approx(gap, rel=1e-10) and gap < -1e-3
    m = metric(r, f"n = {n}: aggregate K/L of the learned steady state")
    assert m["measured"] == pytest.approx(0.05) and not m["scored"] and "worst seed 2" in m["note"]
    assert f"±{tol / (cal['beta'] * (1 - cal['alpha']) * R):.2%}" in m["metric"]


def test_C3_reports_the_learned_economys_own_price_weight_and_the_game_at_it(cfg, tmp_path):
    """With θ = 1 (the others never answer) the game at θ is the game: the median household
    moves 0; with θ = 0.5 it moves as far as solve_game(own_price_weight=0.5) says. Not scored:
    the claim's verdict is the same with or without the row."""
    n = 9
    cal = config.arm_calibration(cfg, "heterogeneous")
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    sol = solve_game(cal, kappa, lam)
    half = solve_game(cal, kappa, lam, own_price_weight=0.5)
    files = []
    for seed, theta in ((0, 1.0), (1, 0.5)):
        files.append(het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed, sol.k.copy(),
                              kappa, lam, price_effect_weight=theta))
    r = claims.check_C3(cfg, files)
    per_seed = {int(s): v for s, v in r["details"]["per_n"][str(n)]["per_seed"].items()}
    assert per_seed[0]["game_at_weight_median_rel_move"] == pytest.approx(0.0, abs=1e-9)
    assert per_seed[1]["game_at_weight_median_rel_move"] == pytest.approx(np.median(np.abs(half.k / sol.k - 1)), rel=1e-9)
    assert per_seed[1]["game_at_weight_median_rel_move"] > 0.1
    m = metric(r, f"n = {n}: weight θ of a household's own price effect")
    assert m["measured"] == pytest.approx(0.75) and not m["scored"] and "1.00 / 0.50" in m["note"]
    assert metric(r, f"n = {n}: median |k_i/k_i game − 1|")["passed"]     # the learned k is the game's


def test_C3_separates_the_aggregate_from_the_spread(cfg, tmp_path):
    """A learned allocation that is the game's at another β (one wedge for everyone) misses the
    game's k_i, and the wedge row measures 0 for it; the game's capital pulled halfway to its mean
    at the game's hours (the aggregate exact, the spread halved) needs no wedge and misses by as
    much in the row as in the scored metric. Not scored."""
    n = 9
    cal = config.arm_calibration(cfg, "heterogeneous")
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    sol = solve_game(cal, kappa, lam)
    other = solve_game({**cal, "beta": cal["beta"] + 1.5e-3}, kappa, lam)
    files = []
    for seed, (k, ell, c) in enumerate(((other.k, other.ell, other.c), (sol.k.mean() + 0.5 * (sol.k - sol.k.mean()), sol.ell, sol.c))):
        files.append(het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed, k.copy(),
                              kappa, lam, ell_ss=ell, c_ss=c))
    r = claims.check_C3(cfg, files)
    per_seed = {int(s): v for s, v in r["details"]["per_n"][str(n)]["per_seed"].items()}
    assert per_seed[0]["median_rel_err"] > 0.05                          # scored: the game's k_i missed
    assert per_seed[0]["median_rel_err_at_learned_KL"] == pytest.approx(0.0, abs=1e-7)
    assert 1 / (cal["beta"] + 1.5e-3) - 1 / cal["beta"] == pytest.approx(per_seed[0]["euler_wedge_at_learned_KL"], rel=1e-6)
    assert per_seed[1]["euler_wedge_at_learned_KL"] == pytest.approx(0.0, abs=1e-12)
    assert per_seed[1]["median_rel_err_at_learned_KL"] == pytest.approx(per_seed[1]["median_rel_err"], rel=1e-7)
    assert per_seed[1]["median_rel_err"] > 0.05
    m = metric(r, f"n = {n}: median |k_i/k_i game − 1| against the game with one Euler wedge")
    assert not m["scored"] and "worst seed 1" in m["note"]
    assert m["measured"] == pytest.approx(per_seed[1]["median_rel_err_at_learned_KL"])
    assert not metric(r, f"n = {n}: median |k_i/k_i game − 1| (k_i game > 0)")["passed"]


def test_capital_weighted_error_and_share_distance_by_hand():
    """k* = (0, 1, 3), k = (0.5, 1, 2): E = (0.5 + 0 + 1)/4; shares (0, 1/4, 3/4) against
    (1/7, 2/7, 4/7) give D = ½ (4 + 1 + 5)/28 = 5/28. D ignores the level, E does not; disjoint
    holders are D = 1."""
    from marlbc.evaluation.statistics import capital_share_distance, capital_weighted_error

    k_ref, k = np.array([0.0, 1.0, 3.0]), np.array([0.5, 1.0, 2.0])
    assert capital_weighted_error(k, k_ref) == pytest.approx(0.375, rel=1e-12)
    assert capital_share_distance(k, k_ref) == pytest.approx(5.0 / 28.0, rel=1e-12)
    assert capital_share_distance(1.3 * k_ref, k_ref) == pytest.approx(0.0, abs=1e-15)
    assert capital_weighted_error(1.3 * k_ref, k_ref) == pytest.approx(0.3, rel=1e-12)
    assert capital_share_distance(np.array([2.0, 0.0, 0.0]), k_ref) == pytest.approx(1.0, rel=1e-12)


def test_C3_metrics_by_hand():
    """k* = (1, 1, 0, 4), k = (1.1, 0.8, 3, 5): relative errors 0.1, 0.2, 0.25 over the holders
    (the corner has none), median 0.2; ranks move with any increasing map and flip with a
    decreasing one; no spread, no rank correlation."""
    from marlbc.evaluation.allocations import median_relative_error, rank_correlation

    assert median_relative_error(np.array([1.1, 0.8, 3.0, 5.0]), np.array([1.0, 1.0, 0.0, 4.0])) == pytest.approx(0.2, rel=1e-12)
    assert np.isnan(median_relative_error(np.ones(3), np.zeros(3)))
    x = np.array([0.3, 2.0, 1.0, 7.0])
    assert rank_correlation(np.exp(x), x) == pytest.approx(1.0, rel=1e-12)
    assert rank_correlation(-x ** 3, x) == pytest.approx(-1.0, rel=1e-12)
    assert np.isnan(rank_correlation(np.ones(4), x))


def test_match_types_pairs_households_by_their_productivities():
    """A game file with the households of a 3 × 3 grid in another order (κ repeated, so λ breaks
    the ties): p lists the reference in the evaluation's order; other types give None."""
    from marlbc.evaluation.allocations import match_types

    kappa, lam = (a.ravel() for a in np.meshgrid([0.98, 1.0, 1.02], [0.98, 1.0, 1.02]))
    perm = np.array([4, 8, 0, 3, 7, 1, 6, 2, 5])
    k = np.arange(9.0) + 10.0                     # a variable of each household
    p = match_types(kappa, lam, kappa[perm], lam[perm])
    np.testing.assert_array_equal(kappa[perm][p], kappa)
    np.testing.assert_array_equal(lam[perm][p], lam)
    np.testing.assert_array_equal(k[perm][p], k)
    assert match_types(kappa, lam, kappa, lam + 0.01) is None
    assert match_types(kappa, lam, kappa[:8], lam[:8]) is None


def test_C3_reports_its_error_weighted_by_capital(cfg, tmp_path):
    """Seed 0 holds 1.1 times the game's capital, household by household: median error and
    capital-weighted error 0.1, share distance 0. Seed 1 moves 5 % of the game's capital from the
    richest household to the poorest (a corner if the game has one): the row reads 0.1 / 1 of
    that, and the share distance 0.05. Not scored."""
    n = 9
    cal = config.arm_calibration(cfg, "heterogeneous")
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    kg = solve_game(cal, kappa, lam).k
    moved = kg.copy()
    lo, hi = int(np.argmin(kg)), int(np.argmax(kg))
    moved[hi] -= 0.05 * kg.sum()
    moved[lo] += 0.05 * kg.sum()
    files = [het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed, k, kappa, lam)
             for seed, k in enumerate((1.1 * kg, moved))]
    r = claims.check_C3(cfg, files)
    per_seed = {int(s): v for s, v in r["details"]["per_n"][str(n)]["per_seed"].items()}
    assert per_seed[0]["capital_weighted_rel_err"] == pytest.approx(0.1, rel=1e-9)
    assert per_seed[0]["capital_share_distance"] == pytest.approx(0.0, abs=1e-12)
    assert per_seed[0]["median_rel_err"] == pytest.approx(0.1, rel=1e-9)
    assert per_seed[1]["capital_weighted_rel_err"] == pytest.approx(0.1, rel=1e-9)
    assert per_seed[1]["capital_share_distance"] == pytest.approx(0.05, rel=1e-9)
    m = metric(r, f"n = {n}: Σ|k_i − k_i game| / Σ k_i game")
    assert not m["scored"] and m["measured"] == pytest.approx(0.1, rel=1e-9)
    assert "0.000 / 0.050" in m["note"]


def test_productivity_elasticities_recover_a_log_linear_cross_section():
    """log k = a + e_κ log κ + e_λ log λ exactly: the fit returns (e_κ, e_λ); households with
    k = 0 are left out; too few households, or no spread in a productivity, give NaN."""
    from marlbc.evaluation.statistics import productivity_elasticities

    kappa, lam = (g.ravel() for g in np.meshgrid(np.linspace(0.98, 1.02, 5), np.linspace(0.98, 1.02, 5)))
    k = 3.0 * kappa**37.0 * lam**-2.5
    np.testing.assert_allclose(productivity_elasticities(k, kappa, lam), (37.0, -2.5), rtol=1e-9)
    k0 = k.copy()
    k0[:3] = 0.0                                                     # corners: left out, not log(0)
    np.testing.assert_allclose(productivity_elasticities(k0, kappa, lam), (37.0, -2.5), rtol=1e-9)
    assert np.isnan(productivity_elasticities(k[:3], kappa[:3], lam[:3])).all()
    assert np.isnan(productivity_elasticities(k, kappa, np.ones_like(lam))).all()


def test_C3_productivity_row_sets_the_learned_elasticity_beside_the_games(cfg, tmp_path):
    """The game's own allocation measures the game's elasticity; capital pulled toward its
    geometric mean (log k_i − mean shrunk by half) measures half of it. Not scored."""
    from marlbc.evaluation.statistics import productivity_elasticities

    n = 20
    cal = config.arm_calibration(cfg, "heterogeneous")
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    sol = solve_game(cal, kappa, lam)
    e_game = productivity_elasticities(sol.k, kappa, lam)
    log_k = np.log(sol.k)
    halved = np.exp(log_k.mean() + 0.5 * (log_k - log_k.mean()))
    files = [het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed, k.copy(), kappa, lam)
             for seed, k in enumerate((sol.k, halved))]
    r = claims.check_C3(cfg, files)
    m = metric(r, f"n = {n}: % more capital per 1 % higher return productivity")
    per_seed = {int(s): v for s, v in r["details"]["per_n"][str(n)]["per_seed"].items()}
    assert per_seed[0]["elasticity_kappa"] == pytest.approx(e_game[0], rel=1e-12)
    assert per_seed[1]["elasticity_kappa"] == pytest.approx(0.5 * e_game[0], rel=1e-9)
    assert m["measured"] == pytest.approx(0.75 * e_game[0], rel=1e-9) and not m["scored"]
    assert f"game {e_game[0]:.1f}" in m["metric"] and e_game[0] > 20        # n = 20: about 27 % per 1 %


def test_C3_windfall_row_sets_the_learned_beside_the_game_held_and_free(cfg, tmp_path):
    """The learned share kept (mean over seeds), the game's with hours held
    (benchmarks.game.windfall_persistence) and the quarters of wage income a 10 % windfall is
    worth to a game household free to choose its hours, (1 − δ + r_i) 0.1 k_i / (w_i ℓ_i)."""
    from marlbc.benchmarks.game import income, windfall_persistence

    n = 9
    cal = config.arm_calibration(cfg, "heterogeneous")
    kappa, lam = config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], n)
    sol = solve_game(cal, kappa, lam)
    files = []
    for seed, keep in ((0, 0.2), (1, 0.4)):
        files.append(het_eval(run_path(tmp_path, "heterogeneous", n, seed), "heterogeneous", n, seed, sol.k.copy(),
                              kappa, lam, wealth_persistence_10=keep))
    r = claims.check_C3(cfg, files)
    m = metric(r, f"n = {n}: share of a 10 % windfall kept after 10 quarters")
    held = np.nanmedian(windfall_persistence(cal, kappa, lam, sol.k, sol.ell, sol.c, 10))
    assert m["measured"] == pytest.approx(0.3) and not m["scored"] and f"{held:.3f}" in m["metric"]
    assert 0.8 < held < 1                                            # hours held: most of it kept
    inc = income(cal, kappa, lam, sol.k, sol.ell)
    shed = np.median((1 - cal["delta"] + inc.r) * 0.1 * sol.k / (inc.w * sol.ell))
    per_n = r["details"]["per_n"][str(n)]
    assert per_n["game_windfall_wage_quarters"] == pytest.approx(shed, rel=1e-12)
    assert 1 < shed < 2 and f"{shed:.1f} quarters" in m["note"]


# --------------------------------------------------------------------------------------------
# C4
# --------------------------------------------------------------------------------------------

def train_file(path, arm, n, seed, returns, chat=0.07, loss=1.0):
    R = np.asarray(returns, float)
    xr.Dataset({"eval_return": ("update", R), "chat_mean": ("update", np.full(R.size, chat)),
                "K_mean": ("update", np.full(R.size, 40.0)),
                "qf_loss": ("update", np.r_[np.nan, np.full(R.size - 1, loss)])},
               coords={"update": np.arange(R.size) * 1000},
               attrs={"arm": arm, "n": n, "seed": seed, "updates_done": (R.size - 1) * 1000}).to_netcdf(path)
    return path


def test_learning_progress_handles_negative_returns():
    assert learning_progress([-30.0, -20.0, -17.0, -17.5]) == pytest.approx(12.5 / 13)
    assert learning_progress([-30.0, -17.0, -29.0]) == pytest.approx(1 / 13)
    assert learning_progress([-5.0, -5.0]) == 1.0
    assert math.isnan(learning_progress([-5.0, np.nan]))


def test_C4_stable_runs_pass_and_a_nan_fails(cfg, tmp_path):
    files = []
    for n in (10, 50):
        for seed, end in ((0, 100.0), (1, 101.0)):
            files.append(train_file(run_path(tmp_path, "ks", n, seed, "train.nc"), "ks", n, seed,
                                    [60.0, 90.0, end + 0.5, end]))
    r = claims.check_C4(cfg, files)
    assert r["passed"], r["verdict"]
    assert metric(r, "final evaluation return")["measured"] == pytest.approx(1.0 / 100.5)
    train_file(run_path(tmp_path, "ks", 50, 1, "train.nc"), "ks", 50, 1, [60.0, 90.0, 101.0, 101.0], loss=np.nan)
    r = claims.check_C4(cfg, files)
    m = metric(r, "runs with NaN")
    assert not m["passed"] and m["measured"] == 1 and "ks n=50 seed=1" in m["note"]
    train_file(run_path(tmp_path, "ks", 50, 1, "train.nc"), "ks", 50, 1, [60.0, 110.0, 70.0, 70.0])
    r = claims.check_C4(cfg, files)
    m = metric(r, "learning curve")
    assert not m["passed"] and m["measured"] == pytest.approx(0.2)
    assert not metric(r, "final evaluation return")["passed"]


def test_C4_a_collapse_of_c_to_a_bound_fails(cfg, tmp_path):
    """A training log whose final mean ĉ is within 1 % of the bounds' width of a bound is a
    collapse; just outside is not (economy.chat_bounds)."""
    lo, hi = cfg["economy"]["chat_bounds"]
    files = [train_file(run_path(tmp_path, "ks", 10, s, "train.nc"), "ks", 10, s, [60.0, 100.0, 100.0], chat=c)
             for s, c in ((0, 0.07), (1, hi - 0.011 * (hi - lo)))]
    r = claims.check_C4(cfg, files)
    assert metric(r, "runs whose c/a collapsed")["passed"], r["verdict"]
    train_file(run_path(tmp_path, "ks", 10, 1, "train.nc"), "ks", 10, 1, [60.0, 100.0, 100.0],
               chat=hi - 0.009 * (hi - lo))
    r = claims.check_C4(cfg, files)
    m = metric(r, "runs whose c/a collapsed")
    assert not m["passed"] and m["measured"] == 1 and "ks n=10 seed=1: final mean c/a" in m["note"]
    assert not r["passed"]


# --------------------------------------------------------------------------------------------
# C5
# --------------------------------------------------------------------------------------------

def det_eval(path, arm, n, seed, K):
    xr.Dataset({"K_det": (("env_det", "t_det"), np.atleast_2d(K))}, attrs={"arm": arm, "n": n, "seed": seed}).to_netcdf(path)
    return path


def test_C5_settled_passes_and_drifting_fails(cfg, tmp_path):
    t = np.arange(3000.0)
    files = []
    for seed, level in ((0, 25.0), (1, 25.1)):
        files.append(det_eval(run_path(tmp_path, "heterogeneous", 529, seed), "heterogeneous", 529, seed,
                              level + (20.0 - level) * 0.97**t))
    files.append(det_eval(run_path(tmp_path, "heterogeneous", 9, 0), "heterogeneous", 9, 0, 30 + t))  # not the largest n
    r = claims.check_C5(cfg, files)
    assert r["passed"], r["verdict"]
    assert metric(r, "heterogeneous n = 529: final")["measured"] == pytest.approx(0.1 / 25.05)
    # seed 1 still rises by 2 % over the last 500 periods: the drift metric fails and says so
    rising = 25.0 * (1 + 0.02 * np.clip(t - 2500, 0, None) / 499)
    det_eval(run_path(tmp_path, "heterogeneous", 529, 1), "heterogeneous", 529, 1, rising)
    r = claims.check_C5(cfg, files)
    m = metric(r, "heterogeneous n = 529: relative drift")
    assert not m["passed"] and "worst seed 1" in m["note"]
    assert m["measured"] == pytest.approx(0.02 * 25.0 / rising[-500:].mean(), rel=1e-9)
    assert not r["passed"] and "FAIL" in r["verdict"]


# --------------------------------------------------------------------------------------------
# C6
# --------------------------------------------------------------------------------------------

TSV_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def tsv(path, seconds):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TSV_HEADER + f"{seconds}\t0:00:00\t812.5\t1000\t700\t750\t0.1\t2.0\t99.5\t{seconds * 0.98}\n")
    return path


def test_C6_scales_to_the_paper_workload(cfg, tmp_path):
    full = config.resolve(cfg, "full")
    U = full["arms"]["ks"]["budget"]["updates"]
    S = 1000 + math.floor(U * full["arms"]["ks"]["sac"]["env_steps_per_update"])  # learning_starts + steps
    per = 1e5 / min(U, S)            # no train.nc: the config's budget, the costlier reading of 1e5 per agent
    paper = cfg["claims"]["C6"]["paper_hours_ks500"] * 3600
    files = [tsv(tmp_path / "bench" / "train" / "ks" / "n500" / f"seed{s}.tsv", 600.0) for s in (0, 1)]
    assert read_benchmark_tsv(files[0])["max_rss"] == 812.5
    r = claims.check_C6({**cfg, "preset": "full"}, files)
    t_eq = 600.0 * per
    assert metric(r, "KS n = 500")["measured"] == pytest.approx(t_eq)
    assert r["details"]["jobs"][0]["env_steps"] == S
    assert r["passed"] == (t_eq < paper)
    assert r["fidelity"] == pytest.approx(min(1.0, paper / t_eq))
    # a slow job fails with fidelity paper/ours; an n = 100 job is extrapolated, and says so
    slow = [tsv(tmp_path / "b2" / "train" / "ks" / "n100" / "seed0.tsv", 5000.0)]
    r = claims.check_C6({**cfg, "preset": "full"}, slow)
    t_eq = 5000.0 * per * 5
    assert not r["passed"] and r["fidelity"] == pytest.approx(paper / t_eq)
    assert r["details"]["extrapolated"] and "EXTRAPOLATED" in metric(r, "KS n = 500")["note"]
    # several n timed (the ci preset): a least-squares line in n, evaluated at n = 500
    times = {10: (100.0, 104.0), 50: (108.0, 110.0), 100: (116.0, 118.0)}
    several = [tsv(tmp_path / "b3" / "train" / "ks" / f"n{n}" / f"seed{s}.tsv", t)
               for n, ts in times.items() for s, t in enumerate(ts)]
    r = claims.check_C6({**cfg, "preset": "full"}, several)
    ns = [n for n, ts in times.items() for _ in ts]
    secs = [t * per for ts in times.values() for t in ts]
    slope, intercept = np.polyfit(ns, secs, 1)
    assert metric(r, "KS n = 500")["measured"] == pytest.approx(intercept + 500 * slope, rel=1e-12)
    assert r["details"]["fit_in_n"]["slope"] == pytest.approx(slope)
    assert "least-squares line" in metric(r, "KS n = 500")["note"]
    # ... never below the largest timed n's own time (a line falling with n is not trusted)
    falling = [tsv(tmp_path / "b4" / "train" / "ks" / f"n{n}" / "seed0.tsv", t) for n, t in ((10, 200.0), (100, 120.0))]
    r = claims.check_C6({**cfg, "preset": "full"}, falling)
    assert metric(r, "KS n = 500")["measured"] == pytest.approx(120.0 * per)


def test_C6_times_a_resumed_job_by_all_its_attempts(cfg, tmp_path):
    """A job killed and resumed: Snakemake's benchmark file holds the last attempt's 300 s,
    train.nc's wall_s the 1,000 s of all attempts; C6 must take the 1,000 s."""
    def files(wall):
        d = tmp_path / f"wall{wall}"
        t = train_file(run_path(d, "ks", 500, 0, "train.nc"), "ks", 500, 0, [60.0, 90.0, 101.0])
        with xr.open_dataset(t) as ds:
            ds = ds.load()
        ds.assign(wall_s=("update", np.linspace(0.0, wall, ds.sizes["update"]))).to_netcdf(t)
        return [tsv(d / "bench" / "train" / "ks" / "n500" / "seed0.tsv", 300.0), t]

    full = {**config.resolve(cfg, "full"), "preset": "full"}
    resumed = claims.check_C6(full, files(1000.0))
    job = resumed["details"]["jobs"][0]
    assert job["seconds"] == 1000.0 and job["benchmark_file_seconds"] == 300.0 and "resumes" in job["timed_by"]
    straight = claims.check_C6(full, files(290.0))           # one attempt: the benchmark file's own time
    assert straight["details"]["jobs"][0]["seconds"] == 300.0
    assert metric(resumed, "KS n = 500")["measured"] == pytest.approx(metric(straight, "KS n = 500")["measured"] * 1000 / 300)


def test_equal_workload_scale_takes_the_costlier_reading():
    assert equal_workload_scale(50_000, 12_500) == 8.0       # the 1e5 steps cost more than the 1e5 updates
    assert equal_workload_scale(400_000, 200_000) == 0.5     # both past the paper's: the job did more than it
    assert equal_workload_scale(200_000) == 0.5              # steps unknown: updates alone
    assert equal_workload_scale(float("nan"), 25_000) == 4.0
    assert math.isnan(equal_workload_scale(float("nan")))


# --------------------------------------------------------------------------------------------
# fidelity, tables, JSON
# --------------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(measured=st.floats(-1e6, 1e6, allow_nan=False), threshold=st.floats(-1e3, 1e3, allow_nan=False),
       sense=st.sampled_from(["<=", "<", ">=", ">"]))
def test_fidelity_is_one_exactly_when_passed(measured, threshold, sense):
    m = Metric("x", measured, threshold, sense)
    assert 0.0 <= m.fidelity <= 1.0
    if m.passed:
        assert m.fidelity == 1.0
    elif sense in ("<=", "<") and threshold > 0 and measured > threshold:
        assert m.fidelity == pytest.approx(threshold / measured)
    assert fidelity(float("nan"), threshold, sense, False) == 0.0


def test_write_claim_and_table(tmp_path):
    ok = claims.ClaimResult("C9", "a claim", [Metric("error", 0.005, 0.01, "<=")]).as_dict()
    bad = claims.ClaimResult("C8", "another", [Metric("error", 0.04, 0.01, "<="),
                                               Metric("R²", 0.99999, scored=False)]).as_dict()
    p = claims.write_claim(bad, tmp_path / "claims" / "C8.json")
    back = json.loads(p.read_text())
    assert back["passed"] is False and back["fidelity"] == pytest.approx(0.25)
    assert back["metrics"][0]["measured"] == 0.04
    table = claims.claims_table([ok, back])
    assert "| claim | metric | threshold | measured | fidelity | pass |" in table
    assert "| C8 | error | ≤ 0.01 | 0.04 | 0.25 | **FAIL** |" in table
    assert "| C8 | R² | reported |" in table
    assert "1 of 2 claims pass" in table and "FAIL: error = 0.04 (needs ≤ 0.01) FAILS" in table


def test_baseline_vs_variant_table(cfg, tmp_path):
    def ev(arm, seed, K, G):
        ds = xr.Dataset({k: v for k, v in dict(mean_K=K, mean_C=2.0, mean_Y=2.6, mean_L=0.87, gini=G, sd_logc=G / 2,
                                               std_logY=0.04, std_logY_hp_pct=1.3, ss_K=K, ss_C=2.0, gini_ss=G,
                                               sd_logc_ss=G / 2, eval_return=-17.0, periods_sim=5000.0,
                                               periods_det=3000.0, sim_burn=500.0).items()},
                        attrs={"arm": arm, "n": 20, "seed": seed})
        return ds.to_netcdf(run_path(tmp_path, arm, 20, seed)) or run_path(tmp_path, arm, 20, seed)
    base = [ev("baseline", s, 24.8 + 0.1 * s, 0.0) for s in (0, 1)]
    var = [ev("heterogeneous", s, 25.0 + 0.1 * s, 0.01) for s in (0, 1)]
    table = claims.baseline_vs_variant(cfg, base, var)
    assert "| metric | baseline (2 seeds) | heterogeneous (2 seeds) | Δ = variant − baseline |" in table
    row = next(line for line in table.splitlines() if line.startswith("| capital per head"))
    assert "24.85" in row and "25.05" in row and "0.2" in row
    assert "| periods run with shocks (per economy) | 5000 | 5000 | +0 |" in table
    assert "No heterogeneous evaluation" in claims.baseline_vs_variant(cfg, base, [])


def test_classify_inputs_by_path():
    paths = ["results/runs/ks/n10/seed0/eval.nc", "results/runs/ks/n10/seed0/train.nc",
             "results/bench/train/ks/n10/seed0.tsv", "results/benchmarks/rbc.nc",
             "results/benchmarks/closed_form.nc", "results/benchmarks/ks.nc", "results/benchmarks/game_n20.nc"]
    c = claims.classify_inputs(paths)
    assert {k: len(v) for k, v in c.items()} == {"eval": 1, "train": 1, "bench": 1, "rbc": 1,
                                                 "closed_form": 1, "ks": 1, "game": 1}
    assert claims.classify_inputs({"eval": paths[:1], "ks": paths[5]})["ks"] == [paths[5]]
    with pytest.raises(ValueError, match="unknown claim"):
        claims.check("C7", {}, [])
