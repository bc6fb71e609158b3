"""Agent-steps per second of one batched economy step, on one thread.

    python benchmarks/bench_economy.py [--steps 3000]

Prints, for each case, microseconds per step and household-steps ("agent-steps") per second,
with the action check on (the default) and off. Actions are the steady-state policy.
"""

from __future__ import annotations

import argparse
import time

import torch

from marlbc import config
from marlbc.economy import make_economy

CASES = [("rbc", 1, 1024), ("baseline", 500, 8), ("ks", 500, 8)]


def time_steps(eco, action: torch.Tensor, steps: int) -> float:
    """Seconds per step, median of 5 repeats after a warm-up."""
    for _ in range(200):
        eco.step(action)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(steps):
            eco.step(action)
        times.append((time.perf_counter() - t0) / steps)
    return sorted(times)[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--config", default="config.yaml")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = config.load(args.config)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, float64")
    print(f"{'economy':<10} {'n x envs':>10} {'check':>6} {'us/step':>9} {'M agent-steps/s':>16}")
    for arm, n, E in CASES:
        for check in (True, False):
            eco = make_economy(cfg, arm, n, E, seed=0, check_actions=check)
            dim = len(eco.action_names)
            action = torch.full((E, n, dim), 0.075 if arm != "ks" else 0.1, dtype=torch.float64)
            if dim == 2:
                action[..., 1] = 0.876
            dt = time_steps(eco, action, args.steps)
            print(f"{arm:<10} {f'{n} x {E}':>10} {str(check):>6} {dt * 1e6:9.1f} {E * n / dt / 1e6:16.2f}")


if __name__ == "__main__":
    main()
