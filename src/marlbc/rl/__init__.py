"""Parameter-shared soft actor-critic for the marlbc economies.

- :mod:`marlbc.rl.sac`    the algorithm (``SACConfig``, ``Actor``, ``CriticEnsemble``, ``ReplayBuffer``, ``SAC``);
- :mod:`marlbc.rl.train`  ``train(cfg, arm, n, seed, out_dir, preset=None)`` → policy.pt, train.nc;
- :mod:`marlbc.rl.policy` ``load_policy(run_dir_or_file)`` → deterministic ``Policy`` for evaluation.
"""

import importlib

from .policy import Policy, load_policy
from .sac import SAC, SACConfig

__all__ = ["SAC", "SACConfig", "Policy", "load_policy", "TrainingDiverged"]


def __getattr__(name):                      # train.py pulls in xarray: import it on first use
    if name == "TrainingDiverged":
        return importlib.import_module(".train", __name__).TrainingDiverged
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
