"""Would one household of a learned RBC economy keep its capital? Steady-state best responses.

C3 holds the learned households' steady-state capital against the n-player game of SPEC §3,
whose households take the others' capital and hours as fixed for ever (open loop). The learned
households' economy differs: the others act on the state (Markov strategies). This module asks
each household of a learned economy what capital it would hold if it could choose, the others
following the learned policy.

The deviation is "hold a level": from the shock-free steady state (``k_start``, A = 1),
household i moves its capital towards a target k̄ by a share ``adjust`` of the gap each quarter,
k'_i = k_i + adjust (k̄ − k_i), and sets its hours by its labour condition W_i = χ c_i (W_i its
marginal wage, own price effect included: :func:`marlbc.economy.rbc.own_margins`), so that only
the level of its capital is chosen. Its discounted utility over ``quarters`` is maximised over
k̄ on a grid (41 points over k_start·e^[−2, 2], then 21 over ±5 % around the best). With the
others holding the game's capital and hours (``hold``), the best k̄ is the game's capital:
tested, within the fine grid's step of 0.5 %.

    marlbc best-response --run RUN_DIR [--households 0 5 19]      (:func:`report`)

prints, per household, its learned and game capital and its best response, and the gain in
consumption-equivalent percent (the permanent change of consumption worth as much); then how far
the best responses are from the game and from the game solved with its own-price term weighted
by the learned economy's θ (``price_effect_weight`` in ``eval.nc``; ``solve_game(...,
own_price_weight=θ)``). Not part of
the pipeline (about 20 s per household at n = 20 on one core); ``docs/training.md`` reports it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from .. import config as _config
from ..economy import make_economy
from ..economy.base import DTYPE
from ..economy.rbc import cash_on_hand, factor_prices, own_margins
from .io import open_checked
from .policies import act
from .allocations import median_relative_error, rank_correlation

COARSE = np.linspace(-2.0, 2.0, 41)      # log k̄ / k_start
FINE = np.linspace(-0.05, 0.05, 21)      # log k̄ / best coarse k̄
LABOUR_ITERATIONS = 30                   # fixed-point steps of the labour condition (own price effects are O(1/n))


def hold_level_values(policy, cfg: dict, arm: str, n: int, k_start: np.ndarray, i: int, k_bar: np.ndarray,
                      quarters: int = 2000, adjust: float = 0.05,
                      hold: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Household ``i``'s discounted utility Σ β^t u_i,t over ``quarters`` for each target ``k_bar``
    (one economy each). The others follow ``policy`` (observations → actions), or,
    with ``hold = (k, ell)``, hold that capital and those hours (the game's open loop)."""
    k_bar = torch.as_tensor(np.asarray(k_bar, dtype=float), dtype=DTYPE)
    G = k_bar.numel()
    eco = make_economy(cfg, arm, n, G, seed=0, shocks=False, check_actions=False)
    p = eco.p
    if p.utility != "linear_labour" or n < 2:
        raise ValueError(f"best responses are for RBC economies with n > 1 households and utility log c − χℓ "
                         f"(the labour condition W_i = χ c_i); arm '{arm}' has n = {n}, utility '{p.utility}'")
    eco.k = torch.as_tensor(np.asarray(k_start, dtype=float), dtype=DTYPE).expand(G, n).clone()
    eco.logA = torch.zeros_like(eco.logA)
    if hold is not None:
        k_hold, ell_hold = (torch.as_tensor(np.asarray(x, dtype=float), dtype=DTYPE) for x in hold)
    A = torch.exp(eco.logA)                             # = 1
    value, discount = torch.zeros(G, dtype=DTYPE), 1.0
    obs = eco.observe()
    for _ in range(quarters):
        a = act(policy, obs).clone()
        if hold is not None:
            a[..., 1] = ell_hold
        k_next = eco.k[:, i] + adjust * (k_bar - eco.k[:, i])
        for _ in range(LABOUR_ITERATIONS):            # hours: W_i = χ c_i with c_i = a_i − k'_i
            r, w, _ = factor_prices(p, A, eco.k, a[..., 1])
            _, W = own_margins(p, {"k": eco.k, "ell": a[..., 1], "r": r, "w": w})
            ell_i = (W[:, i] / p.chi + k_next - (1.0 - p.delta + r[:, i]) * eco.k[:, i]) / w[:, i]
            a[:, i, 1] = ell_i.clamp(*p.ell_bounds)
        r, w, _ = factor_prices(p, A, eco.k, a[..., 1])
        cash = cash_on_hand(p, r, w, eco.k, a[..., 1])
        if hold is not None:
            a[..., 0] = 1.0 - k_hold / cash
        a[:, i, 0] = (1.0 - k_next / cash[:, i]).clamp(*p.chat_bounds)
        obs, reward, _ = eco.step(a)
        value += discount * reward[:, i]
        discount *= p.beta
    return value.numpy()


def best_response(policy, cfg: dict, arm: str, n: int, k_start: np.ndarray, i: int, **kw) -> dict:
    """Household ``i``'s best steady-state capital on the two grids (module docstring) and what it
    gains over holding ``k_start[i]``: in utils and in consumption-equivalent percent,
    100 (exp((1 − β) gain) − 1). Keywords go to :func:`hold_level_values`."""
    k0 = float(k_start[i])
    coarse = k0 * np.exp(COARSE)
    v = hold_level_values(policy, cfg, arm, n, k_start, i, coarse, **kw)
    top = int(np.argmax(v))
    fine = np.append(coarse[top] * np.exp(FINE), k0)
    v = hold_level_values(policy, cfg, arm, n, k_start, i, fine, **kw)
    best = int(np.argmax(v[:-1]))
    gain = max(float(v[best] - v[-1]), 0.0)                  # holding k_start is always available
    beta = float(_config.arm_calibration(cfg, arm)["beta"])
    return {"k_start": k0, "k_best": float(fine[best]) if v[best] > v[-1] else k0, "gain_utils": gain,
            "gain_ce_pct": 100.0 * math.expm1((1.0 - beta) * gain),
            "at_grid_edge": top in (0, len(COARSE) - 1)}


def report(cfg: dict, run_dir: str | Path, households: list[int] | None = None, quarters: int = 2000) -> None:
    """Print the best responses of ``households`` (default: all) of the run in ``run_dir``
    (``policy.pt``, ``eval.nc``) against the learned policy, and how far they are from the game
    and from the game at the run's θ (module docstring). ``cfg``: a loaded config."""
    from ..benchmarks.game import GameSolveError, solve_game
    from ..rl.policy import load_policy

    if quarters < 1:
        raise ValueError(f"quarters = {quarters}; need at least 1")
    run_dir = Path(run_dir)
    cfg = _config.resolve(cfg, None)
    ev = open_checked(run_dir / "eval.nc", ["k_ss", "kappa", "lambda"])      # the run's own types
    arm, n = ev.attrs["arm"], int(ev.attrs["n"])
    k_learned, kappa, lam = (ev[v].values for v in ("k_ss", "kappa", "lambda"))
    theta = float(ev["price_effect_weight"]) if "price_effect_weight" in ev else math.nan
    households = list(range(n)) if households is None else list(households)
    bad = [i for i in households if not 0 <= i < n]
    if bad:
        raise ValueError(f"household(s) {bad} out of range: the run in '{run_dir}' has n = {n} households, 0 … {n - 1}")
    cal = _config.arm_calibration(cfg, arm)
    k_game = np.asarray(solve_game(cal, kappa, lam).k)
    policy = load_policy(run_dir)
    print(f"{arm} n = {n}, {run_dir}: the others on the learned policy (θ = {theta:.3f}); capital per household, "
          f"gain in consumption-equivalent % ({_config.arm_spec(cfg, arm)['calibration']} calibration, "
          f"shock-free, {quarters} quarters)")
    rows = []
    for i in households:
        br = best_response(policy, cfg, arm, n, k_learned, i, quarters=quarters)
        rows.append((k_learned[i], k_game[i], br["k_best"]))
        print(f"household {i:3d}  κ {kappa[i]:.4f}  λ {lam[i]:.4f}  learned {k_learned[i]:8.3f}  game {k_game[i]:8.3f}  "
              f"best response {br['k_best']:8.3f}  gain {br['gain_ce_pct']:.4f} %{'  (grid edge)' if br['at_grid_edge'] else ''}",
              flush=True)
    kl, kg, kb = np.array(rows).T
    print(f"over these {len(kl)} households: median |k_best/k_learned − 1| {median_relative_error(kb, kl):.3f}; median "
          f"|k_best/k_game − 1| {median_relative_error(kb, kg):.3f} (learned: {median_relative_error(kl, kg):.3f}); "
          f"Spearman(best, game) {rank_correlation(kb, kg):.3f}; CV of k: best {kb.std() / kb.mean():.3f}, learned "
          f"{kl.std() / kl.mean():.3f}, game {kg.std() / kg.mean():.3f}")
    if not (math.isfinite(theta) and theta > 0):
        return
    try:                                             # the game with its own-price term weighted by θ
        k_theta = np.asarray(solve_game(cal, kappa, lam, own_price_weight=theta).k)
    except (GameSolveError, np.linalg.LinAlgError) as e:
        print(f"the game at θ = {theta:.3f} has no steady state here ({type(e).__name__})")
        return
    kt = k_theta[list(households)]
    print(f"the game at θ = {theta:.3f}: median |k_best/k_game(θ) − 1| {median_relative_error(kb, kt):.3f} "
          f"(learned: {median_relative_error(kl, kt):.3f}); CV of k over all {n} households "
          f"{k_theta.std() / k_theta.mean():.3f}")
