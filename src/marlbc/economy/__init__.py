"""Batched PyTorch economies: the RBC family and Krusell–Smith (1998).

``make_economy(cfg, arm, n, n_envs, seed)`` builds the economy of an arm of config.yaml.
"""

from __future__ import annotations

import torch

from .. import config as _config
from .base import DTYPE, ActionError
from .ks import KSEconomy, KSParams
from .rbc import RBCEconomy, RBCParams, factor_prices

__all__ = ["ActionError", "KSEconomy", "KSParams", "RBCEconomy", "RBCParams", "factor_prices",
           "make_economy", "make_params"]


def make_params(cfg: dict, arm: str, n: int, training: bool = False) -> RBCParams | KSParams:
    """Parameters of ``arm`` with ``n`` households from a validated config. ``training=True``
    applies the arm's exploring starts (``arms.<arm>.explore``, see ``config.arm_explore``)."""
    spec = _config.arm_spec(cfg, arm)
    cal = _config.arm_calibration(cfg, arm)
    eco = cfg["economy"]
    explore = _config.arm_explore(cfg, arm, n) if training else {"init_k": eco["init_k"], "logA_sd_scale": 1.0}
    common = dict(chat_bounds=tuple(eco["chat_bounds"]), init_k=explore["init_k"])
    if spec["economy"] == "ks":
        return KSParams.from_calibration(cal, n, **common)
    kappa, lam = _config.heterogeneity(spec["heterogeneity"], n)
    return RBCParams(alpha=cal["alpha"], beta=cal["beta"], delta=cal["delta"], rho=cal["rho"],
                     sigma_A=cal["sigma_A"], kappa=torch.tensor(kappa, dtype=DTYPE),
                     lam=torch.tensor(lam, dtype=DTYPE), utility=cal["utility"],
                     chi=cal.get("chi", 1.0), b=cal.get("b", 5.0), aggregation=cal["aggregation"],
                     ell_bounds=tuple(cal.get("ell_bounds", eco["ell_bounds"])),
                     init_logA_scale=explore["logA_sd_scale"], **common)


def make_economy(cfg: dict, arm: str, n: int, n_envs: int, seed: int, training: bool = False,
                 **kw) -> RBCEconomy | KSEconomy:
    """The batched economy of ``arm`` with ``n`` households in ``n_envs`` environments
    (``training=True``: the training economies, with the arm's exploring starts)."""
    p = make_params(cfg, arm, n, training)
    cls = KSEconomy if isinstance(p, KSParams) else RBCEconomy
    return cls(p, n_envs, seed=seed, **kw)
