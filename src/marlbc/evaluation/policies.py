"""Policies as callables from observations to actions in economic units (float64 tensors).

The evaluation (:mod:`marlbc.evaluation.evaluate`) runs any deterministic policy with this
interface: a learned one (``marlbc.rl.policy.load_policy``) or a stand-in built here — the
benchmarks' ``(K, A) -> (ĉ, ℓ)`` rules (:class:`ObsPolicyFromKA`), the Krusell–Smith solution's
savings rule (:class:`ObsPolicyFromKS`), constant rules (:func:`constant_policy`,
:func:`steady_state_policy`). :class:`KAPolicy` goes the other way, so that
:mod:`marlbc.benchmarks.rbc` can score a learned n = 1 policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import xarray as xr

from ..benchmarks.steady_state import steady_state
from ..economy import KSEconomy
from ..economy.base import DTYPE
from ..economy.rbc import TYPE_SCALE

__all__ = ["KAPolicy", "ObsPolicyFromKA", "ObsPolicyFromKS", "act", "constant_policy", "rbc_observation",
           "steady_state_policy"]


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
