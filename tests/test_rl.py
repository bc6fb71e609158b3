"""SAC: configuration, replay buffer, training loop, checkpoints, resume, divergence, policy files."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import xarray as xr
from numpy.testing import assert_allclose

from marlbc import config
from marlbc.config import ConfigError
from marlbc.economy import make_economy
from marlbc.rl import load_policy
from marlbc.rl.sac import SAC, CriticEnsemble, ReplayBuffer, SACConfig
from marlbc.rl.train import CHECKPOINT_FILE, TrainingDiverged, select_policy, train

ROOT = Path(__file__).resolve().parents[1]

# small and fast: tiny networks, short evaluations, few warm-up steps
TINY = {"hidden": 32, "batch_size": 64, "learning_starts": 50, "eval_every": 100, "eval_periods": 40,
        "ss_periods": 50, "checkpoint_every": 100, "buffer_size": 20_000, "norm_every": 100}


@pytest.fixture(scope="module")
def base_cfg() -> dict:
    return config.load(ROOT / "config.yaml")


def make_cfg(base: dict, arm: str, updates: int, **sac) -> dict:
    cfg = copy.deepcopy(base)
    cfg["arms"][arm]["budget"]["updates"] = updates
    cfg["arms"][arm]["sac"] = {**TINY, **sac}
    cfg["arms"][arm].pop("envs", None)           # tiny settings, tuned with the default 8 economies
    cfg["arms"][arm].pop("explore", None)        # ... and the default (evaluation) starts
    return cfg


def checkpoint_tensors(path: Path) -> dict:
    """Every tensor of a checkpoint except wall-clock figures, flattened by key path."""
    ck = torch.load(path, weights_only=False)
    out = {}

    def walk(prefix, x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k not in ("wall_s", "transitions_per_s", "updates_per_s"):
                    walk(f"{prefix}/{k}", v)
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                walk(f"{prefix}/{i}", v)
        else:
            out[prefix] = x
    walk("", ck)
    return out


def assert_same_checkpoints(a: Path, b: Path) -> None:
    ta, tb = checkpoint_tensors(a), checkpoint_tensors(b)
    assert ta.keys() == tb.keys()
    for k in ta:
        x, y = ta[k], tb[k]
        if isinstance(x, torch.Tensor):
            assert torch.equal(x, y), k
        elif isinstance(x, float) and math.isnan(x):
            assert math.isnan(y), k
        else:
            assert x == y, k


# -- configuration ------------------------------------------------------------------------------

def test_package_imports_its_training_module_and_error_lazily():
    """``from marlbc.rl import train`` is the module (it once recursed without end), and
    ``marlbc.rl.TrainingDiverged`` loads it on first use; a fresh interpreter, so that nothing
    here has imported ``marlbc.rl.train`` before."""
    code = ("import sys, marlbc.rl as rl\n"
            "assert 'marlbc.rl.train' not in sys.modules\n"
            "assert issubclass(rl.TrainingDiverged, Exception)\n"
            "from marlbc.rl import train\n"
            "assert train.__name__ == 'marlbc.rl.train' and callable(train.train)\n"
            "try:\n    rl.nonesuch\nexcept AttributeError as e:\n    assert 'nonesuch' in str(e)\n"
            "else:\n    raise SystemExit('no AttributeError')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_unknown_sac_key_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"unknown SAC config key 'arms\.rbc\.sac\.learning_rate'.*allowed fields:.*lr_actor"):
        SACConfig.from_dict({"learning_rate": 1e-3}, where="arms.rbc.sac")


@pytest.mark.parametrize("bad, msg", [({"hidden": 1.5}, "wrong type; expected int"),
                                      ({"autotune": 1}, "wrong type; expected bool"),
                                      ({"entropy_space": "pre"}, "allowed values: action, latent"),
                                      ({"tau": 0.0}, "out of range"),
                                      ({"lr_actor": -1e-3}, "out of range"),
                                      ({"critics": 1}, r"'sac\.critics' = 1 is out of range; allowed: >= 2")])
def test_bad_sac_values_are_clear_errors(bad, msg):
    with pytest.raises(ConfigError, match=msg):
        SACConfig.from_dict(bad)


def test_train_rejects_unknown_key_from_config(base_cfg, tmp_path):
    cfg = make_cfg(base_cfg, "rbc", 10, gamma=0.9)
    with pytest.raises(ConfigError, match=r"'arms\.rbc\.sac\.gamma'"):
        train(cfg, "rbc", 1, 0, tmp_path, progress=False)


def test_config_yaml_sac_blocks_are_valid(base_cfg):
    for arm, spec in base_cfg["arms"].items():
        SACConfig.from_dict(spec.get("sac"), where=f"arms.{arm}.sac")


# -- pieces --------------------------------------------------------------------------------------

def test_replay_n_step_returns_stop_at_episode_ends():
    buf = ReplayBuffer(capacity=100, M=1, obs_dim=1, act_dim=1)
    for t in range(5):                              # episode 1: obs t, reward t+1
        buf.add(torch.tensor([[float(t)]]), torch.zeros(1, 1), torch.tensor([t + 1.0]))
    buf.add(torch.tensor([[5.0]]))                  # its last observation, no action
    for t in range(6, 12):
        buf.add(torch.tensor([[float(t)]]), torch.zeros(1, 1), torch.tensor([t + 1.0]))
    g = torch.Generator().manual_seed(0)
    obs, _, rew, nxt, disc, ctx, next_ctx, last_obs, _ = buf.sample(512, 3, 0.5, g)
    assert ctx is None and next_ctx is None                # no context kept
    assert torch.equal(last_obs, nxt - 1)                  # the slot before the bootstrap slot
    for o, r, x, d in zip(obs[:, 0].tolist(), rew.tolist(), nxt[:, 0].tolist(), disc.tolist()):
        o = int(o)
        assert o != 5                               # the terminal slot is never a start
        m = min(3, 5 - o) if o < 5 else 3           # stops at the episode end
        assert x == o + m and d == 0.5**m
        assert r == pytest.approx(sum(0.5**j * (o + j + 1) for j in range(m)))


def test_replay_context_travels_with_its_slot_and_resumes():
    """The decision model's context is stored per household transition and comes back with
    the observation it belongs to, and with the bootstrap observation (also at an episode end)."""
    buf = ReplayBuffer(capacity=1000, M=3, obs_dim=1, act_dim=1, ctx_dim=2)
    for t in range(40):
        obs = torch.tensor([[100.0 * t + j] for j in range(3)])
        ctx = torch.cat([obs, -obs], -1)                      # a context that names its slot
        buf.add(obs, ctx=ctx) if t % 10 == 9 else buf.add(obs, torch.zeros(3, 1), torch.ones(3), ctx)
    b = buf.sample(256, 3, 0.9, torch.Generator().manual_seed(0))
    torch.testing.assert_close(b.ctx, torch.cat([b.obs, -b.obs], -1))
    torch.testing.assert_close(b.next_ctx, torch.cat([b.next_obs, -b.next_obs], -1))
    assert (b.next_obs[:, 0] // 100 % 10 == 9).any()             # some bootstrap at an episode end
    other = ReplayBuffer(capacity=1000, M=3, obs_dim=1, act_dim=1, ctx_dim=2)
    other.load_state_dict(buf.state_dict())
    assert torch.equal(other.ctx, buf.ctx)
    with pytest.raises(ValueError, match="context of 2 values"):
        buf.add(torch.zeros(3, 1), torch.zeros(3, 1), torch.ones(3))


def toy_model(obs, a):
    """A stand-in for an economy's decision model: reward log ĉ + obs_0, features ((1-ĉ) e^obs_0, obs_1)."""
    chat = a[..., 0].double()
    return torch.log(chat) + obs[..., 0], torch.stack([(1 - chat) * torch.exp(obs[..., 0]), obs[..., 1].double()], -1)


def test_critic_renormalisation_keeps_the_function():
    torch.manual_seed(0)
    critic = CriticEnsemble(6)
    x = torch.randn(32, 6) * 3 + 1
    before = critic(x)
    critic.renormalise(torch.randn(6), torch.rand(6) + 0.1)
    torch.testing.assert_close(critic(x), before, atol=1e-5, rtol=1e-5)
    critic.rescale_output(0.3, 2.0)                       # Q' = rho (Q + offset)
    torch.testing.assert_close(critic(x), 0.3 * (before + 2.0), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("layers", [1, 2])
def test_critic_ensemble_is_m_separate_mlps(layers):
    """Each of the m critics is the MLP act(x W_1 + b_1) ... W_L + b_L of its own weights, for
    one input shared by all (B, in) and one input each (m, B, in); values and gradients."""
    torch.manual_seed(0)
    critic = CriticEnsemble(5, hidden=16, layers=layers, activation="silu", m=3)
    act = torch.nn.functional.silu

    def reference(x):                                     # (m, B, in) → (m, B), one critic at a time
        out = []
        for j in range(critic.m):
            h = x[j]
            for i, (w, b) in enumerate(zip(critic.weights, critic.biases)):
                h = h @ w[j] + b[j]
                h = act(h) if i < len(critic.weights) - 1 else h
            out.append(h[:, 0])
        return torch.stack(out)

    shared, each = torch.randn(64, 5), torch.randn(3, 64, 5)
    for x, x3 in ((shared, shared.expand(3, 64, 5)), (each, each)):
        torch.testing.assert_close(critic(x), reference(x3), atol=1e-6, rtol=1e-6)
        grads = torch.autograd.grad(critic(x).square().sum(), critic.param_list())
        expected = torch.autograd.grad(reference(x3).square().sum(), critic.param_list())
        for g, e in zip(grads, expected):
            torch.testing.assert_close(g, e, atol=1e-5, rtol=1e-5)


def test_critic_ensemble_targets_a_random_pair_and_the_actor_follows_the_mean():
    """critics = m > 2: the m networks are independent (each its own rows of the batched
    weights); the TD target is the min of a random pair (REDQ), the actor's Q is the mean."""
    bounds = torch.tensor([[0.001, 0.999]], dtype=torch.float64)
    agent = SAC(3, bounds, SACConfig(hidden=16, critics=5), 0.9, 0)
    assert agent.critic.weights[0].shape[0] == 5 and agent.critic_target.weights[0].shape[0] == 5
    obs, u = torch.randn(40, 3), torch.randn(40, 1)
    q = agent.q_values(agent.critic, obs, u)
    assert q.shape == (5, 40) and not torch.equal(q[0], q[1])
    for j in range(5):                                    # network j alone: its own weight rows
        x = agent.critic_in(obs, u)
        h = (x - agent.critic.in_shift) * agent.critic.in_scale
        for i, (w, b) in enumerate(zip(agent.critic.weights, agent.critic.biases)):
            h = h @ w[j] + b[j]
            if i < len(agent.critic.weights) - 1:
                h = agent.critic.act_fn(h)
        torch.testing.assert_close(h[:, 0], q[j])
    # the actor's Q: the mean of the ensemble (state of the sampling generator replayed)
    state = agent.generator.get_state()
    loss, logp = agent.actor_loss(obs)
    agent.generator.set_state(state)
    u2, logp2 = agent._sample(obs)
    alpha = agent.log_alpha.exp().item()
    expected = (alpha * logp2 - agent.q_values(agent.critic, obs, u2).mean(0)).mean()
    torch.testing.assert_close(loss, expected)
    # the target: the min over the pair drawn from the generator, after the next action
    next_obs, rew, disc = torch.randn(40, 3), torch.randn(40), torch.full((40,), 0.81)
    state = agent.generator.get_state()
    got = agent.critic_loss(obs, u, rew, next_obs, disc)
    agent.generator.set_state(state)
    with torch.no_grad():
        nu, nlogp = agent._sample(next_obs)
        pair = torch.randperm(5, generator=agent.generator)[:2]
        qn = agent.q_values(agent.critic_target, next_obs, nu)[pair].amin(0)
        target = (rew - agent.reward_shift * (1 - disc) / (1 - 0.9)) * agent.reward_mult + disc * (qn - alpha * nlogp)
    expected = (agent.q_values(agent.critic, obs, u) - target).square().mean(1).sum()
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("critic", ["q", "post_decision"])
def test_reward_refit_only_changes_units(critic):
    """Refitting the reward standardisation rescales Q, its target and alpha consistently:
    the critic's TD error in the new units is rho times the old one. With the post-decision
    critic, Q = r + γ W, W is rescaled with the same offset as Q."""
    d = 2 if critic == "q" else 1
    bounds = torch.tensor([[0.001, 0.999], [0.01, 0.99]][:d], dtype=torch.float64)
    agent = SAC(3, bounds, SACConfig(hidden=16, norm_window=1_000_000, critic=critic), 0.9, 0,
                model=toy_model, post_dim=2)
    buf = ReplayBuffer(10_000, 4, 3, d)
    g = torch.Generator().manual_seed(1)
    for t in range(200):
        buf.add(torch.randn(4, 3, generator=g), torch.randn(4, d, generator=g), torch.randn(4, generator=g) - 3)
    agent.fit_normalisers(buf, initial=True)
    batch = buf.sample(64, 1 if critic == "q" else 3, agent.gamma, torch.Generator().manual_seed(2))
    state = agent.generator.get_state()
    before = agent.critic_loss(*batch).item()
    m0 = agent.reward_mult
    for t in range(200):                          # rewards shift and spread out
        buf.add(torch.randn(4, 3, generator=g), torch.randn(4, d, generator=g), 5 * torch.randn(4, generator=g) + 2)
    buf_old_rewards = buf.rew.clone()
    agent.fit_normalisers(buf)
    rho = agent.reward_mult / m0
    assert rho != pytest.approx(1.0)
    agent.generator.set_state(state)
    after = agent.critic_loss(*batch).item()
    assert torch.equal(buf.rew, buf_old_rewards)
    assert after == pytest.approx(rho**2 * before, rel=1e-4)


def test_actions_stay_inside_bounds_and_are_float64():
    bounds = torch.tensor([[0.001, 0.999], [0.01, 1.5]], dtype=torch.float64)
    agent = SAC(5, bounds, SACConfig(hidden=16), 0.99, 0)
    u, a = agent.act(torch.randn(1000, 5) * 100)
    assert a.dtype == torch.float64
    assert (a >= bounds[:, 0]).all() and (a <= bounds[:, 1]).all()
    a = agent.actor.to_economic(torch.tensor([[50.0, -50.0], [-50.0, 50.0]]))
    assert (a >= bounds[:, 0]).all() and (a <= bounds[:, 1]).all()


def test_initial_policy_starts_at_the_configured_actions():
    bounds = torch.tensor([[0.001, 0.999], [0.01, 1.5]], dtype=torch.float64)
    agent = SAC(5, bounds, SACConfig(hidden=16, init_chat=0.1, init_ell=0.9), 0.99, 0)
    a = agent.actor.deterministic(torch.randn(200, 5))
    assert_allclose(a[:, 0].numpy(), 0.1, rtol=0.02)
    assert_allclose(a[:, 1].numpy(), 0.9, rtol=0.02)
    default = SAC(5, bounds, SACConfig(hidden=16), 0.99, 0).actor.deterministic(torch.randn(200, 5))
    assert (default[:, 0] - 0.5).abs().max() > 0.005            # untouched: the middle, with state dependence
    with pytest.raises(ConfigError, match="'init_chat' = 1.2 is outside"):
        SAC(5, bounds, SACConfig(hidden=16, init_chat=1.2), 0.99, 0)


def test_averaged_actor_is_the_policy_and_lags_the_actor():
    bounds = torch.tensor([[0.001, 0.999]], dtype=torch.float64)
    agent = SAC(4, bounds, SACConfig(hidden=16, batch_size=32, actor_every=1, actor_ema=0.1), 0.99, 0)
    assert agent.policy is not agent.actor
    buf = ReplayBuffer(1000, 4, 4, 1)
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        buf.add(torch.randn(4, 4, generator=g), torch.randn(4, 1, generator=g), torch.randn(4, generator=g))
    before = [p.clone() for p in agent.policy.parameters()]
    agent.update(buf)
    for b, p, a in zip(before, agent.policy.parameters(), agent.actor.parameters()):
        assert_allclose(p.detach().numpy(), (b + 0.1 * (a - b)).detach().numpy(), rtol=1e-5, atol=1e-7)
    plain = SAC(4, bounds, SACConfig(hidden=16), 0.99, 0)
    assert plain.policy is plain.actor                           # actor_ema = 0: no average


def test_tail_average_is_the_mean_of_the_actor_iterates():
    bounds = torch.tensor([[0.001, 0.999]], dtype=torch.float64)
    agent = SAC(4, bounds, SACConfig(hidden=16, batch_size=32, actor_every=1, actor_ema=0.1,
                                     average_from=0.5), 0.99, 0)
    buf = ReplayBuffer(1000, 4, 4, 1)
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        buf.add(torch.randn(4, 4, generator=g), torch.randn(4, 1, generator=g), torch.randn(4, generator=g))
    agent.set_progress(0.2)                                       # before average_from: EMA
    agent.update(buf)
    iterates = []
    for frac in (0.5, 0.7, 0.9):                                  # from average_from on: uniform mean
        agent.set_progress(frac)
        agent.update(buf)
        iterates.append([p.detach().clone() for p in agent.actor.parameters()])
    assert agent.averaged == 3
    for i, p in enumerate(agent.policy.parameters()):
        mean = sum(it[i] for it in iterates) / 3
        assert_allclose(p.detach().numpy(), mean.numpy(), rtol=1e-5, atol=1e-7)
    with pytest.raises(ConfigError, match="average_from"):
        SACConfig.from_dict({"average_from": 1.0})


def test_policy_selection_rules():
    def ev(update, ret, bias):
        return {"update": update, "eval": {"eval_return": ret, "euler_bias": bias, "labour_bias": 0.0,
                                           "euler_error": abs(bias), "labour_error": 0.0}}
    evals = [ev(0, -20.0, 0.0), ev(1, -17.00, 0.004), ev(2, -17.02, 0.001), ev(3, -17.5, 0.0), ev(4, -17.01, 0.002)]
    pick = {rule: select_policy(evals, SACConfig(select_by=rule, select_tol=0.002))["update"]
            for rule in ("last", "return", "euler", "euler_error")}
    # last: the final (tail-averaged) policy; return: the best return; euler: the smallest residual
    # among returns within 0.2 % of the best (-17.5 and -20 are outside, though their residual is 0)
    assert pick == {"last": 4, "return": 1, "euler": 2, "euler_error": 2}


# -- training ------------------------------------------------------------------------------------

def test_short_run_improves_evaluation_return(base_cfg, tmp_path):
    cfg = make_cfg(base_cfg, "rbc_closed_form", 2000, hidden=64, batch_size=256, eval_every=500,
                   learning_starts=500, norm_every=1000, eval_periods=0, lr_schedule="constant")
    summary = train(cfg, "rbc_closed_form", 1, 0, tmp_path, progress=False)
    ds = xr.open_dataset(tmp_path / "train.nc")
    ret = ds["eval_return"].values
    assert ds["update"].values.tolist() == [0, 500, 1000, 1500, 2000]
    assert ret[-1] > ret[0] + 1.0
    assert summary["best"]["eval_return"] == ret.max()
    # the closed form is 1 - αβ = 0.658; a short run is already near it
    assert abs(summary["best"]["chat_mean"] - 0.658) < 0.05
    for name in ("eval_return", "chat_mean", "ell_mean", "K_mean", "alpha", "qf_loss", "transitions_per_s"):
        assert "units" in ds[name].attrs and "description" in ds[name].attrs
    assert ds.attrs["arm"] == "rbc_closed_form" and int(ds.attrs["n"]) == 1 and ds.attrs["preset"] == "full"
    ds.close()


def test_policy_file_loads_and_acts(base_cfg, tmp_path):
    cfg = make_cfg(base_cfg, "baseline", 200)
    train(cfg, "baseline", 3, 7, tmp_path, progress=False)
    pol = load_policy(tmp_path)
    assert pol.arm == "baseline" and pol.n == 3 and pol.seed == 7 and pol.obs_dim == 5
    assert pol.action_names == ("chat", "ell") and len(pol.run_hash) == 12
    obs = torch.randn(4, 3, 5, dtype=torch.float64)
    a = pol(obs)
    assert a.shape == (4, 3, 2) and a.dtype == torch.float64
    assert (a >= pol.action_bounds[:, 0]).all() and (a <= pol.action_bounds[:, 1]).all()
    assert torch.equal(pol(obs), a)                            # deterministic
    last = load_policy(tmp_path, which="last")
    assert last.update == 200
    with pytest.raises(ValueError, match="features"):
        pol(torch.zeros(2, 4))


def test_same_seed_gives_bit_identical_checkpoints(base_cfg, tmp_path):
    cfg = make_cfg(base_cfg, "rbc", 300)
    train(cfg, "rbc", 1, 3, tmp_path / "a", progress=False)
    train(cfg, "rbc", 1, 3, tmp_path / "b", progress=False)
    assert (tmp_path / "a" / "policy.pt").read_bytes() == (tmp_path / "b" / "policy.pt").read_bytes()
    assert (tmp_path / "a" / "policy_last.pt").read_bytes() == (tmp_path / "b" / "policy_last.pt").read_bytes()
    assert_same_checkpoints(tmp_path / "a" / CHECKPOINT_FILE, tmp_path / "b" / CHECKPOINT_FILE)
    train(cfg, "rbc", 1, 4, tmp_path / "c", progress=False)      # another seed differs
    assert (tmp_path / "a" / "policy_last.pt").read_bytes() != (tmp_path / "c" / "policy_last.pt").read_bytes()


class Killed(Exception):
    pass


def test_killed_run_resumes_to_the_same_end(base_cfg, tmp_path, monkeypatch):
    cfg = make_cfg(base_cfg, "rbc", 500, n_step=3, lr_schedule="cosine", episode_length=60,
                   actor_ema=0.01, average_from=0.5, init_chat=0.1)
    train(cfg, "rbc", 1, 1, tmp_path / "whole", progress=False)

    original = SAC.update

    def dying(self, buffer):                     # killed after the checkpoint at update 300
        if self.updates == 345:
            raise Killed
        return original(self, buffer)

    monkeypatch.setattr(SAC, "update", dying)
    with pytest.raises(Killed):
        train(cfg, "rbc", 1, 1, tmp_path / "split", progress=False)
    ck = torch.load(tmp_path / "split" / CHECKPOINT_FILE, weights_only=False)
    assert ck["state"]["update"] == 300
    # nothing that looks like a finished run's output, and a half-written file is cleared on restart
    assert not any((tmp_path / "split" / f).exists() for f in ("policy.pt", "policy_last.pt", "train.nc"))
    (tmp_path / "split" / ".policy.pt.abc123.pt.tmp").write_bytes(b"half")
    monkeypatch.setattr(SAC, "update", original)
    summary = train(cfg, "rbc", 1, 1, tmp_path / "split", progress=False)      # the same command
    assert summary["resumed_from"] == 300 and summary["updates"] == 500
    assert not (tmp_path / "split" / ".policy.pt.abc123.pt.tmp").exists()
    assert_same_checkpoints(tmp_path / "whole" / CHECKPOINT_FILE, tmp_path / "split" / CHECKPOINT_FILE)
    assert (tmp_path / "whole" / "policy.pt").read_bytes() == (tmp_path / "split" / "policy.pt").read_bytes()
    a = xr.open_dataset(tmp_path / "whole" / "train.nc")
    b = xr.open_dataset(tmp_path / "split" / "train.nc")
    xr.testing.assert_identical(a["eval_return"], b["eval_return"])
    a.close(), b.close()


def test_resume_refuses_a_different_run(base_cfg, tmp_path):
    cfg = make_cfg(base_cfg, "rbc", 100)
    train(cfg, "rbc", 1, 0, tmp_path, progress=False)
    with pytest.raises(RuntimeError, match="belongs to another run"):
        train(cfg, "rbc", 1, 1, tmp_path, progress=False)
    old = (tmp_path / CHECKPOINT_FILE).read_bytes()
    summary = train(cfg, "rbc", 1, 1, tmp_path, progress=False, stale="restart")   # what the pipeline does
    assert summary["resumed_from"] is None and summary["updates"] == 100
    assert (tmp_path / "checkpoint.stale.pt").read_bytes() == old                    # kept, not deleted
    assert torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)["identity"]["seed"] == 1


def test_resume_refuses_a_checkpoint_of_other_code(base_cfg, tmp_path, monkeypatch):
    """A checkpoint records the digest of the package code that trains it: after a code edit a
    killed job starts over (the pipeline) or is refused by hand, rather than mixing two codes."""
    import marlbc.rl.train as train_module

    cfg = make_cfg(base_cfg, "rbc", 100)
    train(cfg, "rbc", 1, 0, tmp_path, progress=False)
    ck = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)
    assert ck["identity"]["code_version"] == train_module.code_version("marlbc.rl.train", entry="run_train")
    assert load_policy(tmp_path).meta["code_version"] == ck["identity"]["code_version"]
    monkeypatch.setattr(train_module, "code_version", lambda name, **kw: "edited000000")
    with pytest.raises(RuntimeError, match="belongs to another run"):
        train(cfg, "rbc", 1, 0, tmp_path, progress=False)
    summary = train(cfg, "rbc", 1, 0, tmp_path, progress=False, stale="restart")
    assert summary["resumed_from"] is None
    assert torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)["identity"]["code_version"] == "edited000000"


def test_nan_loss_stops_training_and_keeps_the_checkpoint(base_cfg, tmp_path, monkeypatch):
    cfg = make_cfg(base_cfg, "rbc", 400)
    original = SAC.critic_loss

    def poisoned(self, *args):
        loss = original(self, *args)
        return loss * math.nan if self.updates == 250 else loss

    monkeypatch.setattr(SAC, "critic_loss", poisoned)
    with pytest.raises(TrainingDiverged, match=r"qf_loss = nan at update 251 .*checkpoint \(update 200\)"):
        train(cfg, "rbc", 1, 0, tmp_path, progress=False)
    ck = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)
    assert ck["state"]["update"] == 200
    assert all(torch.isfinite(v).all() for v in ck["agent"]["actor"].values())
    assert not any((tmp_path / f).exists() for f in ("policy.pt", "policy_last.pt", "train.nc"))


def test_ks_arm_trains(base_cfg, tmp_path):
    pytest.importorskip("marlbc.benchmarks.ks")
    cfg = make_cfg(base_cfg, "ks", 100)
    summary = train(cfg, "ks", 10, 0, tmp_path, progress=False)
    pol = load_policy(tmp_path)
    assert pol.action_names == ("chat",) and pol.obs_dim == 4
    assert math.isfinite(summary["best"]["eval_return"]) and math.isnan(summary["best"]["ell_mean"])


# -- the post-decision critic ----------------------------------------------------------------------

def test_post_decision_q_is_reward_plus_discounted_value():
    bounds = torch.tensor([[0.001, 0.999]], dtype=torch.float64)
    agent = SAC(3, bounds, SACConfig(hidden=16, critic="post_decision"), 0.9, 0, model=toy_model, post_dim=2)
    agent.reward_shift, agent.reward_mult = 0.3, 2.0
    obs, u = torch.randn(50, 3), torch.randn(50, 1)
    r, x = toy_model(obs, agent.actor.to_economic(u))
    expected = (r - 0.3).float() * 2.0 + 0.9 * agent.critic(x.float())
    torch.testing.assert_close(agent.q_values(agent.critic, obs, u), expected)
    assert agent.critic.weights[0].shape[1] == 2          # W sees the post-decision features only
    # the actor's gradient reaches the action through the model: ∂Q/∂ĉ = 2/ĉ + 0.9 ∂W/∂ĉ
    u.requires_grad_(True)
    (g,) = torch.autograd.grad(agent.q_values(agent.critic, obs, u)[0].sum(), u)
    chat = agent.actor.to_economic(u.detach())[..., 0]
    x = toy_model(obs, chat.unsqueeze(-1))[1].float().requires_grad_(True)
    (gw,) = torch.autograd.grad(agent.critic(x)[0].sum(), x)
    dchat_du = (agent.actor.act_half * (1 - torch.tanh(u.detach().double()) ** 2))[..., 0]
    expected_g = (2.0 / chat + 0.9 * gw[:, 0].double() * -torch.exp(obs[:, 0].double())) * dchat_du
    torch.testing.assert_close(g[:, 0].double(), expected_g, rtol=1e-4, atol=1e-5)
    with pytest.raises(ConfigError, match="critic"):
        SAC(3, bounds, SACConfig(critic="post_decision"), 0.9, 0)


def test_post_decision_critic_learns_the_closed_form(base_cfg, tmp_path):
    """δ = 1: a short run with the post-decision critic gets ĉ near 1 − αβ = 0.658."""
    cfg = make_cfg(base_cfg, "rbc_closed_form", 1500, hidden=64, batch_size=256, eval_every=500,
                   learning_starts=500, norm_every=1000, eval_periods=0, lr_schedule="constant",
                   critic="post_decision")
    summary = train(cfg, "rbc_closed_form", 1, 0, tmp_path, progress=False)
    ret = xr.open_dataset(tmp_path / "train.nc")["eval_return"].values
    assert ret[-1] > ret[0] + 1.0
    assert abs(summary["last"]["chat_mean"] / 0.658 - 1) < 0.02


def test_post_decision_critic_trains_households_that_share_prices(base_cfg, tmp_path):
    """n > 1 in the RBC economy: the replay buffer keeps each transition's context [K, L_-i],
    and a short heterogeneous run trains, saves and resumes like any other."""
    cfg = make_cfg(base_cfg, "heterogeneous", 200, critic="post_decision", episode_length=50)
    summary = train(cfg, "heterogeneous", 9, 0, tmp_path, progress=False)
    ck = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)
    ctx = ck["buffer"]["ctx"]
    assert ctx.shape[1:] == (8 * 9, 2) and torch.isfinite(ctx).all()
    K, L_minus = ctx[..., 0], ctx[..., 1]
    assert (K > 0).all() and (L_minus > 0).all()
    assert math.isfinite(summary["last"]["eval_return"])


def test_expected_target_with_the_sampled_successor_is_the_sampled_target():
    """``expected_targets``: the bootstrap value is Σ_q ω_q V(s'_q) over the successors the
    economy lists from the post-decision state of the last transition. With one successor of
    weight 1, the observed next state, the loss is that of sampled targets, bit for bit; with two
    successors of weight ½ each at the same state it is too (the soft values are averaged)."""
    bounds = torch.tensor([[0.001, 0.999]], dtype=torch.float64)
    buf = ReplayBuffer(capacity=400, M=4, obs_dim=3, act_dim=1)
    gen = torch.Generator().manual_seed(1)
    for _ in range(100):
        buf.add(torch.randn(4, 3, generator=gen), torch.randn(4, 1, generator=gen), torch.randn(4, generator=gen))
    batch = buf.sample(64, 1, 0.9, torch.Generator().manual_seed(2))
    assert torch.equal(batch.last_obs, batch.obs) and torch.equal(batch.last_act, batch.act)

    def successors(copies):
        def f(obs, x, next_obs, n_quad):
            assert torch.equal(obs, batch.obs) and torch.equal(next_obs, batch.next_obs)
            assert n_quad == 5 and x.shape == (64, 2)
            return next_obs.expand(copies, -1, -1), torch.full((copies, 1), 1.0 / copies, dtype=torch.float64)
        return f

    cfg = dict(hidden=16, critic="post_decision")
    sampled = SAC(3, bounds, SACConfig(**cfg), 0.9, 0, model=toy_model, post_dim=2)
    ref = sampled.critic_loss(*batch)
    one = SAC(3, bounds, SACConfig(**cfg, expected_targets=5), 0.9, 0, model=toy_model, post_dim=2,
              successors=successors(1))
    assert torch.equal(one.critic_loss(*batch), ref)
    still = dict(cfg, log_std_min=-20.0, log_std_max=-19.0, alpha=1e-12)      # a' = the mean, no entropy
    two = SAC(3, bounds, SACConfig(**still, expected_targets=5), 0.9, 0, model=toy_model, post_dim=2,
              successors=successors(2))
    ref_two = SAC(3, bounds, SACConfig(**still), 0.9, 0, model=toy_model, post_dim=2)
    torch.testing.assert_close(two.critic_loss(*batch), ref_two.critic_loss(*batch), rtol=1e-6, atol=1e-6)
    with pytest.raises(ConfigError, match="expected_targets"):
        SAC(3, bounds, SACConfig(**cfg, expected_targets=5), 0.9, 0, model=toy_model, post_dim=2)


def test_expected_targets_are_clear_errors_where_they_cannot_apply(base_cfg, tmp_path):
    with pytest.raises(ConfigError, match=r"'sac\.expected_targets' = 5 needs 'sac\.critic' = 'post_decision'"):
        SACConfig.from_dict({"expected_targets": 5})
    cfg = make_cfg(base_cfg, "baseline", 10, critic="post_decision", expected_targets=5, n_step=3)
    with pytest.raises(ConfigError, match=r"arms\.baseline\.sac\.expected_targets = 5 with n = 4 needs "
                                          r"arms\.baseline\.sac\.n_step = 1 \(got 3\)"):
        train(cfg, "baseline", 4, 0, tmp_path, progress=False)
    assert not (tmp_path / CHECKPOINT_FILE).exists()


def test_many_households_expected_targets_reach_the_critic_loss(base_cfg, tmp_path):
    """n > 1 RBC: the successors' contexts reach the soft values of the targets. Without TFP
    shocks the one node is the observed next state and its context the observed one, so the
    critic loss equals that of sampled one-step targets (to float32 rounding of log A'); with
    shocks it differs; training with them stays finite."""
    from marlbc.economy import make_economy

    cfg = config.resolve(base_cfg, "full")
    sc = SACConfig(**{**TINY, "critic": "post_decision", "n_step": 1, "log_std_min": -20.0,
                      "log_std_max": -19.0, "alpha": 1e-12})
    losses = {}
    for shocks in (False, True):
        eco = make_economy(cfg, "heterogeneous", 4, 3, seed=0, shocks=shocks)
        buf = ReplayBuffer(10_000, 12, eco.obs_dim, 2, eco.ctx_dim)
        gen = torch.Generator().manual_seed(1)
        obs = eco.observe()
        for _ in range(30):
            a = torch.stack([0.06 + 0.04 * torch.rand(3, 4, generator=gen, dtype=torch.float64),
                             0.7 + 0.2 * torch.rand(3, 4, generator=gen, dtype=torch.float64)], -1)
            lo, hi = eco.action_bounds[:, 0], eco.action_bounds[:, 1]
            u = torch.atanh((2 * a - lo - hi) / (hi - lo))          # the latent actions of these
            ctx = eco.context(a)
            nxt, r, _ = eco.step(a)
            buf.add(obs.reshape(12, -1), u.reshape(12, 2).float(), r.reshape(12), ctx.reshape(12, 2))
            obs = nxt
        buf.add(obs.reshape(12, -1), ctx=eco.context(a).reshape(12, 2))
        batch = buf.sample(64, 1, 0.99, torch.Generator().manual_seed(2))
        kw = dict(model=eco.decision_model, post_dim=eco.post_dim)
        sampled = SAC(eco.obs_dim, eco.action_bounds, sc, 0.99, 0, **kw)
        expected = SAC(eco.obs_dim, eco.action_bounds, SACConfig(**{**sc.as_dict(), "expected_targets": 5}), 0.99, 0,
                       successors=eco.successors, **kw)
        losses[shocks] = (sampled.critic_loss(*batch), expected.critic_loss(*batch))
    torch.testing.assert_close(*losses[False], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(*losses[True], rtol=1e-3)
    run = make_cfg(base_cfg, "heterogeneous", 200, critic="post_decision", expected_targets=3, n_step=1)
    summary = train(run, "heterogeneous", 4, 0, tmp_path, progress=False)
    assert math.isfinite(summary["last"]["eval_return"])


def test_ks_trains_with_expected_targets(base_cfg, tmp_path):
    """The KS economy's four successors reach the SAC update: a short post-decision run with
    expected targets trains, stays finite and improves its evaluation return."""
    cfg = make_cfg(base_cfg, "ks", 1500, critic="post_decision", expected_targets=4, n_step=1,
                   env_steps_per_update=0.25, hidden=64, batch_size=256, eval_every=500, learning_starts=500,
                   lr_schedule="constant", eval_periods=0)
    train(cfg, "ks", 10, 0, tmp_path, progress=False)
    log = xr.open_dataset(tmp_path / "train.nc")
    assert torch.isfinite(torch.as_tensor(log["qf_loss"].values[1:])).all()
    assert log["eval_return"].values[-1] > log["eval_return"].values[0]


def test_evaluating_under_other_settings_of_the_arm_warns(base_cfg, tmp_path):
    """policy.pt records the run's identity; run_identity gives the same hash under the same config
    (no false alarm in the pipeline), another under a changed calibration, and evaluate says so."""
    from marlbc.evaluation.evaluate import evaluate
    from marlbc.rl.train import run_identity

    cfg = make_cfg(base_cfg, "rbc_closed_form", 100)
    train(cfg, "rbc_closed_form", 1, 0, tmp_path, progress=False)
    trained = load_policy(tmp_path).run_hash
    assert run_identity(cfg, "rbc_closed_form", 1, 0, "full")["run_hash"] == trained
    other = copy.deepcopy(cfg)
    other["calibrations"]["paper"]["b"] = 4.0
    assert run_identity(other, "rbc_closed_form", 1, 0, "full")["run_hash"] != trained
    fast = {"det_envs": 2, "det_periods": 300, "sim_envs": 2, "sim_periods": 400, "sim_burn": 100,
            "euler_periods": 300, "euler_burn": 100, "welfare_paths": 10, "welfare_T": 100}
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # the same config: no warning at all
        evaluate(config.resolve(cfg, "full"), tmp_path, tmp_path / "same.nc", options=fast)
    with xr.open_dataset(tmp_path / "train.nc") as t, xr.open_dataset(tmp_path / "same.nc") as e:
        assert t.attrs["config_hash"] == e.attrs["config_hash"]         # one meaning: the whole config
        assert t.attrs["run_hash"] == trained
    with pytest.warns(UserWarning, match=f"trained under other settings of arm 'rbc_closed_form' \\(run hash {trained}"):
        evaluate(other, tmp_path, tmp_path / "other.nc", options=fast)


def test_run_identity_ignores_the_sweep_over_n_but_not_the_budget(base_cfg):
    """Adding an n to an arm's sweep leaves the other runs' identity (and the pipeline's params)
    alone, so Snakemake trains only the new n; a budget, calibration or SAC change moves it."""
    from marlbc.rl.train import run_identity

    def ident(cfg):
        return run_identity(cfg, "ks", 500, 0, "full")["run_hash"]

    cfg = copy.deepcopy(base_cfg)
    before = ident(cfg)
    cfg["arms"]["ks"]["n"] = [10, 50, 100, 200, 500]
    assert ident(cfg) == before
    assert config.job_settings(config.resolve(cfg, "full"), "ks") == \
        config.job_settings(config.resolve(base_cfg, "full"), "ks")
    for key, value in (("budget", {"updates": 50_001}), ("sac", {**cfg["arms"]["ks"]["sac"], "tau": 0.02})):
        other = copy.deepcopy(cfg)
        other["arms"]["ks"][key] = value
        assert ident(other) != before, key
    other = copy.deepcopy(cfg)
    other["calibrations"]["ks98"]["beta"] = 0.98
    assert ident(other) != before


def envelope_agent(cfg, arm: str, n: int):
    """An arm's economy (8 environments, seed 3), a small SAC config with the envelope loss, and
    the agent that learns with it through the economy's model."""
    eco = make_economy(config.resolve(cfg, None), arm, n, 8, seed=3)
    sc = SACConfig(hidden=16, critic="post_decision", critic_envelope=1.0, activation="silu")
    agent = SAC(eco.obs_dim, eco.action_bounds, sc, 0.99, 0, model=eco.decision_model, post_dim=eco.post_dim,
                own_capital_moved=eco.own_capital_moved)
    return eco, sc, agent


def test_critic_envelope_slopes_are_the_derivatives_in_own_capital_and_the_loss_teaches_them(cfg):
    """``critic_envelope``: each critic's slope −(1 − ĉ) ∂W/∂ĉ is dW(x)/dε for k' → k' e^ε, and
    the target is ∂Q(s'(ε), a')/∂ε through the target critics (both against central
    differences, n = 4 heterogeneous economy); gradient steps on the loss alone bring the slopes
    to the targets; ``critic_envelope_relax`` = ω gives S̄ + ω (T − S̄), S̄ the target critics'
    slope (central differences). Without the post-decision critic, with n-step returns or without an economy
    that moves own capital the key is refused by name."""
    eco, sc, agent = envelope_agent(cfg, "heterogeneous", 4)
    obs = eco.reset()
    u, a = agent.act(obs)
    ctx = eco.context(a)
    next_obs, _, _ = eco.step(a)
    u1, a1 = agent.act(next_obs)
    next_ctx = eco.context(a1)
    flat = [t.reshape(32, -1).float() for t in (obs, u, next_obs, ctx, next_ctx, u1)]
    obs, u, next_obs, ctx, next_ctx, u1 = flat
    slope, target = agent.envelope_slopes(obs, u, next_obs, ctx, next_ctx, next_act=u1)
    h = 1e-4
    chat = agent.actor.to_economic(u)[..., 0].double()

    def W_at(sign):                              # ĉ that puts k' = (1 − ĉ) a at k' e^(±h)
        a_h = agent.actor.to_economic(u).double().clone()
        a_h[..., 0] = 1.0 - (1.0 - chat) * math.exp(sign * h)
        return agent.critic(eco.decision_model(obs, a_h, ctx)[1].float()).double()

    with torch.no_grad():
        assert_allclose(slope.double().numpy(), ((W_at(1) - W_at(-1)) / (2 * h)).numpy(), rtol=1e-2, atol=1e-3)

        def Q_at(e):
            o, c = eco.own_capital_moved(next_obs, next_ctx, torch.full((32,), e, dtype=torch.float64))
            r, x = eco.decision_model(o, agent.actor.to_economic(u1), c)
            return (r - agent.reward_shift) * agent.reward_mult + 0.99 * agent.critic_target(x.float()).mean(0).double()
        assert_allclose(target.double().numpy(), ((Q_at(h) - Q_at(-h)) / (2 * h)).numpy(), rtol=1e-2, atol=1e-3)
        # critic_envelope_relax = ω: the target is S̄ + ω (T − S̄), S̄ the target critics' slope at x
        def W_bar_at(sign):
            a_h = agent.actor.to_economic(u).double().clone()
            a_h[..., 0] = 1.0 - (1.0 - chat) * math.exp(sign * h)
            return agent.critic_target(eco.decision_model(obs, a_h, ctx)[1].float()).mean(0).double()
        S_bar = ((W_bar_at(1) - W_bar_at(-1)) / (2 * h)).numpy()
    agent.cfg.critic_envelope_relax = 3.0
    slope3, target3 = agent.envelope_slopes(obs, u, next_obs, ctx, next_ctx, next_act=u1)
    agent.cfg.critic_envelope_relax = 1.0
    assert_allclose(slope3.detach().numpy(), slope.detach().numpy(), rtol=1e-6)
    assert_allclose(target3.double().numpy(), S_bar + 3.0 * (target.double().numpy() - S_bar), rtol=1e-2, atol=3e-3)
    assert (target3 - target).abs().max() > 0.1 * target.abs().max()     # S̄ is not T: ω changes the target
    first = (slope - target).square().mean().item()
    opt = torch.optim.Adam(agent.critic.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        s, t = agent.envelope_slopes(obs, u, next_obs, ctx, next_ctx, next_act=u1)
        (s - t).square().mean(1).sum().backward()
        opt.step()
    assert (s - t).square().mean().item() < 0.05 * first
    with pytest.raises(ConfigError, match="critic_envelope' = 1.0 needs"):
        SACConfig.from_dict({"critic_envelope": 1.0})
    with pytest.raises(ConfigError, match="critic_envelope' = 1.0 needs"):
        SACConfig.from_dict({"critic": "post_decision", "critic_envelope": 1.0, "n_step": 3})
    with pytest.raises(ConfigError, match="critic_envelope"):
        SAC(eco.obs_dim, eco.action_bounds, sc, 0.99, 0, model=eco.decision_model, post_dim=eco.post_dim)
    with pytest.raises(ConfigError, match="critic_envelope_relax' = 0.0 is out of range"):
        SACConfig.from_dict({"critic_envelope_relax": 0.0})


def test_critic_envelope_slopes_in_the_ks_economy(cfg):
    """``critic_envelope`` in the Krusell–Smith economy (one action, no decision-model context):
    each critic's slope is dW(x)/dε for k' → k' e^ε, the target ∂Q(s'(ε), a')/∂ε through the target
    critics, both against central differences (n = 50, 8 economies)."""
    eco, _, agent = envelope_agent(cfg, "ks", 50)
    obs = eco.reset()
    u, a = agent.act(obs)
    next_obs, _, _ = eco.step(a)
    u1, _ = agent.act(next_obs)
    obs, u, next_obs, u1 = (t.reshape(400, -1).float() for t in (obs, u, next_obs, u1))
    slope, target = agent.envelope_slopes(obs, u, next_obs, None, None, next_act=u1)
    assert slope.shape == (2, 400) and target.shape == (400,)
    h = 1e-4
    chat = agent.actor.to_economic(u).double()
    with torch.no_grad():
        def W_at(sign):                          # ĉ that puts k' = (1 − ĉ) a at k' e^(±h)
            return agent.critic(eco.decision_model(obs, 1.0 - (1.0 - chat) * math.exp(sign * h))[1].float()).double()
        assert_allclose(slope.double().numpy(), ((W_at(1) - W_at(-1)) / (2 * h)).numpy(), rtol=1e-2, atol=1e-3)

        def Q_at(e):
            o, _ = eco.own_capital_moved(next_obs, None, torch.full((400,), e, dtype=torch.float64))
            r, x = eco.decision_model(o, agent.actor.to_economic(u1))
            return (r - agent.reward_shift) * agent.reward_mult + 0.99 * agent.critic_target(x.float()).mean(0).double()
        fd = ((Q_at(h) - Q_at(-h)) / (2 * h)).numpy()
        assert_allclose(target.double().numpy(), fd, rtol=1e-2, atol=1e-3)
        assert abs(fd).max() > 0.1                  # the reward's slope in own capital is not 0


def test_critic_envelope_until_drops_the_envelope_loss_late_in_training(cfg):
    """``critic_envelope_until`` = 0.5: before half of training the critic loss is the temporal-
    difference loss plus the envelope loss (larger than without it); from half on it is the
    temporal-difference loss alone, to the bit (KS economy, n = 10). Out-of-range values are
    refused by name."""
    rcfg = config.resolve(cfg, None)
    eco = make_economy(rcfg, "ks", 10, 3, seed=0)
    buf = ReplayBuffer(1000, 30, eco.obs_dim, 1)
    gen = torch.Generator().manual_seed(1)
    obs = eco.observe()
    lo, hi = eco.action_bounds[:, 0], eco.action_bounds[:, 1]
    for _ in range(20):
        a = 0.05 + 0.1 * torch.rand(3, 10, 1, generator=gen, dtype=torch.float64)
        nxt, r, _ = eco.step(a)
        buf.add(obs.reshape(30, -1), torch.atanh((2 * a - lo - hi) / (hi - lo)).reshape(30, 1).float(), r.reshape(30))
        obs = nxt
    buf.add(obs.reshape(30, -1))
    batch = buf.sample(64, 1, 0.99, torch.Generator().manual_seed(2))
    base = dict(hidden=16, critic="post_decision", activation="silu")

    def loss(frac, **kw):
        sc = SACConfig(**base, **kw)
        agent = SAC(eco.obs_dim, eco.action_bounds, sc, 0.99, 0, model=eco.decision_model, post_dim=eco.post_dim,
                    own_capital_moved=eco.own_capital_moved if sc.critic_envelope else None)
        agent.set_progress(frac)
        return agent.critic_loss(*batch)
    for frac in (0.0, 0.3, 0.5, 0.9):
        td = loss(frac)
        with_envelope = loss(frac, critic_envelope=10.0, critic_envelope_until=0.5)
        if frac < 0.5:
            assert with_envelope > td * (1 + 1e-3)
        else:
            assert torch.equal(with_envelope, td)
    for bad in (0.0, 1.5):
        with pytest.raises(ConfigError, match=f"critic_envelope_until' = {bad} is out of range"):
            SACConfig.from_dict({"critic_envelope_until": bad})
