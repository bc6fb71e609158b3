"""The Krusell–Smith (1998) economy of SPEC §2, batched over (environments E, households n).

Aggregate state z ∈ {good, bad} (index 0, 1) follows a two-state Markov chain; employment
ε_i ∈ {1, 0} moves conditionally on (z, z') and the number unemployed is exact every period:
``round(u_z' · n)``. Per period, with K and L per head:

    K = mean_i k_i,   L = l̄ · (1 - U/n)
    r = α z (K/L)^(α-1),   w = (1-α) z (K/L)^α
    a_i = (1 - δ + r) k_i + w l̄ ε_i       c_i = ĉ_i a_i       k_i' = a_i - c_i ≥ 0
    reward: log c_i

The action is ĉ only, in ``chat_bounds``. Observations per household:
``[log(k_i/K_ss + s) - log(1 + s), log(K/K_ss), ±1 for z good/bad, ±1 for employed/unemployed]``,
with K_ss the representative-agent steady state at mean employment (a unit, not a target) and
s = ``K_SHIFT`` = 0.01: own capital on a log scale that resolves the poor (with log1p(k_i/K_ss)
instead, n = 500 seeds 0 / 1 learned ĉ 0.36 at k = 1 against the KS solution's 0.51; with this,
0.48 / 0.51).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..benchmarks.steady_state import capital_labour_ratio
from .base import DTYPE, check_bounds, initial_capital


K_SHIFT = 0.01   # own-capital feature log(k/K_ss + K_SHIFT) - log(1 + K_SHIFT), see KSEconomy.k_feature
A_FLOOR = 1e-6   # least cash on hand the post-decision critic's model assumes (see KSEconomy.decision_model)


@dataclass
class KSParams:
    """Parameters of one Krusell–Smith economy (the ks98 calibration) with n households."""

    alpha: float
    beta: float
    delta: float
    z: tuple[float, float]               # (z_good, z_bad)
    P_z: np.ndarray                      # (2, 2) P(z' | z)
    P_uu: np.ndarray                     # (2, 2) P(ε'=u | ε=u, z, z')
    u: tuple[float, float]               # unemployment rate (good, bad)
    l_bar: float                         # labour endowment of the employed
    n: int
    chat_bounds: tuple[float, float] = (0.001, 0.999)
    init_k: dict | None = None

    @property
    def K_ss(self) -> float:
        """Representative steady-state capital per head at mean employment (observation unit)."""
        L = self.l_bar * (1.0 - 0.5 * (self.u[0] + self.u[1]))
        return capital_labour_ratio(self.alpha, self.beta, self.delta) * L

    @classmethod
    def from_calibration(cls, cal: dict, n: int, **kw) -> "KSParams":
        from ..benchmarks.ks import transition_matrix

        Pi = transition_matrix(cal)                 # states (g,e), (g,u), (b,e), (b,u)
        P_z = Pi.reshape(2, 2, 2, 2).sum(axis=3)[:, 0, :]   # P(z'|z), the same from e or u
        P_uu = Pi.reshape(2, 2, 2, 2)[:, 1, :, 1] / P_z     # P(u -> u | z, z')
        return cls(alpha=cal["alpha"], beta=cal["beta"], delta=cal["delta"],
                   z=(cal["z_good"], cal["z_bad"]), P_z=P_z, P_uu=P_uu,
                   u=(cal["u_good"], cal["u_bad"]), l_bar=cal["l_bar"], n=n, **kw)


class KSEconomy:
    """``E`` Krusell–Smith economies of ``n`` households, stepped together (see module doc)."""

    action_names = ("chat",)
    obs_dim = 4

    def __init__(self, params: KSParams, n_envs: int, seed: int = 0, check_actions: bool = True):
        self.p = params
        self.E, self.n = n_envs, params.n
        self.check_actions = check_actions
        self.generator = torch.Generator().manual_seed(seed)
        self._z_values = torch.tensor(params.z, dtype=DTYPE)
        self._p_stay = torch.tensor(np.diag(params.P_z).copy(), dtype=DTYPE)
        self._P_uu = torch.tensor(params.P_uu, dtype=DTYPE)
        self._U = torch.tensor([math.floor(u * params.n + 0.5) for u in params.u])   # exact unemployed counts
        self._K_ss = params.K_ss                       # a property that solves the steady state: once
        self._log_K_ss = math.log(self._K_ss)
        self.reset()

    @property
    def action_bounds(self) -> torch.Tensor:
        return torch.tensor([self.p.chat_bounds], dtype=DTYPE)

    def reset(self, seed: int | None = None, z0: torch.Tensor | None = None) -> torch.Tensor:
        """Draw k_i0 around K_ss, z_0 (stationary, P = 1/2 each, or given) and exactly U(z_0) unemployed."""
        if seed is not None:
            self.generator.manual_seed(seed)
        init_k = self.p.init_k or {"dist": "lognormal", "sigma": 0.2}
        self.k = initial_capital(self.p.K_ss, (self.E, self.n), init_k, self.generator)
        if z0 is None:
            z0 = (torch.rand(self.E, generator=self.generator, dtype=DTYPE) < 0.5).long()
        self.z = torch.as_tensor(z0, dtype=torch.long).expand(self.E).clone()
        scores = torch.rand(self.E, self.n, generator=self.generator, dtype=DTYPE)
        rank = scores.argsort(-1).argsort(-1)
        self.employed = rank >= self._U[self.z].unsqueeze(-1)
        return self.observe()

    def observe(self) -> torch.Tensor:
        """Normalised observations (E, n, 4)."""
        return self.observe_at(self.k, self.z, self.employed.to(DTYPE))

    def observe_at(self, k: torch.Tensor, z: torch.Tensor, employed: torch.Tensor) -> torch.Tensor:
        """Observations of households with capital ``k`` (E, n), aggregate state index ``z``
        (E,) and employment ``employed`` (E, n; 1.0 or 0.0), as :meth:`observe` gives them."""
        x = self.k_feature(k)
        log_K = torch.log(k.mean(-1, keepdim=True)) - self._log_K_ss
        z_sign = (1 - 2 * z).to(DTYPE).unsqueeze(-1)
        e_sign = 2 * employed - 1
        return torch.stack([x, log_K.expand_as(x),
                            z_sign.expand_as(x), e_sign], -1)

    def k_feature(self, k: torch.Tensor) -> torch.Tensor:
        """Own capital as observed: log(k/K_ss + s) − log(1 + s), s = K_SHIFT (0 at K_ss; near 0
        it resolves the poor, whose saving changes fastest with k)."""
        return torch.log(k / self._K_ss + K_SHIFT) - math.log1p(K_SHIFT)

    def k_from_feature(self, f: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`k_feature`: k = K_ss (exp(f) (1 + s) − s), floored at 0."""
        return (self._K_ss * (torch.exp(f.to(DTYPE)) * (1.0 + K_SHIFT) - K_SHIFT)).clamp(min=0.0)

    def prices(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Rental rate r, wage w (E, 1), and K, L per head (E, 1) in the current state."""
        zval = self._z_values[self.z].unsqueeze(-1)
        K = self.k.mean(-1, keepdim=True)
        L = self.p.l_bar * self.employed.to(DTYPE).mean(-1, keepdim=True)
        return *self.factor_prices(zval, K, L), K, L

    def factor_prices(self, z, K, L) -> tuple[torch.Tensor, torch.Tensor]:
        """r = α z (K/L)^(α-1) and w = (1-α) z (K/L)^α for TFP z and K, L per head."""
        alpha = self.p.alpha
        KL = K / L
        zKa = z * KL**alpha
        return alpha * zKa / KL, (1.0 - alpha) * zKa

    def cash_on_hand(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Own capital k, aggregate K (per head) and cash on hand a = (1 - δ + r) k + w l̄ ε of
        households with observations ``obs`` (…, 4), at today's prices from (K, z) with the exact
        unemployment count, L = l̄ (1 - U_z/n)."""
        p = self.p
        obs = obs.to(DTYPE)
        # float32 observations resolve k near 0 only to ~1e-9 K_ss (s times float32's relative
        # precision): a household that ate (almost) all its capital may come back with k slightly
        # below 0, which k_from_feature floors at 0; an unemployed one's cash on hand is then
        # floored at A_FLOOR (its reward log(ĉ a) stays finite, as in `step`)
        k = self.k_from_feature(obs[..., 0])
        K = self._K_ss * torch.exp(obs[..., 1])
        good = obs[..., 2] > 0
        z = torch.where(good, self._z_values[0], self._z_values[1])
        L = p.l_bar * (1.0 - torch.where(good, self._U[0], self._U[1]).to(DTYPE) / p.n)
        r, w = self.factor_prices(z, K, L)
        a = ((1.0 - p.delta + r) * k + w * p.l_bar * (obs[..., 3] + 1.0) / 2.0).clamp(min=A_FLOOR)
        return k, K, a

    post_dim = 4
    ctx_dim = 0          # prices follow from the observation: the decision model needs no context

    def decision_model(self, obs: torch.Tensor, action: torch.Tensor,
                       ctx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Reward log c and post-decision features of one household, differentiable in ``action``.

        From observations (…, 4) and ĉ (…, 1): today's prices from (K, z), which the action
        cannot move (L = l̄ (1 - U_z/n), the exact count), a = (1 - δ + r) k + w l̄ ε, c = ĉ a,
        and the features (…, 4) from which next period's value is expected: ``[k_feature(k'),
        log(K⁺/K_ss), ±1 (z), ±1 (ε)]`` with k' = a - c and K⁺ = K + (k' - k)/n, the
        aggregate capital moved by the household's own saving, the others' held: its effect on
        next period's prices (1/n of the aggregate's) reaches the critic, as in the n-player game."""
        p = self.p
        obs, chat = obs.to(DTYPE), action.to(DTYPE)[..., 0]
        k, K, a = self.cash_on_hand(obs)
        c = chat * a
        k1 = a - c
        K_post = (K + (k1 - k) / p.n).clamp(min=A_FLOOR)    # K⁺: own saving moves the aggregate by 1/n
        post = torch.stack([self.k_feature(k1), torch.log(K_post) - self._log_K_ss,
                            obs[..., 2], obs[..., 3]], -1)
        return torch.log(c), post

    def own_capital_moved(self, obs: torch.Tensor, ctx: None,
                          eps: torch.Tensor) -> tuple[torch.Tensor, None]:
        """The observation (…, 4) of a household whose own capital is k·e^ε instead of k, the
        others' unchanged: its capital feature is that of k·e^ε and mean capital K moves by
        k (e^ε − 1)/n (``sac.critic_envelope``). Differentiable in ``eps`` (…,); float64. The
        decision model needs no context: ``ctx`` is None and is returned as it is."""
        obs = obs.to(DTYPE)
        k = self.k_from_feature(obs[..., 0])
        dk = k * torch.expm1(eps)
        K = self._K_ss * torch.exp(obs[..., 1])
        moved = torch.stack([self.k_feature(k + dk), torch.log(K + dk / self.n) - self._log_K_ss], -1)
        return torch.cat([moved, obs[..., 2:]], -1), ctx

    def p_unemployed_next(self, z: torch.Tensor, U: torch.Tensor, employed: torch.Tensor, z_next: int) -> torch.Tensor:
        """P(ε' = u) of households in aggregate state ``z`` (index) with ``U`` unemployed now
        (the count, broadcastable) and employment ``employed`` (bool), given ``z_next``: in the
        exact-count economy P(u→u | z, z') for the unemployed, and for the employed
        P(e→u | z, z') = (U' − U P(u→u)) / (n − U), U' = U(z'), so that U' are unemployed in expectation."""
        P_uu = self._P_uu[z, z_next]
        P_eu = ((self._U[z_next].to(DTYPE) - U * P_uu) / (self.n - U).clamp(min=1)).clamp(0.0, 1.0)
        return torch.where(employed, P_eu, P_uu)

    has_successors = True

    def successors(self, obs: torch.Tensor, x: torch.Tensor, next_obs: torch.Tensor,
                   n_quad: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
        """The four next observations (4, …, 4), one per next exogenous state (z', ε') in
        (good, bad) × (employed, unemployed), and their probabilities (4, …) given today's
        (z, ε): P(z' | z) times, in the exact-count economy, P(u→u | z, z') for the unemployed
        and P(e→u | z, z') = (U' − U P(u→u)) / (n − U) for the employed (U = U_z, U' = U_z').
        Own capital k' is that of the post-decision features ``x`` (…, 4) of
        :meth:`decision_model`; next period's aggregate K' = mean k' is set before z' is drawn
        and is read from the observed successor ``next_obs``. ``n_quad`` is not needed (the
        expectation over the discrete states is exact)."""
        z = (obs[..., 2] < 0).long()                                       # 0 good, 1 bad
        employed = obs[..., 3] > 0
        P_z = torch.as_tensor(self.p.P_z, dtype=DTYPE)
        nodes, probs = [], []
        for zn in (0, 1):
            p_u = self.p_unemployed_next(z, self._U[z].to(DTYPE), employed, zn)
            for e1, p_e in ((1.0, 1.0 - p_u), (-1.0, p_u)):
                nxt = next_obs.clone()
                nxt[..., 0] = x[..., 0].to(obs.dtype)
                nxt[..., 2] = 1.0 - 2.0 * zn
                nxt[..., 3] = e1
                nodes.append(nxt)
                probs.append(P_z[z, zn] * p_e)
        return torch.stack(nodes), torch.stack(probs)

    def step(self, action: torch.Tensor, z_next: torch.Tensor | None = None):
        """Advance one period; ``z_next`` (E,) forces the aggregate state (a common shock path)."""
        if action.dim() == 2:
            action = action.unsqueeze(-1)
        chat = action[..., 0]
        if self.check_actions:
            check_bounds(action, self.action_names, [self.p.chat_bounds])
        p = self.p
        r, w, K, L = self.prices()
        emp = self.employed.to(DTYPE)
        a = (1.0 - p.delta + r) * self.k + w * p.l_bar * emp
        c = chat * a
        k_next = a - c
        reward = torch.log(c)
        info = {"k": self.k, "z": self._z_values[self.z].unsqueeze(-1), "z_index": self.z, "employed": emp,
                "r": r, "w": w, "a": a, "c": c, "k_next": k_next, "K": K, "L": L}
        if z_next is None:
            stay = torch.rand(self.E, generator=self.generator, dtype=DTYPE) < self._p_stay[self.z]
            z_next = torch.where(stay, self.z, 1 - self.z)
        self.employed = self._next_employment(self.z, torch.as_tensor(z_next, dtype=torch.long))
        self.z = torch.as_tensor(z_next, dtype=torch.long).expand(self.E).clone()
        self.k = k_next
        return self.observe(), reward, info

    def euler_residuals(self, info: dict, info_next: dict) -> tuple[torch.Tensor, None]:
        """Realised Euler residuals β R_i' c_i / c_i' − 1 between two periods (``info`` of
        :meth:`step`), with R_i = ∂a_i/∂k_i = 1 − δ + r (1 − (1−α) k_i/(nK)) + α w l̄ ε_i/(nK) the
        return on own capital including the household's own effect on prices (K = mean k).
        Their mean over a long path is 0 at the optimum; no labour choice (None)."""
        nxt = info_next
        R = self.own_return(nxt["k"], nxt["K"], nxt["r"], nxt["w"], nxt["employed"])
        return self.p.beta * R * info["c"] / nxt["c"] - 1.0, None

    def own_return(self, k, K, r, w, employed) -> torch.Tensor:
        """R_i = ∂a_i/∂k_i = 1 − δ + r (1 − (1−α) k_i/(nK)) + α w l̄ ε_i/(nK): the return on own
        capital, the household's effect on K = mean k (and so on r, w) included."""
        p, nK = self.p, self.n * K
        return 1.0 - p.delta + r * (1.0 - (1.0 - p.alpha) * k / nK) + p.alpha * w * p.l_bar * employed / nK

    @torch.no_grad()
    def expected_euler_residuals(self, policy, info: dict) -> tuple[torch.Tensor, None]:
        """Euler residuals in expectation, E_t[β R_i' c_i / c_i'] − 1 (E, n), for the period of
        ``info`` (from :meth:`step`) under ``policy`` (observations → actions) next period.

        The expectation is exact over the four next exogenous states (z', ε_i'): P(z' | z) and
        the employment transitions of the exact-count economy, P(u→u | z, z') and
        P(e→u | z, z') = (U' − U P(u→u)) / (n − U); L' = l̄ (n − U')/n. R_i' is the return on
        own capital (own price effect included, as in :meth:`euler_residuals`). Zero for every
        household at an interior optimum: its mean absolute value is the policy's Euler error."""
        p, n = self.p, self.n
        k1 = info["k_next"]
        K1 = k1.mean(-1, keepdim=True)
        z = info["z_index"]
        emp = info["employed"]
        U = (n - emp.sum(-1, keepdim=True))
        P_z = torch.as_tensor(p.P_z, dtype=DTYPE)
        total = torch.zeros_like(k1)
        for zn in (0, 1):
            U1 = self._U[zn].to(DTYPE)
            p_u = self.p_unemployed_next(z.unsqueeze(-1), U, emp > 0.5, zn)         # (E, n)
            L1 = p.l_bar * (n - U1) / n
            r1, w1 = self.factor_prices(self._z_values[zn], K1, L1)
            zn_t = torch.full_like(z, zn)
            for e1, prob in ((1.0, 1.0 - p_u), (0.0, p_u)):
                e1_t = torch.full_like(k1, e1)
                chat1 = policy(self.observe_at(k1, zn_t, e1_t))[..., 0]
                a1 = (1.0 - p.delta + r1) * k1 + w1 * p.l_bar * e1
                R1 = self.own_return(k1, K1, r1, w1, e1)
                total += P_z[z, zn].unsqueeze(-1) * prob * R1 / (chat1 * a1)
        return p.beta * info["c"] * total - 1.0, None

    def _next_employment(self, z: torch.Tensor, z_next: torch.Tensor) -> torch.Tensor:
        """Exactly U(z') unemployed next period, with stays in unemployment drawn so that their
        expected number is U·P(u→u | z, z') (stochastic rounding) and identities random."""
        n = self.n
        unemp = ~self.employed
        U = unemp.sum(-1)                                           # (E,)
        U_next = self._U[z_next].expand(self.E)
        expected = U.to(DTYPE) * self._P_uu[z, z_next]
        u = torch.rand(self.E, generator=self.generator, dtype=DTYPE)
        stays = torch.floor(expected + u).long()
        stays = torch.maximum(torch.minimum(stays, torch.minimum(U, U_next)), U_next - (n - U)).clamp(min=0)
        newly = U_next - stays
        # order households: the unemployed first, each group in random order
        scores = torch.rand(self.E, n, generator=self.generator, dtype=DTYPE) + (~unemp).to(DTYPE)
        order = scores.argsort(-1)
        pos = torch.arange(n).expand(self.E, n)
        U_, s_, e_ = U.unsqueeze(-1), stays.unsqueeze(-1), newly.unsqueeze(-1)
        unemp_sorted = (pos < s_) | ((pos >= U_) & (pos < U_ + e_))
        unemp_next = torch.empty_like(unemp_sorted).scatter_(-1, order, unemp_sorted)
        return ~unemp_next
