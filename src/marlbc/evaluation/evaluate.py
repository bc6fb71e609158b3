"""Evaluation of a trained (deterministic) policy: rollouts, impulse responses, accuracy.

    evaluate(cfg, run_dir, out) -> summary dict        (``marlbc evaluate --run DIR --out FILE``)

For a run folder written by :func:`marlbc.rl.train.train` (``policy.pt``, ``train.nc``) it loads
the deterministic policy (``marlbc.rl.policy.load_policy``) — a callable mapping observations
(..., obs_dim) to actions (..., d) in economic units — and runs, in the economies of
:mod:`marlbc.economy`, always with the fixed evaluation seed ``eval_seed`` (so that every seed and
every arm sees the same initial draws and shocks: common random numbers):

RBC family (rbc_closed_form, rbc, baseline, heterogeneous)
  1. *Shock-free rollout* (``det_envs`` economies, ``det_periods`` quarters, A = 1) from the
     config's initial capital distribution (``economy.init_k``) to the policy's own steady
     state: aggregate per-head paths ``*_det(env_det, t_det)`` and the per-household state in
     the final quarter ``*_ss(household)`` (mean over the ``det_envs`` economies).
  2. *Simulation with shocks* (``sim_envs`` economies, ``sim_periods`` quarters, log A from its
     stationary law): per-head paths ``K, C, Y, L, I, A, r, w, chat, ell(env, t)``, the
     cross-sectional Gini of capital and std of log consumption per quarter, and ergodic moments
     over ``t >= sim_burn``.
  3. *Impulse responses* to a one-σ_A and a 0.1 log TFP shock, 40 quarters, percent deviations
     from the no-shock path that starts at the policy's own deterministic steady state (a flat
     line once converged) for Y, C, I, L, K, r, w (``irf_<X>(shock, quarter)``). For n = 1 the
     paths come from :func:`marlbc.benchmarks.rbc.simulate` with the learned policy wrapped as
     a ``(K, A) -> (ĉ, ℓ)`` callable (:class:`~marlbc.evaluation.policies.KAPolicy`); for n > 1 from the batched economy.
  4. n > 1: *wealth persistence* (``wealth_persistence(hh_sample, quarter_p)``, scalars
     ``wealth_persistence_1/10/40``): the share of a +10 % deviation of one household's capital
     from the steady state left 1, 10 and 40 quarters later (:func:`wealth_persistence`); and the
     *weight of a household's own price effect* in the learned economy (``price_effect_weight``,
     path ``price_effect_path(quarter_e)``): the present value of the price path after a
     one-quarter blip in one household's capital, the others answering on the policy, relative
     to the one-quarter effect that C3's game counts (:func:`price_effect_weight`).
  5. n = 1: mean/max log10 Euler and labour errors on the policy's own ergodic set and the
     consumption-equivalent welfare loss against the global solution, both scored by
     :mod:`marlbc.benchmarks.rbc` (``euler_errors``, ``welfare_loss``).

Krusell–Smith (ks)
  1. *No aggregate shocks*: ``det_envs`` economies for ``det_periods`` quarters, half with z held
     at good, half at bad (idiosyncratic employment shocks remain): ``K_det, C_det, Y_det,
     chat_det(env_det, t_det)``, ``z_det(env_det)``, scalars ``K_det_good``, ``K_det_bad``.
  2. On the benchmark's aggregate shock path (``benchmarks.ks.z_path`` with the KS benchmark's
     own ``T``, ``burn`` and ``seed`` — the defaults of ``benchmarks.ks.solve`` — or ``z_index``
     read from ``results/benchmarks/ks.nc`` with the option ``ks_benchmark``), in ``ks_envs``
     economies (same z path, different idiosyncratic draws): per-head paths
     ``K, C, Y, L, I, r, w, chat, reward, unemployment(env, t)``, the learned law of motion
     (OLS of log K' on log K by z over ``t >= burn``: ``lom_intercept, lom_slope, r2, se(env,
     z_state)``, scalars ``a_good, b_good, a_bad, b_bad, r2_good, r2_bad`` = means over envs),
     den Haan's dynamic forecast error against the economy's own K path (``K_forecast``,
     ``den_haan_max``), and the wealth Gini and std of log c across households every
     ``stat_stride`` quarters (``gini_k, sd_logc_t(env, t_stat)``; ``gini``, ``sd_logc`` =
     means over the window).

Everything is written to one netCDF (atomically, with provenance attributes), every variable
with ``units`` and a ``long_name`` (:mod:`marlbc.evaluation.variables`: the
paths' tables ``RBC_UNITS``, ``KS_UNITS``; the summary scalars' ``SCALARS``), and a flat
JSON-able summary is returned: the shock-free steady state per head (``chat, ell, K, L, C, Y``;
KS: ``mean_K, gini``) averaged over households, plus the other scalars.

Definitions used by the claim checks:
- ``det_drift`` = relative change of the OLS trend of aggregate K over the last
  ``drift_window`` quarters of the shock-free rollout, |slope·(window − 1)| / mean (max over
  envs; :func:`marlbc.evaluation.statistics.trend_drift`); ``det_range`` = max over the window of |K_t / K_T − 1|. For KS
  (idiosyncratic shocks remain) the shock-free rollout holds the aggregate state fixed:
  ``det_envs`` economies, half with z = good for ever and half with z = bad.
- ``chat_at_bound_frac`` = share of household-quarters of the shock simulation with ĉ within
  1 % of the width of its bounds from either bound.
- ``eval_return`` = Σ_t β^t r_t per household over the shock simulation, mean over households
  and environments (β^T ≈ 0 for the default T).
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from .. import config as _config
from ..benchmarks import ks as ks_bm
from ..benchmarks import rbc as rbc_bm
from ..economy import KSEconomy, RBCEconomy, make_economy
from ..economy.base import DTYPE
from ..runtime import one_job
from .io import open_checked, parse_run_path, write_netcdf
from .policies import KAPolicy, act
from .statistics import at_bound, closed_form_errors, gini_rows, range_drift, regress_law_of_motion, trend_drift
from .variables import KS_UNITS, RBC_UNITS, scalar_attrs

__all__ = ["DEFAULTS", "IRF_VARIABLES", "evaluate", "evaluate_policy", "ks_benchmark_path_spec", "price_effect_weight",
           "run_metadata", "wealth_persistence"]

IRF_VARIABLES = rbc_bm.IRF_VARIABLES                     # Y, C, I, L, K, r, w
SS_KEYS = ("chat", "ell", "K", "L", "C", "Y", "I", "r", "w")   # file names ss_<key>
SHOCKS = ("one_sigma", "log_0.1")             # the names of benchmarks.rbc.to_dataset

DEFAULTS = {
    "eval_seed": 20_251,     # seed of every evaluation economy (common random numbers)
    "det_envs": 4,           # shock-free economies (different initial draws)
    "det_periods": 3000,     # quarters of the shock-free rollout (δ = 0.025: ~1,000-3,000 needed)
    "sim_envs": 8,           # economies of the simulation with shocks (RBC)
    "sim_periods": 3000,     # quarters of the simulation with shocks (RBC)
    "sim_burn": 500,         # quarters dropped before ergodic moments
    "irf_quarters": 40,
    "irf_log_shock": 0.1,    # the second impulse, in log points of TFP
    "drift_window": None,    # default: cfg['claims']['C5']['drift_window']
    "hh_path_cells": 200_000,  # at most this many (quarter, household) cells of per-household path
    "persistence_quarters": 41,  # RBC n > 1: quarters of the wealth-persistence rollout (wealth_persistence)
    "persistence_households": 8,  # ... and how many households it perturbs, one at a time
    "price_weight_quarters": 600,  # RBC n > 1: quarters of the price-effect rollout (price_effect_weight; beta^600 = 0.002)
    "euler_periods": 10_000,
    "euler_burn": 1_000,
    "welfare_paths": 1000,
    "welfare_T": 1000,
    "ks_envs": None,         # default: max(1, min(8, ceil(200 / n)))
    "stat_stride": 10,       # KS: quarters between cross-sectional statistics (Gini, sd log c)
    "ks_T": None,            # default: benchmarks.ks.solve's T, burn and seed
    "ks_burn": None,
    "ks_seed": None,
    "ks_benchmark": None,    # path of results/benchmarks/ks.nc: read z_index from it
    "rbc_benchmark": None,   # path of results/benchmarks/rbc.nc: n = 1 is scored by its solution (else solved here)
}


# --------------------------------------------------------------------------------------------
# Run metadata
# --------------------------------------------------------------------------------------------

def _warn_if_trained_under_another_config(cfg: dict, policy, meta: dict, run_dir: Path) -> None:
    """The evaluation builds the economy from ``cfg``; say so when the policy was trained under
    other settings of its arm (the pipeline reruns training then; a hand-run evaluation may not)."""
    from ..rl.train import run_identity

    trained = (getattr(policy, "meta", None) or {}).get("run_hash")
    if trained is None or meta.get("preset") not in cfg["presets"]:
        return
    now = run_identity(cfg, meta["arm"], meta["n"], meta["seed"], meta["preset"])["run_hash"]
    if now != trained:
        warnings.warn(f"the policy of '{run_dir}' was trained under other settings of arm "
                      f"{meta['arm']!r} (run hash {trained}; this config gives {now}): the evaluation "
                      "uses this config's calibration and economy", stacklevel=3)


def run_metadata(run_dir: str | Path, policy=None) -> dict:
    """arm, n, seed (and preset, update when known) of a run: from the policy's metadata, else
    the ``train.nc`` attributes, else the path ``…/<arm>/n<N>/seed<S>``."""
    meta: dict = {}
    pm = getattr(policy, "meta", None) if policy is not None else None
    if isinstance(pm, dict):
        meta.update({k: pm[k] for k in ("arm", "n", "seed", "preset", "update", "budget_updates")
                     if k in pm})
    run_dir = Path(run_dir)
    if not {"arm", "n", "seed"} <= meta.keys() and (run_dir / "train.nc").exists():
        with xr.open_dataset(run_dir / "train.nc") as t:
            for k in ("arm", "n", "seed", "preset"):
                if k in t.attrs and k not in meta:
                    meta[k] = t.attrs[k]
    if not {"arm", "n", "seed"} <= meta.keys():
        for k, v in (parse_run_path(run_dir) or {}).items():
            meta.setdefault(k, v)
    missing = [k for k in ("arm", "n", "seed") if k not in meta]
    if missing:
        raise ValueError(f"cannot tell the {', '.join(missing)} of run '{run_dir}': not in the policy's "
                         f"metadata, train.nc or the path (…/<arm>/n<N>/seed<S>)")
    meta["arm"], meta["n"], meta["seed"] = str(meta["arm"]), int(meta["n"]), int(meta["seed"])
    return meta


def _load_policy(run_dir: Path):
    from ..rl.policy import load_policy

    return load_policy(run_dir)


# --------------------------------------------------------------------------------------------
# RBC family
# --------------------------------------------------------------------------------------------

def _rbc_rollout(policy, eco: RBCEconomy, T: int, record_hh_stride: int | None = None,
                 stop_at_fixed_point: bool = False) -> dict:
    """Step ``eco`` T quarters under ``policy``; per-head aggregates (T, E) and more.

    Per quarter only a handful of reductions are taken (the loop is the cost of evaluation);
    non-finite values anywhere show up as non-finite aggregates. With ``stop_at_fixed_point``
    (shock-free economies with A = 1 only) the loop stops once every household's capital is a
    fixed point to 1e-14 (|k'/k − 1|, checked every 25 quarters) and the remaining quarters are
    copies of the last one: the path is then exactly the one the full loop would produce
    (a deterministic map at its fixed point), at a fraction of the cost."""
    p, E, n = eco.p, eco.E, eco.n
    names = ("K", "C", "Y", "L", "kn", "A", "r", "w", "chat", "ell", "reward", "gini_k", "sd_logc")
    buf = torch.zeros(len(names), T, E, dtype=DTYPE)
    iK, iC, iY, iL, ikn, iA, ir, iw, ichat, iell, irew, igini, isd = range(len(names))
    ret = torch.zeros(E, n, dtype=DTYPE)
    disc = 1.0
    hh = [] if record_hh_stride else None
    n_at_bound = torch.zeros((), dtype=torch.long)
    fixed_at = -1
    y_scale = 1.0 / n if p.aggregation == "marginal" else 1.0     # Y per head
    kappa0, lam0 = float(p.kappa[0]), float(p.lam[0])
    obs = eco.observe()
    info = action = None
    for t in range(T):
        action = act(policy, obs)
        obs, reward, info = eco.step(action)
        k, c = info["k"], info["c"]
        b = buf[:, t]
        if n == 1:
            b[iK], b[iC], b[iL], b[ikn], b[ichat], b[iell], b[irew] = (
                k[:, 0], c[:, 0], info["ell"][:, 0], info["k_next"][:, 0], action[:, 0, 0], action[:, 0, 1], reward[:, 0])
        else:
            torch.mean(k, -1, out=b[iK])
            torch.mean(c, -1, out=b[iC])
            torch.mean(info["ell"], -1, out=b[iL])
            torch.mean(info["k_next"], -1, out=b[ikn])
            torch.mean(action[..., 0], -1, out=b[ichat])
            torch.mean(action[..., 1], -1, out=b[iell])
            torch.mean(reward, -1, out=b[irew])
            b[igini] = gini_rows(k)
            b[isd] = torch.log(c).std(-1, unbiased=False)
            chat = action[..., 0]
            n_at_bound += at_bound(chat, p.chat_bounds).sum()
        b[iY] = info["Y"][:, 0]
        b[iA] = info["A"][:, 0]
        b[ir] = info["r"][:, 0]
        b[iw] = info["w"][:, 0]
        ret.add_(reward, alpha=disc)
        disc *= p.beta
        if hh is not None and t % record_hh_stride == 0:
            hh.append(k[0].clone())
        if stop_at_fixed_point and t % 25 == 24 and t < T - 1:
            if float(torch.max(torch.abs(info["k_next"] / k - 1.0))) <= 1e-14:
                buf[:, t + 1:] = buf[:, t:t + 1]
                ret.add_(reward * (disc * (1.0 - p.beta ** (T - 1 - t)) / (1.0 - p.beta)))
                if hh is not None:
                    hh.extend(k[0].clone() for tt in range(t + 1, T) if tt % record_hh_stride == 0)
                fixed_at = t
                break
    out = {name: buf[i].numpy() for i, name in enumerate(names)}
    out["fixed_point_at"] = fixed_at
    out["Y"] = out["Y"] * y_scale
    out["r"] = out["r"] / kappa0                      # the base rental rate (r_i = κ_i R)
    out["w"] = out["w"] / lam0
    out["I"] = out.pop("kn") - (1.0 - p.delta) * out["K"]
    if n == 1:
        ch = out["chat"]
        n_at_bound = int(at_bound(ch, p.chat_bounds).sum())
    out["final"] = {x: torch.broadcast_to(v, (E, n)).numpy().copy() for x, v in
                    (("k", info["k"]), ("ell", info["ell"]), ("c", info["c"]), ("chat", action[..., 0]),
                     ("a", info["a"]), ("r", info["r"]), ("w", info["w"]))}
    out["return"] = ret.numpy()
    out["at_bound_frac"] = int(n_at_bound) / (T * E * n)
    out["nonfinite"] = int(sum((~np.isfinite(out[x])).sum() for x in ("K", "C", "chat", "ell", "reward")))
    if hh is not None:
        out["k_hh"] = torch.stack(hh).numpy()
    return out


PERSISTENCE_SHOCK = 0.10   # relative size of the own-capital deviation of the persistence diagnostic


def wealth_persistence(policy, cfg: dict, arm: str, n: int, k_star: np.ndarray, quarters: int,
                       households: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """How long a household keeps a windfall: from the policy's shock-free steady state
    ``k_star`` (n,), the capital of one household at a time is raised by 10 % (the others'
    held at theirs, each sampled household in an economy of its own, A = 1), and

        persistence_j(t) = (k_j,t / k*_j − 1) / 0.1,   t = 0 … quarters − 1

    is the share of the deviation left t quarters later (1 at t = 0; near 1 for a household
    that treats wealth as permanent, as one whose capital share is pinned only by its own
    O(1/n) price effect must, 0 once it has consumed the windfall). ``households`` of them,
    evenly spaced over the index (those holding less than 1e-3 of the mean are skipped).
    Returns (household indices, persistence (households, quarters))."""
    eligible = np.flatnonzero(k_star > 1e-3 * k_star.mean())
    idx = eligible[np.linspace(0, len(eligible) - 1, min(households, len(eligible))).round().astype(int)]
    eco = make_economy(cfg, arm, n, len(idx), seed=seed, shocks=False, check_actions=False)
    k0 = torch.as_tensor(k_star, dtype=DTYPE).expand(len(idx), n).clone()
    rows, cols = torch.arange(len(idx)), torch.as_tensor(idx)
    k0[rows, cols] *= 1.0 + PERSISTENCE_SHOCK
    eco.k = k0
    out = np.empty((len(idx), quarters))
    base = torch.as_tensor(k_star[idx], dtype=DTYPE)
    obs = eco.observe()
    for t in range(quarters):
        out[:, t] = ((eco.k[rows, cols] / base - 1.0) / PERSISTENCE_SHOCK).numpy()
        obs, _, _ = eco.step(act(policy, obs))
    return idx, out


PRICE_BLIP = 1e-4   # size of the one-quarter capital blip of price_effect_weight, relative to aggregate capital


def price_effect_weight(policy, cfg: dict, arm: str, n: int, k_star: np.ndarray, ell_star: np.ndarray,
                        quarters: int, seed: int) -> tuple[float, np.ndarray]:
    """How much of a household's own price effect survives the others' answers, in the learned economy.

    In the n-player game of C3 (:func:`marlbc.benchmarks.game.solve_game`) household i's extra
    unit of capital moves next quarter's capital-labour ratio x = S_K/S_L by a_i/S_K, and the
    others' capital and hours are held for ever: that one-quarter effect is the whole own-price
    term of its return, κ_i R + a_i P_i/S_K. In an economy of households that act on the state
    (Markov strategies, as learners do) the others answer: the quarter after the blip their hours
    move with the state, and in the quarters after that their saving does. This function
    measures the answer of ``policy``'s economy. From the shock-free steady state (``k_star``,
    ``ell_star``, A = 1) one household (the one of median capital) holds ε = 1e-4 · S_K more
    capital for one quarter (±ε, central difference); its own hours are held at ``ell_star`` and
    its capital is put back to ``k_star`` after that quarter, the others follow ``policy``
    (envelope: the household's own later choices do not matter to first order), and

        θ = Σ_{t≥0} β^t Δlog x_t / (a_i ε / S_K),     t = 0 the quarter of the blip,

    the present value of its price effect relative to the game's one-quarter effect (log x moves
    with log R = log(α A) + (α − 1) log x, read from the economy's rental rate). Household i's
    income moves by P_i Δlog x, so a household that counted its own price effect correctly in
    this economy would use θ P_i a_i/S_K where the game uses P_i a_i/S_K:
    ``solve_game(..., own_price_weight=θ)`` is the steady state such households would aim at.
    θ = 1 when the others never answer. Returns (θ, Δlog x_t / (a_i ε / S_K) for t < quarters)."""
    eco = make_economy(cfg, arm, n, 2, seed=seed, shocks=False, check_actions=False)
    p = eco.p
    k_star = torch.as_tensor(k_star, dtype=DTYPE)
    order = np.argsort(k_star.numpy(), kind="stable")
    i = int(order[n // 2])
    ell_i = float(np.asarray(ell_star)[i])
    weight = p.kappa if p.aggregation == "effective" else torch.ones(n, dtype=DTYPE)   # of k_i in aggregate capital
    S_K = float((weight * k_star).sum())
    eps = PRICE_BLIP * S_K
    k0 = k_star.expand(2, n).clone()
    k0[0, i] += eps
    k0[1, i] -= eps
    eco.k = k0
    logR = np.empty((quarters, 2))
    obs = eco.observe()
    for t in range(quarters):
        act_t = act(policy, obs).clone()
        act_t[:, i, 1] = ell_i
        obs, _, info = eco.step(act_t)
        logR[t] = torch.log(info["r"][:, 0] / p.kappa[0]).numpy()
        eco.k[:, i] = k_star[i]
        obs = eco.observe()
    dlogx = (logR[:, 0] - logR[:, 1]) / 2.0 / (p.alpha - 1.0)
    path = dlogx / (float(weight[i]) * eps / S_K)
    return float(np.sum(p.beta ** np.arange(quarters) * path)), path


def _rbc_irf(policy, cfg, arm, n, opts, k_ss_hh: np.ndarray, cal: dict) -> dict:
    """Percent responses (shock, quarter) of Y, C, I, L, K, r, w to log A_0 = σ_A and 0.1."""
    T = opts["irf_quarters"]
    shocks = np.array([cal["sigma_A"], opts["irf_log_shock"]])
    if n == 1:
        eco = make_economy(cfg, arm, 1, 1, seed=0, shocks=False)
        ka = KAPolicy(policy, eco.p)
        K0 = np.full(3, float(k_ss_hh[0]))
        sim = rbc_bm.simulate(ka, cal, T, K0, np.array([0.0, *shocks]))
        base = {x: sim[x][:, 0] for x in IRF_VARIABLES}
        return {x: (100.0 * (sim[x][:, 1:] / base[x][:, None] - 1.0)).T for x in IRF_VARIABLES}
    eco = make_economy(cfg, arm, n, 3, seed=0, shocks=False, check_actions=False)
    eco.k = torch.as_tensor(np.broadcast_to(k_ss_hh, (3, n)).copy(), dtype=DTYPE)
    eco.logA = torch.tensor([[0.0], [shocks[0]], [shocks[1]]], dtype=DTYPE)
    r = _rbc_rollout(policy, eco, T)
    return {x: (100.0 * (r[x][:, 1:] / r[x][:, :1] - 1.0)).T for x in IRF_VARIABLES}


def _rbc_solution(cal: dict, path: str | None) -> rbc_bm.RBCSolution:
    """The global solution that scores an n = 1 policy: read from the benchmark file ``path``
    when given (it must have been solved with ``cal``), else solved here."""
    if path is None:
        return rbc_bm.solve(cal)
    sol = rbc_bm.from_dataset(open_checked(path, ["coef_logc", "coef_V"]))
    differ = sorted(k for k in set(cal) | set(sol.cal) if cal.get(k) != sol.cal.get(k))
    if differ:
        raise ValueError(f"the benchmark {path} was solved with another calibration than the arm's "
                         f"(keys {', '.join(differ)}): rerun its benchmark rule")
    return sol


def _evaluate_rbc(policy, cfg: dict, arm: str, n: int, opts: dict) -> tuple[xr.Dataset, dict]:
    """Steps 1–5 of the module docstring for the RBC family: the rollouts, then the summary
    (:func:`_rbc_summary`) and the dataset (:func:`_rbc_dataset`)."""
    cal = _config.arm_calibration(cfg, arm)
    seed = opts["eval_seed"]
    timings = {}

    # 1. shock-free rollout from the initial distribution
    t0 = time.perf_counter()
    eco = make_economy(cfg, arm, n, opts["det_envs"], seed=seed, shocks=False, check_actions=False)
    stride = max(1, math.ceil(opts["det_periods"] * n / opts["hh_path_cells"]))
    det = _rbc_rollout(policy, eco, opts["det_periods"], record_hh_stride=stride, stop_at_fixed_point=True)
    timings["det_s"] = time.perf_counter() - t0

    # 2. simulation with shocks
    t0 = time.perf_counter()
    eco_s = make_economy(cfg, arm, n, opts["sim_envs"], seed=seed + 1, shocks=True, check_actions=False)
    sim = _rbc_rollout(policy, eco_s, opts["sim_periods"])
    timings["sim_s"] = time.perf_counter() - t0

    # 3. impulse responses; 4. n > 1: how long a household keeps a windfall, its own price effect
    t0 = time.perf_counter()
    fin = det["final"]
    irf = _rbc_irf(policy, cfg, arm, n, opts, fin["k"].mean(0), cal)
    timings["irf_s"] = time.perf_counter() - t0
    own = None
    if n > 1:
        hh_p, persist = wealth_persistence(policy, cfg, arm, n, fin["k"][0], opts["persistence_quarters"],
                                           opts["persistence_households"], seed + 2)
        theta, theta_path = price_effect_weight(policy, cfg, arm, n, fin["k"][0], fin["ell"][0],
                                                opts["price_weight_quarters"], seed + 3)
        own = {"hh_p": hh_p, "persist": persist, "theta": theta, "theta_path": theta_path}

    summary = _rbc_summary(det, sim, cal, arm, n, opts, own)

    # 5. n = 1: accuracy and welfare scored by the benchmark
    if n == 1:
        t0 = time.perf_counter()
        sol = _rbc_solution(cal, opts["rbc_benchmark"])
        ka = KAPolicy(policy, eco.p)
        ee = rbc_bm.euler_errors(sol, ka, n_periods=opts["euler_periods"], burn_in=opts["euler_burn"])
        summary.update({f"{k}": v for k, v in ee.items() if k != "n_states"})
        summary["welfare_loss_pct"] = rbc_bm.welfare_loss(sol, ka, n_paths=opts["welfare_paths"],
                                                          T=opts["welfare_T"])
        timings["accuracy_s"] = time.perf_counter() - t0

    ds = _rbc_dataset(det, sim, irf, eco.p, cal, n, opts, stride, own)
    return ds, {**summary, "timings": timings}


def _rbc_summary(det: dict, sim: dict, cal: dict, arm: str, n: int, opts: dict, own: dict | None) -> dict:
    """The scalars of an RBC evaluation: the shock-free steady state per head and its drift
    (``det``), the ergodic moments of the simulation with shocks over ``t >= sim_burn`` (``sim``),
    n > 1: the own-price and persistence figures (``own``); δ = 1: the closed form's errors."""
    window = opts["drift_window"]
    ss_hh = {k: v.mean(0) for k, v in det["final"].items()}       # per household, mean over det envs
    K_det = det["K"].T                                    # (env_det, t_det)
    K_fin = K_det[:, -1]
    summary = {
        "chat": float(ss_hh["chat"].mean()), "ell": float(ss_hh["ell"].mean()),
        "K": float(det["K"][-1].mean()), "L": float(det["L"][-1].mean()), "C": float(det["C"][-1].mean()),
        "Y": float(det["Y"][-1].mean()), "I": float(det["I"][-1].mean()),
        "r": float(det["r"][-1].mean()), "w": float(det["w"][-1].mean()),
        "det_drift": float(trend_drift(K_det, window).max()), "det_range": float(range_drift(K_det, window).max()),
        "drift_window": int(window),
        "det_env_spread": float((K_fin.max() - K_fin.min()) / K_fin.mean()),
        "det_fixed_point_at": int(det["fixed_point_at"]),
        "gini_ss": float(gini_rows(torch.as_tensor(ss_hh["k"][None]))[0]) if n > 1 else 0.0,
        "cv_k_ss": float(ss_hh["k"].std() / ss_hh["k"].mean()) if n > 1 else 0.0,
        "sd_logc_ss": float(np.log(ss_hh["c"]).std()) if n > 1 else 0.0,
    }
    if own is not None:
        for q in (1, 10, 40):
            if q < own["persist"].shape[1]:
                summary[f"wealth_persistence_{q}"] = float(np.median(own["persist"][:, q]))
        summary["price_effect_weight"] = own["theta"]
    burn = min(opts["sim_burn"], opts["sim_periods"] - 2)
    w = slice(burn, None)
    logY = np.log(sim["Y"][w])                            # (t, env)
    hp_sd = [float(np.std(rbc_bm.hp_filter(logY[:, e])[1])) for e in range(logY.shape[1])]
    summary.update({
        "mean_K": float(sim["K"][w].mean()), "mean_C": float(sim["C"][w].mean()),
        "mean_Y": float(sim["Y"][w].mean()), "mean_L": float(sim["L"][w].mean()),
        "mean_I": float(sim["I"][w].mean()), "mean_chat": float(sim["chat"][w].mean()),
        "mean_ell": float(sim["ell"][w].mean()),
        "gini": float(sim["gini_k"][w].mean()), "sd_logc": float(sim["sd_logc"][w].mean()),
        "std_logY": float(logY.std(0).mean()), "std_logY_hp_pct": 100.0 * float(np.mean(hp_sd)),
        "eval_return": float(sim["return"].mean()), "mean_reward": float(sim["reward"][w].mean()),
        "chat_at_bound_frac": float(sim["at_bound_frac"]),
        "n_nonfinite": int(sim["nonfinite"] + det["nonfinite"]),
        "periods_det": int(opts["det_periods"]), "periods_sim": int(opts["sim_periods"]), "sim_burn": int(burn),
    })
    if arm == "rbc_closed_form" or cal["delta"] == 1.0:
        from ..benchmarks.steady_state import closed_form

        cf = closed_form(**cal)
        errors = closed_form_errors(sim["chat"][w], sim["ell"][w], cf)
        summary.update({"cf_chat": cf["chat"], "cf_ell": cf["ell"], **{f"cf_{k}": v for k, v in errors.items()}})
    return summary


def _rbc_dataset(det: dict, sim: dict, irf: dict, p, cal: dict, n: int, opts: dict, stride: int,
                 own: dict | None) -> xr.Dataset:
    """The paths of an RBC evaluation as a dataset, every variable and coordinate with units and
    a long name: aggregates of both rollouts, the households' steady state, the impulse
    responses, and (n > 1, ``own``) the wealth-persistence and price-effect paths."""
    fin = det["final"]
    ss_hh = {k: v.mean(0) for k, v in fin.items()}
    t_det = np.arange(opts["det_periods"])
    sim, det = {**sim, "sd_logc_t": sim["sd_logc"]}, {**det, "sd_logc_t": det["sd_logc"]}
    data = {}
    for x, (u, ln) in RBC_UNITS.items():
        data[f"{x}_det"] = (("env_det", "t_det"), det[x].T, {"units": u, "long_name": f"{ln}, shock-free rollout"})
        data[x] = (("env", "t"), sim[x].T, {"units": u, "long_name": f"{ln}, simulation with TFP shocks"})
    hh_units = {"k": ("capital", "capital k_i"), "ell": ("hours", "hours ell_i"),
                "c": ("goods per quarter", "consumption c_i"), "chat": ("1", "consumption fraction c_i/a_i"),
                "a": ("goods", "cash on hand a_i = (1 - delta) k_i + r_i k_i + w_i ell_i"),
                "r": ("per quarter", "rental rate r_i = kappa_i R"), "w": ("goods per hour", "wage w_i = lambda_i W")}
    for x, (u, ln) in hh_units.items():
        data[f"{x}_ss"] = ("household", ss_hh[x], {"units": u, "long_name":
                           f"{ln} of the household in the last quarter of the shock-free rollout (mean over its economies)"})
    data["k_final"] = (("env_det", "household"), fin["k"], {"units": "capital",
                       "long_name": "capital of the household in the last quarter of each shock-free rollout"})
    data["k_hh_det"] = (("t_hh", "household"), det["k_hh"], {"units": "capital",
                        "long_name": "capital of each household along shock-free rollout 0 (every t_hh)"})
    data["kappa"] = ("household", p.kappa.numpy(), {"units": "1", "long_name": "capital productivity kappa_i"})
    data["lambda"] = ("household", p.lam.numpy(), {"units": "1", "long_name": "labour productivity lambda_i"})
    for x in IRF_VARIABLES:
        data[f"irf_{x}"] = (("shock", "quarter"), irf[x], {"units": "percent",
                            "long_name": f"impulse response of {x}: 100 (x_t / x_t(no shock) - 1), "
                                         f"from the policy's own deterministic steady state"})
    data["irf_shock_size"] = ("shock", np.array([cal["sigma_A"], opts["irf_log_shock"]]),
                              {"units": "log points", "long_name": "log A_0 of the impulse"})
    coords = {"t_det": ("t_det", t_det, {"units": "quarter", "long_name": "quarter of the shock-free rollout"}),
              "t": ("t", np.arange(opts["sim_periods"]),
                    {"units": "quarter", "long_name": "quarter of the simulation with shocks"}),
              "t_hh": ("t_hh", t_det[::stride][: det["k_hh"].shape[0]],
                       {"units": "quarter", "long_name": "quarters of the per-household path"}),
              "env_det": ("env_det", np.arange(opts["det_envs"]),
                          {"long_name": "economy of the shock-free rollout (its own initial capital draw)"}),
              "env": ("env", np.arange(opts["sim_envs"]), {"long_name": "economy of the simulation with TFP shocks"}),
              "household": ("household", np.arange(n), {"long_name": "household index"}),
              "quarter": ("quarter", np.arange(opts["irf_quarters"]),
                          {"units": "quarter", "long_name": "quarters after the impulse"}),
              "shock": ("shock", list(SHOCKS), {"long_name": "impulse: one sigma_A, or 0.1 log points"})}
    if own is not None:
        persist, theta_path = own["persist"], own["theta_path"]
        data["wealth_persistence"] = (("hh_sample", "quarter_p"), persist, {"units": "1", "long_name":
                                      "share of a +10 % deviation of one household's capital from the shock-free "
                                      "steady state left after the quarter (the others at theirs; "
                                      "evaluation.evaluate.wealth_persistence)"})
        coords["hh_sample"] = ("hh_sample", own["hh_p"],
                               {"long_name": "index of the household whose capital was raised"})
        coords["quarter_p"] = ("quarter_p", np.arange(persist.shape[1]),
                               {"units": "quarter", "long_name": "quarters after the raise of the household's capital"})
        data["price_effect_path"] = ("quarter_e", theta_path, {"units": "1", "long_name":
                                     "change of log(K/L) t quarters after a one-quarter blip in one household's "
                                     "capital (the others on the policy), relative to the one-quarter effect of "
                                     "C3's game; its present value is price_effect_weight "
                                     "(evaluation.evaluate.price_effect_weight)"})
        coords["quarter_e"] = ("quarter_e", np.arange(theta_path.size),
                               {"units": "quarter", "long_name": "quarters after the one-quarter capital blip"})
    return xr.Dataset(data, coords=coords)


# --------------------------------------------------------------------------------------------
# Krusell–Smith
# --------------------------------------------------------------------------------------------

def ks_benchmark_path_spec() -> dict:
    """T, burn and seed of the KS benchmark's z path: the defaults of
    :func:`marlbc.benchmarks.ks.solve`, with which the pipeline's ``benchmark_ks`` solves it."""
    sig = inspect.signature(ks_bm.solve).parameters
    return {k: sig[k].default for k in ("T", "burn", "seed")}


def _ks_z_path(cal: dict, opts: dict) -> tuple[np.ndarray, int, dict]:
    spec = ks_benchmark_path_spec()
    for k in ("T", "burn", "seed"):
        if opts.get(f"ks_{k}") is not None:
            spec[k] = int(opts[f"ks_{k}"])
    src = "benchmarks.ks.z_path"
    if opts.get("ks_benchmark"):
        b = open_checked(opts["ks_benchmark"], ["z_index"])
        zs = b["z_index"].values.astype(np.int64)
        spec["burn"] = int(b.attrs.get("burn", spec["burn"]))
        spec["T"] = len(zs) - spec["burn"]
        spec["seed"] = int(b.attrs.get("seed", spec["seed"]))
        src = str(opts["ks_benchmark"])
    else:
        zs = ks_bm.z_path(cal, spec["burn"] + spec["T"], spec["seed"]).astype(np.int64)
    return zs, spec["burn"], {**spec, "source": src}


def _ks_rollout(policy, eco: KSEconomy, z_next: torch.Tensor, stride: int) -> dict:
    """Step ``eco`` len(z_next) quarters with the aggregate state forced to ``z_next[t]`` (E,)
    after quarter t. Per-head aggregates (env, t); Gini and sd of log c every ``stride``."""
    p, E, n = eco.p, eco.E, eco.n
    N = z_next.shape[0]
    names = ("K", "C", "L", "kn", "z", "r", "w", "chat", "reward", "emp")
    buf = torch.empty(len(names), N, E, dtype=DTYPE)
    iK, iC, iL, ikn, iz, ir, iw, ichat, irew, iemp = range(len(names))
    snaps_k, snaps_c = [], []
    ret = torch.zeros(E, n, dtype=DTYPE)
    disc = 1.0
    n_at_bound = torch.zeros((), dtype=torch.long)
    obs = eco.observe()
    for t in range(N):
        action = act(policy, obs)
        obs, reward, info = eco.step(action, z_next=z_next[t])
        k, c = info["k"], info["c"]
        b = buf[:, t]
        b[iK], b[iL], b[iz], b[ir], b[iw] = (info["K"][:, 0], info["L"][:, 0], info["z"][:, 0],
                                             info["r"][:, 0], info["w"][:, 0])
        chat = action[..., 0]
        torch.mean(c, -1, out=b[iC])
        torch.mean(info["k_next"], -1, out=b[ikn])
        torch.mean(chat, -1, out=b[ichat])
        torch.mean(reward, -1, out=b[irew])
        torch.mean(info["employed"], -1, out=b[iemp])
        ret.add_(reward, alpha=disc)
        disc *= p.beta
        n_at_bound += at_bound(chat, p.chat_bounds).sum()
        if t % stride == 0:
            snaps_k.append(k)
            snaps_c.append(c)
    sim = {k: buf[i].numpy().T.copy() for i, k in enumerate(names)}   # (env, t)
    sim["Y"] = sim["z"] * sim["K"] ** p.alpha * sim["L"] ** (1.0 - p.alpha)
    sim["I"] = sim.pop("kn") - (1.0 - p.delta) * sim["K"]
    sim["unemployment"] = 1.0 - sim.pop("emp")
    del sim["z"]
    snap_k, snap_c = torch.stack(snaps_k), torch.stack(snaps_c)          # (t_stat, E, n)
    sim["gini_k"] = gini_rows(snap_k).numpy().T.copy()
    sim["sd_logc_t"] = torch.log(snap_c.clamp_min(1e-300)).std(-1, unbiased=False).numpy().T.copy()
    sim["t_stat"] = np.arange(0, N, stride)
    sim["return"] = ret.numpy()
    sim["at_bound_frac"] = int(n_at_bound) / (N * E * n)
    sim["nonfinite"] = int(sum((~np.isfinite(sim[x])).sum() for x in ("K", "C", "chat", "reward")))
    sim["k_end"], sim["employed_end"] = eco.k.numpy().copy(), eco.employed.numpy().copy()
    return sim


def _evaluate_ks(policy, cfg: dict, arm: str, n: int, opts: dict) -> tuple[xr.Dataset, dict]:
    cal = _config.arm_calibration(cfg, arm)
    zs, burn, zspec = _ks_z_path(cal, opts)
    N = len(zs)
    E = opts["ks_envs"] or max(1, min(8, math.ceil(200 / n)))
    stride = opts["stat_stride"]
    window = opts["drift_window"]

    # 1. no aggregate shocks: z held at good (first half of the economies) or bad (second half)
    t0 = time.perf_counter()
    Ed = 2 * max(1, opts["det_envs"] // 2)
    T_det = opts["det_periods"]
    z_det = torch.tensor([0] * (Ed // 2) + [1] * (Ed // 2))
    eco_d: KSEconomy = make_economy(cfg, arm, n, Ed, seed=opts["eval_seed"], check_actions=False)
    eco_d.reset(seed=opts["eval_seed"], z0=z_det)
    det = _ks_rollout(policy, eco_d, z_det.expand(T_det, Ed), stride)
    det_s = time.perf_counter() - t0

    # 2. the benchmark's aggregate shock path
    t0 = time.perf_counter()
    eco: KSEconomy = make_economy(cfg, arm, n, E, seed=opts["eval_seed"] + 1, check_actions=False)
    eco.reset(seed=opts["eval_seed"] + 1, z0=torch.full((E,), int(zs[0])))
    z_next = torch.as_tensor(np.append(zs[1:], zs[-1]), dtype=torch.long)[:, None].expand(N, E)
    sim = _ks_rollout(policy, eco, z_next, stride)
    sim_s = time.perf_counter() - t0
    t_stat = sim["t_stat"]

    coefs = np.empty((E, 2, 2))
    r2 = np.empty((E, 2))
    se = np.empty((E, 2))
    fc = np.full((E, N), np.nan)
    dh_max, dh_mean = np.empty(E), np.empty(E)
    for e in range(E):
        coefs[e], r2[e], se[e] = regress_law_of_motion(sim["K"][e], zs, burn)
        if np.all(np.isfinite(coefs[e])):
            fc[e, burn:] = ks_bm.law_of_motion_forecast(coefs[e], zs[burn:], sim["K"][e, burn])
        err = 100.0 * np.abs(np.log(fc[e, burn:]) - np.log(sim["K"][e, burn:]))
        dh_max[e], dh_mean[e] = np.max(err), np.mean(err)
    w = slice(burn, None)
    cm = coefs.mean(0)
    wd = slice(-min(window, T_det), None)
    K_det_level = det["K"][:, wd].mean(1)                      # mean over the window, per env
    good, bad = slice(0, Ed // 2), slice(Ed // 2, Ed)
    summary = {
        "mean_K": float(sim["K"][:, w].mean()), "gini": float(sim["gini_k"][:, t_stat >= burn].mean()),
        "a_good": float(cm[0, 0]), "b_good": float(cm[0, 1]), "a_bad": float(cm[1, 0]), "b_bad": float(cm[1, 1]),
        "r2_good": float(r2[:, 0].mean()), "r2_bad": float(r2[:, 1].mean()),
        "den_haan_max": float(dh_max.mean()), "den_haan_mean": float(dh_mean.mean()),
        "mean_C": float(sim["C"][:, w].mean()), "mean_Y": float(sim["Y"][:, w].mean()),
        "mean_L": float(sim["L"][:, w].mean()), "mean_I": float(sim["I"][:, w].mean()),
        "mean_chat": float(sim["chat"][:, w].mean()),
        "sd_logc": float(sim["sd_logc_t"][:, t_stat >= burn].mean()),
        "std_logY": float(np.log(sim["Y"][:, w]).std(1).mean()),
        "eval_return": float(sim["return"].mean()), "mean_reward": float(sim["reward"][:, w].mean()),
        "chat_at_bound_frac": float(sim["at_bound_frac"]),
        "n_nonfinite": int(sim["nonfinite"] + det["nonfinite"]),
        "K_det_good": float(K_det_level[good].mean()), "K_det_bad": float(K_det_level[bad].mean()),
        "gini_det_good": float(det["gini_k"][good, -max(1, window // stride):].mean()),
        "det_drift": float(trend_drift(det["K"], window).max()),
        "det_range": float(range_drift(det["K"], window).max()), "drift_window": int(window),
        "periods_det": int(T_det), "periods_sim": int(N), "sim_burn": int(burn), "ks_envs": int(E),
        "z_path_T": int(zspec["T"]), "z_path_seed": int(zspec["seed"]),
    }
    data = {x: (("env", "t_stat" if x in ("gini_k", "sd_logc_t") else "t"), sim[x],
                {"units": u, "long_name": f"{ln}, simulation on the benchmark's z path"})
            for x, (u, ln) in KS_UNITS.items()}
    for x in ("K", "C", "Y", "chat", "gini_k"):
        u, ln = KS_UNITS[x]
        data[f"{x}_det"] = (("env_det", "t_stat_det" if x == "gini_k" else "t_det"), det[x],
                            {"units": u, "long_name": f"{ln}, rollout without aggregate shocks (z fixed)"})
    data["z_det"] = ("env_det", z_det.numpy().astype(np.int8),
                     {"units": "1", "long_name": "aggregate state held fixed in the rollout (0 good, 1 bad)"})
    data["z_index"] = ("t", zs.astype(np.int8), {"units": "1", "long_name": "aggregate state index (0 good, 1 bad)"})
    data["K_forecast"] = (("env", "t"), fc, {"units": "capital per head", "long_name":
                          "den Haan: law-of-motion-only forecast of K from K_burn with the learned coefficients"})
    data["lom_intercept"] = (("env", "z_state"), coefs[..., 0], {"units": "1", "long_name": "learned law of motion intercept a_z"})
    data["lom_slope"] = (("env", "z_state"), coefs[..., 1], {"units": "1", "long_name": "learned law of motion slope b_z"})
    data["r2"] = (("env", "z_state"), r2, {"units": "1", "long_name": "R^2 of log K' on log K"})
    data["se"] = (("env", "z_state"), se, {"units": "1", "long_name": "standard error of regression of log K'"})
    data["den_haan_max_env"] = ("env", dh_max, {"units": "percent", "long_name": "den Haan maximum forecast error"})
    data["k_final"] = (("env", "household"), sim["k_end"],
                       {"units": "capital", "long_name": "capital of each household after the last quarter"})
    data["employed_final"] = (("env", "household"), sim["employed_end"].astype(np.int8),
                              {"units": "1", "long_name": "1 if employed after the last quarter"})
    coords = {"t": ("t", np.arange(N), {"units": "quarter", "long_name":
                                        "quarter of the benchmark's z path (regression window t >= sim_burn)"}),
              "t_stat": ("t_stat", t_stat, {"units": "quarter", "long_name":
                                            "quarters of the cross-sectional statistics (every stat_stride)"}),
              "t_det": ("t_det", np.arange(T_det), {"units": "quarter", "long_name":
                                                    "quarter of the rollout without aggregate shocks"}),
              "t_stat_det": ("t_stat_det", det["t_stat"], {"units": "quarter", "long_name":
                             "quarters of the cross-sectional statistics without aggregate shocks (every stat_stride)"}),
              "env": ("env", np.arange(E), {"long_name": "economy on the benchmark's z path (own idiosyncratic draws)"}),
              "env_det": ("env_det", np.arange(Ed), {"long_name": "economy without aggregate shocks (z_det: its z)"}),
              "household": ("household", np.arange(n), {"long_name": "household index"}),
              "z_state": ("z_state", list(ks_bm.Z_NAMES), {"long_name": "aggregate state of the law of motion"})}
    ds = xr.Dataset(data, coords=coords)
    ds.attrs["z_path_source"] = zspec["source"]
    return ds, {**summary, "timings": {"det_s": det_s, "sim_s": sim_s}}


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------

def _options(cfg: dict, options: dict | None) -> dict:
    opts = dict(DEFAULTS)
    unknown = set(options or {}) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown evaluation option(s) {', '.join(sorted(unknown))}; "
                         f"allowed: {', '.join(DEFAULTS)}")
    opts.update(options or {})
    if opts["drift_window"] is None:
        opts["drift_window"] = int(cfg.get("claims", {}).get("C5", {}).get("drift_window", 500))
    return opts


def evaluate_policy(cfg: dict, policy: Callable, arm: str, n: int, seed: int, out: str | Path | None = None,
                    options: dict | None = None, **attrs) -> tuple[xr.Dataset, dict]:
    """Evaluate ``policy`` on ``arm`` with ``n`` households; write ``out`` when given.

    ``seed`` is the training seed (recorded; the rollouts use ``options['eval_seed']``).
    Returns the dataset and the JSON-able summary."""
    one_job()
    opts = _options(cfg, options)
    spec = _config.arm_spec(cfg, arm)
    t0 = time.perf_counter()
    if spec["economy"] == "ks":
        ds, summary = _evaluate_ks(policy, cfg, arm, n, opts)
        family = "ks"
    else:
        ds, summary = _evaluate_rbc(policy, cfg, arm, n, opts)
        family = "rbc"
    seconds = time.perf_counter() - t0
    timings = summary.pop("timings")
    summary = {"arm": arm, "n": int(n), "seed": int(seed), "family": family, **summary,
               "eval_seconds": seconds}
    for k, v in summary.items():                                 # scalars into the file too
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("n", "seed"):
            name = f"ss_{k}" if k in SS_KEYS else k
            if name in ds.variables:
                raise RuntimeError(f"summary scalar {name!r} collides with a variable of the dataset")
            ds[name] = ((), float(v), scalar_attrs(name, family))
    ds.attrs.update({"title": f"marlbc evaluation of {arm} n={n} seed={seed}", "arm": arm, "n": int(n),
                     "family": family, "eval_seed": int(opts["eval_seed"]),
                     "options": {k: v for k, v in opts.items() if v is not None},
                     **{f"seconds_{k}": float(v) for k, v in timings.items()}, **attrs})
    if out is not None:
        write_netcdf(ds, out, cfg=cfg, seed=seed)
    return ds, summary


def evaluate(cfg: dict, run_dir: str | Path, out: str | Path, *, policy: Callable | None = None,
             options: dict | None = None) -> dict:
    """Evaluate the policy of ``run_dir`` (``policy.pt``) and write the netCDF ``out``.

    ``policy`` overrides the file (tests, stand-ins; arm/n/seed then come from ``train.nc`` or
    the path). Returns a flat JSON-able summary (see the module docstring).
    """
    run_dir = Path(run_dir)
    if policy is None:
        policy = _load_policy(run_dir)
    meta = run_metadata(run_dir, policy)
    _warn_if_trained_under_another_config(cfg, policy, meta, run_dir)
    extra = {"run_dir": str(run_dir)}
    if "update" in meta:
        extra["policy_update"] = int(meta["update"])
    if "preset" in meta:
        extra["preset"] = str(meta["preset"])
    _, summary = evaluate_policy(cfg, policy, meta["arm"], meta["n"], meta["seed"], out,
                                 options=options, **extra)
    return summary
