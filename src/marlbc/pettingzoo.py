"""A PettingZoo ``ParallelEnv`` over one marlbc economy, for users who bring their own RL library.

    from marlbc.pettingzoo import parallel_env
    env = parallel_env(arm="baseline", seed=0)
    obs, infos = env.reset(seed=0)
    obs, rewards, terms, truncs, infos = env.step({a: np.array([0.075, 0.876]) for a in env.agents})

Actions are in economic units: ``np.array([ĉ, ℓ])`` per household (``[ĉ]`` for Krusell–Smith),
inside the economy's documented bounds (``action_space``). Rewards are SPEC §1's
(log c − χℓ, log c + b log(1−ℓ), or log c). After each step ``infos[agent]`` carries the
period's values as floats: ``k`` (capital entering the period), ``kappa``, ``lambda``, ``A``,
``ell``, ``r``, ``w``, ``a``, ``c``, ``k_next`` (Krusell–Smith: ``z`` and ``employed`` instead of
``A``, ``kappa``, ``lambda``, and no ``ell``). Episodes are truncated after ``max_cycles``
periods. Needs the ``peer`` extra (``pip install marlbc[peer]``).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv

from . import config as _config
from .economy import KSEconomy, make_economy


class MarlbcParallelEnv(ParallelEnv):
    """One economy (one environment of the batched economy) with its households as agents."""

    metadata = {"name": "marlbc_v0", "render_modes": []}
    render_mode = None

    def __init__(self, arm: str = "baseline", seed: int = 0, n: int | None = None,
                 cfg: dict | None = None, max_cycles: int = 200):
        cfg = cfg if cfg is not None else _config.load()
        spec = _config.arm_spec(cfg, arm)
        self.arm, self.n = arm, int(n if n is not None else spec["n"][0])
        self.max_cycles = max_cycles
        self.economy = make_economy(cfg, arm, self.n, n_envs=1, seed=seed)
        self.possible_agents = [f"household_{i}" for i in range(self.n)]
        self.agents: list[str] = []
        self._t = 0
        bounds = self.economy.action_bounds.numpy()
        self._action_space = spaces.Box(low=bounds[:, 0], high=bounds[:, 1], dtype=np.float64)
        self._observation_space = spaces.Box(-np.inf, np.inf, shape=(self.economy.obs_dim,), dtype=np.float64)
        self._types = None if isinstance(self.economy, KSEconomy) else (
            self.economy.p.kappa.numpy(), self.economy.p.lam.numpy())

    @functools.lru_cache(maxsize=None)
    def observation_space(self, agent):
        return self._observation_space

    @functools.lru_cache(maxsize=None)
    def action_space(self, agent):
        return self._action_space

    def _obs_dict(self, obs: torch.Tensor) -> dict:
        o = obs[0].numpy()
        return {agent: o[i].copy() for i, agent in enumerate(self.agents)}

    def reset(self, seed: int | None = None, options: dict | None = None):
        self.agents = list(self.possible_agents)
        self._t = 0
        obs = self.economy.reset(seed=seed)
        return self._obs_dict(obs), {agent: {} for agent in self.agents}

    def step(self, actions: dict):
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise KeyError(f"no action for agents {missing[:3]}{'...' if len(missing) > 3 else ''}")
        act = np.stack([np.asarray(actions[a], dtype=np.float64).reshape(-1) for a in self.agents])
        obs, reward, info = self.economy.step(torch.from_numpy(act).unsqueeze(0))
        self._t += 1
        rewards = {a: float(reward[0, i]) for i, a in enumerate(self.agents)}
        infos = {a: self._info(info, i) for i, a in enumerate(self.agents)}
        obs_d = self._obs_dict(obs)
        done = self._t >= self.max_cycles
        terms = {a: False for a in self.agents}
        truncs = {a: done for a in self.agents}
        if done:
            self.agents = []
        return obs_d, rewards, terms, truncs, infos

    def _info(self, info: dict, i: int) -> dict:
        def val(name):
            x = info[name][0]
            return float(x[i] if x.numel() > 1 else x[0])
        out = {name: val(name) for name in ("k", "r", "w", "a", "c", "k_next")}
        if self._types is None:
            out.update(z=val("z"), employed=val("employed"))
        else:
            out.update(kappa=float(self._types[0][i]), **{"lambda": float(self._types[1][i])},
                       A=val("A"), ell=val("ell"))
        return out


def parallel_env(arm: str = "baseline", seed: int = 0, **kwargs) -> MarlbcParallelEnv:
    """The PettingZoo parallel environment of ``arm`` (see the module docstring)."""
    return MarlbcParallelEnv(arm=arm, seed=seed, **kwargs)


def sb3_quiet(model):
    """``model`` (a Stable-Baselines3 algorithm) with a logger that writes nothing. SB3's default
    logger makes a directory ``$TMPDIR/SB3-<date-time>`` at every ``learn()``, even with
    ``verbose=0``; a benchmark or test should leave nothing behind."""
    from stable_baselines3.common.logger import Logger

    model.set_logger(Logger(folder=None, output_formats=[]))
    return model


def sb3_vec_env(env: MarlbcParallelEnv):
    """The households of ``env`` as one Stable-Baselines3 ``VecEnv`` (slot i = household i), so
    that SB3 trains one shared policy on all of them, as the paper did through SuperSuit's
    ``pettingzoo_env_to_vec_env`` (SuperSuit is unmaintained and breaks SB3 seeding).

    Spaces are float32 copies of the env's; actions stay in economic units. All households end
    their episode together (truncation after ``max_cycles``): ``infos[i]["terminal_observation"]``
    holds the last observation and the returned one starts the next episode, as SB3 expects."""
    from stable_baselines3.common.vec_env import VecEnv

    agent = env.possible_agents[0]
    obs_space, act_space = env.observation_space(agent), env.action_space(agent)

    class HouseholdsVecEnv(VecEnv):
        def __init__(self):
            super().__init__(env.n,
                             spaces.Box(-np.inf, np.inf, obs_space.shape, np.float32),
                             spaces.Box(act_space.low.astype(np.float32), act_space.high.astype(np.float32),
                                        dtype=np.float32))
            self._seed, self._actions = None, None

        def _stack(self, obs: dict) -> np.ndarray:
            return np.stack([obs[a] for a in env.possible_agents]).astype(np.float32)

        def reset(self):
            obs, _ = env.reset(seed=self._seed)
            self._seed = None
            return self._stack(obs)

        def step_async(self, actions):
            self._actions = actions

        def step_wait(self):
            # float32 rounding may leave the bounds by an ulp: clip to the documented bounds
            act = np.clip(np.asarray(self._actions, dtype=np.float64), act_space.low, act_space.high)
            obs, rew, terms, truncs, infos = env.step(dict(zip(env.possible_agents, act)))
            names = env.possible_agents
            dones = np.array([terms[a] or truncs[a] for a in names])
            info_list = [dict(infos[a]) for a in names]
            obs = self._stack(obs)
            if dones.all():
                for i, info in enumerate(info_list):
                    info["terminal_observation"] = obs[i]
                    info["TimeLimit.truncated"] = bool(truncs[names[i]]) and not terms[names[i]]
                obs = self.reset()
            return obs, np.array([rew[a] for a in names], dtype=np.float32), dones, info_list

        def seed(self, seed=None):
            self._seed = seed
            return [seed] * self.num_envs

        def close(self):
            pass

        def get_attr(self, attr_name, indices=None):
            return [getattr(env, attr_name)] * len(self._get_indices(indices))

        def set_attr(self, attr_name, value, indices=None):
            setattr(env, attr_name, value)

        def env_method(self, method_name, *args, indices=None, **kwargs):
            return [getattr(env, method_name)(*args, **kwargs)] * len(self._get_indices(indices))

        def env_is_wrapped(self, wrapper_class, indices=None):
            return [False] * len(self._get_indices(indices))

    return HouseholdsVecEnv()
