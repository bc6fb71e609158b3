"""Training speed of our SAC on one thread: household transitions/s, gradient updates/s, wall time.

    python benchmarks/bench_sac.py [--updates 2000] [--ks-full] [--no-sb3]

For each case (arm, n) it runs :func:`marlbc.rl.train.train` for ``--updates`` gradient updates
with the arm's SAC settings from config.yaml (one evaluation at the end, not timed) and prints
household transitions per second, gradient updates per second and the wall time of the loop.
``--ks-full`` also runs the KS arm's full training job at n = 500 end to end, as configured in
config.yaml (at present 50,000 updates at 0.25 batched steps per update over the 8 environments:
1e5 transitions per household), and prints its wall time.

If stable-baselines3 is importable (the optional ``peer`` extra), SB3's SAC is timed on the same
economy at n = 1 through a tiny gymnasium wrapper, with the same network width and batch size.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import torch

from marlbc import config
from marlbc.rl.train import train

CASES = [("rbc", 1), ("baseline", 20), ("heterogeneous", 100), ("ks", 500)]


def bench_ours(cfg: dict, arm: str, n: int, updates: int | None = None) -> dict:
    """Speed of ``updates`` updates with a short warm-up, or (``updates=None``) the arm's whole
    training job as configured (warm-up, budget, evaluations and checkpoints included)."""
    cfg = copy.deepcopy(cfg)
    spec = cfg["arms"][arm]
    if updates is not None:
        spec["budget"]["updates"] = updates
        spec["sac"] = {**spec.get("sac", {}), "eval_every": updates, "checkpoint_every": updates,
                       "eval_periods": 10, "ss_periods": 10, "learning_starts": 100}
    updates = spec["budget"]["updates"]
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        s = train(cfg, arm, n, 0, Path(d), preset="full", progress=False)
        wall = time.perf_counter() - t0
        import xarray as xr

        with xr.open_dataset(Path(d) / "train.nc") as ds:
            row = ds.sel(update=updates)
            tps, ups = float(row["transitions_per_s"]), float(row["updates_per_s"])
    return {"transitions_per_s": tps, "updates_per_s": ups, "wall_s": wall, "transitions": s["transitions"],
            "best": s["best"]}


def bench_sb3(cfg: dict, steps: int, hidden: int, batch: int) -> dict | None:
    try:
        import gymnasium as gym
        import numpy as np
        from stable_baselines3 import SAC as SB3SAC

        from marlbc.pettingzoo import sb3_quiet
    except ImportError:
        return None
    from marlbc.economy import make_economy

    class OneHousehold(gym.Env):
        """The rbc arm at n = 1 as a gymnasium env; actions in [-1, 1] mapped to the bounds."""

        def __init__(self):
            self.eco = make_economy(cfg, "rbc", 1, 1, seed=0)
            b = self.eco.action_bounds
            self.mid, self.half = (b[:, 0] + b[:, 1]) / 2, (b[:, 1] - b[:, 0]) / 2
            self.lo, self.hi = b[:, 0], b[:, 1]
            self.observation_space = gym.spaces.Box(-np.inf, np.inf, (self.eco.obs_dim,), np.float32)
            self.action_space = gym.spaces.Box(-1.0, 1.0, (len(self.eco.action_names),), np.float32)
            self.t = 0

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.t = 0
            return self.eco.reset(seed=seed)[0, 0].numpy().astype(np.float32), {}

        def step(self, action):
            a = self.mid + self.half * torch.as_tensor(action, dtype=torch.float64)
            a = torch.maximum(torch.minimum(a, self.hi), self.lo).view(1, 1, -1)
            obs, r, _ = self.eco.step(a)
            self.t += 1
            return obs[0, 0].numpy().astype(np.float32), float(r[0, 0]), False, self.t >= 200, {}

    beta = config.arm_calibration(cfg, "rbc")["beta"]
    model = sb3_quiet(SB3SAC("MlpPolicy", OneHousehold(), batch_size=batch, gamma=beta, learning_starts=100,
                             policy_kwargs={"net_arch": [hidden, hidden]}, device="cpu", seed=0, verbose=0))
    model.learn(200)                                      # warm-up (buffer, first updates)
    t0 = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    wall = time.perf_counter() - t0
    return {"transitions_per_s": steps / wall, "updates_per_s": steps / wall, "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=2000, help="gradient updates per case")
    ap.add_argument("--config", default="config.yaml")
    ap.add_argument("--ks-full", action="store_true", help="also time the KS arm's full training job at n = 500 as configured")
    ap.add_argument("--no-sb3", action="store_true", help="skip the stable-baselines3 comparison")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = config.load(args.config)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, envs {cfg['economy']['envs']}")
    print(f"{'arm':<14} {'n':>4} {'hidden':>6} {'batch':>5} {'transitions/s':>14} {'updates/s':>10} {'wall s':>8}")
    for arm, n in CASES:
        try:
            r = bench_ours(cfg, arm, n, args.updates)
        except ImportError as e:             # the KS economy needs marlbc.benchmarks.ks
            print(f"{arm:<14} {n:>4}  skipped: {e}")
            continue
        sc = cfg["arms"][arm].get("sac", {})
        print(f"{arm:<14} {n:>4} {sc.get('hidden', 64):>6} {sc.get('batch_size', 256):>5} "
              f"{r['transitions_per_s']:>14,.0f} {r['updates_per_s']:>10.0f} {r['wall_s']:>8.1f}")
    if args.ks_full:
        r = bench_ours(cfg, "ks", 500)
        per_household = r["transitions"] // 500
        print(f"KS n=500 full job as configured: {r['transitions']:,} transitions ({per_household:,} per "
              f"household over the {cfg['economy']['envs']} envs), {cfg['arms']['ks']['budget']['updates']} updates: "
              f"{r['wall_s']:.0f} s wall ({r['transitions_per_s']:,.0f} transitions/s, {r['updates_per_s']:.0f} "
              f"updates/s); best evaluation K = {r['best']['K_mean']:.2f}")
    if not args.no_sb3:
        sc = cfg["arms"]["rbc"].get("sac", {})
        hidden, batch = sc.get("hidden", 64), sc.get("batch_size", 256)
        r = bench_sb3(cfg, args.updates, hidden, batch)
        if r is None:
            print("stable-baselines3 not installed (pip install marlbc[peer]): no comparison")
        else:
            print(f"{'SB3 SAC rbc':<14} {1:>4} {hidden:>6} {batch:>5} {r['transitions_per_s']:>14,.0f} "
                  f"{r['updates_per_s']:>10.0f} {r['wall_s']:>8.1f}   (1 env, 1 transition per update)")


if __name__ == "__main__":
    main()
