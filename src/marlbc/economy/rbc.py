"""The RBC family of SPEC §1, batched over (environments E, households n) in PyTorch.

Per period, with A_t drawn at the start of the period and observed (textbook timing):

    K = Σ_i k_i,  L = Σ_i ℓ_i                                  (aggregation "marginal", the seed)
    r_i = α A (K/L)^(α-1) κ_i,   w_i = (1-α) A (K/L)^α λ_i
    --- or, aggregation "effective" (the paper): K = mean κ_i k_i, L = mean λ_i ℓ_i,
        Y = A K^α L^(1-α), r_i = α Y/K κ_i, w_i = (1-α) Y/L λ_i
    a_i = (1-δ) k_i + w_i ℓ_i + r_i k_i         c_i = ĉ_i a_i        k_i' = a_i - c_i
    reward: log c_i - χ ℓ_i  ("linear_labour")  or  log c_i + b log(1-ℓ_i)  ("log_leisure")
    log A' = ρ log A + σ_A ε,  ε ~ N(0, 1)

Actions are (ĉ, ℓ) in economic units inside ``chat_bounds`` and ``ell_bounds`` (config.yaml,
``economy``); an action outside them raises :class:`~marlbc.economy.base.ActionError`.
Observations per household (all zero at the deterministic steady state):
``[log(k_i/k_ss), log(mean_k/k_ss), log A / sd(log A), (κ_i-1)/0.02, (λ_i-1)/0.02]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import torch

from ..benchmarks.steady_state import steady_state
from .base import DTYPE, check_bounds, initial_capital, standard_normal

TYPE_SCALE = 0.02  # κ, λ ∈ [0.98, 1.02] map to [-1, 1] in the observation
# n > 1: the critic's post-decision columns (see RBCEconomy.decision_model)
POST_FEATURES = ("log_k1", "log_a1", "log_K_post", "logA_sd", "kappa", "lambda", "k1", "a1")


@dataclass
class RBCParams:
    """Parameters of one RBC economy (a calibration of SPEC §2 plus households' types)."""

    alpha: float                 # capital share
    beta: float                  # discount factor
    delta: float                 # depreciation rate, in (0, 1]
    rho: float                   # persistence of log TFP
    sigma_A: float               # std of log TFP innovations
    kappa: torch.Tensor          # (n,) capital productivities
    lam: torch.Tensor            # (n,) labour productivities
    utility: str = "linear_labour"   # "linear_labour" (log c - χℓ) or "log_leisure" (log c + b log(1-ℓ))
    chi: float = 1.0             # disutility of labour
    b: float = 5.0               # weight of leisure
    aggregation: str = "marginal"    # "marginal" (seed) or "effective" (paper)
    chat_bounds: tuple[float, float] = (0.001, 0.999)   # bounds of ĉ = c/a
    ell_bounds: tuple[float, float] = (0.01, 0.99)      # bounds of ℓ
    init_k: dict | None = None   # initial capital distribution (see base.initial_capital)
    init_logA_scale: float = 1.0  # at reset log A_0 ~ N(0, (scale·sd_logA)²); > 1: exploring starts in TFP

    @property
    def n(self) -> int:
        return int(self.kappa.numel())

    @cached_property
    def homogeneous(self) -> bool:
        """κ = λ = 1 for every household (prices then need no per-household scaling)."""
        return bool((self.kappa == 1).all() and (self.lam == 1).all())

    @cached_property
    def steady(self):
        """The representative deterministic steady state (K, L, C, ĉ per head), solved once."""
        return steady_state(self.alpha, self.beta, self.delta, self.utility, self.chi, self.b)

    @property
    def k_ss(self) -> float:
        """Representative per-head steady-state capital, the unit of the observations."""
        return self.steady.K

    @property
    def sd_logA(self) -> float:
        """Stationary std of log A, σ_A / sqrt(1 - ρ²)."""
        return self.sigma_A / math.sqrt(1.0 - self.rho**2)


def factor_prices(p: RBCParams, A: torch.Tensor, k: torch.Tensor, ell: torch.Tensor):
    """Rental rates r_i, wages w_i (E, n) and output Y (E, 1) for capital k and hours ℓ (E, n)."""
    if p.aggregation == "marginal":
        K = k if p.n == 1 else k.sum(-1, keepdim=True)      # a sum over one household is itself
        L = ell if p.n == 1 else ell.sum(-1, keepdim=True)
    else:
        K = (p.kappa * k).mean(-1, keepdim=True)
        L = (p.lam * ell).mean(-1, keepdim=True)
    typed = p.aggregation == "effective" or not p.homogeneous
    return prices(p, A, K, L, p.kappa if typed else None, p.lam if typed else None)


def prices(p: RBCParams, A, K, L, kappa=None, lam=None):
    """Rental rates r_i, wages w_i and output Y from the aggregates K, L of ``p.aggregation``:

        marginal:  r_i = α A (K/L)^(α-1) κ_i,  w_i = (1-α) A (K/L)^α λ_i,  Y = A K^α L^(1-α)
        effective: Y = A K^α L^(1-α),  r_i = α Y/K κ_i,  w_i = (1-α) Y/L λ_i

    ``kappa``, ``lam`` None: κ_i = λ_i = 1."""
    alpha = p.alpha
    if p.aggregation == "marginal":
        KL = K / L
        AKL = A * KL**alpha                       # A (K/L)^α
        Y = AKL * L
        r = alpha * AKL / KL
        w = (1.0 - alpha) * AKL
    else:
        Y = A * K**alpha * L ** (1.0 - alpha)
        r = alpha * Y / K
        w = (1.0 - alpha) * Y / L
    if kappa is not None:
        r, w = r * kappa, w * lam
    return r, w, Y


def cash_on_hand(p: RBCParams, r, w, k, ell) -> torch.Tensor:
    """a_i = (1 - δ) k_i + w_i ℓ_i + r_i k_i, what a household splits between c and k'."""
    return torch.addcmul(w * ell, r + (1.0 - p.delta), k)


def utility(p: RBCParams, c: torch.Tensor, ell: torch.Tensor) -> torch.Tensor:
    """Period reward: log c - χ ℓ ("linear_labour") or log c + b log(1 - ℓ) ("log_leisure")."""
    if p.utility == "linear_labour":
        return torch.log(c).sub_(ell, alpha=p.chi)
    return torch.log(c).add_(torch.log1p(-ell), alpha=p.b)


def own_margins(p: RBCParams, info: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """A household's marginal gross return on its own capital, R_i = ∂a_i/∂k_i, and marginal
    wage, W_i = ∂a_i/∂ℓ_i, in the period of ``info`` (from :meth:`RBCEconomy.step`), including
    its own effect on prices (the households of the n-player game see it in their rewards):

        R_i = 1 - δ + r_i + k_i ∂r_i/∂k_i + ℓ_i ∂w_i/∂k_i = 1 - δ + r_i (1 - (1-α) k_i s_i) + α w_i ℓ_i s_i
        W_i = w_i + k_i ∂r_i/∂ℓ_i + ℓ_i ∂w_i/∂ℓ_i   = w_i (1 - α ℓ_i q_i) + (1-α) r_i k_i q_i

    with s_i = ∂log K/∂k_i, q_i = ∂log L/∂ℓ_i: 1/K, 1/L (sums, "marginal") or κ_i/(nK), λ_i/(nL)
    ("effective"). For n = 1 they are 1 - δ + r and w, the planner's."""
    alpha, k, ell, r, w = p.alpha, info["k"], info["ell"], info["r"], info["w"]
    if p.aggregation == "marginal":
        s, q = 1.0 / k.sum(-1, keepdim=True), 1.0 / ell.sum(-1, keepdim=True)
    else:
        s = p.kappa / (p.n * (p.kappa * k).mean(-1, keepdim=True))
        q = p.lam / (p.n * (p.lam * ell).mean(-1, keepdim=True))
    R = 1.0 - p.delta + r * (1.0 - (1.0 - alpha) * k * s) + alpha * w * ell * s
    W = w * (1.0 - alpha * ell * q) + (1.0 - alpha) * r * k * q
    return R, W


def euler_residuals(p: RBCParams, info: dict, info_next: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Realised residuals of the households' first-order conditions between two periods:

        Euler:   β R_i' c_i / c_i' − 1      (E_t of it is 0 at an interior optimum; u = log c + …)
        labour:  W_i / (χ c_i) − 1  or  W_i (1 − ℓ_i) / (b c_i) − 1   (0 for interior hours)

    with R', W from :func:`own_margins`. Means over a long path are unit-free biases: a policy
    that saves too little has a positive Euler bias."""
    R_next, _ = own_margins(p, info_next)
    return p.beta * R_next * info["c"] / info_next["c"] - 1.0, labour_residuals(p, info)


def labour_residuals(p: RBCParams, info: dict) -> torch.Tensor:
    """W_i / (χ c_i) − 1 (linear labour) or W_i (1 − ℓ_i) / (b c_i) − 1 (log leisure), W_i from
    :func:`own_margins`: zero for interior hours at the optimum."""
    _, W = own_margins(p, info)
    if p.utility == "linear_labour":
        return W / (p.chi * info["c"]) - 1.0
    return W * (1.0 - info["ell"]) / (p.b * info["c"]) - 1.0


class RBCEconomy:
    """``E`` independent RBC economies of ``n`` households each, stepped together.

    State: capital ``k`` (E, n) and ``logA`` (E, 1). ``step`` takes actions (E, n, 2) = (ĉ, ℓ).
    Every random number comes from the economy's own ``torch.Generator`` seeded by ``seed``.
    Set ``shocks=False`` for deterministic paths (log A then decays as ρ log A).
    """

    action_names = ("chat", "ell")
    obs_dim = 5

    def __init__(self, params: RBCParams, n_envs: int, seed: int = 0, shocks: bool = True,
                 check_actions: bool = True):
        self.p = params
        self.E, self.n = n_envs, params.n
        self.shocks = shocks
        self.check_actions = check_actions
        self.generator = torch.Generator().manual_seed(seed)
        self._type_obs_template = torch.zeros(self.E, self.n, self.obs_dim, dtype=DTYPE)
        self._type_obs_template[..., 3] = (params.kappa - 1) / TYPE_SCALE
        self._type_obs_template[..., 4] = (params.lam - 1) / TYPE_SCALE
        self._inv_sd_logA = 1.0 / params.sd_logA if params.sigma_A > 0 else 1.0
        self._k_ss, self._L_ss = params.steady.K, params.steady.L
        self._log_k_ss = math.log(self._k_ss)
        self.k = torch.empty(self.E, self.n, dtype=DTYPE)
        self.logA = torch.zeros(self.E, 1, dtype=DTYPE)
        self.reset()

    @property
    def action_bounds(self) -> torch.Tensor:
        """(2, 2) tensor [[ĉ_lo, ĉ_hi], [ℓ_lo, ℓ_hi]]."""
        return torch.tensor([self.p.chat_bounds, self.p.ell_bounds], dtype=DTYPE)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Draw k_i0 around the steady state and log A_0 from its stationary law, its std scaled by
        ``init_logA_scale`` (0 without shocks)."""
        if seed is not None:
            self.generator.manual_seed(seed)
        init_k = self.p.init_k or {"dist": "lognormal", "sigma": 0.2}
        self.k = initial_capital(self.p.k_ss, (self.E, self.n), init_k, self.generator)
        if self.shocks:
            self.logA = self.p.init_logA_scale * self.p.sd_logA * torch.randn(self.E, 1, generator=self.generator, dtype=DTYPE)
        else:
            self.logA = torch.zeros(self.E, 1, dtype=DTYPE)
        return self.observe()

    def observe(self) -> torch.Tensor:
        """Normalised observations (E, n, 5), zero at the deterministic steady state."""
        return self.observe_at(self.k, self.logA)

    def observe_at(self, k: torch.Tensor, logA: torch.Tensor) -> torch.Tensor:
        """Observations of households with capital ``k`` (E, n) under log TFP ``logA`` (E, 1)."""
        obs = self._type_obs_template.clone()          # type columns filled in once
        log_k = torch.log(k).sub_(self._log_k_ss)
        obs[..., 0] = log_k
        obs[..., 1] = log_k if self.n == 1 else torch.log(k.mean(-1, keepdim=True)).sub_(self._log_k_ss)
        obs[..., 2] = logA * self._inv_sd_logA
        return obs

    @property
    def post_dim(self) -> int:
        """Size of the post-decision features: 2 for n = 1, otherwise that of ``POST_FEATURES``
        (see :meth:`decision_model`)."""
        return 2 if self.n == 1 else len(POST_FEATURES)

    @property
    def ctx_dim(self) -> int:
        """Size of the context a household's decision model needs beyond its observation: 0 for
        n = 1, else 2, ``[K, L_-i]`` (see :meth:`context`)."""
        return 0 if self.n == 1 else 2

    def context(self, action: torch.Tensor) -> torch.Tensor:
        """What household i's reward depends on besides its own observation and action, taken
        as given when it decides (the others move simultaneously): (E, n, 2) ``[K, L_-i]``, the
        capital aggregate of today's prices and the others' share of the hours aggregate
        (``marginal``: K = Σ_j k_j, L_-i = Σ_(j≠i) ℓ_j; ``effective``: K = mean_j κ_j k_j,
        L_-i = Σ_(j≠i) λ_j ℓ_j / n), at the current capital and the households' ``action``."""
        p, k, ell = self.p, self.k, action[..., 1].to(DTYPE)
        if p.aggregation == "marginal":
            K, own = k.sum(-1, keepdim=True), ell
        else:
            K, own = (p.kappa * k).mean(-1, keepdim=True), p.lam * ell / self.n
        L = own.sum(-1, keepdim=True)
        return torch.stack([K.expand_as(k), L - own], -1)

    def decision_model(self, obs: torch.Tensor, action: torch.Tensor,
                       ctx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Reward and post-decision state of one household, differentiable in ``action``.

        From observations (…, 5), actions (…, 2) = (ĉ, ℓ) in economic units and, for n > 1, the
        context (…, 2) ``[K, L_-i]`` of :meth:`context`: today's prices with the household's own
        hours in L (its own effect on r_i and w_i, as in the n-player game), the reward (…,),
        and the post-decision features, everything the action changes beyond today's reward,
        with k' = (1 - ĉ) a: for n = 1, ``[log(k'/k_ss), log A / sd(log A)]``; for n > 1,
        ``[log(k'/k_ss), log(â'/k_ss), log(K⁺/k_ss), log A / sd(log A), type, type, k'/k_ss, â'/k_ss]`` with

            K⁺ = mean k + (k' - k)/n     mean capital moved by the household's own saving, the others' held
            â' = (1 - δ + r_i') k' + w_i' ℓ_ss   next period's cash on hand at the prices of A' = A^ρ,
                                         K' = K moved by its own saving, L' = the others' hours scaled to n

        â' carries what makes a unit of k' worth more to one household than to another (κ_i, λ_i
        and its own effect on next period's rent) into one smooth input: with (k', K⁺, types)
        alone the critic ranked the households' capital as the game does only by chance
        (seed 0, n = 20: Spearman 0.21 against 0.80 with â'; over three seeds still not
        reliably, see docs/training.md). k' and â' also enter in levels: a household's value is nearly
        linear in its own wealth (its human wealth dwarfs its capital), which the logs alone
        bend; with the levels the game's per-household capital came within 5 % (n = 20 trials,
        seeds 0 / 1: rank correlation 0.965 / 0.995 against 0.49 / 0.92 with logs only)."""
        p = self.p
        obs, action = obs.to(DTYPE), action.to(DTYPE)
        k = self._k_ss * torch.exp(obs[..., 0])
        logA_sd = obs[..., 2]
        A = torch.exp(logA_sd / self._inv_sd_logA)
        chat, ell = action[..., 0], action[..., 1]
        if self.n == 1:
            r, w, _ = factor_prices(p, A, k, ell)
        else:
            if ctx is None:
                raise ValueError(f"the decision model of an RBC economy with n = {self.n} needs the context [K, L_-i]")
            kappa, lam = 1.0 + TYPE_SCALE * obs[..., 3], 1.0 + TYPE_SCALE * obs[..., 4]
            ctx = ctx.to(DTYPE)
            L = ctx[..., 1] + (ell if p.aggregation == "marginal" else lam * ell / self.n)
            r, w, _ = prices(p, A, ctx[..., 0], L, kappa, lam)
        a = cash_on_hand(p, r, w, k, ell)
        c = chat * a
        reward = utility(p, c, ell)
        k1 = a - c
        log_k1 = torch.log(k1) - self._log_k_ss
        if self.n == 1:
            return reward, torch.stack([log_k1, logA_sd], -1)
        # K⁺ >= k'/n: float32 observations must not take it below what the household alone holds
        K_post = torch.maximum(self._k_ss * torch.exp(obs[..., 1]) + (k1 - k) / self.n, k1 / self.n)
        # â': next period's cash on hand at next period's prices, A' = A^ρ, the household's own
        # saving in K', the others' hours in L', steady-state hours: the return on its capital
        # (κ_i, and its own effect on r) and its wage (λ_i) enter W through one smooth feature
        w_k = 1.0 if p.aggregation == "marginal" else kappa / self.n        # ∂K/∂k_i
        K1 = torch.maximum(ctx[..., 0] + (k1 - k) * w_k, k1 * w_k)
        L1 = ctx[..., 1] * (self.n / (self.n - 1))
        r1, w1, _ = prices(p, A.pow(p.rho), K1, L1, kappa, lam)
        a1 = torch.addcmul(w1 * self._L_ss, r1 + (1.0 - p.delta), k1)
        cols = {"log_k1": log_k1, "log_a1": torch.log(a1) - self._log_k_ss,
                "log_K_post": torch.log(K_post) - self._log_k_ss, "logA_sd": logA_sd,
                "kappa": obs[..., 3], "lambda": obs[..., 4], "k1": k1 / self._k_ss, "a1": a1 / self._k_ss}
        return reward, torch.stack([cols[c] for c in POST_FEATURES], -1)

    def own_capital_moved(self, obs: torch.Tensor, ctx: torch.Tensor | None,
                          eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The observation (…, 5) and context (…, 2) of a household whose own capital is
        k·e^ε instead of k, the others' capital and hours unchanged (the game's open loop):
        log k moves by ε, mean capital by k (e^ε − 1)/n, and K in the context by
        ∂K/∂k_i · k (e^ε − 1). Differentiable in ``eps`` (…,); float64."""
        obs = obs.to(DTYPE)
        k = self._k_ss * torch.exp(obs[..., 0])
        dk = k * torch.expm1(eps)
        cols = [obs[..., 0] + eps]
        if self.n == 1:
            cols.append(obs[..., 1] + eps)
        else:
            K_mean = self._k_ss * torch.exp(obs[..., 1])
            cols.append(torch.log(K_mean + dk / self.n) - self._log_k_ss)
        obs = torch.cat([torch.stack(cols, -1), obs[..., 2:]], -1)
        if ctx is None:
            return obs, None
        ctx = ctx.to(DTYPE)
        w_k = 1.0 if self.p.aggregation == "marginal" else (1.0 + TYPE_SCALE * obs[..., 3]) / self.n    # ∂K/∂k_i
        return obs, torch.stack([ctx[..., 0] + w_k * dk, ctx[..., 1]], -1)

    has_successors = True

    def successors(self, obs: torch.Tensor, x: torch.Tensor, next_obs: torch.Tensor | None,
                   n_quad: int, next_ctx: torch.Tensor | None = None,
                   policy: Callable[[torch.Tensor], torch.Tensor] | None = None):
        """Next period's observations (n_quad, …, 5) at the Gauss–Hermite nodes of the TFP
        innovation and their weights (n_quad, 1, …), summing to 1: log A' = ρ log A + σ_A ε_q,
        own capital k' from the post-decision features ``x`` of :meth:`decision_model`
        (``x[..., 0]`` = log(k'/k_ss)). One node (ε = 0) without shocks.

        n = 1: the next observation follows from ``x`` alone; ``next_obs`` is not needed.

        n > 1 also returns the nodes' decision-model contexts (n_quad, …, 2). Next period's capital
        aggregate is set before A' is drawn, so mean k' (``next_obs[..., 1]``) and K'
        (``next_ctx[..., 0]``) are those observed. The others' hours L'_-i answer A': they are the
        observed ``next_ctx[..., 1]`` times ℓ̄(A'_q)/ℓ̄(A'), ℓ̄ the hours that ``policy``
        (observations → actions in economic units, the shared policy) gives a household at mean
        capital with mean productivities — exact at the observed A', first order elsewhere."""
        from ..benchmarks.rbc import gauss_hermite

        p = self.p
        nodes, weights = gauss_hermite(n_quad if self.shocks and p.sigma_A > 0 else 1)
        lead = (-1, *([1] * (x.dim() - 1)))
        eps = torch.as_tensor(nodes, dtype=x.dtype).view(lead)
        weights = torch.as_tensor(weights, dtype=torch.float64).view(lead)
        # in units of sd(log A): log A'/sd = ρ (log A/sd) + (σ_A/sd) ε
        names = ("log_k1", "logA_sd") if self.n == 1 else POST_FEATURES
        logA_sd = x[..., names.index("logA_sd")]
        logA1_sd = (p.rho * logA_sd + (p.sigma_A * self._inv_sd_logA) * eps).to(obs.dtype)
        if self.n == 1:
            nxt = obs.unsqueeze(0).repeat(len(nodes), *([1] * obs.dim()))
            nxt[..., 0] = x[..., 0].to(obs.dtype)
            nxt[..., 1] = x[..., 0].to(obs.dtype)
            nxt[..., 2] = logA1_sd
            return nxt, weights
        if next_obs is None or next_ctx is None or policy is None:
            raise ValueError(f"successors of an RBC economy with n = {self.n} need the observed next "
                             "observation, its context [K, L_-i] and the policy (the others' hours)")
        nxt = next_obs.unsqueeze(0).repeat(len(nodes), *([1] * next_obs.dim()))
        nxt[..., 0] = x[..., names.index("log_k1")].to(obs.dtype)
        nxt[..., 2] = logA1_sd
        # a household at mean capital with mean productivities, observed at A' and at each node
        rep = torch.cat([next_obs.unsqueeze(0), nxt])
        rep[..., 0] = rep[..., 1]
        rep[..., 3:] = 0.0
        ell = policy(rep)[..., 1].to(DTYPE)
        ctx = next_ctx.to(DTYPE).unsqueeze(0).repeat(len(nodes), *([1] * next_ctx.dim()))
        ctx[..., 1] = ctx[..., 1] * (ell[1:] / ell[:1])
        return nxt, weights, ctx

    def step(self, action: torch.Tensor):
        """Advance one period. Returns (obs', reward (E, n), info dict of (E, n) or (E, 1) tensors)."""
        chat, ell = action[..., 0], action[..., 1]
        if self.check_actions:
            check_bounds(action, self.action_names, [self.p.chat_bounds, self.p.ell_bounds])
        p, k = self.p, self.k
        A = torch.exp(self.logA)
        r, w, Y = factor_prices(p, A, k, ell)
        a = cash_on_hand(p, r, w, k, ell)
        c = chat * a
        k_next = a - c
        reward = utility(p, c, ell)
        info = {"k": k, "A": A, "ell": ell, "r": r, "w": w, "a": a, "c": c, "k_next": k_next, "Y": Y}
        self.k = k_next
        if self.shocks and p.sigma_A > 0:
            eps = standard_normal((self.E, 1), self.generator)
            self.logA = torch.add(p.rho * self.logA, eps, alpha=p.sigma_A)
        else:
            self.logA = p.rho * self.logA
        return self.observe(), reward, info

    def euler_residuals(self, info: dict, info_next: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Realised first-order-condition residuals between two periods; see :func:`euler_residuals`."""
        return euler_residuals(self.p, info, info_next)

    @torch.no_grad()
    def expected_euler_residuals(self, policy, info: dict, n_quad: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
        """First-order-condition residuals in expectation for the period of ``info`` (from
        :meth:`step`) under ``policy`` (observations → actions) next period:

            Euler:   β c_i E_t[R_i' / c_i'] − 1, E over log A' = ρ log A + σ_A ε by ``n_quad``-node
                     Gauss–Hermite quadrature (R_i' from :func:`own_margins`)
            labour:  as in :func:`euler_residuals` (within the period, nothing to integrate)

        Both vanish for every household at an interior optimum; their mean absolute values are
        the policy's Euler and labour errors."""
        from ..benchmarks.rbc import gauss_hermite

        p = self.p
        k1, logA = info["k_next"], torch.log(info["A"])
        nodes, weights = gauss_hermite(n_quad if self.shocks and p.sigma_A > 0 else 1)
        total = torch.zeros_like(k1)
        for eps, omega in zip(nodes.tolist(), weights.tolist()):
            logA1 = p.rho * logA + p.sigma_A * eps
            a1 = policy(self.observe_at(k1, logA1))
            chat1, ell1 = a1[..., 0], a1[..., 1]
            r1, w1, _ = factor_prices(p, torch.exp(logA1), k1, ell1)
            R1, _ = own_margins(p, {"k": k1, "ell": ell1, "r": r1, "w": w1})
            c1 = chat1 * cash_on_hand(p, r1, w1, k1, ell1)
            total += omega * R1 / c1
        return p.beta * info["c"] * total - 1.0, labour_residuals(p, info)
