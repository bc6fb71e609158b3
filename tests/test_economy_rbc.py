"""Economics of the batched RBC economies (SPEC §1)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from marlbc import config
from marlbc.benchmarks.steady_state import steady_state
from marlbc.economy import ActionError, factor_prices, make_economy, make_params

DT = torch.float64


def steady_action(eco, chat=None, ell=None):
    ss = steady_state(eco.p.alpha, eco.p.beta, eco.p.delta, eco.p.utility, eco.p.chi, eco.p.b)
    a = torch.empty(eco.E, eco.n, 2, dtype=DT)
    a[..., 0] = ss.chat if chat is None else chat
    a[..., 1] = ss.L if ell is None else ell
    return a, ss


def test_factor_prices_are_marginal_products_homogeneous(cfg):
    """r = ∂Y/∂K and w = ∂Y/∂L (autograd) when κ = λ = 1."""
    p = make_params(cfg, "baseline", 20)
    gen = torch.Generator().manual_seed(1)
    k = 20 + 10 * torch.rand(3, 20, generator=gen, dtype=DT)
    ell = 0.5 + 0.4 * torch.rand(3, 20, generator=gen, dtype=DT)
    A = torch.exp(0.05 * torch.randn(3, 1, generator=gen, dtype=DT))
    K = k.sum(-1, keepdim=True).requires_grad_()
    L = ell.sum(-1, keepdim=True).requires_grad_()
    Y = A * K**p.alpha * L ** (1 - p.alpha)
    dK, dL = torch.autograd.grad(Y.sum(), (K, L))
    r, w, Y_econ = factor_prices(p, A, k, ell)
    assert_allclose(r.numpy(), dK.expand_as(r).numpy(), rtol=1e-13)
    assert_allclose(w.numpy(), dL.expand_as(w).numpy(), rtol=1e-13)
    assert_allclose(Y_econ.numpy(), Y.detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("arm,n", [("rbc", 1), ("baseline", 20), ("rbc_closed_form", 1)])
def test_resource_constraint(cfg, arm, n):
    """Σc + Σk' = Y + (1-δ)ΣK for κ = λ = 1, every period, to 1e-10."""
    eco = make_economy(cfg, arm, n, n_envs=16, seed=3)
    gen = torch.Generator().manual_seed(4)
    for _ in range(50):
        a = torch.empty(eco.E, eco.n, 2, dtype=DT)
        a[..., 0] = 0.05 + 0.9 * torch.rand(eco.E, eco.n, generator=gen, dtype=DT)
        a[..., 1] = 0.05 + 0.9 * torch.rand(eco.E, eco.n, generator=gen, dtype=DT)
        _, _, info = eco.step(a)
        lhs = info["c"].sum(-1) + info["k_next"].sum(-1)
        rhs = info["Y"][:, 0] + (1 - eco.p.delta) * info["k"].sum(-1)
        assert_allclose(lhs.numpy(), rhs.numpy(), rtol=1e-10, atol=0)


def test_effective_aggregation_is_resource_consistent(cfg):
    """The paper's effective aggregation: Σ(r_i k_i + w_i ℓ_i) = n Y even with κ, λ ≠ 1."""
    cfg = {**cfg, "calibrations": {**cfg["calibrations"],
                                   "seed": {**cfg["calibrations"]["seed"], "aggregation": "effective"}}}
    eco = make_economy(cfg, "heterogeneous", 25, n_envs=4, seed=0)
    a, _ = steady_action(eco)
    _, _, info = eco.step(a)
    income = (info["r"] * info["k"] + info["w"] * info["ell"]).sum(-1)
    assert_allclose(income.numpy(), 25 * info["Y"][:, 0].numpy(), rtol=1e-12)


def test_steady_state_is_a_fixed_point(cfg):
    """At k = k_ss, A = 1 and the steady-state action, capital stays put and r, w match."""
    eco = make_economy(cfg, "baseline", 20, n_envs=2, seed=0, shocks=False)
    a, ss = steady_action(eco)
    eco.k = torch.full((2, 20), ss.K, dtype=DT)
    eco.logA = torch.zeros(2, 1, dtype=DT)
    obs, reward, info = eco.step(a)
    assert_allclose(info["k_next"].numpy(), ss.K, rtol=1e-12)
    assert_allclose(info["r"].numpy(), ss.r, rtol=1e-12)
    assert_allclose(info["w"].numpy(), ss.w, rtol=1e-12)
    assert_allclose(info["c"].numpy(), ss.C, rtol=1e-12)
    assert_allclose(reward.numpy(), math.log(ss.C) - ss.L, rtol=1e-12)
    assert_allclose(obs[..., :3].numpy(), 0.0, atol=1e-12)


def test_log_tfp_is_ar1(cfg):
    """log A_t = ρ log A_{t-1} + σ ε: stationary mean 0, variance σ²/(1-ρ²), autocorrelation ρ."""
    eco = make_economy(cfg, "rbc", 1, n_envs=4096, seed=11)
    a, _ = steady_action(eco)
    p = eco.p
    logA = []
    for _ in range(200):
        logA.append(eco.logA[:, 0].clone())
        eco.step(a)
    x = torch.stack(logA).numpy()          # (T, E), starts from the stationary law
    var = p.sigma_A**2 / (1 - p.rho**2)
    se = math.sqrt(var / x.size)
    assert abs(x.mean()) < 8 * se * math.sqrt((1 + p.rho) / (1 - p.rho))
    assert_allclose(x.var(), var, rtol=0.02)
    acf = np.mean(x[1:] * x[:-1]) / np.mean(x[:-1] ** 2)
    assert_allclose(acf, p.rho, atol=0.005)
    innov = x[1:] - p.rho * x[:-1]
    assert_allclose(innov.std(), p.sigma_A, rtol=0.01)


def test_same_seed_same_path_other_seed_differs(cfg):
    def path(seed):
        eco = make_economy(cfg, "heterogeneous", 20, n_envs=3, seed=seed)
        a, _ = steady_action(eco)
        out = [eco.reset()]
        for _ in range(30):
            out.append(eco.step(a)[0])
        return torch.stack(out)
    assert torch.equal(path(5), path(5))
    assert not torch.equal(path(5), path(6))


def test_action_outside_bounds_raises_naming_it(cfg):
    eco = make_economy(cfg, "rbc", 1, n_envs=2, seed=0)
    a, _ = steady_action(eco)
    a[1, 0, 1] = 1.7
    with pytest.raises(ActionError, match=r"action 'ell' = 1.7 is outside its bounds \[0.01, 1.5\]"):
        eco.step(a)
    a, _ = steady_action(eco)
    a[0, 0, 0] = float("nan")
    with pytest.raises(ActionError, match="action 'chat' = nan"):
        eco.step(a)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), arm=st.sampled_from(["rbc", "rbc_closed_form", "heterogeneous"]),
       lo=st.floats(0.0, 1.0), width=st.floats(0.0, 1.0))
def test_random_valid_actions_keep_capital_positive_and_finite(cfg, seed, arm, lo, width):
    """Any actions inside the bounds, even extreme ones, never give NaN, inf or k < 0."""
    eco = make_economy(cfg, arm, 1 if arm != "heterogeneous" else 20, n_envs=4, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    bounds = eco.action_bounds
    span = bounds[:, 1] - bounds[:, 0]
    for _ in range(60):
        u = lo + width * (1 - lo) * torch.rand(eco.E, eco.n, 2, generator=gen, dtype=DT)
        a = bounds[:, 0] + span * u.clamp(0, 1)
        obs, reward, info = eco.step(a)
        for t in (obs, reward, info["k_next"], info["c"]):
            assert torch.isfinite(t).all()
        assert (info["k_next"] > 0).all()


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
@pytest.mark.parametrize("arm, n", [("heterogeneous", 9), ("rbc", 1)])
def test_own_margins_are_the_diagonal_of_the_budget_jacobian(cfg, arm, n, aggregation):
    """R_i = ∂a_i/∂k_i and W_i = ∂a_i/∂ℓ_i with the household's own price effects (autograd)."""
    import dataclasses

    from marlbc.economy.rbc import own_margins

    p = dataclasses.replace(make_params(cfg, arm, n), aggregation=aggregation)
    gen = torch.Generator().manual_seed(3)
    k = 20 + 10 * torch.rand(1, n, generator=gen, dtype=DT)
    ell = 0.5 + 0.4 * torch.rand(1, n, generator=gen, dtype=DT)
    A = torch.exp(0.05 * torch.randn(1, 1, generator=gen, dtype=DT))

    def budget(k, ell):
        r, w, _ = factor_prices(p, A, k, ell)
        return (1 - p.delta + r) * k + w * ell
    dk, dl = torch.autograd.functional.jacobian(lambda k, ell: budget(k, ell).reshape(-1), (k, ell))
    r, w, _ = factor_prices(p, A, k, ell)
    R, W = own_margins(p, {"k": k, "ell": ell, "r": r, "w": w})
    assert_allclose(R.reshape(-1).numpy(), torch.diagonal(dk.reshape(n, n)).numpy(), rtol=1e-12)
    assert_allclose(W.reshape(-1).numpy(), torch.diagonal(dl.reshape(n, n)).numpy(), rtol=1e-12)
    if n == 1:                                                   # the planner's margins
        assert_allclose(R.item(), 1 - p.delta + r.item(), rtol=1e-12)
        assert_allclose(W.item(), w.item(), rtol=1e-12)


def test_euler_residuals_vanish_at_the_steady_state(cfg):
    """At the deterministic steady state both first-order conditions hold exactly."""
    eco = make_economy(cfg, "baseline", 5, 2, seed=0, shocks=False)
    a, ss = steady_action(eco)
    eco.k = torch.full_like(eco.k, ss.K)
    eco.logA = torch.zeros_like(eco.logA)
    _, _, info = eco.step(a)
    _, _, info_next = eco.step(a)
    euler, labour = eco.euler_residuals(info, info_next)
    # symmetric own price effects cancel (SPEC §3, baseline): the planner's conditions hold
    assert_allclose(euler.numpy(), 0, atol=1e-12)
    assert_allclose(labour.numpy(), 0, atol=1e-12)
    _, _, info_off = eco.step(steady_action(eco, chat=ss.chat * 1.05)[0])   # consume 5% more
    assert (eco.euler_residuals(info_next, info_off)[0] < -0.01).all()      # c_t / c_t+1 falls


def test_expected_euler_residuals_vanish_for_the_benchmark_policy(cfg):
    """The global solution (an independent solver) satisfies the economy's first-order
    conditions in expectation at states around the steady state, to quadrature accuracy."""
    from marlbc.benchmarks import rbc as rbc_bm
    from marlbc.config import arm_calibration

    cal = arm_calibration(cfg, "rbc")
    sol = rbc_bm.solve(cal)
    eco = make_economy(cfg, "rbc", 1, 64, seed=5)
    sd = eco.p.sd_logA

    def policy(obs):                     # observations -> the benchmark's (ĉ, ℓ)
        K = eco.p.k_ss * np.exp(obs[..., 0].numpy())
        A = np.exp(sd * obs[..., 2].numpy())
        chat, ell = sol.policy(K, A)
        return torch.from_numpy(np.stack([chat, ell], -1))

    eco.reset()
    for _ in range(3):
        _, _, info = eco.step(policy(eco.observe()))
    euler, labour = eco.expected_euler_residuals(policy, info, n_quad=9)
    assert euler.abs().max() < 1e-8 and labour.abs().max() < 1e-8
    bad = policy(eco.observe())
    bad[..., 0] *= 1.02                                          # consume 2% more than optimal
    _, _, info = eco.step(bad)
    euler, _ = eco.expected_euler_residuals(policy, info, n_quad=9)
    assert_allclose(euler.numpy(), 0.02, atol=2e-3)           # today's c 2% too high: β c E[R'/c'] ≈ 1.02


@pytest.mark.parametrize("arm", ["rbc", "rbc_closed_form"])
def test_decision_model_is_the_step_and_differentiable(cfg, arm):
    """The post-decision critic's model: the reward and k' of `step`, ∂r/∂ĉ = 1/ĉ, and the
    post-decision features are the next observation before the TFP shock."""
    eco = make_economy(cfg, arm, 1, 64, seed=3)
    gen = torch.Generator().manual_seed(4)
    obs = eco.observe()
    lo, hi = eco.action_bounds[:, 0], eco.action_bounds[:, 1]
    a = (lo + (hi - lo) * torch.rand(64, 1, 2, generator=gen, dtype=DT)).requires_grad_(True)
    r, x = eco.decision_model(obs, a)
    obs1, r_step, info = eco.step(a.detach())
    assert_allclose(r.detach().numpy(), r_step.numpy(), rtol=1e-12, atol=1e-12)
    assert_allclose(x[..., 0].detach().numpy(), torch.log(info["k_next"] / eco.p.k_ss).numpy(), rtol=1e-12, atol=1e-12)
    assert_allclose(x[..., 1].detach().numpy(), obs[..., 2].numpy(), rtol=1e-12, atol=1e-12)
    (g,) = torch.autograd.grad(r.sum(), a)
    assert_allclose(g[..., 0].numpy(), 1.0 / a[..., 0].detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("aggregation", ["marginal", "effective"])
@pytest.mark.parametrize("arm", ["heterogeneous", "baseline"])
def test_decision_model_with_several_households(cfg, arm, aggregation):
    """n > 1: with the context [K, L_-i] taken before the step, the model gives each household
    the reward and k' of `step`; its hours move its own prices, so ∂r/∂ℓ = W_i/a_i − χ with W_i
    the own marginal wage of the game (`own_margins`); and the K⁺ of all households add up to
    the aggregate's move, Σ_i (K⁺_i − K) = K' − K (per head)."""
    import dataclasses

    from marlbc.economy.rbc import own_margins

    n = 7
    eco = make_economy(cfg, arm, n, 16, seed=3)
    eco.p = dataclasses.replace(eco.p, aggregation=aggregation)
    gen = torch.Generator().manual_seed(4)
    obs = eco.observe()
    lo, hi = eco.action_bounds[:, 0], eco.action_bounds[:, 1]
    a = (lo + (hi - lo) * torch.rand(16, n, 2, generator=gen, dtype=DT)).requires_grad_(True)
    ctx = eco.context(a.detach())
    r, x = eco.decision_model(obs, a, ctx)
    assert eco.ctx_dim == ctx.shape[-1] == 2 and eco.post_dim == x.shape[-1] == 8
    k_mean = eco.k.mean(-1, keepdim=True)
    _, r_step, info = eco.step(a.detach())
    assert_allclose(r.detach().numpy(), r_step.numpy(), rtol=1e-10, atol=1e-10)
    assert_allclose(x[..., 0].detach().numpy(), torch.log(info["k_next"] / eco.p.k_ss).numpy(), rtol=1e-10, atol=1e-10)
    # the levels: k'/k_ss and â'/k_ss, the same states as the logs
    assert_allclose(x[..., 6].detach().numpy(), (info["k_next"] / eco.p.k_ss).numpy(), rtol=1e-10)
    assert_allclose(x[..., 7].detach().numpy(), torch.exp(x[..., 1].detach()).numpy(), rtol=1e-12)
    K_post = eco.p.k_ss * torch.exp(x[..., 2].detach())
    assert_allclose((K_post - k_mean).sum(-1).numpy(), (info["k_next"].mean(-1) - k_mean[:, 0]).numpy(), rtol=1e-5)
    (g,) = torch.autograd.grad(r.sum(), a)
    _, W = own_margins(eco.p, info)
    assert_allclose(g[..., 1].numpy(), (W / info["a"] - eco.p.chi).numpy(), rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="needs the context"):
        eco.decision_model(obs, a.detach())


def test_expected_cash_on_hand_feature_is_the_steady_state_one_there(cfg):
    """At the symmetric steady state (k = k_ss, A = 1, steady actions) the post-decision
    feature â' is next period's cash on hand, a_ss = (1 - δ + r) k_ss + w ℓ_ss; it rises with κ_i
    and λ_i."""
    eco = make_economy(cfg, "baseline", 20, 2, seed=0)
    eco.k = torch.full((2, 20), eco.p.k_ss, dtype=DT)
    eco.logA = torch.zeros(2, 1, dtype=DT)
    a, _ = steady_action(eco)
    obs = eco.observe()
    r, x = eco.decision_model(obs, a, eco.context(a))
    _, _, info = eco.step(a)
    assert_allclose(x[..., 1].numpy(), torch.log(info["a"] / eco.p.k_ss).numpy(), rtol=0, atol=1e-6)
    richer = obs.clone()
    richer[..., 3:] = 1.0                                     # κ = λ = 1.02
    _, x_rich = eco.decision_model(richer, a, eco.context(a))
    assert (x_rich[..., 1] > x[..., 1]).all()


def test_successors_are_the_next_observations_at_the_quadrature_nodes(cfg):
    """n = 1: from the post-decision state, next period's observation at each Gauss–Hermite node
    ε_q is the economy's observation at k' and log A' = ρ log A + σ_A ε_q; the weights integrate
    log A' to its conditional mean and variance. n > 1 has no such list (others' capital)."""
    from marlbc.benchmarks.rbc import gauss_hermite

    eco = make_economy(cfg, "rbc", 1, 16, seed=5)
    gen = torch.Generator().manual_seed(6)
    obs = eco.observe()
    a = torch.stack([0.05 + 0.2 * torch.rand(16, 1, generator=gen, dtype=DT),
                     0.2 + 0.3 * torch.rand(16, 1, generator=gen, dtype=DT)], -1)
    _, x = eco.decision_model(obs, a)
    nxt, w = eco.successors(obs, x, None, 7)
    eps, omega = gauss_hermite(7)
    assert nxt.shape == (7, 16, 1, 5) and w.shape == (7, 1, 1)
    assert_allclose(w.view(-1).numpy(), omega, rtol=1e-14)
    k1 = eco.p.k_ss * torch.exp(x[..., 0])
    p = eco.p
    for q in range(7):
        expected = eco.observe_at(k1, p.rho * eco.logA + p.sigma_A * eps[q])
        assert_allclose(nxt[q].numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    logA1 = nxt[..., 2] * p.sd_logA
    mean = (w * logA1).sum(0)
    assert_allclose(mean.numpy(), (p.rho * eco.logA).numpy(), atol=1e-14)
    assert_allclose(((w * (logA1 - mean) ** 2).sum(0)).numpy(), p.sigma_A**2, rtol=1e-10)
    calm = make_economy(cfg, "rbc", 1, 16, seed=5, shocks=False)
    assert calm.successors(obs, x, None, 7)[0].shape[0] == 1
    many = make_economy(cfg, "baseline", 4, 2, seed=5)
    with pytest.raises(ValueError, match="n = 4"):
        many.successors(many.observe(), torch.zeros(2, 4, 6), None, 5)


def test_successors_of_many_households_move_only_tfp_and_the_others_hours(cfg):
    """n > 1: at each node only log A' changes (own k' from the post-decision state, mean k'
    and the types as observed), the capital aggregate of the context is the observed one, and the
    others' hours move with A' as the policy's hours of a household at mean capital with mean
    productivities: exactly the observed context where the policy's hours do not answer A', and
    scaled by the ratio of its hours at the node and at the observed A' where they do."""
    from marlbc.benchmarks.rbc import gauss_hermite

    eco = make_economy(cfg, "heterogeneous", 9, 3, seed=5)
    gen = torch.Generator().manual_seed(6)
    obs = eco.observe()
    a = torch.stack([0.05 + 0.1 * torch.rand(3, 9, generator=gen, dtype=DT),
                     0.5 + 0.4 * torch.rand(3, 9, generator=gen, dtype=DT)], -1)
    ctx = eco.context(a)
    _, x = eco.decision_model(obs, a, ctx)
    next_obs, _, _ = eco.step(a)
    next_ctx = eco.context(a)
    p = eco.p

    def still(o):                      # hours that do not answer A
        return torch.full((*o.shape[:-1], 2), 0.7, dtype=DT)

    def answering(o):                  # hours rising with log A, and with own capital (unused by the rule)
        h = 0.8 + 0.1 * o[..., 2].to(DT) + 0.05 * o[..., 0].to(DT)
        return torch.stack([torch.full_like(h, 0.1), h], -1)

    nxt, w, node_ctx = eco.successors(obs, x, next_obs, 5, next_ctx=next_ctx, policy=still)
    eps, omega = gauss_hermite(5)
    assert nxt.shape == (5, 3, 9, 5) and w.shape == (5, 1, 1) and node_ctx.shape == (5, 3, 9, 2)
    assert_allclose(w.view(-1).numpy(), omega, rtol=1e-14)
    for q in range(5):
        assert torch.equal(nxt[q, ..., 0], x[..., 0].to(obs.dtype))
        assert torch.equal(nxt[q, ..., 1], next_obs[..., 1]) and torch.equal(nxt[q, ..., 3:], next_obs[..., 3:])
        logA1 = p.rho * obs[..., 2].double() * p.sd_logA + p.sigma_A * eps[q]
        assert_allclose(nxt[q, ..., 2].double().numpy() * p.sd_logA, logA1.numpy(), rtol=1e-6, atol=1e-9)
        assert_allclose(node_ctx[q].numpy(), next_ctx.numpy(), rtol=1e-15)
    _, _, moved = eco.successors(obs, x, next_obs, 5, next_ctx=next_ctx, policy=answering)
    rep_obs = 0.8 + 0.1 * next_obs[..., 2].double() + 0.05 * next_obs[..., 1].double()
    for q in range(5):
        rep_q = 0.8 + 0.1 * nxt[q, ..., 2].double() + 0.05 * next_obs[..., 1].double()
        assert torch.equal(moved[q, ..., 0], next_ctx[..., 0])
        assert_allclose(moved[q, ..., 1].numpy(), (next_ctx[..., 1] * rep_q / rep_obs).numpy(), rtol=1e-12)
    assert not torch.allclose(moved[0, ..., 1], moved[-1, ..., 1])
    with pytest.raises(ValueError, match="n = 9"):
        eco.successors(obs, x, next_obs, 5)


@pytest.mark.parametrize("arm, n", [("heterogeneous", 9), ("rbc", 1)])
def test_own_capital_moved_is_the_observation_and_context_of_that_capital(cfg, arm, n):
    """``own_capital_moved(obs_i, ctx_i, ε)`` gives household i's observation and context as
    the economy would compute them with its capital k_i e^ε and everything else unchanged."""
    rcfg = config.resolve(cfg, None)
    eco = make_economy(rcfg, arm, n, 3, seed=1)
    obs = eco.reset()
    g = torch.Generator().manual_seed(2)
    a = torch.stack([0.05 + 0.2 * torch.rand(3, n, generator=g, dtype=torch.float64),
                     0.5 + 0.5 * torch.rand(3, n, generator=g, dtype=torch.float64)], -1)
    ctx = eco.context(a) if n > 1 else None
    i = n - 1
    eps = torch.tensor([0.03, -0.2, 0.0], dtype=torch.float64)
    o, c = eco.own_capital_moved(obs[:, i], None if ctx is None else ctx[:, i], eps)
    eco.k = eco.k.clone()
    eco.k[:, i] *= torch.exp(eps)
    assert_allclose(o.numpy(), eco.observe()[:, i].numpy(), rtol=1e-12, atol=1e-12)
    if n > 1:
        assert_allclose(c.numpy(), eco.context(a)[:, i].numpy(), rtol=1e-12)
    else:
        assert c is None
