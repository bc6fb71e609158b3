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
     a ``(K, A) -> (ĉ, ℓ)`` callable (:class:`KAPolicy`); for n > 1 from the batched economy.
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
with ``units`` and a ``long_name`` (paths: :data:`RBC_UNITS`, :data:`KS_UNITS`; the summary
scalars: :func:`scalar_attrs`, from :data:`SCALARS` and those tables), and a flat
JSON-able summary is returned: the shock-free steady state per head (``chat, ell, K, L, C, Y``;
KS: ``mean_K, gini``) averaged over households, plus the other scalars.

Definitions used by the claim checks:
- ``det_drift`` = relative change of the OLS trend of aggregate K over the last
  ``drift_window`` quarters of the shock-free rollout, |slope·(window − 1)| / mean (max over
  envs; :func:`trend_drift`); ``det_range`` = max over the window of |K_t / K_T − 1|. For KS
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
from ..benchmarks.steady_state import steady_state
from ..economy import KSEconomy, RBCEconomy, make_economy
from ..economy.base import DTYPE
from ..economy.rbc import TYPE_SCALE
from .io import open_checked, parse_run_path, write_netcdf

__all__ = ["DEFAULTS", "IRF_VARIABLES", "KAPolicy", "ObsPolicyFromKA", "ObsPolicyFromKS", "constant_policy",
           "evaluate", "evaluate_policy", "gini_rows", "ks_benchmark_path_spec", "price_effect_weight", "rbc_observation",
           "range_drift", "regress_law_of_motion", "run_metadata", "scalar_attrs", "steady_state_policy", "trend_drift",
           "wealth_persistence"]

IRF_VARIABLES = rbc_bm.IRF_VARIABLES                     # Y, C, I, L, K, r, w
SS_KEYS = ("chat", "ell", "K", "L", "C", "Y", "I", "r", "w")   # file names ss_<key>
# --- what every number of eval.nc is: name -> (units, long_name) ---------------------------------
# per-head paths (env, t) and (env_det, t_det) of each family; the file adds which rollout it is
RBC_UNITS = {"K": ("capital per head", "capital per head at the start of the quarter"),
             "C": ("goods per head per quarter", "consumption per head"),
             "Y": ("goods per head per quarter", "output per head"),
             "L": ("hours per head", "hours per head"),
             "I": ("goods per head per quarter", "investment per head, mean k' - (1 - delta) mean k"),
             "A": ("1", "total factor productivity A"),
             "r": ("per quarter", "base rental rate of capital R (r_i = kappa_i R)"),
             "w": ("goods per hour", "base wage W (w_i = lambda_i W)"),
             "chat": ("1", "mean consumption fraction c/a over households"),
             "ell": ("hours", "mean hours over households"),
             "reward": ("utils", "mean period utility over households"),
             "gini_k": ("1", "Gini coefficient of capital k_i across households"),
             "sd_logc_t": ("1", "standard deviation of log consumption across households")}
KS_UNITS = {"K": ("capital per head", "capital per head at the start of the quarter"),
            "C": ("goods per head per quarter", "consumption per head"),
            "Y": ("goods per head per quarter", "output per head z K^alpha L^(1-alpha)"),
            "L": ("labour per head", "labour input per head, l_bar times the employment rate"),
            "I": ("goods per head per quarter", "investment per head, mean k' - (1 - delta) mean k"),
            "r": ("per quarter", "rental rate of capital"), "w": ("goods per unit of labour", "wage"),
            "chat": ("1", "mean consumption fraction c/a over households"),
            "reward": ("utils", "mean period utility over households"),
            "gini_k": ("1", "Gini coefficient of capital k_i across households"),
            "sd_logc_t": ("1", "standard deviation of log consumption across households"),
            "unemployment": ("1", "unemployment rate")}
PATH_UNITS = {"rbc": RBC_UNITS, "ks": KS_UNITS}
# summary scalars that are ergodic means of a path (the path's units)
MEAN_OF = {"mean_K": "K", "mean_C": "C", "mean_Y": "Y", "mean_L": "L", "mean_I": "I", "mean_chat": "chat",
           "mean_ell": "ell", "mean_reward": "reward", "gini": "gini_k", "sd_logc": "sd_logc_t"}
_NO_AGG = "the rollout without aggregate shocks (RBC: A = 1; KS: z held at good or bad for ever)"
_ERGODIC = "over quarters t >= sim_burn and the economies of the simulation with aggregate shocks"
# the other summary scalars, by their name in the file
SCALARS = {
    "det_drift": ("1", f"relative drift of capital per head over the last drift_window quarters of {_NO_AGG}: "
                       "|OLS trend slope x (window - 1)| / mean over the window, max over economies"),
    "det_range": ("1", f"max over the last drift_window quarters of |K_t / K_T - 1| (K_T: last quarter) in {_NO_AGG}, "
                       "max over economies"),
    "drift_window": ("quarters", "length of the final window of det_drift and det_range (KS: also of K_det_good, "
                                 "K_det_bad and gini_det_good)"),
    "det_env_spread": ("1", "(max - min) / mean over the shock-free economies (different initial capital draws) of "
                            "capital per head in the last quarter"),
    "det_fixed_point_at": ("quarters", "quarter after which every household's capital in the shock-free rollout was "
                                       "a fixed point to 1e-14 (|k'/k - 1|); -1: not reached"),
    "gini_ss": ("1", "Gini coefficient across households of steady-state capital k_i (last quarter of the shock-free "
                     "rollout, mean over its economies); 0 for n = 1"),
    "cv_k_ss": ("1", "coefficient of variation (std / mean) across households of steady-state capital k_i; 0 for n = 1"),
    "sd_logc_ss": ("1", "standard deviation across households of log steady-state consumption c_i; 0 for n = 1"),
    **{f"wealth_persistence_{q}": ("1", f"share of a +10 % deviation of one household's capital from the shock-free "
                                        f"steady state left after {q} quarter(s) (the others at theirs), median over "
                                        f"the sampled households") for q in (1, 10, 40)},
    "price_effect_weight": ("1", "present value of the change of log(K/L) after a one-quarter blip in one household's "
                                 "capital (the others on the policy), relative to the one-quarter effect that C3's "
                                 "game counts (1 there)"),
    "std_logY": ("1", f"standard deviation over time of log output per head (unfiltered), {_ERGODIC}: mean over "
                      "economies of each economy's std"),
    "std_logY_hp_pct": ("percent", f"100 x standard deviation of the HP-filtered (lambda = 1600) cycle of log output "
                                   f"per head, {_ERGODIC}: mean over economies"),
    "eval_return": ("utils", "discounted return sum_t beta^t u_t per household over the whole simulation with "
                             "aggregate shocks (from t = 0), mean over households and economies"),
    "chat_at_bound_frac": ("1", "share of household-quarters of the simulation with aggregate shocks with c/a within "
                                "1 % of the bounds' width of either bound"),
    "n_nonfinite": ("1", "number of non-finite entries in the aggregate paths (K, C, chat, reward; RBC: ell) of the "
                         "rollout without aggregate shocks and the simulation with them (0 in a sound evaluation)"),
    "periods_det": ("quarters", f"length of {_NO_AGG}"),
    "periods_sim": ("quarters", "length of the simulation with aggregate shocks (KS: burn-in plus z_path_T)"),
    "sim_burn": ("quarters", "quarters at the start of the simulation with aggregate shocks left out of its ergodic "
                             "means (KS: the law of motion is regressed on t >= sim_burn)"),
    # RBC with full depreciation: the closed form
    "cf_chat": ("1", "closed-form optimal consumption fraction c/a = 1 - alpha beta (delta = 1)"),
    "cf_ell": ("hours", "closed-form optimal hours (delta = 1)"),
    **{f"cf_{x}_{stat}_rel_err": ("1", f"{word} over the quarters t >= sim_burn and economies of the simulation with "
                                       f"shocks of |{x}_t / cf_{x} - 1| ({x}_t: mean over households)")
       for x in ("chat", "ell") for stat, word in (("max", "max"), ("mean", "mean"))},
    # RBC n = 1: scored by benchmarks.rbc
    "euler_mean": ("log10", "mean log10 Euler-equation error |1 - c_implied/c| on the policy's own ergodic set "
                            "(benchmarks.rbc.euler_errors)"),
    "euler_max": ("log10", "max log10 Euler-equation error |1 - c_implied/c| on the policy's own ergodic set "
                           "(benchmarks.rbc.euler_errors)"),
    "labour_mean": ("log10", "mean log10 labour-condition (intratemporal) error on the policy's own ergodic set"),
    "labour_max": ("log10", "max log10 labour-condition (intratemporal) error on the policy's own ergodic set"),
    "welfare_loss_pct": ("percent", "consumption-equivalent welfare loss 100 x Delta of the policy against the global "
                                    "solution, over the benchmark's ergodic start states (benchmarks.rbc.welfare_loss)"),
    # Krusell-Smith: the learned law of motion log K' = a_z + b_z log K (OLS over t >= sim_burn)
    **{f"{c}_{z}": ("1", f"{what} of the learned law of motion log K' = a_z + b_z log K in the {z} aggregate state "
                         f"(OLS of log K_t+1 on log K_t over t >= sim_burn with z_t = {z}), mean over economies")
       for c, what in (("a", "intercept a_z"), ("b", "slope b_z")) for z in ("good", "bad")},
    **{f"r2_{z}": ("1", f"R^2 of the learned law of motion in the {z} aggregate state, mean over economies")
       for z in ("good", "bad")},
    **{f"den_haan_{stat}": ("percent", f"den Haan dynamic forecast error: {stat} over t >= sim_burn of "
                                       f"100 |log K_forecast - log K| (K_forecast iterated on the learned law of "
                                       f"motion alone from K at sim_burn), mean over economies")
       for stat in ("max", "mean")},
    **{f"K_det_{z}": ("capital per head", f"capital per head with z held at {z} for ever (idiosyncratic shocks "
                                          f"remain): mean over the last drift_window quarters and those economies")
       for z in ("good", "bad")},
    "gini_det_good": ("1", "Gini coefficient of capital across households with z held at good for ever: mean over the "
                           "cross-sections (every stat_stride) of the last drift_window quarters and those economies"),
    "ks_envs": ("1", "number of economies simulated on the benchmark's z path (different idiosyncratic draws)"),
    "z_path_T": ("quarters", "length of the benchmark's aggregate z path after its burn-in (sim_burn)"),
    "z_path_seed": ("1", "seed of the benchmark's aggregate z path"),
    "eval_seconds": ("s", "wall-clock seconds of the evaluation"),
}


def scalar_attrs(name: str, family: str) -> dict:
    """``units`` and ``long_name`` of the summary scalar ``name`` (its name in eval.nc: ``ss_K``,
    ``mean_K``, ``a_good``, ...) of a ``family`` ("rbc" or "ks") evaluation."""
    paths = PATH_UNITS[family]
    if name in SCALARS:
        units, long_name = SCALARS[name]
    elif name.startswith("ss_") and name[3:] in paths:
        units, ln = paths[name[3:]]
        long_name = (f"the policy's own shock-free steady state (last quarter of the shock-free rollout, mean "
                     f"over its economies): {ln}")
    elif MEAN_OF.get(name) in paths:
        units, ln = paths[MEAN_OF[name]]
        long_name = f"{ln}: mean {_ERGODIC}"
    else:
        raise KeyError(f"summary scalar {name!r} has no units and description: add it to "
                       f"marlbc.evaluation.evaluate.SCALARS")
    return {"units": units, "long_name": long_name}


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
}


# --------------------------------------------------------------------------------------------
# Policies: the learned-policy interface and stand-ins
# --------------------------------------------------------------------------------------------

def act(policy: Callable, obs: torch.Tensor) -> torch.Tensor:
    """Actions of a deterministic policy as float64 (…, d), without autograd."""
    with torch.no_grad():
        a = policy(obs)
    return torch.as_tensor(a).to(DTYPE)


def rbc_observation(p, k, mean_k, logA, kappa=None, lam=None) -> torch.Tensor:
    """The RBC economy's observation (…, 5) for own capital ``k``, mean capital ``mean_k`` and
    ``logA`` (broadcast), types κ, λ (default 1): the formula of ``RBCEconomy.observe``."""
    k, mean_k, logA = (torch.as_tensor(x, dtype=DTYPE) for x in (k, mean_k, logA))
    k, mean_k, logA = torch.broadcast_tensors(k, mean_k, logA)
    log_kss = math.log(p.k_ss)
    inv_sd = 1.0 / p.sd_logA if p.sigma_A > 0 else 1.0
    kappa = torch.ones_like(k) if kappa is None else torch.as_tensor(kappa, dtype=DTYPE).expand_as(k)
    lam = torch.ones_like(k) if lam is None else torch.as_tensor(lam, dtype=DTYPE).expand_as(k)
    return torch.stack([torch.log(k) - log_kss, torch.log(mean_k) - log_kss, logA * inv_sd,
                        (kappa - 1) / TYPE_SCALE, (lam - 1) / TYPE_SCALE], -1)


class KAPolicy:
    """A learned RBC policy for n = 1 as the benchmarks' callable ``(K, A) -> (ĉ, ℓ)``
    (NumPy arrays of one shape, levels), so that :mod:`marlbc.benchmarks.rbc` can score it."""

    def __init__(self, policy: Callable, params):
        self.policy, self.p = policy, params
        self._log_kss = math.log(params.k_ss)
        self._inv_sd = 1.0 / params.sd_logA if params.sigma_A > 0 else 1.0

    def __call__(self, K, A):
        K, A = np.broadcast_arrays(np.asarray(K, float), np.asarray(A, float))
        obs = np.zeros((*K.shape, 5))
        obs[..., 0] = np.log(K) - self._log_kss
        obs[..., 1] = obs[..., 0]
        obs[..., 2] = np.log(A) * self._inv_sd
        a = act(self.policy, torch.from_numpy(obs)).numpy()
        return a[..., 0].reshape(K.shape), a[..., 1].reshape(K.shape)


class ObsPolicyFromKA:
    """A ``(K, A) -> (ĉ, ℓ)`` policy (e.g. the benchmark's) as an observation policy for the RBC
    economies, applied to each household's own capital (a stand-in for learned policies)."""

    def __init__(self, fn: Callable, params):
        self.fn, self.p = fn, params
        self.action_names = ("chat", "ell")

    def __call__(self, obs: torch.Tensor) -> torch.Tensor:
        k = self.p.k_ss * torch.exp(obs[..., 0])
        A = torch.exp(obs[..., 2] * (self.p.sd_logA if self.p.sigma_A > 0 else 1.0))
        chat, ell = self.fn(k.numpy(), A.numpy())
        return torch.stack([torch.as_tensor(np.asarray(chat, float)),
                            torch.as_tensor(np.asarray(ell, float))], -1).to(DTYPE)


class ObsPolicyFromKS:
    """The Krusell–Smith solution's savings rule k'(z, ε, K, k) as an observation policy for the
    KS economies of ``params`` (a stand-in for learned policies): ĉ = 1 − k'/a, with k' linear
    in own capital on the solution's grid ``k_grid`` and in aggregate capital on ``K_grid``
    (extrapolated linearly beyond it, as the solution's own simulation does). ``policy_k`` is
    indexed [z (good, bad), ε (employed, unemployed), K, k], as ``KSSolution.policy``."""

    def __init__(self, policy_k, k_grid, K_grid, params):
        self.kp = torch.tensor(np.asarray(policy_k, float))      # copies: the arrays may be read-only
        self.k_grid = torch.tensor(np.asarray(k_grid, float))
        self.K_grid = torch.tensor(np.asarray(K_grid, float))
        self.eco = KSEconomy(params, 1, check_actions=False)     # reads k, K, a from observations
        self.lo, self.hi = params.chat_bounds
        self.action_names = ("chat",)

    @classmethod
    def from_dataset(cls, ds: xr.Dataset, params) -> "ObsPolicyFromKS":
        """From a KS benchmark dataset (``results/benchmarks/ks.nc``)."""
        return cls(ds["policy_k"].values, ds["k"].values, ds["K_grid"].values, params)

    @staticmethod
    def _weights(grid: torch.Tensor, x: torch.Tensor, extrapolate: bool):
        i = (torch.searchsorted(grid, x.contiguous()) - 1).clamp(0, len(grid) - 2)
        w = (x - grid[i]) / (grid[i + 1] - grid[i])
        return i, (w if extrapolate else w.clamp(0.0, 1.0))

    def __call__(self, obs: torch.Tensor) -> torch.Tensor:
        k, K, a = self.eco.cash_on_hand(obs)
        z = (obs[..., 2] < 0).long()                  # +1 good (0), −1 bad (1)
        e = (obs[..., 3] < 0).long()                  # +1 employed (0), −1 unemployed (1)
        iK, wK = self._weights(self.K_grid, K, extrapolate=True)
        ik, wk = self._weights(self.k_grid, k, extrapolate=False)
        at = lambda dK, dk: self.kp[z, e, iK + dK, ik + dk]    # noqa: E731
        kp = ((1 - wK) * ((1 - wk) * at(0, 0) + wk * at(0, 1))
              + wK * ((1 - wk) * at(1, 0) + wk * at(1, 1)))
        return (1.0 - kp / a).clamp(self.lo, self.hi).unsqueeze(-1)


def constant_policy(values) -> Callable:
    """The state-independent rule ``values`` (one per action) as an observation policy."""
    v = torch.as_tensor(values, dtype=DTYPE)

    def policy(obs: torch.Tensor) -> torch.Tensor:
        return v.expand(*obs.shape[:-1], v.numel()).clone()
    return policy


def steady_state_policy(params) -> Callable:
    """The representative steady state's (ĉ, ℓ) as a constant policy (RBC), or, for KS, the
    consumption fraction (Y − δK)/((1 − δ)K + Y) of the representative steady state at mean
    employment. With δ = 1 it is the exact closed form ĉ = 1 − αβ, ℓ*."""
    if isinstance(params, type(None)):
        raise ValueError("params is None")
    if hasattr(params, "K_ss") and not hasattr(params, "k_ss"):        # KSParams
        L = params.l_bar * (1.0 - 0.5 * (params.u[0] + params.u[1]))
        K = params.K_ss
        Y = K**params.alpha * L ** (1.0 - params.alpha)
        return constant_policy([(Y - params.delta * K) / ((1.0 - params.delta) * K + Y)])
    ss = steady_state(params.alpha, params.beta, params.delta, params.utility, params.chi, params.b)
    return constant_policy([ss.chat, ss.L])


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------

def gini_rows(x: torch.Tensor) -> torch.Tensor:
    """Gini coefficient of each row of ``x`` (…, n) of non-negative values with equal weights:
    G = 2 Σ_i i x_(i) / (n Σ x) − (n + 1)/n (that of ``benchmarks.ks.gini`` for point masses)."""
    n = x.shape[-1]
    if n == 1:
        return torch.zeros(x.shape[:-1], dtype=x.dtype)
    xs, _ = torch.sort(x, dim=-1)
    i = torch.arange(1, n + 1, dtype=x.dtype)
    return (2.0 * (xs * i).sum(-1) / (n * xs.sum(-1)) - (n + 1.0) / n).clamp_min(0.0)


def regress_law_of_motion(K: np.ndarray, z: np.ndarray, burn: int):
    """OLS of log K_{t+1} on log K_t separately for z_t = good (0) and bad (1), t ≥ burn.

    Returns coefs [[a_good, b_good], [a_bad, b_bad]], R² (good, bad) and the standard error of
    the regression (good, bad): the benchmark's definition (``benchmarks.ks``)."""
    x, y, zz = np.log(K[burn:-1]), np.log(K[burn + 1:]), np.asarray(z)[burn:-1]
    coefs, r2, se = np.full((2, 2), np.nan), np.full(2, np.nan), np.full(2, np.nan)
    for s in range(2):
        xs, ys = x[zz == s], y[zz == s]
        if len(xs) < 3 or not np.all(np.isfinite(xs)) or not np.all(np.isfinite(ys)):
            continue
        X = np.column_stack([np.ones_like(xs), xs])
        beta, *_ = np.linalg.lstsq(X, ys, rcond=None)
        res = ys - X @ beta
        coefs[s] = beta
        tss = np.sum((ys - ys.mean()) ** 2)
        r2[s] = 1.0 - res @ res / tss if tss > 0 else np.nan
        se[s] = math.sqrt(res @ res / max(len(ys) - 2, 1))
    return coefs, r2, se


def trend_drift(path, window: int) -> np.ndarray:
    """Relative drift of a path over its last ``window`` entries (along the last axis): the change
    over the window of the OLS linear trend, divided by the window's mean,
    |slope · (window − 1)| / mean. Zero for a settled path; for a converging deterministic path
    it is (about) the change over the window; for a stochastic stationary path it is not
    inflated by the noise. NaN if the path is shorter than the window or not finite."""
    path = np.asarray(path, float)
    if path.shape[-1] < window:
        return np.full(path.shape[:-1], np.nan)
    w = path[..., -window:]
    t = np.arange(window) - (window - 1) / 2.0
    slope = (w * t).sum(-1) / (t * t).sum()
    return np.abs(slope * (window - 1)) / w.mean(-1)


def range_drift(path, window: int) -> np.ndarray:
    """max over the last ``window`` entries of |x_t / x_T − 1| (along the last axis)."""
    path = np.asarray(path, float)
    w = path[..., -min(window, path.shape[-1]):]
    return np.max(np.abs(w / w[..., -1:] - 1.0), axis=-1)


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

def _per_head_Y(p, Y: torch.Tensor, n: int) -> torch.Tensor:
    """Output per head: the economy's Y is a total under "marginal" pricing, a mean under "effective"."""
    return Y / n if p.aggregation == "marginal" else Y


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
    lo, hi = p.chat_bounds
    tol = 0.01 * (hi - lo)
    at_bound = torch.zeros((), dtype=torch.long)
    fixed_at = -1
    y_scale = 1.0 / n if p.aggregation == "marginal" else 1.0     # Y per head
    kappa0, lam0 = float(p.kappa[0]), float(p.lam[0])
    obs = eco.observe()
    info = a = None
    for t in range(T):
        a = act(policy, obs)
        obs, reward, info = eco.step(a)
        k, c = info["k"], info["c"]
        b = buf[:, t]
        if n == 1:
            b[iK], b[iC], b[iL], b[ikn], b[ichat], b[iell], b[irew] = (
                k[:, 0], c[:, 0], info["ell"][:, 0], info["k_next"][:, 0], a[:, 0, 0], a[:, 0, 1], reward[:, 0])
        else:
            torch.mean(k, -1, out=b[iK])
            torch.mean(c, -1, out=b[iC])
            torch.mean(info["ell"], -1, out=b[iL])
            torch.mean(info["k_next"], -1, out=b[ikn])
            torch.mean(a[..., 0], -1, out=b[ichat])
            torch.mean(a[..., 1], -1, out=b[iell])
            torch.mean(reward, -1, out=b[irew])
            b[igini] = gini_rows(k)
            b[isd] = torch.log(c).std(-1, unbiased=False)
            chat = a[..., 0]
            at_bound += ((chat - lo <= tol) | (hi - chat <= tol)).sum()
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
        at_bound = int(((ch - lo <= tol) | (hi - ch <= tol)).sum())
    out["final"] = {x: torch.broadcast_to(v, (E, n)).numpy().copy() for x, v in
                    (("k", info["k"]), ("ell", info["ell"]), ("c", info["c"]), ("chat", a[..., 0]),
                     ("a", info["a"]), ("r", info["r"]), ("w", info["w"]))}
    out["return"] = ret.numpy()
    out["at_bound_frac"] = int(at_bound) / (T * E * n)
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
    a = p.kappa if p.aggregation == "effective" else torch.ones(n, dtype=DTYPE)
    S_K = float((a * k_star).sum())
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
    path = dlogx / (float(a[i]) * eps / S_K)
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


def _evaluate_rbc(policy, cfg: dict, arm: str, n: int, opts: dict) -> tuple[xr.Dataset, dict]:
    cal = _config.arm_calibration(cfg, arm)
    seed = opts["eval_seed"]
    window = opts["drift_window"]
    timings = {}

    # 1. shock-free rollout from the initial distribution
    t0 = time.perf_counter()
    eco = make_economy(cfg, arm, n, opts["det_envs"], seed=seed, shocks=False, check_actions=False)
    p = eco.p
    T_det = opts["det_periods"]
    stride = max(1, math.ceil(T_det * n / opts["hh_path_cells"]))
    det = _rbc_rollout(policy, eco, T_det, record_hh_stride=stride, stop_at_fixed_point=True)
    fin = det["final"]
    ss_hh = {k: v.mean(0) for k, v in fin.items()}       # per household, mean over det envs
    timings["det_s"] = time.perf_counter() - t0

    # 2. simulation with shocks
    t0 = time.perf_counter()
    eco_s = make_economy(cfg, arm, n, opts["sim_envs"], seed=seed + 1, shocks=True, check_actions=False)
    sim = _rbc_rollout(policy, eco_s, opts["sim_periods"])
    timings["sim_s"] = time.perf_counter() - t0
    burn = min(opts["sim_burn"], opts["sim_periods"] - 2)

    # 3. impulse responses
    t0 = time.perf_counter()
    irf = _rbc_irf(policy, cfg, arm, n, opts, ss_hh["k"], cal)
    timings["irf_s"] = time.perf_counter() - t0
    if n > 1:                                            # how long a household keeps a windfall
        hh_p, persist = wealth_persistence(policy, cfg, arm, n, fin["k"][0], opts["persistence_quarters"],
                                           opts["persistence_households"], seed + 2)
        theta, theta_path = price_effect_weight(policy, cfg, arm, n, fin["k"][0], fin["ell"][0],
                                                opts["price_weight_quarters"], seed + 3)

    # per-head steady state, drift, moments
    K_det = det["K"].T                                    # (env_det, t_det)
    drift_env = trend_drift(K_det, window)
    K_fin = K_det[:, -1]
    kappa, lam = p.kappa.numpy(), p.lam.numpy()
    summary = {
        "chat": float(ss_hh["chat"].mean()), "ell": float(ss_hh["ell"].mean()),
        "K": float(det["K"][-1].mean()), "L": float(det["L"][-1].mean()), "C": float(det["C"][-1].mean()),
        "Y": float(det["Y"][-1].mean()), "I": float(det["I"][-1].mean()),
        "r": float(det["r"][-1].mean()), "w": float(det["w"][-1].mean()),
        "det_drift": float(drift_env.max()), "det_range": float(range_drift(K_det, window).max()),
        "drift_window": int(window),
        "det_env_spread": float((K_fin.max() - K_fin.min()) / K_fin.mean()),
        "det_fixed_point_at": int(det["fixed_point_at"]),
        "gini_ss": float(gini_rows(torch.as_tensor(ss_hh["k"][None]))[0]) if n > 1 else 0.0,
        "cv_k_ss": float(ss_hh["k"].std() / ss_hh["k"].mean()) if n > 1 else 0.0,
        "sd_logc_ss": float(np.log(ss_hh["c"]).std()) if n > 1 else 0.0,
    }
    if n > 1:
        for q in (1, 10, 40):
            if q < persist.shape[1]:
                summary[f"wealth_persistence_{q}"] = float(np.median(persist[:, q]))
        summary["price_effect_weight"] = theta
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
        "periods_det": int(T_det), "periods_sim": int(opts["sim_periods"]), "sim_burn": int(burn),
    })
    if arm == "rbc_closed_form" or cal["delta"] == 1.0:
        from ..benchmarks.steady_state import closed_form

        cf = closed_form(**cal)
        ch, el = sim["chat"][w], sim["ell"][w]
        summary.update({
            "cf_chat": cf["chat"], "cf_ell": cf["ell"],
            "cf_chat_max_rel_err": float(np.max(np.abs(ch / cf["chat"] - 1.0))),
            "cf_ell_max_rel_err": float(np.max(np.abs(el / cf["ell"] - 1.0))),
            "cf_chat_mean_rel_err": float(np.mean(np.abs(ch / cf["chat"] - 1.0))),
            "cf_ell_mean_rel_err": float(np.mean(np.abs(el / cf["ell"] - 1.0))),
        })

    # 4. n = 1: accuracy and welfare scored by the benchmark
    if n == 1:
        t0 = time.perf_counter()
        sol = rbc_bm.solve(cal)
        ka = KAPolicy(policy, p)
        ee = rbc_bm.euler_errors(sol, ka, n_periods=opts["euler_periods"], burn_in=opts["euler_burn"])
        summary.update({f"{k}": v for k, v in ee.items() if k != "n_states"})
        summary["welfare_loss_pct"] = rbc_bm.welfare_loss(sol, ka, n_paths=opts["welfare_paths"],
                                                          T=opts["welfare_T"])
        timings["accuracy_s"] = time.perf_counter() - t0

    # the dataset
    t_det = np.arange(T_det)
    T_sim = opts["sim_periods"]
    sim["sd_logc_t"], det["sd_logc_t"] = sim["sd_logc"], det["sd_logc"]
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
    data["kappa"] = ("household", kappa, {"units": "1", "long_name": "capital productivity kappa_i"})
    data["lambda"] = ("household", lam, {"units": "1", "long_name": "labour productivity lambda_i"})
    for x in IRF_VARIABLES:
        data[f"irf_{x}"] = (("shock", "quarter"), irf[x], {"units": "percent",
                            "long_name": f"impulse response of {x}: 100 (x_t / x_t(no shock) - 1), "
                                         f"from the policy's own deterministic steady state"})
    data["irf_shock_size"] = ("shock", np.array([cal["sigma_A"], opts["irf_log_shock"]]),
                              {"units": "log points", "long_name": "log A_0 of the impulse"})
    coords = {"t_det": ("t_det", t_det, {"units": "quarter", "long_name": "quarter of the shock-free rollout"}),
              "t": ("t", np.arange(T_sim), {"units": "quarter", "long_name": "quarter of the simulation with shocks"}),
              "t_hh": ("t_hh", t_det[::stride][: det["k_hh"].shape[0]],
                       {"units": "quarter", "long_name": "quarters of the per-household path"}),
              "env_det": ("env_det", np.arange(opts["det_envs"]),
                          {"long_name": "economy of the shock-free rollout (its own initial capital draw)"}),
              "env": ("env", np.arange(opts["sim_envs"]), {"long_name": "economy of the simulation with TFP shocks"}),
              "household": ("household", np.arange(n), {"long_name": "household index"}),
              "quarter": ("quarter", np.arange(opts["irf_quarters"]),
                          {"units": "quarter", "long_name": "quarters after the impulse"}),
              "shock": ("shock", list(SHOCKS), {"long_name": "impulse: one sigma_A, or 0.1 log points"})}
    if n > 1:
        data["wealth_persistence"] = (("hh_sample", "quarter_p"), persist, {"units": "1", "long_name":
                                      "share of a +10 % deviation of one household's capital from the shock-free "
                                      "steady state left after the quarter (the others at theirs; "
                                      "evaluation.evaluate.wealth_persistence)"})
        coords["hh_sample"] = ("hh_sample", hh_p, {"long_name": "index of the household whose capital was raised"})
        coords["quarter_p"] = ("quarter_p", np.arange(persist.shape[1]),
                               {"units": "quarter", "long_name": "quarters after the raise of the household's capital"})
        data["price_effect_path"] = ("quarter_e", theta_path, {"units": "1", "long_name":
                                     "change of log(K/L) t quarters after a one-quarter blip in one household's "
                                     "capital (the others on the policy), relative to the one-quarter effect of "
                                     "C3's game; its present value is price_effect_weight "
                                     "(evaluation.evaluate.price_effect_weight)"})
        coords["quarter_e"] = ("quarter_e", np.arange(theta_path.size),
                               {"units": "quarter", "long_name": "quarters after the one-quarter capital blip"})
    ds = xr.Dataset(data, coords=coords)
    return ds, {**summary, "timings": timings}


# --------------------------------------------------------------------------------------------
# Krusell–Smith
# --------------------------------------------------------------------------------------------

def ks_benchmark_path_spec(cfg: dict | None = None) -> dict:
    """T, burn and seed of the KS benchmark's z path: ``cfg['benchmarks']['ks']`` when the
    config has them, else the defaults of :func:`marlbc.benchmarks.ks.solve`."""
    sig = inspect.signature(ks_bm.solve).parameters
    spec = {k: sig[k].default for k in ("T", "burn", "seed")}
    extra = ((cfg or {}).get("benchmarks") or {}).get("ks") or {}
    spec.update({k: extra[k] for k in ("T", "burn", "seed") if k in extra})
    return spec


def _ks_z_path(cfg: dict, cal: dict, opts: dict) -> tuple[np.ndarray, int, dict]:
    spec = ks_benchmark_path_spec(cfg)
    for k in ("T", "burn", "seed"):
        if opts.get(f"ks_{k}") is not None:
            spec[k] = int(opts[f"ks_{k}"])
    src = "benchmarks.ks.z_path"
    if opts.get("ks_benchmark") and Path(opts["ks_benchmark"]).exists():
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
    lo, hi = p.chat_bounds
    tol = 0.01 * (hi - lo)
    at_bound = torch.zeros((), dtype=torch.long)
    obs = eco.observe()
    for t in range(N):
        a = act(policy, obs)
        obs, reward, info = eco.step(a, z_next=z_next[t])
        k, c = info["k"], info["c"]
        b = buf[:, t]
        b[iK], b[iL], b[iz], b[ir], b[iw] = (info["K"][:, 0], info["L"][:, 0], info["z"][:, 0],
                                             info["r"][:, 0], info["w"][:, 0])
        chat = a[..., 0]
        torch.mean(c, -1, out=b[iC])
        torch.mean(info["k_next"], -1, out=b[ikn])
        torch.mean(chat, -1, out=b[ichat])
        torch.mean(reward, -1, out=b[irew])
        torch.mean(info["employed"], -1, out=b[iemp])
        ret.add_(reward, alpha=disc)
        disc *= p.beta
        at_bound += ((chat - lo <= tol) | (hi - chat <= tol)).sum()
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
    sim["at_bound_frac"] = int(at_bound) / (N * E * n)
    sim["nonfinite"] = int(sum((~np.isfinite(sim[x])).sum() for x in ("K", "C", "chat", "reward")))
    sim["k_end"], sim["employed_end"] = eco.k.numpy().copy(), eco.employed.numpy().copy()
    return sim


def _evaluate_ks(policy, cfg: dict, arm: str, n: int, opts: dict) -> tuple[xr.Dataset, dict]:
    cal = _config.arm_calibration(cfg, arm)
    zs, burn, zspec = _ks_z_path(cfg, cal, opts)
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
    torch.set_num_threads(1)
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
