"""Evaluation of policies (rollouts, IRFs, accuracy), netCDF helpers and aggregation."""

import json
import math
import os
import subprocess

import numpy as np
import pytest
import torch
import xarray as xr
from numpy.testing import assert_allclose

import marlbc
from marlbc import config
from marlbc.benchmarks import ks as ks_bm
from marlbc.benchmarks import rbc as rbc_bm
from marlbc.benchmarks.steady_state import closed_form, steady_state
from marlbc.economy import make_economy, make_params
from marlbc.evaluation import aggregate, evaluate, evaluate_policy
from marlbc.evaluation import io as eio
from marlbc.evaluation.evaluate import _rbc_irf, price_effect_weight, wealth_persistence
from marlbc.evaluation.policies import (KAPolicy, ObsPolicyFromKA, constant_policy, rbc_observation,
                                        steady_state_policy)
from marlbc.evaluation.statistics import gini_rows, regress_law_of_motion, trend_drift

FAST = {"det_envs": 2, "det_periods": 700, "sim_envs": 2, "sim_periods": 800, "sim_burn": 200,
        "euler_periods": 1500, "euler_burn": 200, "welfare_paths": 100, "welfare_T": 400}
FAST_KS = {"det_envs": 2, "det_periods": 600, "ks_T": 700, "ks_burn": 100, "ks_envs": 2}


# --------------------------------------------------------------------------------------------
# io
# --------------------------------------------------------------------------------------------

def small_ds():
    return xr.Dataset({"a": (("x",), np.arange(3.0), {"units": "1", "long_name": "a"})},
                      coords={"x": np.arange(3)})


def test_open_checked_names_file_and_everything_missing(tmp_path):
    path = tmp_path / "some.nc"
    eio.write_netcdf(small_ds(), path)
    ds = eio.open_checked(path, ["a"], ["x"])
    assert float(ds["a"].sum()) == 3.0
    with pytest.raises(eio.MissingDataError) as err:
        eio.open_checked(path, ["a", "b", "c"], ["x", "y"])
    msg = str(err.value)
    assert str(path) in msg and "b, c" in msg and "dimensions y" in msg and "variables" in msg
    with pytest.raises(FileNotFoundError, match="nope.nc"):
        eio.open_checked(tmp_path / "nope.nc")


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out.nc"

    def broken(self, path, *a, **k):            # writes half a file, then fails
        with open(path, "wb") as f:
            f.write(b"CDF\x01 partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        eio.write_netcdf(small_ds(), target)
    assert list(tmp_path.iterdir()) == []
    # an existing file survives a failed rewrite untouched
    monkeypatch.undo()
    eio.write_netcdf(small_ds(), target)
    before = target.read_bytes()
    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(RuntimeError):
        eio.write_netcdf(small_ds(), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.nc"]
    # JSON and text too
    with pytest.raises(TypeError):
        eio.atomic_write_json(tmp_path / "x.json", {"a": object()})
    assert not (tmp_path / "x.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.nc"]


def test_provenance_attributes_and_compression(tmp_path, cfg):
    path = eio.write_netcdf(small_ds(), tmp_path / "p.nc", cfg=cfg, seed=7, extra_flag=True)
    with xr.open_dataset(path) as ds:
        a = ds.attrs
        assert a["marlbc_version"] == marlbc.__version__
        assert a["config_hash"] == config.config_hash(cfg)
        assert a["seed"] == 7 and a["extra_flag"] == 1
        assert a["git_commit"] == eio.git_commit() and a["git_commit"]
        assert a["Conventions"].startswith("CF")
        assert ds["a"].encoding.get("zlib") is True
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)        # not mkstemp's private mode


def test_commit_says_when_the_package_differs_from_it(tmp_path):
    assert eio.commit_of(tmp_path) is None                          # no checkout
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                       check=True, capture_output=True)
    pkg = tmp_path / "src" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("outside the package\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    assert eio.commit_of(pkg, check_modified=True) == head
    (tmp_path / "notes.txt").write_text("edited, outside the package\n")
    assert eio.commit_of(pkg, check_modified=True) == head
    (pkg / "b.py").write_text("y = 2\n")                              # a new module counts
    assert eio.commit_of(pkg, check_modified=True) == head + "+modified"
    assert eio.commit_of(pkg) == head
    (pkg / "b.py").unlink()
    (pkg / "a.py").write_text("x = 2\n")
    assert eio.commit_of(pkg, check_modified=True) == head + "+modified"


def test_atomic_json_is_strict(tmp_path):
    p = eio.atomic_write_json(tmp_path / "r.json", {"x": float("nan"), "y": np.float64(2.0), "z": np.arange(2)})
    assert json.loads(p.read_text()) == {"x": None, "y": 2.0, "z": [0, 1]}


# --------------------------------------------------------------------------------------------
# statistics and policy wrappers
# --------------------------------------------------------------------------------------------

def test_gini_rows_matches_benchmark_gini():
    rng = np.random.default_rng(0)
    x = rng.lognormal(size=(5, 37))
    g = gini_rows(torch.as_tensor(x)).numpy()
    assert_allclose(g, [ks_bm.gini(row) for row in x], rtol=1e-12)
    assert float(gini_rows(torch.ones(1, 10, dtype=torch.float64))[0]) == 0.0


def test_rbc_observation_matches_economy(cfg):
    eco = make_economy(cfg, "heterogeneous", 20, n_envs=3, seed=1)
    gen = torch.Generator().manual_seed(2)
    eco.k = eco.p.k_ss * (0.5 + torch.rand(3, 20, generator=gen, dtype=torch.float64))
    eco.logA = 0.03 * torch.randn(3, 1, generator=gen, dtype=torch.float64)
    obs = rbc_observation(eco.p, eco.k, eco.k.mean(-1, keepdim=True), eco.logA, eco.p.kappa, eco.p.lam)
    assert_allclose(obs.numpy(), eco.observe().numpy(), rtol=1e-14, atol=1e-14)


def test_ka_wrapper_round_trip(cfg):
    """(K, A) policy -> observation policy -> (K, A) policy is the identity."""
    p = make_params(cfg, "rbc", 1)
    sol = rbc_bm.solve(config.arm_calibration(cfg, "rbc"))
    ka = KAPolicy(ObsPolicyFromKA(sol.policy, p), p)
    K = sol.steady.K * np.linspace(0.8, 1.2, 7)[:, None] * np.ones((1, 3))
    A = np.exp(np.array([-0.02, 0.0, 0.03]))[None, :] * np.ones((7, 1))
    for got, want in zip(ka(K, A), sol.policy(K, A)):
        assert_allclose(got, want, rtol=1e-12)
    c, l = ka(np.array(sol.steady.K), np.array(1.0))           # 0-d arrays, as rbc.simulate passes
    assert np.shape(c) == () and np.shape(l) == ()


def test_regress_law_of_motion_recovers_coefficients():
    z = ks_bm.z_path({"z_duration": 8.0}, 3000, seed=3).astype(int)
    coefs = np.array([[0.14, 0.962], [0.12, 0.965]])
    rng = np.random.default_rng(1)
    logK = np.empty(3000)
    logK[0] = 3.6
    for t in range(2999):
        logK[t + 1] = coefs[z[t], 0] + coefs[z[t], 1] * logK[t] + 1e-4 * rng.standard_normal()
    est, r2, se = regress_law_of_motion(np.exp(logK), z, 100)
    assert_allclose(est[:, 1], coefs[:, 1], atol=2e-3)
    assert np.all(r2 > 0.99) and np.all(se < 2e-4)


def test_trend_drift():
    t = np.arange(2000.0)
    assert trend_drift(np.full(2000, 3.0), 500) == 0.0
    lin = 1.0 + 0.01 * t / 499                                   # rises 1 % over 500 periods
    assert_allclose(trend_drift(lin, 500), 0.01 / lin[-500:].mean(), rtol=1e-10)
    noisy = 5.0 + 0.05 * np.random.default_rng(0).standard_normal(2000)
    assert trend_drift(noisy, 500) < 0.005                       # noise is not drift
    assert np.isnan(trend_drift(np.ones(100), 500))


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------

def test_closed_form_policy_evaluates_exactly(cfg, tmp_path):
    """δ = 1: the closed form is the optimum; the evaluation finds it in every number."""
    p = make_params(cfg, "rbc_closed_form", 1)
    cal = config.arm_calibration(cfg, "rbc_closed_form")
    cf, ss = closed_form(**cal), steady_state(**cal)
    ds, s = evaluate_policy(cfg, steady_state_policy(p), "rbc_closed_form", 1, 4, tmp_path / "e.nc", options=FAST)
    assert_allclose([s["chat"], s["ell"]], [cf["chat"], cf["ell"]], rtol=1e-12)
    assert_allclose([s["K"], s["L"], s["C"]], [ss.K, ss.L, ss.C], rtol=1e-9)
    assert s["cf_chat_max_rel_err"] < 1e-12 and s["cf_ell_max_rel_err"] < 1e-12
    assert s["euler_mean"] < -10 and abs(s["welfare_loss_pct"]) < 1e-8
    assert s["det_drift"] < 1e-12 and s["n_nonfinite"] == 0
    with xr.open_dataset(tmp_path / "e.nc") as f:
        assert f.attrs["arm"] == "rbc_closed_form" and f.attrs["seed"] == 4
        assert f.attrs["config_hash"] == config.config_hash(cfg)
        assert f["K"].dims == ("env", "t") and f["K_det"].dims == ("env_det", "t_det")
        assert f["irf_Y"].dims == ("shock", "quarter") and list(f["shock"].values) == ["one_sigma", "log_0.1"]
        assert f["k_ss"].dims == ("household",)
        assert f["K"].attrs["units"] and f["K"].attrs["long_name"]
        # Y responds to a one-σ shock by exactly 100(e^σ - 1) % on impact (ℓ constant, K given)
        assert_allclose(f["irf_Y"].values[0, 0], 100 * math.expm1(cal["sigma_A"]), rtol=1e-9)


def test_irf_of_n_households_matches_benchmark_simulation(cfg):
    """The batched economy's IRF (n = 20, κ = λ = 1) equals benchmarks.rbc.simulate's (n = 1)."""
    opts = {"irf_quarters": 40, "irf_log_shock": 0.1}
    cal = config.arm_calibration(cfg, "rbc")
    ss = steady_state(**cal)
    pol = steady_state_policy(make_params(cfg, "rbc", 1))
    one = _rbc_irf(pol, cfg, "rbc", 1, opts, np.array([ss.K]), cal)
    many = _rbc_irf(pol, cfg, "baseline", 20, opts, np.full(20, ss.K), cal)
    for x in one:
        assert_allclose(many[x], one[x], rtol=1e-8, atol=1e-9)
    bench = rbc_bm.impulse_response(rbc_bm.constant_policy(ss.chat, ss.L), cal, cal["sigma_A"])
    for x in one:
        assert_allclose(one[x][0], bench[x], rtol=1e-8, atol=1e-10)


def test_heterogeneous_evaluation_from_run_dir(cfg, tmp_path):
    run = tmp_path / "runs" / "heterogeneous" / "n9" / "seed3"
    run.mkdir(parents=True)
    pol = steady_state_policy(make_params(cfg, "heterogeneous", 9))
    s = evaluate(cfg, run, run / "eval.nc", policy=pol, options=FAST)
    assert (s["arm"], s["n"], s["seed"]) == ("heterogeneous", 9, 3)
    json.dumps(s)                                               # JSON-able
    for k in ("chat", "ell", "K", "L", "C", "gini", "sd_logc", "std_logY", "eval_return"):
        assert np.isfinite(s[k])
    assert s["gini_ss"] > 0                                      # types make households differ
    assert 0 < s["wealth_persistence_1"] < 1                     # a constant ĉ eats part of a windfall
    with xr.open_dataset(run / "eval.nc") as f:
        assert f.sizes["household"] == 9
        assert_allclose(f["kappa"].values, config.heterogeneity(cfg["arms"]["heterogeneous"]["heterogeneity"], 9)[0])


def test_wealth_persistence_follows_one_household_after_a_windfall(cfg):
    """A constant rule (ĉ, ℓ) at any k*: one quarter after household j's capital is raised by
    10 % (the others' at k*), k_j' = (1 − ĉ)((1 − δ + r) 1.1 k*_j + w ℓ) with r, w at K = Σ k,
    L = n ℓ; the share left is (k_j'/k*_j − 1)/0.1, and 1 at the raise."""
    n = 4
    p = make_params(cfg, "baseline", n)
    chat, ell = 0.08, 0.9
    k_star = np.array([20.0, 24.0, 26.0, 30.0])
    idx, pers = wealth_persistence(constant_policy([chat, ell]), cfg, "baseline", n, k_star, 3, 8, seed=0)
    assert_allclose(idx, np.arange(n))                          # fewer households than asked: all of them
    assert_allclose(pers[:, 0], 1.0, rtol=1e-12)
    for j in range(n):
        k = k_star.copy()
        k[j] *= 1.1
        KL = k.sum() / (n * ell)
        r, w = p.alpha * KL ** (p.alpha - 1), (1 - p.alpha) * KL ** p.alpha
        k1 = (1 - chat) * ((1 - p.delta + r) * k[j] + w * ell)
        assert_allclose(pers[j, 1], (k1 / k_star[j] - 1) / 0.1, rtol=1e-10)


def test_price_effect_weight_follows_the_others_answer_to_a_capital_blip(cfg):
    """Constant rule (ĉ, ℓ): household i (median capital) holds ε = 1e-4 S_K more capital for
    one quarter, then k*_i again, hours ℓ throughout; the others save (1 − ĉ) of their cash on
    hand at R = α (K/L)^(α−1), W = (1 − α)(K/L)^α. The path of Δlog(K/L) per ε/S_K is 1 in the
    quarter of the blip (hours held: the game's one-quarter effect) and then the others' answer;
    θ is its present value. Replayed here with numpy."""
    n = 4
    p = make_params(cfg, "baseline", n)
    chat, ell, T = 0.08, 0.9, 60
    k_star = np.array([20.0, 30.0, 24.0, 26.0])
    theta, path = price_effect_weight(constant_policy([chat, ell]), cfg, "baseline", n, k_star,
                                      np.full(n, ell), T, seed=0)
    i = 3                                                       # median capital: 26
    eps = 1e-4 * k_star.sum()
    logR = {}
    for sgn in (1.0, -1.0):
        k = k_star.copy()
        k[i] += sgn * eps
        out = []
        for _ in range(T):
            x = k.sum() / (n * ell)
            R, W = p.alpha * x ** (p.alpha - 1), (1 - p.alpha) * x ** p.alpha
            out.append(np.log(R))
            k = (1 - chat) * ((1 - p.delta + R) * k + W * ell)
            k[i] = k_star[i]
        logR[sgn] = np.array(out)
    ref = (logR[1.0] - logR[-1.0]) / 2 / (p.alpha - 1) / (eps / k_star.sum())
    assert_allclose(path[0], 1.0, rtol=1e-7)                   # the game's one-quarter effect
    assert_allclose(path, ref, rtol=1e-6, atol=1e-9)
    assert_allclose(theta, np.sum(p.beta ** np.arange(T) * ref), rtol=1e-6)
    assert path[1] > 0          # k*_i/K > ℓ/L: the blip raises the others' income (Euler's theorem), they save part


def test_ks_evaluation_uses_the_benchmark_z_path(cfg, tmp_path):
    pol = steady_state_policy(make_params(cfg, "ks", 10))
    ds, s = evaluate_policy(cfg, pol, "ks", 10, 0, tmp_path / "ks.nc", options=FAST_KS)
    cal = config.arm_calibration(cfg, "ks")
    spec = __import__("marlbc.evaluation.evaluate", fromlist=["x"]).ks_benchmark_path_spec()
    assert_allclose(ds["z_index"].values, ks_bm.z_path(cal, 800, spec["seed"]))
    for k in ("mean_K", "gini", "a_good", "b_good", "a_bad", "b_bad", "den_haan_max", "K_det_good"):
        assert np.isfinite(s[k]), k
    assert min(s["r2_good"], s["r2_bad"]) > 0.999                # a linear rule aggregates exactly
    assert ds["lom_slope"].dims == ("env", "z_state")
    assert set(ds["z_det"].values.tolist()) == {0, 1}


def test_evaluate_a_policy_file_written_by_the_trainer(cfg, tmp_path):
    sac = pytest.importorskip("marlbc.rl.sac")
    policy_mod = pytest.importorskip("marlbc.rl.policy")
    eco = make_economy(cfg, "baseline", 4, 1, seed=0)
    torch.manual_seed(0)
    actor = sac.Actor(eco.obs_dim, eco.action_bounds)
    run = tmp_path / "run"
    run.mkdir()
    payload = policy_mod.policy_payload(actor, actor.state_dict(), eco.action_names,
                                        {"arm": "baseline", "n": 4, "seed": 5, "update": 0})
    policy_mod.save_atomic(payload, run / "policy.pt")
    s = evaluate(cfg, run, tmp_path / "eval.nc", options=FAST)
    assert (s["arm"], s["n"], s["seed"]) == ("baseline", 4, 5)
    assert np.isfinite(s["K"]) and 0 < s["chat"] < 1


def test_aggregate_builds_one_dataset(cfg, tmp_path):
    files = []
    for arm, n, seed in (("heterogeneous", 9, 0), ("heterogeneous", 9, 1), ("baseline", 4, 0)):
        pol = steady_state_policy(make_params(cfg, arm, n))
        out = tmp_path / arm / f"n{n}" / f"seed{seed}" / "eval.nc"
        evaluate_policy(cfg, pol, arm, n, seed, out,
                        options={**FAST, "det_periods": 600, "sim_periods": 300, "sim_burn": 100})
        files.append(out)
    train = tmp_path / "heterogeneous" / "n9" / "seed0" / "train.nc"
    xr.Dataset({"eval_return": ("update", [-30.0, -20.0, -18.0])}, coords={"update": [0, 10, 20]},
               attrs={"arm": "heterogeneous", "n": 9, "seed": 0, "best_update": 20}).to_netcdf(train)
    ds = aggregate(cfg, files, [train], tmp_path / "marlbc.nc")
    assert list(ds["arm"].values) == ["baseline", "heterogeneous"]
    assert list(ds["n"].values) == [4, 9] and list(ds["seed"].values) == [0, 1]
    assert ds["K_det"].dims == ("arm", "n", "seed", "t_det")
    assert ds["k_ss"].dims == ("arm", "n", "seed", "household") and ds.sizes["household"] == 9
    assert ds["has_eval"].sel(arm="baseline", n=9).values.tolist() == [0, 0]
    assert np.isnan(ds["ss_K"].sel(arm="baseline", n=9, seed=0))
    assert np.isfinite(ds["ss_K"].sel(arm="heterogeneous", n=9, seed=1))
    assert ds["train_eval_return"].sel(arm="heterogeneous", n=9, seed=0).values.tolist() == [-30.0, -20.0, -18.0]
    assert float(ds["train_best_update"].sel(arm="heterogeneous", n=9, seed=0)) == 20
    with xr.open_dataset(tmp_path / "marlbc.nc") as f:
        assert f.attrs["config_hash"] == config.config_hash(cfg)
        assert f["K"].attrs["units"] and f["K"].encoding.get("zlib") is True
    junk = tmp_path / "junk" / "n9" / "seed0" / "eval.nc"
    junk.parent.mkdir(parents=True)
    junk.write_bytes(b"not netCDF")
    with pytest.raises(OSError, match=f"cannot read netCDF file '{junk}'"):
        aggregate(cfg, [*files, junk], [train], tmp_path / "marlbc2.nc")
    assert not (tmp_path / "marlbc2.nc").exists()


def test_shock_free_rollout_stops_at_its_fixed_point_exactly(cfg):
    """Stopping at the fixed point and copying the last quarter gives the full loop's path."""
    from marlbc.evaluation.evaluate import _rbc_rollout

    pol = steady_state_policy(make_params(cfg, "heterogeneous", 9))
    runs = []
    for stop in (False, True):
        eco = make_economy(cfg, "heterogeneous", 9, 2, seed=5, shocks=False, check_actions=False)
        runs.append(_rbc_rollout(pol, eco, 2500, record_hh_stride=7, stop_at_fixed_point=stop))
    full, fast = runs
    assert 0 < fast["fixed_point_at"] < 2400 and full["fixed_point_at"] == -1
    for x in ("K", "C", "Y", "L", "I", "chat", "ell", "gini_k", "k_hh"):
        assert_allclose(fast[x], full[x], rtol=1e-12, atol=1e-14)
    assert_allclose(fast["return"], full["return"], rtol=1e-12)
    assert_allclose(fast["final"]["k"], full["final"]["k"], rtol=1e-13)


# --------------------------------------------------------------------------------------------
# metadata: every number in eval.nc and marlbc.nc says what it is
# --------------------------------------------------------------------------------------------

# coordinates that label (index, name, seed) rather than measure: a long_name suffices
LABEL_COORDS = {"arm", "seed", "env", "env_det", "household", "hh_sample", "shock", "z_state"}


def undescribed(ds: xr.Dataset) -> list[str]:
    """Variables without units or with a long_name that is missing or only repeats the name;
    coordinates without a long_name, and quantity coordinates without units."""
    bad = []

    def text(v, key):
        x = v.attrs.get(key)
        return x.strip() if isinstance(x, str) else ""

    for name, v in ds.data_vars.items():
        ln = text(v, "long_name")
        if not text(v, "units") or not ln or ln == name:
            bad.append(f"{name}: units={v.attrs.get('units')!r} long_name={v.attrs.get('long_name')!r}")
    for name, c in ds.coords.items():
        if not text(c, "long_name") or (name not in LABEL_COORDS and not text(c, "units")):
            bad.append(f"coordinate {name}: {dict(c.attrs)}")
    return bad


@pytest.fixture(scope="module")
def described_runs(cfg, tmp_path_factory):
    """Tiny evaluations of the three kinds of eval.nc: RBC n = 1 (closed form: accuracy, welfare
    and closed-form scalars), RBC n = 4 (a policy file written by the trainer's code: wealth
    persistence, price effect) and KS; and a train.nc as old runs wrote it (no attributes)."""
    root = tmp_path_factory.mktemp("described")
    files = []
    for arm, n, opts in (("rbc_closed_form", 1, FAST), ("baseline", 4, FAST), ("ks", 10, FAST_KS)):
        run = root / arm / f"n{n}" / "seed0"
        run.mkdir(parents=True)
        policy = steady_state_policy(make_params(cfg, arm, n))
        if arm == "baseline":
            sac = pytest.importorskip("marlbc.rl.sac")
            policy_mod = pytest.importorskip("marlbc.rl.policy")
            eco = make_economy(cfg, arm, n, 1, seed=0)
            torch.manual_seed(0)
            actor = sac.Actor(eco.obs_dim, eco.action_bounds)
            policy_mod.save_atomic(policy_mod.policy_payload(actor, actor.state_dict(), eco.action_names,
                                                             {"arm": arm, "n": n, "seed": 0, "update": 0}),
                                   run / "policy.pt")
            policy = None
        evaluate(cfg, run, run / "eval.nc", policy=policy, options=opts)
        files.append(run / "eval.nc")
    train = root / "baseline" / "n4" / "seed0" / "train.nc"
    xr.Dataset({"eval_return": ("update", [-30.0, -20.0])}, coords={"update": [0, 10]},
               attrs={"arm": "baseline", "n": 4, "seed": 0, "best_update": 10}).to_netcdf(train)
    return root, files, [train]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["rbc_closed_form_n1", "baseline_n4", "ks_n10"])
def test_every_eval_variable_has_units_and_a_description(described_runs, which):
    with xr.open_dataset(described_runs[1][which]) as f:
        assert not undescribed(f), "\n".join(undescribed(f))
        assert len(f.data_vars) > 30


def test_aggregate_carries_units_and_descriptions(cfg, described_runs):
    root, evals, trains = described_runs
    aggregate(cfg, evals, trains, root / "marlbc.nc")
    with xr.open_dataset(root / "marlbc.nc") as f:
        assert not undescribed(f), "\n".join(undescribed(f))
        with xr.open_dataset(evals[0]) as e:                    # carried through from eval.nc
            for name in ("ss_K", "euler_mean", "welfare_loss_pct", "irf_Y", "k_ss"):
                assert f[name].attrs["units"] == e[name].attrs["units"], name
                assert f[name].attrs["long_name"] == e[name].attrs["long_name"], name
        with xr.open_dataset(evals[2]) as e:
            for name in ("a_good", "b_good", "r2_good", "K_det_good"):
                assert f[name].attrs["long_name"] == e[name].attrs["long_name"], name
        # a path both families write, described differently by each: the aggregate says both
        assert "RBC" in f["K"].attrs["long_name"] and "KS" in f["K"].attrs["long_name"]
        assert f["train_eval_return"].attrs["units"] == "utils"


def test_a_run_is_known_by_its_attributes_else_its_path():
    """One reader of run identity for evaluation, aggregation, claims and figures."""
    assert eio.parse_run_path("results/ci/runs/ks/n500/seed2") == {"arm": "ks", "n": 500, "seed": 2}
    assert eio.parse_run_path("results/runs/ks/n500/seed2/eval.nc") == {"arm": "ks", "n": 500, "seed": 2}
    assert eio.parse_run_path("results/bench/train/rbc/n1/seed0.tsv") == {"arm": "rbc", "n": 1, "seed": 0}
    for other in ("results/benchmarks/game_n20.nc", "results/runs/ks/n500/seed2x/eval.nc", "xks/n10"):
        assert eio.parse_run_path(other) is None, other
    bare = xr.Dataset()
    assert eio.run_key(bare, "results/runs/baseline/n20/seed1/train.nc") == ("baseline", 20, 1)
    attrs = xr.Dataset(attrs={"arm": "ks", "n": np.int64(50), "seed": 0})
    assert eio.run_key(attrs, "elsewhere/eval.nc") == ("ks", 50, 0)
    with pytest.raises(ValueError, match="cannot tell arm, n and seed of 'elsewhere/eval.nc'"):
        eio.run_key(bare, "elsewhere/eval.nc")


def test_n1_evaluation_is_scored_by_the_rbc_benchmark_file(cfg, tmp_path):
    """Given the pipeline's rbc.nc, an n = 1 evaluation scores the policy with the solution in
    the file (the same numbers as solving it again) and refuses one solved with another calibration."""
    cal = config.arm_calibration(cfg, "rbc")
    ds = rbc_bm.to_dataset(rbc_bm.solve(cal))
    ds.to_netcdf(tmp_path / "rbc.nc")
    pol = steady_state_policy(make_params(cfg, "rbc", 1))
    _, solved = evaluate_policy(cfg, pol, "rbc", 1, 0, options=FAST)
    _, read = evaluate_policy(cfg, pol, "rbc", 1, 0, options={**FAST, "rbc_benchmark": str(tmp_path / "rbc.nc")})
    assert "welfare_loss_pct" in read and "eval_seconds" in read
    assert {k: v for k, v in read.items() if k != "eval_seconds"} == \
        {k: v for k, v in solved.items() if k != "eval_seconds"}
    ds.attrs["calibration_json"] = json.dumps({**cal, "beta": 0.98})
    ds.to_netcdf(tmp_path / "other.nc")
    with pytest.raises(ValueError, match=r"another calibration than the arm's \(keys beta\)"):
        evaluate_policy(cfg, pol, "rbc", 1, 0, options={**FAST, "rbc_benchmark": str(tmp_path / "other.nc")})


def test_ks_evaluation_reads_the_z_path_of_the_benchmark_file(cfg, tmp_path):
    """Given the pipeline's ks.nc, the evaluation replays the file's aggregate shock path, whatever
    benchmarks.ks.solve's defaults would draw; a missing file is an error, not a silent redraw."""
    pol = steady_state_policy(make_params(cfg, "ks", 10))
    zs = np.tile([0, 0, 1, 1, 1], 160)                           # 800 quarters, not a draw
    xr.Dataset({"z_index": ("t", zs)}, attrs={"burn": 100, "seed": 7}).to_netcdf(tmp_path / "ks_bm.nc")
    ds, _ = evaluate_policy(cfg, pol, "ks", 10, 0, options={**FAST_KS, "ks_benchmark": str(tmp_path / "ks_bm.nc")})
    assert_allclose(ds["z_index"].values, zs)
    assert ds.attrs["z_path_source"] == str(tmp_path / "ks_bm.nc")
    with pytest.raises(FileNotFoundError, match="missing.nc"):
        evaluate_policy(cfg, pol, "ks", 10, 0, options={**FAST_KS, "ks_benchmark": str(tmp_path / "missing.nc")})


def test_best_response_against_households_that_hold_still_is_the_game(cfg):
    """With the others holding the game's capital and hours (open loop), a household that picks
    the level of its capital (hours by its labour condition) picks the game's: the best target
    is within one fine-grid step (0.5 %) of the game's k_i, from the game's steady state, for the
    poorest and the richest household, and it gains nothing by moving. The Markov case is what
    docs/training.md reports on learned runs."""
    from marlbc.benchmarks.game import solve_game
    from marlbc.evaluation.best_response import best_response

    n = 9
    spec = config.arm_spec(config.resolve(cfg, "full"), "heterogeneous")
    kappa, lam = config.heterogeneity(spec["heterogeneity"], n)
    game = solve_game(config.arm_calibration(cfg, "heterogeneous"), kappa, lam)
    k, ell = np.asarray(game.k), np.asarray(game.ell)
    for i in (int(np.argmin(k)), int(np.argmax(k))):
        br = best_response(constant_policy([0.1, 0.9]), cfg, "heterogeneous", n, k, i,
                           quarters=800, hold=(k, ell))
        assert abs(br["k_best"] / k[i] - 1) <= 0.0051, (i, br)
        assert br["gain_ce_pct"] < 1e-6 and not br["at_grid_edge"]
    with pytest.raises(ValueError, match="arm 'rbc_closed_form' has n = 1, utility 'log_leisure'"):
        best_response(constant_policy([0.1, 0.9]), cfg, "rbc_closed_form", 1, np.ones(1), 0, quarters=2)
