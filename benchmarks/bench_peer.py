"""Peer benchmark: our SAC against Stable-Baselines3 SAC through the PettingZoo adapter.

    python benchmarks/bench_peer.py [--n 1 20 100] [--seed 0] [--updates U]

For each population size n (the ``rbc`` arm at n = 1, the ``baseline`` arm, κ = λ = 1, above),
one thread each:

1. ours: ``marlbc.rl.train.train`` with the arm's full budget from config.yaml;
2. SB3: ``stable_baselines3.SAC`` on :func:`marlbc.pettingzoo.sb3_vec_env` (every household a
   slot of one VecEnv, one shared policy, as the paper did through SuperSuit), with our network
   width and depth, batch size, discount and warm-up, trained for the same wall time as ours.

Printed per n and library: household transitions/s, gradient updates/s, wall time, and the
accuracy reached in that time: the deterministic policy's shock-free steady state (K, L, C per
head) against the benchmark's, the largest relative error (C1 asks for ≤ 2 % at n = 1). Needs
the ``peer`` extra.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from marlbc import config
from marlbc.benchmarks.steady_state import steady_state
from marlbc.rl.sac import SACConfig
from marlbc.rl.train import Evaluator, train


def arm_for(n: int) -> str:
    return "rbc" if n == 1 else "baseline"


def steady_state_error(cfg: dict, arm: str, n: int, policy) -> dict:
    """Shock-free steady state of ``policy`` (K, L, C per head) and its largest relative error."""
    rcfg = config.resolve(cfg, "full")
    cal = config.arm_calibration(rcfg, arm)
    ss = steady_state(cal["alpha"], cal["beta"], cal["delta"], cal["utility"], cal.get("chi", 1.0), cal.get("b", 5.0))
    ev = Evaluator(rcfg, arm, n, SACConfig(), cal["beta"])
    out = ev.steady_state(policy)
    K, L, chat = out["K_ss"], out["ell_ss"], out["chat_ss"]
    a = (1 - cal["delta"]) * K + K ** cal["alpha"] * L ** (1 - cal["alpha"])     # per head, A = 1
    C = chat * a
    errs = {"K": K / ss.K - 1, "L": L / ss.L - 1, "C": C / ss.C - 1}
    return {**errs, "max_abs": max(abs(e) for e in errs.values())}


def run_ours(cfg: dict, n: int, seed: int) -> dict:
    arm = arm_for(n)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        s = train(copy.deepcopy(cfg), arm, n, seed, Path(d), preset="full", progress=False)
        wall = time.perf_counter() - t0
        from marlbc.rl import load_policy

        policy = load_policy(Path(d))
        acc = steady_state_error(cfg, arm, n, policy)
    return {"transitions_per_s": s["transitions"] / wall, "updates_per_s": s["updates"] / wall,
            "wall_s": wall, "transitions": s["transitions"], "updates": s["updates"], **acc}


def run_sb3(cfg: dict, n: int, seed: int, seconds: float) -> dict:
    from stable_baselines3 import SAC as SB3SAC
    from stable_baselines3.common.callbacks import BaseCallback

    from marlbc.pettingzoo import parallel_env, sb3_quiet, sb3_vec_env

    arm = arm_for(n)
    sc = SACConfig.from_dict(cfg["arms"][arm].get("sac"))
    beta = config.arm_calibration(cfg, arm)["beta"]
    venv = sb3_vec_env(parallel_env(arm=arm, seed=seed, n=n, cfg=cfg, max_cycles=sc.episode_length))

    class StopAfter(BaseCallback):
        def _on_step(self) -> bool:
            return time.perf_counter() - t0 < seconds

    model = sb3_quiet(SB3SAC("MlpPolicy", venv, batch_size=sc.batch_size, gamma=beta, learning_starts=sc.learning_starts,
                             buffer_size=sc.buffer_size, policy_kwargs={"net_arch": [sc.hidden] * sc.layers},
                             device="cpu", seed=seed, verbose=0))
    t0 = time.perf_counter()
    model.learn(10**9, callback=StopAfter())
    wall = time.perf_counter() - t0
    lo, hi = venv.action_space.low.astype(np.float64), venv.action_space.high.astype(np.float64)

    def policy(obs: torch.Tensor) -> torch.Tensor:
        o = obs.reshape(-1, obs.shape[-1]).numpy().astype(np.float32)
        a, _ = model.predict(o, deterministic=True)
        a = np.clip(a.astype(np.float64), lo, hi)
        return torch.from_numpy(a).reshape(*obs.shape[:-1], -1)

    acc = steady_state_error(cfg, arm, n, policy)
    return {"transitions_per_s": model.num_timesteps / wall, "updates_per_s": model._n_updates / wall,
            "wall_s": wall, "transitions": model.num_timesteps, "updates": model._n_updates, **acc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 20, 100])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--updates", type=int, default=None, help="our budget (default: the arm's full budget)")
    ap.add_argument("--config", default="config.yaml")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = config.load(args.config)
    if args.updates is not None:
        for arm in ("rbc", "baseline"):
            cfg["arms"][arm]["budget"]["updates"] = args.updates
    print(f"torch {torch.__version__}, one thread; accuracy: shock-free steady state vs the benchmark, per head")
    print(f"{'library':<8} {'arm':<9} {'n':>4} {'transitions/s':>14} {'updates/s':>10} {'wall s':>7} "
          f"{'transitions':>12} {'K err':>7} {'L err':>7} {'C err':>7}")
    for n in args.n:
        ours = run_ours(cfg, n, args.seed)
        peer = run_sb3(cfg, n, args.seed, ours["wall_s"])
        for name, r in (("marlbc", ours), ("SB3", peer)):
            print(f"{name:<8} {arm_for(n):<9} {n:>4} {r['transitions_per_s']:>14,.0f} {r['updates_per_s']:>10.0f} "
                  f"{r['wall_s']:>7.0f} {r['transitions']:>12,} {r['K']:>+7.1%} {r['L']:>+7.1%} {r['C']:>+7.1%}",
                  flush=True)
        print(f"{'ratio':<8} {'':<9} {n:>4} {ours['transitions_per_s'] / peer['transitions_per_s']:>13.1f}x "
              f"{ours['updates_per_s'] / peer['updates_per_s']:>9.1f}x", flush=True)


if __name__ == "__main__":
    main()
