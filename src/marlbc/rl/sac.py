"""Soft actor-critic (SAC) for the marlbc economies, in one file (after CleanRL's
``sac_continuous_action.py``).

All households of all training environments share ONE actor and ONE set of critics (parameter
sharing; a household's type is part of its observation), and all their transitions go into
one replay buffer of preallocated float32 tensors. The pieces, top to bottom:

- :class:`SACConfig`  hyperparameters (``arms.<arm>.sac`` in config.yaml), one line of doc each;
- :class:`Actor`      squashed Gaussian policy: an MLP gives the mean and log-std of a Gaussian
                      latent ``u``; the action is ``mid + half * tanh(u)``, which maps the
                      latent affinely into each action's documented bounds ``[lo, hi]``;
- :class:`CriticEnsemble` the Q networks (two, or an ensemble) in one batched matmul per layer
                      (weights ``(m, in, out)``);
- :class:`ReplayBuffer` time-major ring ``(T, E*n, ...)``: the next observation of slot ``t`` is
                      slot ``t+1``, so n-step returns are gathers, and an episode boundary is a
                      slot without an action (``valid = False``);
- :class:`SAC`        the update: clipped double-Q soft targets with n-step returns, delayed
                      actor updates, automatic entropy temperature, Polyak-averaged targets.

Economics is float64; networks and buffer are float32. The discount is the household's beta.

What differs from textbook SAC, and why (each is a field of :class:`SACConfig`):

- ``critic = "post_decision"`` (optional): the economy knows today's reward r(s, a) and where
  the action leaves the household, the post-decision state x(s, a) (its capital k' and what it
  observed); the critics learn only the value of that, W(x) = E[V(s') | x], and
  Q(s, a) = r(s, a) + γ W(x(s, a)) (post-decision value functions, as in approximate dynamic
  programming). The actor's gradient goes through the exact r and x: the trade-off between
  consuming today and saving is exact, and the critics must only get the slope of W in k'
  right, not resolve tiny differences of Q between nearby actions. The economy supplies
  ``decision_model(obs, action[, ctx]) -> (reward, x)``, where ``ctx`` is what the reward
  depends on beyond the household's observation (in the RBC economy with n > 1, the capital
  aggregate and the others' hours, taken as given), stored with each transition in the replay
  buffer; everything else below applies unchanged.
- ``expected_targets`` (optional, with the post-decision critic): the target of W(x) takes the
  expectation over next period's shocks instead of the one drawn, V̄(x) = Σ_q ω_q V(s'_q), the
  successors s'_q and their probabilities ω_q listed by the economy (``successors(obs, x,
  next_obs, n_quad)``: Gauss–Hermite nodes of the TFP innovation in the RBC economy, for n > 1
  with the nodes' contexts (K' as observed, the others' hours answering A' through the policy);
  the four (z', employment) states in Krusell–Smith, K' read from the observed successor). With
  one-step returns the targets carry no shock noise at all; the critic then fits a conditional
  expectation it would otherwise have to average out of samples (fitted value iteration with
  the actor as the maximiser).
- ``critic_envelope`` (optional, with the post-decision critic; the ``baseline`` and
  ``heterogeneous`` arms use it): the critics are also taught their slope in own capital,
  dW(x)/dk', from the envelope condition dV(s')/dk' = E_a'[∂Q(s', a')/∂k'] with a' held,
  through the economy's model at the next observation with the household's own capital moved
  and the others' capital and hours held (``own_capital_moved(obs, ctx, eps)``; the RBC and
  Krusell–Smith economies have it). The actor's
  first-order condition is that slope, which temporal differences alone learn only to 10^-3 or
  so (docs/training.md). ``critic_envelope_relax`` = ω > 1 over-relaxes that target,
  S̄ + ω (T − S̄) with S̄ the target critics' slope at the same state: the fixed point is the
  same, and the residual a smoothing fit leaves shrinks (too large an ω diverges).
  ``critic_envelope_until`` < 1 drops the loss for the rest of training from that fraction on:
  the critics then go on from the envelope's slopes with temporal differences alone.
- ``entropy_space = "latent"`` (default): the entropy bonus is that of the latent Gaussian. The
  textbook log-density of the squashed action adds -log(1 - tanh²u), which rewards actions in
  the middle of [lo, hi]: with δ = 1 it biased ĉ and ℓ by 2-5% toward the middle. The latent
  entropy does not depend on the mean, so only the exploration noise is tuned by alpha.
- rewards are standardised with recent replay statistics, refitted every ``norm_every`` updates
  (``reward_norm``); the critics' last layers, their targets and alpha are rescaled at each refit
  so that the refit changes units, not the learned function (PopArt-style). Without it the
  warm-up statistics of a random policy left Q at O(100) and learning slow.
- every critic input is standardised the same way (``critic_norm``), the first layer absorbing
  the change: state and action deviations of a few percent must move Q.
- the evaluated and saved policy is an average of the actor: a Polyak average (``actor_ema``)
  and, from ``average_from`` of training on, the uniform average of the actor's iterates
  (Polyak-Ruppert averaging, as in SWA). Near the optimum the objective is flat and the actor
  wanders (the steady-state capital by ±10 % over thousands of updates); the average does not.
- ``critics`` (default 2, clipped double Q): with more, an ensemble of critics in the same
  batched matmuls whose targets take the minimum of a random pair and whose actor follows the
  mean (REDQ, Chen et al. 2021): averaging independently initialised critics shrinks the part of
  their error that depends on the initialisation.
- cosine learning rates (``lr_schedule``) and, optionally, a falling target entropy
  (``target_entropy_final``): exploration noise in ĉ makes households save for precaution, so
  the learned steady-state capital is too high unless the noise shrinks late.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from dataclasses import asdict, dataclass, fields

import torch
from torch import Tensor, nn

from ..config import ConfigError

ENVELOPE_STEP = 1e-5      # step in log own capital of the envelope's central differences: post-decision features, next period's reward and features (float64)
LOG_2PI = math.log(2.0 * math.pi)
ACTIVATIONS = {"relu": torch.relu, "silu": nn.functional.silu, "tanh": torch.tanh, "elu": nn.functional.elu}


# ----------------------------------------------------------------------------------------------
# Hyperparameters
# ----------------------------------------------------------------------------------------------

@dataclass
class SACConfig:
    """SAC hyperparameters of one arm; any field may be set under ``arms.<arm>.sac``."""

    # networks
    critic: str = "q"                # "q": Q(s, a) learned from observation and action (textbook); "post_decision": Q = r(s, a) + γ W(x(s, a)), reward and post-decision state from the economy's model, only W learned
    expected_targets: int = 0        # post_decision critic: the bootstrap value is the expectation over next period's shocks from the economy's model, with this many Gauss–Hermite nodes for TFP (RBC, any n; KS: exact over the four (z', employment) states) (0: the sampled next observation)
    critics: int = 2                 # critic networks: 2, clipped double Q (min of both in targets and actor); more, an ensemble whose targets take the min of a random pair and whose actor follows the mean (REDQ)
    hidden: int = 64                 # width of every hidden layer (actor and critics)
    layers: int = 2                  # hidden layers per network
    activation: str = "relu"         # hidden activation: "relu", "silu", "tanh" or "elu" (smooth ones give the critics a smooth argmax)
    # optimisation
    batch_size: int = 256            # transitions per gradient update
    lr_actor: float = 3e-4           # Adam learning rate of the actor
    lr_critic: float = 1e-3          # Adam learning rate of the critics
    lr_alpha: float = 1e-3           # Adam learning rate of log(alpha)
    lr_schedule: str = "cosine"      # "constant" or "cosine" (every rate decays to lr_final of itself)
    lr_final: float = 0.05           # fraction of each learning rate left at the end under "cosine"
    tau: float = 0.005               # Polyak averaging rate of the target critics
    target_every: int = 1            # critic updates per target-network update
    actor_every: int = 2             # critic updates per actor (and temperature) update
    critic_envelope: float = 0.0     # post_decision critic, one-step returns: weight of a loss on each critic's slope in own capital, dW(x)/dε for k' → k' e^ε, against the envelope condition's E[∂Q(s', a')/∂ε] (target critics, the others' capital and hours held) (0: off)
    critic_envelope_batch: int = 0   # transitions of each batch on which that loss is taken (0: all)
    critic_envelope_relax: float = 1.0  # over-relaxation ω of that slope target: S̄ + ω (T − S̄), S̄ the target critics' own slope at the same state (1: the envelope target T itself); a fit that smooths the slope across households keeps a residual about 1/ω as large, at the same fixed point
    critic_envelope_until: float = 1.0  # fraction of training after which that loss is dropped: the critics go on from the envelope's slopes with temporal differences alone (1: throughout)
    n_step: int = 1                  # n-step returns: sum of n discounted rewards + gamma^n Q
    grad_clip: float = 0.0           # max global gradient norm of each network (0: no clipping)
    actor_ema: float = 0.0           # Polyak rate of an averaged actor that is evaluated and saved as the policy (0: the actor itself)
    average_from: float | None = None  # from this fraction of training on, the policy is the uniform average of the actor's weights since then (Polyak-Ruppert, as in SWA); None: off
    # entropy
    autotune: bool = True            # learn the temperature alpha so the entropy tracks the target
    alpha: float = 0.2               # initial temperature (fixed when autotune is false)
    target_entropy: float = -1.0     # target entropy per action dimension, nats
    target_entropy_final: float | None = None  # if set, the target moves to this by the end (cosine, like the learning rates)
    entropy_space: str = "latent"    # log-density of the squashed action ("action", standard SAC) or of the latent Gaussian ("latent": no pull toward the middle of the bounds)
    state_std: bool = True           # the exploration std depends on the state (textbook SAC); false: one learned std per action, so the entropy bonus cannot make some states more valuable than others
    log_std_min: float = -5.0        # lower bound of the actor's log-std (latent units)
    log_std_max: float = 2.0         # upper bound of the actor's log-std (latent units)
    init_chat: float | None = None   # initial mean of c/a in economic units, a rough prior (None: middle of its bounds)
    init_ell: float | None = None    # initial mean of hours (None: middle of its bounds)
    # data
    buffer_size: int = 1_000_000     # replay capacity in household transitions
    learning_starts: int = 1000      # environment steps (of all envs at once) before the first update
    env_steps_per_update: float = 1.0  # batched environment steps per gradient update (may be < 1)
    episode_length: int = 200        # periods between resets of the training economies (0: never reset)
    reward_scale: float = 1.0        # rewards are standardised (recent mean and std), then multiplied by this
    obs_norm: bool = False           # actor: standardise observations with warm-up statistics (frozen)
    reward_norm: bool = True         # refit the reward standardisation every norm_every updates (critics rescaled to match)
    critic_norm: bool = True         # standardise each critic input with recent replay statistics (function-preserving refits)
    norm_every: int = 1000           # updates between refits of the reward and critic-input standardisations
    norm_window: int = 200_000       # most recent household transitions the standardisations are computed from
    # evaluation and checkpoints
    eval_every: int = 1000           # updates between evaluations
    eval_envs: int = 0               # environments of the evaluation rollout (0: max(2, ceil(64/n)))
    eval_periods: int = 0            # periods of the evaluation rollout (0: until gamma^T <= 1e-3)
    ss_periods: int = 600            # periods of the shock-free rollout that finds the policy's steady state
    eval_seed: int = 12345           # seed of the evaluation economy (the same episodes for every run)
    select_by: str = "return"        # policy.pt is the last evaluation ("last"), the one with the best return ("return"), or, among those within select_tol of it, the one whose households' first-order conditions hold best: on average ("euler"), or household by household in expectation ("euler_error")
    select_tol: float = 0.002        # "euler": candidates have a return within this fraction of |best return| of it
    checkpoint_every: int = 5000     # updates between checkpoints (checkpoint.pt, written atomically)

    _choices: typing.ClassVar[dict] = {"critic": ("q", "post_decision"),
                                       "lr_schedule": ("constant", "cosine"),
                                       "activation": tuple(ACTIVATIONS),
                                       "entropy_space": ("action", "latent"),
                                       "select_by": ("last", "return", "euler", "euler_error")}

    @classmethod
    def from_dict(cls, d: dict | None, where: str = "sac") -> "SACConfig":
        """Build from a config mapping; an unknown key or a wrong type is a :class:`ConfigError`."""
        d = dict(d or {})
        known = {f.name: f for f in fields(cls)}
        for key in d:
            if key not in known:
                raise ConfigError(f"unknown SAC config key '{where}.{key}'; allowed fields: "
                                  f"{', '.join(known)}")
        hints = typing.get_type_hints(cls)
        for key, value in d.items():
            t = hints[key]
            if typing.get_origin(t) in (typing.Union, types.UnionType):     # X | None
                if value is None:
                    continue
                t = next(a for a in typing.get_args(t) if a is not type(None))
            ok = (isinstance(value, bool) if t is bool else
                  isinstance(value, int) and not isinstance(value, bool) if t is int else
                  isinstance(value, (int, float)) and not isinstance(value, bool) if t is float else
                  isinstance(value, str))
            if not ok:
                raise ConfigError(f"SAC config key '{where}.{key}' = {value!r} has the wrong type; "
                                  f"expected {t.__name__}")
            if key in cls._choices and value not in cls._choices[key]:
                raise ConfigError(f"SAC config key '{where}.{key}' = {value!r} is not allowed; "
                                  f"allowed values: {', '.join(cls._choices[key])}")
            if t is float:
                d[key] = float(value)
        out = cls(**d)
        out.check(where)
        return out

    def check(self, where: str = "sac") -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not math.isfinite(v):
                raise ConfigError(f"SAC config key '{where}.{f.name}' = {v!r} is not allowed; need a finite number")
        positive = ("hidden", "layers", "batch_size", "lr_actor", "lr_critic", "lr_alpha", "tau",
                    "target_every", "actor_every", "n_step", "alpha", "buffer_size",
                    "env_steps_per_update", "reward_scale", "eval_every", "checkpoint_every",
                    "ss_periods", "lr_final", "norm_every", "norm_window", "select_tol",
                    "critic_envelope_relax")
        for key in positive:
            if not getattr(self, key) > 0:
                raise ConfigError(f"SAC config key '{where}.{key}' = {getattr(self, key)!r} is out of "
                                  f"range; allowed: > 0")
        for key in ("learning_starts", "episode_length", "grad_clip", "eval_envs", "eval_periods",
                    "eval_seed", "expected_targets", "critic_envelope", "critic_envelope_batch"):
            if getattr(self, key) < 0:
                raise ConfigError(f"SAC config key '{where}.{key}' = {getattr(self, key)!r} is out of "
                                  f"range; allowed: >= 0")
        if self.critics < 2:
            raise ConfigError(f"SAC config key '{where}.critics' = {self.critics} is out of range; allowed: >= 2")
        if self.expected_targets and self.critic != "post_decision":
            raise ConfigError(f"SAC config key '{where}.expected_targets' = {self.expected_targets} needs "
                              f"'{where}.critic' = 'post_decision' (the expectation is taken through the economy's model)")
        if self.critic_envelope and (self.critic != "post_decision" or self.n_step != 1):
            raise ConfigError(f"SAC config key '{where}.critic_envelope' = {self.critic_envelope} needs "
                              f"'{where}.critic' = 'post_decision' and '{where}.n_step' = 1 (the slope is taken "
                              "through the economy's model at the next observation)")
        if not 0 < self.critic_envelope_until <= 1:
            raise ConfigError(f"SAC config key '{where}.critic_envelope_until' = {self.critic_envelope_until} is out "
                              f"of range; allowed: 0 < critic_envelope_until <= 1")
        for key in ("tau", "lr_final"):
            if not getattr(self, key) <= 1:
                raise ConfigError(f"SAC config key '{where}.{key}' = {getattr(self, key)} is out of range; allowed: <= 1")
        if not 0 <= self.actor_ema <= 1:
            raise ConfigError(f"SAC config key '{where}.actor_ema' = {self.actor_ema} is out of range; "
                              f"allowed: 0 <= actor_ema <= 1")
        if self.average_from is not None and not 0 <= self.average_from < 1:
            raise ConfigError(f"SAC config key '{where}.average_from' = {self.average_from} is out of range; "
                              f"allowed: 0 <= average_from < 1 (or null)")
        if not self.log_std_min < self.log_std_max:
            raise ConfigError(f"SAC config keys '{where}.log_std_min' < '{where}.log_std_max' required")

    def as_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------------

def _init_bound(fan_in: int) -> float:
    return 1.0 / math.sqrt(fan_in)          # nn.Linear's default initialisation, U(-1/√in, 1/√in)


class Actor(nn.Module):
    """Squashed Gaussian policy. ``forward`` gives the latent mean and log-std; actions are
    ``mid + half * tanh(u)`` in economic units (float64, inside ``[lo, hi]``)."""

    def __init__(self, obs_dim: int, bounds: Tensor, hidden: int = 64, layers: int = 2,
                 log_std_min: float = -5.0, log_std_max: float = 2.0, activation: str = "relu",
                 state_std: bool = True):
        super().__init__()
        d = bounds.shape[0]
        self.obs_dim, self.act_dim = obs_dim, d
        self.arch = dict(obs_dim=obs_dim, hidden=hidden, layers=layers, log_std_min=log_std_min,
                         log_std_max=log_std_max, activation=activation, state_std=state_std)
        self.act_fn = ACTIVATIONS[activation]
        sizes = [obs_dim] + [hidden] * layers
        self.body = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.state_std = state_std
        self.head = nn.Linear(sizes[-1], 2 * d if state_std else d)
        if not state_std:                                   # one log-std per action, all states
            self.log_std_param = nn.Parameter(torch.zeros(d))
        bounds = bounds.to(torch.float64)
        self.register_buffer("act_mid", (bounds[:, 0] + bounds[:, 1]) / 2)        # float64
        self.register_buffer("act_half", (bounds[:, 1] - bounds[:, 0]) / 2)       # float64
        self.register_buffer("lo", bounds[:, 0].clone())
        self.register_buffer("hi", bounds[:, 1].clone())
        self.register_buffer("act_half32", self.act_half.float())
        self.register_buffer("obs_shift", torch.zeros(obs_dim))              # observation standardisation
        self.register_buffer("obs_scale", torch.ones(obs_dim))
        self.log_std_min, self.log_std_max = log_std_min, log_std_max

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        x = (obs - self.obs_shift) * self.obs_scale
        for layer in self.body:
            x = self.act_fn(layer(x))
        if self.state_std:
            mean, log_std = self.head(x).chunk(2, dim=-1)
        else:
            mean = self.head(x)
            log_std = self.log_std_param.expand_as(mean)
        log_std = torch.tanh(log_std)
        log_std = self.log_std_min + 0.5 * (self.log_std_max - self.log_std_min) * (log_std + 1)
        return mean, log_std

    @torch.no_grad()
    def start_at(self, init: dict[str, float | None]) -> None:
        """Make the initial mean actions about ``init`` (SAC keys ``init_chat``, ``init_ell`` in
        economic units, in action order; None: middle of the bounds): the head's mean bias is set
        to atanh of the action and its weights shrunk 100x, so the first policy is about flat."""
        for j, (key, a) in enumerate(list(init.items())[:self.act_dim]):
            if a is None:
                continue
            lo, hi = self.lo[j].item(), self.hi[j].item()
            if not lo < a < hi:
                raise ConfigError(f"SAC config key '{key}' = {a} is outside the open action bounds ({lo}, {hi})")
            self.head.weight[j].mul_(0.01)
            self.head.bias[j] = math.atanh((a - self.act_mid[j].item()) / self.act_half[j].item())

    def to_economic(self, u: Tensor) -> Tensor:
        """Latent ``u`` (…, d) → actions in economic units, float64, inside [lo, hi]
        (the clamp only absorbs float64 rounding of mid ± half)."""
        a = torch.addcmul(self.act_mid, self.act_half, torch.tanh(u.to(torch.float64)))
        return torch.maximum(torch.minimum(a, self.hi), self.lo)

    @torch.no_grad()
    def deterministic(self, obs: Tensor) -> Tensor:
        """The deterministic policy: actions (…, d) float64 of tanh of the mean."""
        mean, _ = self(obs.to(torch.float32))
        return self.to_economic(mean)


class CriticEnsemble(nn.Module):
    """``m`` Q networks evaluated together (two by default): weights ``(m, in, out)``, one
    ``baddbmm`` per layer."""

    def __init__(self, in_dim: int, hidden: int = 64, layers: int = 2, activation: str = "relu", m: int = 2):
        super().__init__()
        self.act_fn = ACTIVATIONS[activation]
        self.m = m
        sizes = [in_dim] + [hidden] * layers + [1]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for a, b in zip(sizes[:-1], sizes[1:]):
            bound = _init_bound(a)
            self.weights.append(nn.Parameter(torch.empty(m, a, b).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(m, 1, b).uniform_(-bound, bound)))
        self.register_buffer("in_shift", torch.zeros(in_dim))       # input standardisation
        self.register_buffer("in_scale", torch.ones(in_dim))

    @torch.no_grad()
    def renormalise(self, shift: Tensor, scale: Tensor) -> None:
        """Switch to the input standardisation ``(x - shift) * scale`` and change the first layer so
        that the function is exactly the same: W'_i = W_i s_i / s'_i, b' = b + Σ_i W_i s_i (m'_i - m_i)."""
        w, b = self.weights[0], self.biases[0]
        ratio = (self.in_scale / scale).view(1, -1, 1)
        moved = (shift - self.in_shift) * self.in_scale
        b.add_(torch.einsum("i,kio->ko", moved, w).unsqueeze(1))
        w.mul_(ratio)
        self.in_shift.copy_(shift)
        self.in_scale.copy_(scale)

    @torch.no_grad()
    def rescale_output(self, rho: float, offset: float) -> None:
        """Q' = rho * (Q + offset), through the last layer."""
        self.biases[-1].add_(offset).mul_(rho)
        self.weights[-1].mul_(rho)

    def forward(self, x: Tensor, params: list[Tensor] | None = None) -> Tensor:
        """Q values (m, B) of inputs ``x`` (B, in). ``params`` (weights then biases) replaces the
        module's own (in the order of :meth:`param_list`), e.g. detached copies so that the
        actor's backward pass skips the critics."""
        params = self.param_list() if params is None else params
        k = len(self.weights)
        ws, bs = params[:k], params[k:2 * k]
        x = (x - self.in_shift) * self.in_scale
        if x.dim() == 2:                           # one input for all critics (else one each: (m, B, in))
            x = x.expand(self.m, *x.shape)
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = torch.baddbmm(b, h, w)
            if i < k - 1:
                h = self.act_fn(h)
        return h.squeeze(-1)

    def param_list(self) -> list[Tensor]:
        """Weights, then biases."""
        return [*self.weights, *self.biases]


# ----------------------------------------------------------------------------------------------
# Replay buffer
# ----------------------------------------------------------------------------------------------

class Batch(typing.NamedTuple):
    """A sample of household transitions: n-step reward ``rew`` and bootstrap discount ``disc``;
    ``ctx``, ``next_ctx``: the decision model's context at ``obs`` and ``next_obs`` (or None);
    ``last_obs``, ``last_act``: the observation and latent action of the slot before the bootstrap
    slot (``obs`` and ``act`` for one-step returns), from which the bootstrap state follows."""

    obs: Tensor
    act: Tensor
    rew: Tensor
    next_obs: Tensor
    disc: Tensor
    ctx: Tensor | None = None
    next_ctx: Tensor | None = None
    last_obs: Tensor | None = None
    last_act: Tensor | None = None


class ReplayBuffer:
    """Time-major ring of ``T = capacity // M`` slots of ``M = E * n`` household transitions.

    Slot ``t`` holds the observations at time t, the latent actions taken and the rewards; the
    next observations are those of slot ``t + 1``. A slot holding the last observation of an
    episode has no action: ``valid[t] = False``, and n-step returns stop there. With
    ``ctx_dim > 0`` every slot also holds the context of the economy's decision model (what a
    household's reward depends on beyond its observation, e.g. the others' hours).
    """

    def __init__(self, capacity: int, M: int, obs_dim: int, act_dim: int, ctx_dim: int = 0):
        self.T = max(capacity // M, 4)
        self.M, self.obs_dim, self.act_dim, self.ctx_dim = M, obs_dim, act_dim, ctx_dim
        self.obs = torch.zeros(self.T, M, obs_dim)
        self.act = torch.zeros(self.T, M, act_dim)
        self.rew = torch.zeros(self.T, M)
        self.ctx = torch.zeros(self.T, M, ctx_dim) if ctx_dim else None
        self.valid = torch.zeros(self.T, dtype=torch.bool)
        self.t = 0                           # slots written so far (logical time of the next slot)

    def add(self, obs: Tensor, act: Tensor | None = None, rew: Tensor | None = None,
            ctx: Tensor | None = None) -> None:
        """Write slot ``t``: observations (M, obs_dim), the context (M, ctx_dim) if the buffer
        holds one and, unless the slot ends an episode, the actions (M, d) and rewards (M,) taken there."""
        s = self.t % self.T
        self.obs[s] = obs
        if self.ctx is not None:
            if ctx is None:
                raise ValueError(f"this replay buffer holds a context of {self.ctx_dim} values per transition; none given")
            self.ctx[s] = ctx
        if act is None:
            self.valid[s] = False
        else:
            self.act[s] = act
            self.rew[s] = rew
            self.valid[s] = True
        self.t += 1

    def sample(self, batch: int, n_step: int, gamma: float, generator: torch.Generator) -> Batch:
        """Uniform transitions with n-step discounted rewards (see :class:`Batch`)."""
        T, M = self.T, self.M
        oldest = max(0, self.t - T)
        newest = self.t - 1 - n_step                 # the bootstrap slot t + n_step is written
        if newest < oldest:
            raise RuntimeError("replay buffer holds fewer slots than n_step + 1")
        span = newest - oldest + 1
        t = oldest + torch.randint(span, (batch,), generator=generator)
        while True:                                  # redraw slots without an action (rare)
            bad = ~self.valid[t % T]
            if not bad.any():
                break
            t[bad] = oldest + torch.randint(span, (int(bad.sum()),), generator=generator)
        j = torch.randint(M, (batch,), generator=generator)
        s = t % T
        flat = s * M + j
        obs = self.obs.view(T * M, -1)[flat]
        act = self.act.view(T * M, -1)[flat]
        if n_step == 1:
            rew = self.rew.view(-1)[flat]
            s_next = (s + 1) % T
            disc = torch.full((batch,), gamma)
            last_obs, last_act = obs, act
        else:
            steps = torch.arange(n_step)
            slots = (s.unsqueeze(1) + steps) % T                         # (B, n)
            alive = self.valid[slots].cumprod(1).bool()                  # transitions inside the episode
            m = alive.sum(1)                                             # >= 1
            r = self.rew.view(-1)[slots * M + j.unsqueeze(1)]
            rew = (r * alive * gamma ** steps.float()).sum(1)
            s_next = (s + m) % T
            disc = gamma ** m.float()
            last = ((s_next - 1) % T) * M + j
            last_obs, last_act = self.obs.view(T * M, -1)[last], self.act.view(T * M, -1)[last]
        next_obs = self.obs.view(T * M, -1)[s_next * M + j]
        if self.ctx is None:
            return Batch(obs, act, rew, next_obs, disc, last_obs=last_obs, last_act=last_act)
        ctx = self.ctx.view(T * M, -1)
        return Batch(obs, act, rew, next_obs, disc, ctx[flat], ctx[s_next * M + j], last_obs, last_act)

    def recent(self, window: int, max_rows: int) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """Observations, actions, rewards and contexts (None without) of the valid slots among the
        last ``window // M`` written (at least one slot), every k-th row so that at most
        ``max_rows`` come back."""
        slots = max(1, min(window // self.M, self.t, self.T))
        idx = torch.arange(self.t - slots, self.t) % self.T
        idx = idx[self.valid[idx]]
        obs = self.obs[idx].reshape(-1, self.obs_dim)
        act = self.act[idx].reshape(-1, self.act_dim)
        rew = self.rew[idx].reshape(-1)
        step = max(1, obs.shape[0] // max_rows)
        ctx = None if self.ctx is None else self.ctx[idx].reshape(-1, self.ctx_dim)[::step]
        return obs[::step], act[::step], rew[::step], ctx

    def state_dict(self) -> dict:
        """The filled part only (slots in ring order) and the write counter."""
        n = min(self.t, self.T)
        sd = {"T": self.T, "M": self.M, "t": self.t, "obs": self.obs[:n].clone(),
              "act": self.act[:n].clone(), "rew": self.rew[:n].clone(), "valid": self.valid[:n].clone()}
        if self.ctx is not None:
            sd["ctx"] = self.ctx[:n].clone()
        return sd

    def load_state_dict(self, sd: dict) -> None:
        if (sd["T"], sd["M"]) != (self.T, self.M):
            raise ValueError(f"replay buffer shape {(sd['T'], sd['M'])} does not fit {(self.T, self.M)}")
        n = sd["obs"].shape[0]
        self.obs[:n], self.act[:n], self.rew[:n], self.valid[:n] = sd["obs"], sd["act"], sd["rew"], sd["valid"]
        if self.ctx is not None:
            self.ctx[:n] = sd["ctx"]
        self.t = sd["t"]


# ----------------------------------------------------------------------------------------------
# The agent
# ----------------------------------------------------------------------------------------------

class SAC:
    """Shared actor, critics (twin by default) with targets, temperature; ``update`` is one gradient step."""

    def __init__(self, obs_dim: int, bounds: Tensor, cfg: SACConfig, gamma: float, seed: int,
                 model: typing.Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None, post_dim: int = 0,
                 successors: typing.Callable[[Tensor, Tensor, Tensor, int], tuple[Tensor, Tensor]] | None = None,
                 own_capital_moved: typing.Callable | None = None):
        """``model`` and ``post_dim``: the economy's ``decision_model`` and the size of its
        post-decision features, required by ``critic = "post_decision"``; ``successors``: the
        economy's ``successors(obs, x, next_obs, n_quad) -> (next observations (Q, B, obs_dim),
        their probabilities (Q, B) or (Q, 1))``, required by ``expected_targets``; ``own_capital_moved``: the
        economy's ``own_capital_moved(obs, ctx, eps) -> (obs, ctx)``, required by ``critic_envelope``."""
        self.cfg, self.gamma = cfg, float(gamma)
        if cfg.critic == "post_decision" and (model is None or post_dim < 1):
            raise ConfigError("SAC config key 'critic' = 'post_decision' needs the economy's decision model")
        if cfg.expected_targets and successors is None:
            raise ConfigError(f"SAC config key 'expected_targets' = {cfg.expected_targets} needs an economy that lists "
                              "next period's observations from the post-decision state (RBC, KS)")
        self.model = model if cfg.critic == "post_decision" else None
        self.successors = successors if cfg.expected_targets else None
        if cfg.critic_envelope and own_capital_moved is None:
            raise ConfigError(f"SAC config key 'critic_envelope' = {cfg.critic_envelope} needs an economy that "
                              "moves a household's own capital in its observation (RBC)")
        self.own_capital_moved = own_capital_moved if cfg.critic_envelope else None
        d = bounds.shape[0]
        self.act_dim = d
        torch.manual_seed(seed)                               # network initialisation
        self.actor = Actor(obs_dim, bounds, cfg.hidden, cfg.layers, cfg.log_std_min, cfg.log_std_max,
                           cfg.activation, cfg.state_std)
        self.actor.start_at({"init_chat": cfg.init_chat, "init_ell": cfg.init_ell})
        critic_dim = post_dim if self.model is not None else obs_dim + d
        self.critic = CriticEnsemble(critic_dim, cfg.hidden, cfg.layers, cfg.activation, cfg.critics)
        # the policy that is evaluated and saved: the actor, or an average of it that smooths
        # the update-to-update jitter and the slow wander of a flat objective
        averaged = cfg.actor_ema > 0 or cfg.average_from is not None
        self.policy = copy.deepcopy(self.actor) if averaged else self.actor
        self.averaging = False                                 # set by set_progress (average_from)
        self.envelope_on = True                                # set by set_progress (critic_envelope_until)
        self.averaged = 0                                      # actor iterates in the uniform average
        self.critic_target = copy.deepcopy(self.critic)
        for p in self.critic_target.parameters():
            p.requires_grad_(False)
        self.generator = torch.Generator().manual_seed(seed + 1_000_003)   # actions noise, sampling
        self.log_alpha = torch.tensor(math.log(cfg.alpha), requires_grad=True)
        self.target_entropy = cfg.target_entropy * d
        # actor and temperature: one optimiser, one backward pass (their losses share no parameters)
        self.opt_actor = torch.optim.Adam([{"params": list(self.actor.parameters()), "lr": cfg.lr_actor},
                                           {"params": [self.log_alpha], "lr": cfg.lr_alpha}], fused=True)
        self.opt_critic = torch.optim.Adam(self.critic.parameters(), lr=cfg.lr_critic, fused=True)
        # initial learning rates per (optimiser, group): load_state_dict replaces the group dicts
        self.base_lrs = [[g["lr"] for g in o.param_groups] for o in (self.opt_actor, self.opt_critic)]
        # reward standardisation (set from warm-up data by `fit_normalisers`)
        self.reward_shift, self.reward_mult = 0.0, float(cfg.reward_scale)
        self.updates = 0                                       # gradient updates done
        self._critic_params = self.critic.param_list()
        self._target_params = self.critic_target.param_list()

    # -- acting ---------------------------------------------------------------------------------

    @torch.no_grad()
    def act(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """Sample latent actions for observations (…, obs_dim); returns (latent float32, economic float64)."""
        mean, log_std = self.actor(obs.to(torch.float32))
        u = mean + log_std.exp() * torch.randn(mean.shape, generator=self.generator)
        return u, self.actor.to_economic(u)

    def _sample(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """Reparameterised latent sample and its log-density (entropy_space)."""
        mean, log_std = self.actor(obs)
        eps = torch.randn(mean.shape, generator=self.generator)
        u = mean + log_std.exp() * eps
        logp = (-0.5 * eps.square() - log_std).sum(-1) - 0.5 * LOG_2PI * self.act_dim
        if self.cfg.entropy_space == "action":
            # log |d a / d u| = log half + log(1 - tanh(u)^2), in a stable form
            log_jac = math.log(2.0) * 2 - 2 * (u + nn.functional.softplus(-2 * u))
            logp = logp - (log_jac + torch.log(self.actor.act_half32)).sum(-1)
        return u, logp

    def _mean_action(self, obs: Tensor) -> Tensor:
        """The actor's mean action in economic units (no exploration noise), for successors whose
        context depends on what the others do next period."""
        return self.actor.to_economic(self.actor(obs.to(torch.float32))[0])

    def _model(self, obs: Tensor, u: Tensor, ctx: Tensor | None) -> tuple[Tensor, Tensor]:
        """The economy's (reward, post-decision features) for latent actions ``u``."""
        return self._model_at(obs, self.actor.to_economic(u), ctx)

    def _model_at(self, obs: Tensor, a: Tensor, ctx: Tensor | None) -> tuple[Tensor, Tensor]:
        """The economy's (reward, post-decision features) for actions ``a`` in economic units."""
        return self.model(obs, a) if ctx is None else self.model(obs, a, ctx)

    def critic_in(self, obs: Tensor, u: Tensor, ctx: Tensor | None = None) -> Tensor:
        """Critic input: the (standardised) observations and the squashed action tanh(u) in
        [-1, 1]; with the post-decision critic, the post-decision features x(s, a(u))."""
        if self.model is not None:
            return self._model(obs, u, ctx)[1].float()
        return torch.cat([self.norm_obs(obs), torch.tanh(u)], -1)

    def q_values(self, net: CriticEnsemble, obs: Tensor, u: Tensor, params: list[Tensor] | None = None,
                 ctx: Tensor | None = None, model_out: tuple[Tensor, Tensor] | None = None) -> Tensor:
        """Q (m, B) of latent actions ``u`` at raw observations ``obs`` under critics ``net``, in
        standardised reward units: ``net(critic_in)``, or r + γ W(x) (post-decision critic, whose
        model may need the context ``ctx``; ``model_out``: its (r, x) at (obs, u), if already known)."""
        if self.model is None:
            return net(self.critic_in(obs, u), params)
        r, x = self._model(obs, u, ctx) if model_out is None else model_out
        r = ((r - self.reward_shift) * self.reward_mult).float()
        return r + self.gamma * net(x.float(), params)

    # -- normalisation ----------------------------------------------------------------------------

    @torch.no_grad()
    def fit_normalisers(self, buffer: ReplayBuffer, initial: bool = False) -> None:
        """Standardisations from the most recent ``norm_window`` transitions of the buffer.

        - rewards: ``(r - shift) * reward_scale / std``. Set from the warm-up data, then (with
          ``reward_norm``) refitted; the critics, their targets and alpha are rescaled so that
          nothing changes but the units: Q' = ρ (Q + (shift - shift') m / (1 - γ)), α' = ρ α, ρ = m'/m;
        - critic inputs (``critic_norm``): ``(x - mean) / std`` per input; the first layer
          absorbs the change (:meth:`CriticEnsemble.renormalise`);
        - actor observations (``obs_norm``): from the warm-up data only, then frozen.
        """
        cfg = self.cfg
        obs, u, r, ctx = buffer.recent(cfg.norm_window, max_rows=65_536)
        if initial or cfg.reward_norm:
            r = r.double()
            std = r.std().item() if r.numel() > 1 else 1.0
            shift, mult = r.mean().item(), cfg.reward_scale / max(std, 1e-8)
            if not initial:
                rho = mult / self.reward_mult
                offset = (self.reward_shift - shift) * self.reward_mult / (1.0 - self.gamma)
                self.critic.rescale_output(rho, offset)
                self.critic_target.rescale_output(rho, offset)
                self.log_alpha.add_(math.log(rho))
            self.reward_shift, self.reward_mult = shift, mult
        if initial and cfg.obs_norm:
            o = buffer.obs[:min(buffer.t, buffer.T)].reshape(-1, buffer.obs_dim)
            shift, scale = _standardisation(o)
            for net in (self.actor, self.policy):
                net.obs_shift.copy_(shift)
                net.obs_scale.copy_(scale)
        if cfg.critic_norm:
            shift, scale = _standardisation(self.critic_in(obs, u, ctx))
            self.critic.renormalise(shift, scale)
            self.critic_target.renormalise(shift, scale)

    def norm_obs(self, obs: Tensor) -> Tensor:
        if not self.cfg.obs_norm:
            return obs
        return (obs - self.actor.obs_shift) * self.actor.obs_scale

    # -- learning -------------------------------------------------------------------------------

    def set_progress(self, frac: float) -> None:
        """Schedules at training progress ``frac`` in [0, 1]: cosine ones for the learning rates
        (``lr_schedule``) and the target entropy (``target_entropy_final``); the start of the
        policy average (``average_from``) and the end of the envelope loss (``critic_envelope_until``)."""
        cfg = self.cfg
        w = 0.5 * (1 + math.cos(math.pi * min(max(frac, 0.0), 1.0)))      # 1 → 0
        if cfg.lr_schedule == "cosine":
            f = cfg.lr_final + (1 - cfg.lr_final) * w
            for opt, lrs in zip((self.opt_actor, self.opt_critic), self.base_lrs):
                for group, lr in zip(opt.param_groups, lrs):
                    group["lr"] = lr * f
        self.averaging = cfg.average_from is not None and frac >= cfg.average_from
        self.envelope_on = frac < cfg.critic_envelope_until
        if cfg.target_entropy_final is not None:
            per_dim = cfg.target_entropy_final + (cfg.target_entropy - cfg.target_entropy_final) * w
            self.target_entropy = per_dim * self.act_dim

    def soft_value(self, obs: Tensor, alpha: Tensor, ctx: Tensor | None = None) -> Tensor:
        """Soft value V(s) = Q_target(s, a) - α log π(a | s) of one sampled action a ~ π(s), (B,),
        Q_target the minimum of both target critics (REDQ: of a random pair)."""
        u, logp = self._sample(obs)
        q = self.q_values(self.critic_target, obs, u, ctx=ctx)
        if self.cfg.critics > 2:                      # REDQ: the min of a random pair
            pair = torch.randperm(self.cfg.critics, generator=self.generator)[:2]
            q = q[pair]
        return q.amin(0) - alpha * logp

    def critic_loss(self, obs, act, rew, next_obs, disc, ctx=None, next_ctx=None, last_obs=None,
                    last_act=None) -> Tensor:
        """Squared TD error of every critic against the n-step soft target. With
        ``expected_targets`` the bootstrap value is E[V(s') | x] over next period's shock, by
        quadrature from the post-decision state x of the last transition (``last_obs``,
        ``last_act``): no sampling noise from the shock in the one-step case."""
        alpha = self.log_alpha.detach().exp()
        model_out = None
        with torch.no_grad():
            if self.successors is None:
                v_next = self.soft_value(next_obs, alpha, next_ctx)
            else:
                # the decision model's context of the last transition: the sampled one (one-step
                # returns; train refuses n-step returns with a context)
                model_out = self._model(last_obs, last_act, ctx)
                x = model_out[1]
                kw = {} if next_ctx is None else {"next_ctx": next_ctx, "policy": self._mean_action}
                nodes, weights, *node_ctx = self.successors(last_obs, x, next_obs, self.cfg.expected_targets, **kw)
                Q, B = nodes.shape[:2]
                node_ctx = node_ctx[0].reshape(Q * B, -1) if node_ctx else None
                v = self.soft_value(nodes.reshape(Q * B, -1), alpha, node_ctx).view(Q, B)
                v_next = (weights.to(v.dtype) * v).sum(0)
            rew = (rew - self.reward_shift * _geometric(disc, self.gamma)) * self.reward_mult
            target = rew + disc * v_next
        one_step = last_obs is obs and last_act is act        # then (r, x) at (obs, act) are known
        q = self.q_values(self.critic, obs, act, ctx=ctx, model_out=model_out if one_step else None)
        loss = (q - target).square().mean(1).sum()
        if self.own_capital_moved is not None and self.envelope_on:
            b = self.cfg.critic_envelope_batch or None
            slope, target = self.envelope_slopes(obs[:b], act[:b], next_obs[:b], None if ctx is None else ctx[:b],
                                                 None if next_ctx is None else next_ctx[:b])
            loss = loss + self.cfg.critic_envelope * (slope - target).square().mean(1).sum()
        return loss

    def envelope_slopes(self, obs: Tensor, act: Tensor, next_obs: Tensor, ctx: Tensor | None = None,
                        next_ctx: Tensor | None = None, next_act: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Each critic's slope in own capital and its envelope target, ((m, B), (B,)), in
        standardised reward units per unit of ε, the log change of the household's capital after
        its decision (k' → k' e^ε), the others' capital and hours held (``critic_envelope``).

        Slope: dW(x(s, a))/dε = −(1 − ĉ) ∂W/∂ĉ, since k' = (1 − ĉ) a (differentiable in the
        critics' weights). Target, the envelope condition of the soft value, dV(s')/dε =
        E_a'[∂Q(s', a')/∂ε] with a' held: at the next observation s' and one a' ~ π(s') (latent
        ``next_act`` if given), ∂/∂ε of the standardised r(s'(ε), a') + γ W̄(x(s'(ε), a')), W̄ the
        mean of the target critics and s'(ε) from the economy's ``own_capital_moved``. With
        ``critic_envelope_relax`` = ω ≠ 1 the target is S̄ + ω (T − S̄), S̄ the slope of W̄ at x.

        The float64 economy is differentiated in ε by central differences (step ``ENVELOPE_STEP``;
        today's three points and tomorrow's in one call of the model), the float32 critics by
        autograd: T = dr/dε + γ ∇W̄(x')·dx'/dε, S̄ = ∇W̄(x)·dx/dε, with ∇W̄ at x' and x from one
        backward pass."""
        a = self.actor.to_economic(act).detach()
        h = ENVELOPE_STEP
        steps = torch.tensor([0.0, h, -h], dtype=torch.float64).view(3, *([1] * (act.dim() - 1)))

        def at_steps(t):                          # t (…) → (3, …): a view, one copy of t per step ε
            return None if t is None else t.expand(3, *t.shape)
        with torch.no_grad():
            # today: x(s, a) with k' = (1 − ĉ) a moved to k' e^ε for ε = 0, ±h, hours held
            chat = 1.0 - (1.0 - a[..., 0]) * torch.exp(steps)
            # tomorrow: s'(ε) for ε = 0, ±h, a' ~ π(s') held
            a1 = self.actor.to_economic(self._sample(next_obs)[0] if next_act is None else next_act)
            o1, c1 = self.own_capital_moved(at_steps(next_obs), at_steps(next_ctx), steps.expand(3, *next_obs.shape[:-1]))

            # both in one call of the float64 model, whose cost is mostly per call, not per row:
            # rows 0-2 today's x(ε), rows 3-5 tomorrow's r'(ε), x'(ε); dx/dε, dr'/dε, dx'/dε by
            # central differences
            def today_then_tomorrow(today, tomorrow):
                return None if tomorrow is None else torch.cat([today.to(tomorrow.dtype), tomorrow])
            r, xs = self._model_at(today_then_tomorrow(at_steps(obs), o1),
                                   today_then_tomorrow(torch.cat([chat.unsqueeze(-1), at_steps(a[..., 1:])], -1), at_steps(a1)),
                                   today_then_tomorrow(at_steps(ctx), c1))
            x, dx = xs[0], (xs[1] - xs[2]) / (2 * h)
            x1, dr1, dx1 = xs[3], (r[4] - r[5]) / (2 * h), (xs[4] - xs[5]) / (2 * h)
        xc = x.float().expand(self.cfg.critics, *x.shape).clone().requires_grad_(True)   # one copy per critic
        dW = torch.autograd.grad(self.critic(xc).sum(), xc, create_graph=True)[0]
        slope = (dW * dx.float()).sum(-1)
        # ∇W̄ (W̄ the mean of the target critics) at x' and, for ω ≠ 1, at x: one pass
        omega = self.cfg.critic_envelope_relax
        xt = (x1 if omega == 1.0 else torch.cat([x1, x])).float().requires_grad_(True)
        gW = torch.autograd.grad(self.critic_target(xt).mean(0).sum(), xt)[0]
        B = x.shape[0]
        target = (dr1 * self.reward_mult).float() + self.gamma * (gW[:B] * dx1.float()).sum(-1)
        if omega != 1.0:                          # over-relaxed: S̄ + ω (T − S̄), S̄ the target critics' slope at x
            s_bar = (gW[B:] * dx.float()).sum(-1)
            target = s_bar + omega * (target - s_bar)
        return slope, target

    def actor_loss(self, obs, ctx=None) -> tuple[Tensor, Tensor]:
        alpha = self.log_alpha.detach().exp()
        frozen = [p.detach() for p in self._critic_params]
        u, logp = self._sample(obs)
        q = self.q_values(self.critic, obs, u, frozen, ctx=ctx)
        q = q.amin(0) if self.cfg.critics == 2 else q.mean(0)
        loss = (alpha * logp - q).mean()
        return loss, logp.detach()

    def update(self, buffer: ReplayBuffer) -> dict[str, Tensor]:
        """One gradient step of the critics (and, every ``actor_every``, of actor and temperature)."""
        cfg = self.cfg
        batch = buffer.sample(cfg.batch_size, cfg.n_step, self.gamma, self.generator)
        qf_loss = self.critic_loss(*batch)
        self.opt_critic.zero_grad(set_to_none=True)
        qf_loss.backward()
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(self._critic_params, cfg.grad_clip)
        self.opt_critic.step()
        out = {"qf_loss": qf_loss.detach()}
        if self.updates % cfg.actor_every == 0:
            actor_loss, logp = self.actor_loss(batch.obs, batch.ctx)
            loss = actor_loss
            if cfg.autotune:
                loss = loss - (self.log_alpha * (logp + self.target_entropy)).mean()   # temperature loss
            self.opt_actor.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                nn.utils.clip_grad_norm_(self.actor.parameters(), cfg.grad_clip)
            self.opt_actor.step()
            if self.policy is not self.actor:
                if self.averaging:                             # running mean: weight 1/(iterates so far)
                    self.averaged += 1
                    weight = 1.0 / self.averaged
                else:
                    weight = cfg.actor_ema if cfg.actor_ema > 0 else 1.0
                with torch.no_grad():
                    torch._foreach_lerp_(list(self.policy.parameters()), list(self.actor.parameters()), weight)
            out["actor_loss"] = actor_loss.detach()
            out["entropy"] = -logp.mean()
        if self.updates % cfg.target_every == 0:
            with torch.no_grad():
                torch._foreach_lerp_(self._target_params, self._critic_params, cfg.tau)
        self.updates += 1
        return out

    # -- state ----------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        return {"actor": self.actor.state_dict(), "policy": self.policy.state_dict(),
                "critic": self.critic.state_dict(),
                "critic_target": self.critic_target.state_dict(), "log_alpha": self.log_alpha.detach().clone(),
                "opt_actor": self.opt_actor.state_dict(), "opt_critic": self.opt_critic.state_dict(),
                "generator": self.generator.get_state(),
                "reward_shift": self.reward_shift, "reward_mult": self.reward_mult, "updates": self.updates,
                "target_entropy": self.target_entropy, "averaged": self.averaged}

    def load_state_dict(self, sd: dict) -> None:
        self.actor.load_state_dict(sd["actor"])
        self.policy.load_state_dict(sd["policy"])
        self.critic.load_state_dict(sd["critic"])
        self.critic_target.load_state_dict(sd["critic_target"])
        with torch.no_grad():
            self.log_alpha.copy_(sd["log_alpha"])
        self.opt_actor.load_state_dict(sd["opt_actor"])
        self.opt_critic.load_state_dict(sd["opt_critic"])
        self.generator.set_state(sd["generator"])
        self.reward_shift, self.reward_mult = sd["reward_shift"], sd["reward_mult"]
        self.updates = sd["updates"]
        self.target_entropy = sd["target_entropy"]
        self.averaged = sd.get("averaged", 0)


def _standardisation(x: Tensor) -> tuple[Tensor, Tensor]:
    """Column means and inverse standard deviations (1 for a constant column)."""
    x = x.double()
    shift, std = x.mean(0), x.std(0)
    scale = torch.where(std > 1e-6, 1.0 / std, torch.ones_like(std))
    return shift.float(), scale.float()


def _geometric(disc: Tensor, gamma: float) -> Tensor:
    """Σ_{j<m} γ^j for bootstrap discounts γ^m: the n-step sum of a constant reward shift."""
    return (1.0 - disc) / (1.0 - gamma)
