"""Every bad configuration fails before anything runs, with one line naming key, value and what
is allowed; a preset scales budgets and sweeps."""

import copy
import math
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from marlbc import config
from marlbc.config import ConfigError
from marlbc.economy import make_economy


def mutate(cfg, path, value):
    """A deep copy of cfg with cfg[path] = value (path 'a.b.c'; value DELETE removes the key)."""
    out = copy.deepcopy(cfg)
    *parents, last = path.split(".")
    node = out
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return out


DELETE = object()

# (path, value, fragments the one-line message must contain)
BAD = [
    ("colour", "red", ["unknown config key 'colour'", "allowed keys under '<root>'", "calibrations"]),
    ("arms.rbc_closedform", {}, ["unknown config key 'arms.rbc_closedform'", "rbc_closed_form"]),
    ("preset", "fll", ["'preset' = 'fll'", "allowed values: full, ci, smoke"]),
    ("presets.huge", {"budget_scale": 2}, ["unknown config key 'presets.huge'", "full, smoke"]),
    ("seeds", "0,1", ["'seeds' = '0,1'", "expected array"]),
    ("seeds", [], ["'seeds' = []", "non-empty"]),
    ("seeds", [0, -1], ["'seeds.1' = -1", ">= 0"]),
    ("seeds", ["0", "1"], ["'seeds.0' = '0'", "expected integer", "--configfile"]),   # snakemake --config seeds=[0,1]
    ("calibrations.seed.alpha", 1.3, ["'calibrations.seed.alpha' = 1.3", "> 0 and < 1"]),
    ("calibrations.paper.alpha", 0, ["'calibrations.paper.alpha' = 0", "> 0 and < 1"]),
    ("calibrations.seed.beta", 1.0, ["'calibrations.seed.beta' = 1.0", "> 0 and < 1"]),
    ("calibrations.seed.delta", -0.025, ["'calibrations.seed.delta' = -0.025", "> 0 and <= 1"]),
    ("calibrations.seed.delta", 1.5, ["'calibrations.seed.delta' = 1.5", "> 0 and <= 1"]),
    ("calibrations.seed.sigma_A", -0.01, ["'calibrations.seed.sigma_A' = -0.01", ">= 0"]),
    ("calibrations.seed.rho", 1.0, ["'calibrations.seed.rho' = 1.0", ">= 0 and < 1"]),
    ("calibrations.seed.alpha", "0.33", ["'calibrations.seed.alpha' = '0.33'", "expected number"]),
    ("calibrations.seed.utility", "crra", ["'calibrations.seed.utility' = 'crra'", "linear_labour, log_leisure"]),
    ("calibrations.seed.chi", DELETE, ["'calibrations.seed.chi' is missing", "linear_labour"]),
    ("calibrations.ks98.u_good", 1.2, ["'calibrations.ks98.u_good' = 1.2", "< 1"]),
    ("arms.ks.n", [10, 0], ["'arms.ks.n.1' = 0", ">= 1"]),
    ("arms.ks.n", [], ["'arms.ks.n' = []", "non-empty"]),
    ("arms.rbc.budget.updates", 0, ["'arms.rbc.budget.updates' = 0", ">= 1"]),
    ("arms.rbc.budget.updates", 1.5, ["'arms.rbc.budget.updates' = 1.5", "expected integer"]),
    ("arms.rbc.economy", "dsge", ["'arms.rbc.economy' = 'dsge'", "rbc, ks"]),
    ("arms.rbc.calibration", "ks98", ["'arms.rbc.calibration' = 'ks98'", "ks98 for ks"]),
    ("arms.heterogeneous.heterogeneity.low", 0.0, ["heterogeneity.low' = 0.0", "> 0"]),
    ("arms.heterogeneous.heterogeneity.low", -1, ["heterogeneity.low' = -1", "> 0"]),
    ("arms.heterogeneous.heterogeneity.kind", "random", ["heterogeneity.kind' = 'random'", "none, spread, grid"]),
    ("claims.C3.rank_corr_min", 1.5, ["'claims.C3.rank_corr_min' = 1.5", "<= 1"]),
    ("claims.C1.steady_state_rel_tol", 0, ["'claims.C1.steady_state_rel_tol' = 0", "> 0 and < 1"]),
    ("claims.C5.drift_window", 1, ["'claims.C5.drift_window' = 1", ">= 2"]),
    ("presets.ci.budget_scale", 0, ["'presets.ci.budget_scale' = 0", "> 0"]),
    ("presets.ci.n", {"kss": [10]}, ["unknown config key 'presets.ci.n.kss'", "heterogeneous, ks"]),
    ("presets.ci.arm_budget_scale", {"kss": 1.0}, ["unknown config key 'presets.ci.arm_budget_scale.kss'", "heterogeneous, ks"]),
    ("presets.ci.arm_budget_scale", {"rbc": 0}, ["'presets.ci.arm_budget_scale.rbc' = 0", "> 0"]),
    ("economy.chat_bounds", [0.9, 0.1], ["'economy.chat_bounds' = [0.9, 0.1]", "low < high"]),
    ("economy.ell_bounds", [0.0, 0.9], ["'economy.ell_bounds.0' = 0.0", "> 0 and < 1"]),
    ("calibrations.paper.ell_bounds", [0.01, 1.2], ["'calibrations.paper.ell_bounds' = [0.01, 1.2]", "high < 1 for utility log_leisure"]),
    ("economy.envs", 0, ["'economy.envs' = 0", ">= 1"]),
    ("arms.rbc.envs", 0, ["'arms.rbc.envs' = 0", ">= 1"]),
    # NaN and inf pass JSON Schema's range checks; they are named all the same
    ("calibrations.seed.alpha", math.nan, ["'calibrations.seed.alpha' = nan", "finite"]),
    ("presets.smoke.budget_scale", math.inf, ["'presets.smoke.budget_scale' = inf", "finite"]),
    ("claims.C2.gini_abs_tol", math.nan, ["'claims.C2.gini_abs_tol' = nan", "finite"]),
    # a threshold left out would otherwise surface as a KeyError after hours of training
    ("claims.C2.mean_K_rel_tol", DELETE, ["'claims.C2.mean_K_rel_tol' is missing", "gini_abs_tol"]),
    # SAC settings are checked when the config loads (snakemake -n), not when a job starts
    ("arms.rbc.sac.lr_critc", 0.001, ["'arms.rbc.sac.lr_critc'", "lr_critic"]),
    ("arms.rbc.sac.select_by", "lastt", ["'arms.rbc.sac.select_by' = 'lastt'", "last"]),
    ("arms.rbc.sac.eval_every", 0, ["'arms.rbc.sac.eval_every' = 0", "> 0"]),
    ("arms.ks.sac.grad_clip", math.nan, ["'arms.ks.sac.grad_clip' = nan", "finite"]),
    ("arms.ks.sac.actor_ema", 2.0, ["'arms.ks.sac.actor_ema' = 2.0", "<= 1"]),
    ("arms.ks.sac.lr_final", 3.0, ["'arms.ks.sac.lr_final' = 3.0", "<= 1"]),
    ("arms.heterogeneous.heterogeneity.kind", "grid", ["'arms.heterogeneous.n' has n = 20", "perfect squares"]),
    # the baseline is held against the rbc benchmark: one calibration for the two
    ("arms.baseline.overrides", {"beta": 0.98}, ["'arms.baseline.overrides'", "'arms.rbc'", "must share one"]),
]


@pytest.mark.parametrize("path,value,fragments", BAD, ids=[b[0] + "=" + repr(b[1])[:12] for b in BAD])
def test_bad_config_is_one_line_naming_key_and_allowed(cfg, path, value, fragments):
    with pytest.raises(ConfigError) as err:
        config.validate(mutate(cfg, path, value))
    msg = str(err.value)
    assert "\n" not in msg
    for frag in fragments:
        assert frag in msg, msg


def test_unknown_arm_and_preset_when_resolving(cfg):
    with pytest.raises(ConfigError, match="unknown arm 'rbcc'; allowed: rbc_closed_form, rbc, baseline"):
        config.arm_spec(cfg, "rbcc")
    with pytest.raises(ConfigError, match="'preset' = 'quick' is not allowed; allowed values: full, ci, smoke"):
        config.resolve(cfg, "quick")


def test_the_shipped_config_and_its_presets_validate(cfg):
    for preset in config.PRESETS:
        r = config.resolve(cfg, preset)
        config.validate(r)
        for arm, spec in r["arms"].items():
            scale = cfg["presets"][preset].get("arm_budget_scale", {}).get(arm, cfg["presets"][preset]["budget_scale"])
            assert spec["budget"]["updates"] == max(1, -(-cfg["arms"][arm]["budget"]["updates"] * scale // 1))
    smoke = config.resolve(cfg, "smoke")
    assert smoke["seeds"] == cfg["presets"]["smoke"]["seeds"]
    assert smoke["arms"]["ks"]["n"] == cfg["presets"]["smoke"]["n"]["ks"]
    assert config.resolve(cfg, "full")["arms"]["ks"]["n"] == cfg["arms"]["ks"]["n"]
    assert config.resolve(smoke, "smoke") == smoke          # resolving twice scales once


def test_a_preset_can_scale_one_arm_apart(cfg):
    cfg = copy.deepcopy(cfg)
    cfg["arms"]["rbc"]["budget"]["updates"] = 1000
    cfg["arms"]["ks"]["budget"]["updates"] = 1000
    cfg["presets"]["ci"] = {"budget_scale": 0.25, "arm_budget_scale": {"ks": 0.6}}
    r = config.resolve(cfg, "ci")
    assert r["arms"]["rbc"]["budget"]["updates"] == 250
    assert r["arms"]["ks"]["budget"]["updates"] == 600
    assert config.resolve(r, "ci") == r                     # resolving twice scales once
    del cfg["arms"]["ks"]
    with pytest.raises(ConfigError, match="'presets.ci.arm_budget_scale.ks' names an arm not in 'arms'"):
        config.validate(cfg)


def test_load_reports_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.yaml")
    f = tmp_path / "c.yaml"
    f.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        config.load(f)


def test_heterogeneity_layouts(cfg):
    spec = cfg["arms"]["heterogeneous"]["heterogeneity"]
    kappa, lam = config.heterogeneity(spec, 9)
    assert sorted(set(kappa.round(12))) == [0.98, 1.0, 1.02] and len(kappa) == 9
    kappa, lam = config.heterogeneity(spec, 20)
    assert kappa.min() == 0.98 and kappa.max() == 1.02 and sorted(lam) == sorted(kappa)
    assert abs(__import__("numpy").corrcoef(kappa, lam)[0, 1]) < 0.5
    with pytest.raises(ConfigError, match="perfect square, got n = 20"):
        config.heterogeneity({**spec, "kind": "grid"}, 20)


def leaves(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from leaves(v, prefix + (k,))
        else:
            yield prefix + (k,), v


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                 st.text(max_size=5), st.lists(st.integers(-2, 3), max_size=3))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_configs_validate_or_fail_cleanly(cfg, data):
    """Hypothesis-drawn mutations either validate or raise ConfigError with one line: never a traceback."""
    paths = [".".join(p) for p, _ in leaves(cfg)]
    bad = copy.deepcopy(cfg)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        try:
            bad = mutate(bad, path, data.draw(JUNK))
        except (KeyError, TypeError, IndexError, ValueError):
            continue
    try:
        config.validate(bad)
    except ConfigError as e:
        assert "\n" not in str(e) and "config" in str(e)
    yaml.safe_dump(bad)  # still a plain document


def test_arm_envs_overrides_the_economy_default(cfg):
    assert config.arm_envs(cfg, "ks") == cfg["economy"]["envs"]
    assert config.arm_envs(mutate(cfg, "arms.ks.envs", 3), "ks") == 3


def test_arm_explore_min_n_keeps_small_economies_at_the_evaluation_start(cfg):
    wide = {"dist": "uniform", "low": 0.02, "high": 3.0, "recentre": True}
    c = mutate(cfg, "arms.ks.explore", {"init_k": wide, "min_n": 50})
    config.validate(c)
    assert config.arm_explore(c, "ks", 50)["init_k"] == wide
    assert config.arm_explore(c, "ks", 20)["init_k"] == cfg["economy"]["init_k"]
    K_ss = make_economy(c, "ks", 10, 200, seed=0).p.K_ss
    small = make_economy(c, "ks", 10, 200, seed=0, training=True).k / K_ss   # lognormal, sigma 0.2
    large = make_economy(c, "ks", 50, 40, seed=0, training=True).k / K_ss    # uniform, recentred
    assert float(small.min()) > 0.4                                # P(k < 0.4 K_ss) ~ 2e-6 per draw
    assert float((large < 0.2).double().mean()) > 0.05            # U(0.02, 3)/1.51 < 0.2: 9.5 %
    assert_allclose(large.mean(-1).numpy(), 1.0, rtol=1e-12)                 # aggregate_sigma 0
    with pytest.raises(ConfigError, match="min_n"):
        config.validate(mutate(cfg, "arms.ks.explore", {"min_n": 0}))


def test_arm_explore_applies_to_the_training_economies_only(cfg):
    assert config.arm_explore(cfg, "rbc") == {"init_k": cfg["economy"]["init_k"], "logA_sd_scale": 1.0}
    wide = {"dist": "uniform", "low": 0.5, "high": 3.0}
    c = mutate(cfg, "arms.rbc.explore", {"init_k": wide, "logA_sd_scale": 4.0})
    assert config.arm_explore(c, "rbc") == {"init_k": wide, "logA_sd_scale": 4.0}
    train_eco = make_economy(c, "rbc", 50, 400, seed=0, training=True)
    eval_eco = make_economy(c, "rbc", 50, 400, seed=0)             # evaluations: economy.init_k
    k_ss, sd = train_eco.p.k_ss, train_eco.p.sd_logA
    ratio = (train_eco.k / k_ss).flatten()
    assert ratio.min() >= 0.5 and ratio.max() <= 3.0 and ratio.max() > 2.5
    assert float((eval_eco.k / k_ss).max()) < 2.5                  # lognormal, sigma 0.2
    # log A_0: 400 draws, std 4·sd (training) and sd (evaluation), within 4 standard errors
    assert_allclose(float(train_eco.logA.std()) / sd, 4.0, rtol=4 / math.sqrt(2 * 400))
    assert_allclose(float(eval_eco.logA.std()) / sd, 1.0, rtol=4 / math.sqrt(2 * 400))
    with pytest.raises(ConfigError, match="arms.rbc.explore.init_k.dist"):
        config.validate(mutate(cfg, "arms.rbc.explore", {"init_k": {"dist": "unifrom"}}))
    with pytest.raises(ConfigError, match="arms.ks.explore.logA_sd_scale"):
        config.arm_explore(mutate(cfg, "arms.ks.explore", {"logA_sd_scale": 2.0}), "ks")
    with pytest.raises(ConfigError, match="arms.ks.explore.logA_sd_scale"):      # before anything runs
        config.validate(mutate(cfg, "arms.ks.explore", {"logA_sd_scale": 2.0}))


def test_baseline_and_heterogeneous_arms_differ_only_in_heterogeneity_and_n(cfg):
    """results/baseline_vs_variant.md reads Δ = heterogeneous − baseline as the effect of
    heterogeneity: the two arms must be trained alike (economy, calibration, budget, economies,
    SAC settings, exploring starts)."""
    base, het = (config.arm_spec(cfg, a) for a in ("baseline", "heterogeneous"))
    assert base["heterogeneity"] == {"kind": "none"} and het["heterogeneity"]["kind"] != "none"
    assert base["n"][0] in het["n"]
    for key in sorted((set(base) | set(het)) - {"heterogeneity", "n"}):
        assert base.get(key) == het.get(key), f"arms.baseline.{key} != arms.heterogeneous.{key}"
    assert config.arm_envs(cfg, "baseline") == config.arm_envs(cfg, "heterogeneous")


def test_loguniform_starts_spread_households_evenly_over_doublings_of_k():
    import torch

    from marlbc.economy.base import initial_capital

    g = torch.Generator().manual_seed(0)
    k = initial_capital(2.0, (4, 50_000), {"dist": "loguniform", "low": 0.05, "high": 4.0}, g) / 2.0
    assert float(k.min()) >= 0.05 and float(k.max()) <= 4.0
    share_below = float((k < 0.05 * 80 ** 0.5).double().mean())         # the geometric midpoint
    assert abs(share_below - 0.5) < 0.01
    r = initial_capital(2.0, (4, 1000), {"dist": "loguniform", "low": 0.05, "high": 4.0, "recentre": True},
                        torch.Generator().manual_seed(0)) / 2.0
    assert_allclose(r.mean(-1).numpy(), 1.0, rtol=1e-12)


def test_only_the_full_preset_writes_the_committed_results_and_figures():
    assert config.output_dirs("full") == ("results", "figures")
    assert config.output_dirs("ci") == ("results/ci", "figures/ci")
    assert config.output_dirs("smoke") == ("results/smoke", "figures/smoke")
    with pytest.raises(ConfigError, match="'preset' = 'ful'"):
        config.output_dirs("ful")


WRITERS = {   # path -> the preset that writes it (None: shared, or not an output)
    "results/runs/ks/n10/seed0/train.nc": "full", "results/claims.md": "full", "figures/irf.pdf": "full",
    "results/bench/train/ks/n10/seed0.tsv": "full", "results/logs/train/ks/n10/seed0.log": "full",
    "results/ci/runs/ks/n50/seed1/eval.nc": "ci", "figures/ci/irf.png": "ci",
    "results/smoke/claims.md": "smoke", "figures/smoke/cost.pdf": "smoke",
    "results/benchmarks/ks.nc": None, "results/benchmarks/game_n9.nc": None,
    "results/bench/benchmark_ks.tsv": None, "results/bench/benchmark_game_n9.tsv": None,
    "results/logs/benchmark_game_n9.log": None, "config.yaml": None, "src/marlbc/config.py": None,
}


@pytest.mark.parametrize("preset", config.PRESETS)
def test_the_guard_pattern_matches_exactly_the_other_presets_paths(preset):
    assert {path: config.preset_writing(path) for path in WRITERS} == WRITERS
    pattern = config.other_preset_paths(preset)
    for path, writer in WRITERS.items():
        assert bool(re.fullmatch(pattern, path)) == (writer not in (None, preset)), path


@pytest.mark.parametrize("kind", config.BENCHMARK_FILES)
def test_every_benchmark_file_is_shared_by_all_presets(kind):
    path = config.benchmark_path("game_n9", kind)        # as the benchmark rules name their files
    assert path in WRITERS and WRITERS[path] is None
    assert all(not re.fullmatch(config.other_preset_paths(p), path) for p in config.PRESETS)


def test_a_target_of_another_preset_is_refused_naming_the_preset_that_writes_it():
    with pytest.raises(ConfigError, match=r"'results/runs/ks/n10/seed0/train.nc' is written by the full "
                       r"preset, not by ci: run it with --config preset=full, .* under results/ci/ and figures/ci/"):
        config.refuse_other_preset("ci", "results/runs/ks/n10/seed0/train.nc")
    with pytest.raises(ConfigError, match="'figures/smoke/irf.pdf' is written by the smoke preset, not by full"):
        config.refuse_other_preset("full", "figures/smoke/irf.pdf")
    config.refuse_other_preset("ci", "results/ci/claims.md")        # its own
    config.refuse_other_preset("ci", "results/benchmarks/ks.nc")    # shared


def test_a_preset_can_give_one_arm_its_own_seeds(cfg):
    cfg = copy.deepcopy(cfg)
    cfg["presets"]["ci"] = {"budget_scale": 1.0, "seeds": [0, 1, 2], "arm_seeds": {"rbc": [1]}}
    r = config.resolve(cfg, "ci")
    assert config.arm_seeds(r, "rbc") == [1]
    assert config.arm_seeds(r, "ks") == r["seeds"] == [0, 1, 2]
    assert config.resolve(r, "ci") == r                     # resolving twice changes nothing
    assert config.job_settings(r, "rbc") == config.job_settings(config.resolve(cfg, "full"), "rbc")   # no retraining
    config.check_run(r, "rbc", 1, 1)
    with pytest.raises(ConfigError, match=r"seed 0 is not among the ci preset's seeds of arm 'rbc' \(\[1\]\); "
                                          r"add it to config key 'presets.ci.arm_seeds.rbc'"):
        config.check_run(r, "rbc", 1, 0)
    with pytest.raises(ConfigError, match=r"arm 'rbcc'"):
        config.arm_seeds(r, "rbcc")
    cfg["presets"]["ci"]["arm_seeds"] = {"rbcc": [0]}
    with pytest.raises(ConfigError, match="unknown config key 'presets.ci.arm_seeds.rbcc'; allowed keys under 'presets.ci.arm_seeds': baseline"):
        config.validate(cfg)
    del cfg["arms"]["ks"]
    cfg["presets"]["ci"]["arm_seeds"] = {"ks": [0]}
    with pytest.raises(ConfigError, match="'presets.ci.arm_seeds.ks' names an arm not in 'arms'"):
        config.validate(cfg)


def test_the_ci_preset_runs_one_seed_of_the_arms_scored_seed_by_seed(cfg):
    ci = config.resolve(cfg, "ci")
    assert {arm: config.arm_seeds(ci, arm) for arm in ci["arms"]} == {
        "rbc_closed_form": [0], "rbc": [0], "baseline": [0], "heterogeneous": [0, 1], "ks": [0, 1]}
    full = config.resolve(cfg, "full")
    assert all(config.arm_seeds(full, arm) == cfg["seeds"] for arm in full["arms"])


def test_a_run_outside_the_presets_sweep_is_refused_by_name(cfg):
    ci = config.resolve(cfg, "ci")
    config.check_run(ci, "ks", 10, 1)                         # in the ci sweep
    with pytest.raises(ConfigError, match=r"n = 100 is not in the ci preset's sweep of arm 'ks' \(n: \[10, 500\]\)"):
        config.check_run(ci, "ks", 100, 0)
    with pytest.raises(ConfigError, match=r"seed 2 is not among the ci preset's seeds \(\[0, 1\]\)"):
        config.check_run(ci, "ks", 10, 2)
    with pytest.raises(ConfigError, match="unknown arm 'kss'; allowed: rbc_closed_form"):
        config.check_run(ci, "kss", 50, 0)
    config.check_run(config.resolve(cfg, "full"), "ks", 500, 2)


def test_each_benchmark_is_solved_with_its_arms_calibration_overrides_applied(cfg):
    """An override on an arm reaches the benchmark it is held against (and the pipeline's rule
    params, built from the same function); the raw calibration stays what config.yaml writes."""
    from marlbc.benchmarks.run import run

    assert config.benchmark_calibration(cfg, "ks") == cfg["calibrations"]["ks98"]
    assert config.benchmark_calibration(cfg, "closed-form")["delta"] == 1.0
    moved = mutate(cfg, "arms.heterogeneous.overrides", {"alpha": 0.30})
    moved = mutate(moved, "arms.heterogeneous.n", [9])
    assert config.benchmark_calibration(moved, "game")["alpha"] == 0.30
    assert config.benchmark_calibration(moved, "rbc")["alpha"] == cfg["calibrations"]["seed"]["alpha"]
    K_seed, K_moved = (run("game", c, n=9)["K"] for c in (cfg, moved))
    assert abs(K_moved / K_seed - 1) > 0.05
    assert run("game", moved, n=9, calibration="seed")["K"] == K_seed      # named: no overrides
    with pytest.raises(ConfigError, match="unknown calibration 'sead'"):
        run("game", moved, n=9, calibration="sead")


def test_load_without_a_path_falls_back_to_the_repositorys_config(tmp_path, monkeypatch):
    """Outside the repository (no ./config.yaml) the editable install's own config is read; with
    neither, one line says how to pass one."""
    monkeypatch.chdir(tmp_path)
    assert config.load() == config.load(config.REPO_CONFIG)
    monkeypatch.setattr(config, "REPO_CONFIG", tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match=r"no config file: 'config.yaml' is not in the working directory; "
                                          r"pass one \(marlbc --config PATH"):
        config.load()
    (tmp_path / "config.yaml").write_text("seeds: [0]\n")
    with pytest.raises(ConfigError, match="config key"):                # ./config.yaml comes first
        config.load()
