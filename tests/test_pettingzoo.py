"""The PettingZoo adapter passes PettingZoo's own API test and reports the period's values."""

import tempfile

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import parallel_api_test  # noqa: E402

from marlbc.benchmarks.steady_state import steady_state  # noqa: E402
from marlbc.pettingzoo import parallel_env  # noqa: E402


@pytest.mark.parametrize("arm,n", [("rbc", None), ("heterogeneous", 9), ("ks", 10)])
def test_parallel_api(cfg, arm, n):
    parallel_api_test(parallel_env(arm=arm, seed=0, n=n, cfg=cfg, max_cycles=30), num_cycles=40)


def test_infos_and_rewards_in_economic_units(cfg):
    env = parallel_env(arm="heterogeneous", seed=1, n=9, cfg=cfg)
    obs, _ = env.reset(seed=1)
    ss = steady_state(**cfg["calibrations"]["seed"])
    actions = {a: np.array([ss.chat, ss.L]) for a in env.agents}
    _, rewards, _, _, infos = env.step(actions)
    keys = {"k", "kappa", "lambda", "A", "ell", "r", "w", "a", "c", "k_next"}
    for i, agent in enumerate(env.possible_agents):
        info = infos[agent]
        assert set(info) == keys and all(isinstance(v, float) for v in info.values())
        delta = cfg["calibrations"]["seed"]["delta"]
        np.testing.assert_allclose(info["a"], (1 - delta) * info["k"] + info["w"] * info["ell"]
                                   + info["r"] * info["k"], rtol=1e-12)
        np.testing.assert_allclose(info["c"], ss.chat * info["a"], rtol=1e-12)
        np.testing.assert_allclose(info["k_next"], info["a"] - info["c"], rtol=1e-12)
        np.testing.assert_allclose(rewards[agent], np.log(info["c"]) - info["ell"], rtol=1e-12)


def test_ks_infos(cfg):
    env = parallel_env(arm="ks", seed=0, n=50, cfg=cfg)
    env.reset(seed=0)
    _, rewards, _, _, infos = env.step({a: np.array([0.1]) for a in env.agents})
    info = infos["household_0"]
    assert set(info) == {"k", "z", "employed", "r", "w", "a", "c", "k_next"}
    assert info["z"] in (1.01, 0.99) and info["employed"] in (0.0, 1.0)
    np.testing.assert_allclose(rewards["household_0"], np.log(info["c"]), rtol=1e-12)


def test_sb3_vec_env_trains_one_shared_policy(cfg, tmp_path, monkeypatch):
    """Stable-Baselines3 SAC runs on the households as one VecEnv, with auto-reset at truncation,
    and leaves no SB3-<date-time> log directory in the temporary directory."""
    from stable_baselines3 import SAC as SB3SAC

    from marlbc.pettingzoo import sb3_quiet, sb3_vec_env

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    env = parallel_env(arm="baseline", seed=0, n=3, cfg=cfg, max_cycles=5)
    venv = sb3_vec_env(env)
    assert venv.num_envs == 3
    obs = venv.reset()
    assert obs.shape == (3, 5) and obs.dtype == np.float32
    dones_seen = 0
    for _ in range(5):
        obs, rew, dones, infos = venv.step(np.tile([0.1, 0.9], (3, 1)))
        dones_seen += int(dones.all())
    assert dones_seen == 1 and "terminal_observation" in infos[0] and infos[0]["TimeLimit.truncated"]
    assert np.isfinite(rew).all()
    model = sb3_quiet(SB3SAC("MlpPolicy", venv, learning_starts=10, batch_size=16, seed=0, device="cpu",
                             policy_kwargs={"net_arch": [8, 8]}))
    model.learn(30)
    assert model.num_timesteps >= 30 and model.replay_buffer.size() > 0
    assert not list(tmp_path.glob("SB3-*"))
