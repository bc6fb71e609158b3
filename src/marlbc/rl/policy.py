"""Trained policies: the file format of ``policy.pt`` and :func:`load_policy` for evaluation.

``policy.pt`` (written by :func:`marlbc.rl.train.train`) holds the actor's weights and what is
needed to rebuild it: the network shape, the observation size, the action names and bounds, and
the run's metadata (arm, n, seed, preset, config hash, update index, evaluation at that update).
The policy used for evaluation is deterministic: ``a = mid + half * tanh(mean(obs))``.
"""

from __future__ import annotations

import io

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from ..evaluation.io import atomic_write
from .sac import Actor

FORMAT = "marlbc-policy/1"
POLICY_FILE = "policy.pt"          # the best policy by evaluation return
LAST_POLICY_FILE = "policy_last.pt"  # the policy at the end of training


def policy_payload(actor: Actor, actor_state: dict, action_names: tuple[str, ...], meta: dict) -> dict:
    """The content of a policy file for the weights ``actor_state`` of an actor shaped like ``actor``."""
    return {"format": FORMAT, "arch": dict(actor.arch), "action_names": list(action_names),
            "action_bounds": torch.stack([actor.lo, actor.hi], -1).clone(),
            "actor": {k: v.clone() for k, v in actor_state.items()}, "meta": dict(meta)}


def save_atomic(obj, path: str | Path) -> None:
    """``torch.save`` atomically (temporary file in the same folder, then ``os.replace``).
    Serialised in memory first: torch records the file name in the archive, and the temporary
    name is random, so saving to it directly would break byte-identical checkpoints."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buf.getvalue()), ".pt.tmp")


@dataclass
class Policy:
    """A deterministic trained policy: ``policy(obs)`` maps observations (…, obs_dim) to actions
    (…, d) in economic units, float64, inside the action bounds."""

    actor: Actor
    action_names: tuple[str, ...]
    meta: dict = field(default_factory=dict)

    @property
    def obs_dim(self) -> int:
        return self.actor.obs_dim

    @property
    def action_bounds(self) -> Tensor:
        """(d, 2) float64 [[lo, hi], …] per action."""
        return torch.stack([self.actor.lo, self.actor.hi], -1)

    def __getattr__(self, name):          # arm, n, seed, run_hash, update, … from the metadata
        meta = self.__dict__.get("meta", {})
        if name in meta:
            return meta[name]
        raise AttributeError(name)

    @torch.no_grad()
    def __call__(self, obs: Tensor) -> Tensor:
        if obs.shape[-1] != self.obs_dim:
            raise ValueError(f"observations have {obs.shape[-1]} features; this policy takes {self.obs_dim}")
        return self.actor.deterministic(obs)


def load_policy(path: str | Path, which: str = "best") -> Policy:
    """Load a policy from a run folder (``policy.pt``, or ``policy_last.pt`` with ``which="last"``)
    or from a policy file."""
    path = Path(path)
    if path.is_dir() or path.suffix != ".pt":
        path = path / (POLICY_FILE if which == "best" else LAST_POLICY_FILE)
    if not path.exists():
        raise FileNotFoundError(f"no policy file at '{path}' (a run directory gets it when `marlbc train` "
                                "reaches its budget)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:                       # truncated or foreign file: torch's errors name no path
        raise ValueError(f"'{path}' cannot be read as a marlbc policy file ({type(e).__name__}: "
                         f"{' '.join(str(e).split())[:200]})") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"'{path}' is not a marlbc policy file (format {FORMAT})")
    arch = payload["arch"]
    actor = Actor(arch["obs_dim"], payload["action_bounds"], arch["hidden"], arch["layers"],
                  arch["log_std_min"], arch["log_std_max"], arch.get("activation", "relu"),
                  arch.get("state_std", True))
    actor.load_state_dict(payload["actor"])
    actor.eval()
    for p in actor.parameters():
        p.requires_grad_(False)
    return Policy(actor, tuple(payload["action_names"]), payload["meta"])
