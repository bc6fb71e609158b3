"""The Krusell–Smith (1998) economy: exact unemployment, spells, the z chain, prices, seeding."""

import copy
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from marlbc import config
from marlbc.economy import make_economy

DT = torch.float64


def run(eco, T, chat=0.1, z_fixed=None):
    """Step T periods; returns employment (T+1, E, n), z (T+1, E) and the infos."""
    emp, zs, infos = [eco.employed.clone()], [eco.z.clone()], []
    a = torch.full((eco.E, eco.n, 1), chat, dtype=DT)
    for _ in range(T):
        z_next = None if z_fixed is None else torch.full((eco.E,), z_fixed)
        _, _, info = eco.step(a, z_next=z_next)
        emp.append(eco.employed.clone())
        zs.append(eco.z.clone())
        infos.append(info)
    return torch.stack(emp), torch.stack(zs), infos


@pytest.mark.parametrize("n", [10, 50, 500])
def test_unemployment_count_is_exact_every_period(cfg, n):
    eco = make_economy(cfg, "ks", n, n_envs=16, seed=0)
    emp, zs, _ = run(eco, 300)
    U = (~emp).sum(-1)
    expected = torch.tensor([math.floor(0.04 * n + 0.5), math.floor(0.10 * n + 0.5)])[zs]
    assert torch.equal(U, expected)
    if n == 500:
        assert_allclose(U[zs == 0].double().mean() / n, 0.04, rtol=0, atol=1e-15)
        assert_allclose(U[zs == 1].double().mean() / n, 0.10, rtol=0, atol=1e-15)


@pytest.mark.parametrize("z,spell", [(0, 1.5), (1, 2.5)])
def test_mean_unemployment_spells(cfg, z, spell):
    """With z held fixed, the exit rate from unemployment is 1/spell (1.5 good, 2.5 bad quarters)."""
    eco = make_economy(cfg, "ks", 500, n_envs=32, seed=1)
    eco.reset(z0=torch.full((32,), z))
    emp, _, _ = run(eco, 400, z_fixed=z)
    unemp_now, emp_next = ~emp[:-1], emp[1:]
    exits = (unemp_now & emp_next).sum().item()
    mean_spell = unemp_now.sum().item() / exits
    assert_allclose(mean_spell, spell, rtol=0.01)


def test_aggregate_chain_persistence(cfg):
    eco = make_economy(cfg, "ks", 10, n_envs=512, seed=2)
    _, zs, _ = run(eco, 400)
    stay = (zs[1:] == zs[:-1]).double().mean().item()
    assert_allclose(stay, 0.875, atol=0.004)
    assert_allclose(zs.double().mean().item(), 0.5, atol=0.02)


def test_prices_and_budget(cfg):
    eco = make_economy(cfg, "ks", 100, n_envs=4, seed=3)
    p = eco.p
    _, _, infos = run(eco, 5, chat=0.2)
    for info in infos:
        KL = info["K"] / info["L"]
        assert_allclose(info["r"], p.alpha * info["z"] * KL ** (p.alpha - 1), rtol=1e-13)
        assert_allclose(info["w"], (1 - p.alpha) * info["z"] * KL**p.alpha, rtol=1e-13)
        a = (1 - p.delta + info["r"]) * info["k"] + info["w"] * p.l_bar * info["employed"]
        assert_allclose(info["a"], a, rtol=1e-13)
        assert_allclose(info["k_next"], 0.8 * info["a"], rtol=1e-13)
        # resource constraint per head: C + K' = Y + (1-δ)K
        Y = info["z"] * info["K"] ** p.alpha * info["L"] ** (1 - p.alpha)
        lhs = (info["c"] + info["k_next"]).mean(-1, keepdim=True)
        assert_allclose(lhs, Y + (1 - p.delta) * info["K"], rtol=1e-12)


def test_same_seed_same_path_other_seed_differs(cfg):
    def path(seed):
        eco = make_economy(cfg, "ks", 50, n_envs=4, seed=seed)
        emp, zs, infos = run(eco, 40)
        return emp, zs, torch.stack([i["k_next"] for i in infos])
    a, b, c = path(7), path(7), path(8)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), lo=st.floats(0.0, 1.0), width=st.floats(0.0, 1.0))
def test_random_valid_actions_never_nan_or_negative(cfg, seed, lo, width):
    eco = make_economy(cfg, "ks", 20, n_envs=4, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    b_lo, b_hi = eco.p.chat_bounds
    for _ in range(60):
        u = (lo + width * (1 - lo) * torch.rand(eco.E, eco.n, 1, generator=gen, dtype=DT)).clamp(0, 1)
        obs, reward, info = eco.step(b_lo + (b_hi - b_lo) * u)
        for t in (obs, reward, info["k_next"]):
            assert torch.isfinite(t).all()
        assert (info["k_next"] >= 0).all()


def test_euler_residual_uses_the_return_on_own_capital(cfg):
    """β R_i' c/c' − 1 with R_i = ∂a_i/∂k_i (autograd over k, own effect on K included)."""
    eco = make_economy(cfg, "ks", 10, n_envs=1, seed=4)
    p = eco.p
    _, _, infos = run(eco, 3, chat=0.2)
    info = infos[-1]
    z = info["z"]

    def budget(k):
        K = k.mean(-1, keepdim=True)
        KL = K / info["L"]
        r, w = p.alpha * z * KL ** (p.alpha - 1), (1 - p.alpha) * z * KL**p.alpha
        return ((1 - p.delta + r) * k + w * p.l_bar * info["employed"]).reshape(-1)
    R = torch.diagonal(torch.autograd.functional.jacobian(budget, info["k"]).reshape(10, 10))
    ones = {"c": torch.ones_like(info["c"])}
    euler, labour = eco.euler_residuals(ones, {**info, "c": torch.ones_like(info["c"])})
    assert labour is None
    assert_allclose(((euler + 1) / p.beta).reshape(-1).numpy(), R.numpy(), rtol=1e-12)
    assert not torch.allclose(R, 1 - p.delta + info["r"].reshape(-1))    # own effects matter at n = 10


def test_expected_euler_residuals_match_a_monte_carlo_average(cfg):
    """The exact expectation over (z', ε') equals the average of realised residuals over many
    draws of the next period from one state."""
    E, n = 4000, 10
    eco = make_economy(cfg, "ks", n, n_envs=E, seed=6)
    eco.reset(seed=6, z0=torch.zeros(E, dtype=torch.long))
    eco.k = eco.k[:1].expand(E, n).clone()                      # one state, cloned E times
    eco.employed = eco.employed[:1].expand(E, n).clone()

    def policy(obs):                     # ĉ depends on the state, so c' varies with (z', ε')
        return (0.08 + 0.01 * obs[..., 2:3] - 0.02 * obs[..., 3:4] + 0.01 * obs[..., 0:1]).clamp(0.01, 0.5)
    _, _, info = eco.step(policy(eco.observe()))
    expected, _ = eco.expected_euler_residuals(policy, info)
    assert_allclose(expected.std(0).numpy(), 0, atol=1e-12)      # the same state in every env
    _, _, info_next = eco.step(policy(eco.observe()))
    realised, _ = eco.euler_residuals(info, info_next)
    mc, se = realised.mean(0), realised.std(0) / math.sqrt(E)
    assert ((mc - expected[0]).abs() < 4 * se + 1e-6).all()



def test_recentred_exploring_start_spreads_households_not_the_aggregate(cfg):
    """init_k with recentre: households spread over U(0.02, 3)·K_ss, yet every economy's mean
    capital starts at K_ss (a small economy is not started far from its aggregate steady state),
    or at K_ss·exp(aggregate_sigma·N(0, 1)), drawn per economy whatever n."""
    wide = {"dist": "uniform", "low": 0.02, "high": 3.0}
    for recentre, sigma in ((True, 0.0), (True, 0.2), (False, None)):
        c = copy.deepcopy(cfg)
        init_k = {**wide, "recentre": recentre} | ({} if sigma is None else {"aggregate_sigma": sigma})
        c["arms"]["ks"]["explore"] = {"init_k": init_k}
        config.validate(c)
        eco = make_economy(c, "ks", 10, 400, seed=3, training=True)
        ratio = eco.k / eco.p.K_ss
        assert float(ratio.min()) < 0.1 and float(ratio.max()) > 2.0
        mean = ratio.mean(-1)
        if sigma == 0.0:
            assert_allclose(mean.numpy(), 1.0, rtol=1e-12)
        elif sigma is not None:     # log of the mean ~ N(0, 0.2²): 400 draws, within 4 standard errors
            assert_allclose(float(mean.log().std()), sigma, rtol=4 / math.sqrt(2 * 400))
            assert abs(float(mean.log().mean())) < 4 * sigma / math.sqrt(400)
        else:                       # U(0.02, 3) over 10 households: sd of the mean ≈ 0.27
            assert float(mean.std()) > 0.1
    with pytest.raises(config.ConfigError, match="aggregate_sigma"):
        c["arms"]["ks"]["explore"] = {"init_k": {**wide, "aggregate_sigma": 0.2}}      # without recentre
        config.validate(c)


def test_decision_model_is_the_step_with_prices_taken_as_given(cfg):
    """The post-decision critic's model at n = 500 (prices from the observed K and z, the exact
    unemployment count): today's reward log c of `step`; features: k', the aggregate moved by
    the household's own saving alone, K + (k' - k)/n, and the observed z and employment."""
    eco = make_economy(cfg, "ks", 500, 4, seed=5)
    obs = eco.observe()
    chat = 0.02 + 0.2 * torch.rand(4, 500, 1, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    r, x = eco.decision_model(obs, chat)
    obs1, r_step, info = eco.step(chat)
    assert_allclose(r.numpy(), r_step.numpy(), rtol=1e-12, atol=1e-12)
    assert_allclose(x[..., 0].numpy(), obs1[..., 0].numpy(), rtol=1e-12, atol=1e-12)
    K_plus = info["K"] + (info["k_next"] - info["k"]) / 500
    assert_allclose(x[..., 1].numpy(), torch.log(K_plus / eco.p.K_ss).numpy(), rtol=1e-12, atol=1e-12)
    assert_allclose(x[..., 2:].numpy(), obs[..., 2:].numpy(), rtol=0, atol=0)
    # summed over households, the own moves add up to next period's aggregate: Σ_i (K⁺_i - K) = K' - K
    assert_allclose((K_plus - info["K"]).sum(-1).numpy(), (info["k_next"].mean(-1) - info["K"][..., 0]).numpy(),
                    rtol=1e-10, atol=1e-12)


def test_decision_model_stays_finite_for_a_household_that_ate_its_capital(cfg):
    """k ≈ 0 comes back from a float32 observation as ±1e-6: the reward stays finite."""
    eco = make_economy(cfg, "ks", 10, 2, seed=0)
    eco.k[:, :] = 1e-12
    eco.employed[:, :] = False
    r, x = eco.decision_model(eco.observe().float(), torch.full((2, 10, 1), 0.999, dtype=torch.float64))
    assert torch.isfinite(r).all() and torch.isfinite(x).all()


def test_successors_are_the_four_next_states_with_their_probabilities(cfg):
    """The post-decision critic's expectation: from today's (z, ε) the four next observations
    (z', ε') with k' from the post-decision features and K' from the observed successor; the one
    that happened is the economy's next observation; the probabilities sum to 1 per household,
    the expected unemployed count given z' is exactly U(z'), and they match the frequencies of
    `step` over many economies."""
    n, E = 20, 4000
    eco = make_economy(cfg, "ks", n, E, seed=8)
    obs = eco.observe()
    chat = torch.full((E, n, 1), 0.1, dtype=DT)
    _, x = eco.decision_model(obs, chat)
    z0, emp0 = eco.z.clone(), eco.employed.clone()
    obs1, _, _ = eco.step(chat)
    nodes, probs = eco.successors(obs, x, obs1)
    assert nodes.shape == (4, E, n, 4) and probs.shape == (4, E, n)
    assert_allclose(probs.sum(0).numpy(), 1.0, rtol=1e-12)
    which = 2 * eco.z.view(E, 1) + (~eco.employed).long()                  # index of what happened
    happened = nodes.gather(0, which.view(1, E, n, 1).expand(1, E, n, 4))[0]
    assert_allclose(happened.numpy(), obs1.numpy(), rtol=0, atol=1e-12)
    P_z = torch.as_tensor(eco.p.P_z, dtype=DT)
    for zn in (0, 1):
        p_u = probs[2 * zn + 1] / P_z[z0, zn].unsqueeze(-1)
        assert_allclose(p_u.sum(-1).numpy(), float(eco._U[zn]), rtol=1e-10)          # exact count
    for z in (0, 1):
        for e in (True, False):
            mask = (z0.view(E, 1) == z) & (emp0 == e)
            freq = torch.stack([((which == q) & mask).sum() for q in range(4)]).double() / mask.sum()
            pred = probs[:, mask].mean(1)
            se = (pred * (1 - pred) / mask.sum()).sqrt()
            assert ((freq - pred).abs() <= 5 * se + 1e-12).all(), (z, e, freq, pred)


def test_own_capital_feature_round_trips_and_resolves_the_poor(cfg):
    """Observed own capital is log(k/K_ss + κ) − log(1 + κ): 0 at K_ss, decoded back to k by
    cash_on_hand to float32 precision from 0 to 5 K_ss, and it spreads the poor (k from 0 to
    0.05 K_ss) over more than a third of the feature's range up to 2 K_ss."""
    from marlbc.economy.ks import K_SHIFT

    eco = make_economy(cfg, "ks", 10, 1, seed=0)
    K_ss = eco.p.K_ss
    k = K_ss * torch.tensor([[0.0, 1e-4, 0.01, 0.05, 0.2, 0.5, 1.0, 1.5, 2.0, 5.0]], dtype=DT)
    f = eco.k_feature(k)
    assert_allclose(f[0, 6].item(), 0.0, atol=1e-15)
    assert_allclose(f[0, 0].item(), math.log(K_SHIFT / (1 + K_SHIFT)), rtol=1e-12)
    obs = eco.observe_at(k, torch.tensor([0]), torch.ones_like(k)).float()      # as stored in replay
    k_back, _, _ = eco.cash_on_hand(obs)
    assert_allclose(k_back.numpy(), k.numpy(), rtol=2e-6, atol=2e-7 * K_ss)
    assert ((f[0, 3] - f[0, 0]) / (f[0, 8] - f[0, 0])).item() > 1 / 3


def test_own_capital_moved_is_the_observation_of_that_capital(cfg):
    """``own_capital_moved(obs_i, None, ε)`` is household i's observation as the economy computes
    it with its capital k_i e^ε and everyone else's unchanged (own feature and mean K move; z and
    employment do not), for a rich, a middling and a penniless household; ε = 0 changes nothing."""
    eco = make_economy(cfg, "ks", 50, 3, seed=1)
    eco.reset()
    eco.k = eco.k.clone()
    eco.k[:, 0] = eco.p.K_ss * torch.tensor([4.0, 0.7, 0.0], dtype=DT)       # household 0, per economy
    obs = eco.observe()
    eps = torch.tensor([0.03, -0.2, 0.5], dtype=DT)
    for i in (0, 17):
        o, c = eco.own_capital_moved(obs[:, i], None, eps)
        assert c is None
        moved = copy.deepcopy(eco)
        moved.k[:, i] *= torch.exp(eps)
        assert_allclose(o.numpy(), moved.observe()[:, i].numpy(), rtol=1e-12, atol=1e-12)
        assert not torch.equal(o[:2], obs[:2, i])
        o0, _ = eco.own_capital_moved(obs[:, i], None, torch.zeros(3, dtype=DT))
        assert_allclose(o0.numpy(), obs[:, i].numpy(), rtol=1e-12, atol=1e-12)
