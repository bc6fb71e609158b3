"""Training loop: one arm, one population size n, one seed → ``policy.pt`` and ``train.nc``.

    train(cfg, arm, n, seed, out_dir, preset=None) -> summary dict

Per gradient update the loop steps the batched training economies ``env_steps_per_update``
times (every household of every environment adds one transition to the shared replay buffer),
then makes one SAC update. Every ``eval_every`` updates the deterministic policy (the
averaged actor, ``SAC.policy``) is evaluated (:class:`Evaluator`); the evaluation chosen by
``select_by`` (:func:`select_policy`) is kept as ``policy.pt``, the last one is
``policy_last.pt``. These and ``train.nc`` are written once, when training reaches its budget.
Until then only ``checkpoint.pt`` is, every ``checkpoint_every`` updates, atomically: a killed or
diverged run leaves no file that looks like a finished run's. The same command started again
resumes from the checkpoint and ends bit-identical to an uninterrupted run (replay buffer,
optimisers, every RNG and the economies' states are restored; only wall-clock figures differ).
A NaN or inf in a loss stops training with :class:`TrainingDiverged`, naming the update and the
loss; the last checkpoint stays intact.

Outputs in ``out_dir``: ``policy.pt``, ``policy_last.pt``, ``train.nc``, ``checkpoint.pt``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from .. import config as _config
from ..code_version import code_version
from ..economy import RBCEconomy, make_economy
from ..evaluation.io import remove_temporaries, write_netcdf
from ..runtime import one_job
from .policy import LAST_POLICY_FILE, POLICY_FILE, policy_payload, save_atomic
from .sac import SAC, ReplayBuffer, SACConfig

CHECKPOINT_FILE = "checkpoint.pt"
STALE_CHECKPOINT_FILE = "checkpoint.stale.pt"     # a checkpoint of another run, moved aside (stale="restart")
LOG_FILE = "train.nc"
CHECKPOINT_FORMAT = "marlbc-checkpoint/2"


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the message names the update and the loss."""


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------

# name -> (units, description) of every logged quantity
LOG_VARS = {
    "eval_return": ("utils", "discounted return per household of the deterministic policy, evaluation "
                    "economies with shocks (fixed seed), mean over environments and households"),
    "chat_mean": ("1", "mean consumption fraction c/a over the second half of the evaluation rollout"),
    "chat_std": ("1", "std of c/a over households, environments and periods of the second half"),
    "ell_mean": ("hours", "mean hours over the second half of the evaluation rollout (NaN without labour choice)"),
    "ell_std": ("hours", "std of hours over households, environments and periods of the second half"),
    "K_mean": ("capital per head", "mean aggregate capital per head over the second half of the evaluation rollout"),
    "K_ss": ("capital per head", "capital per head at the end of a shock-free rollout from k_ss (RBC only)"),
    "chat_ss": ("1", "mean c/a at the end of the shock-free rollout (RBC only)"),
    "ell_ss": ("hours", "mean hours at the end of the shock-free rollout (RBC only)"),
    "ss_drift": ("1", "|K_T / K_(T-100) - 1| of the shock-free rollout (RBC only)"),
    "euler_bias": ("1", "mean of the realised Euler residuals beta R_i' c_i / c_i' - 1 over households, environments "
                   "and periods of the second half (R_i: return on own capital, own price effects included); 0 at the optimum"),
    "labour_bias": ("1", "mean of the labour-condition residuals W_i / (u_l c_i) - 1 over the second half (NaN without labour choice)"),
    "euler_error": ("1", "mean |E_t[beta R_i' c_i / c_i'] - 1| (expectation over the next exogenous state: 5-node Gauss-Hermite in log A for RBC, exact over the four (z', employment) states for KS) over "
                    "households, environments and every 5th period of the second half: the policy's Euler error"),
    "labour_error": ("1", "mean |labour-condition residual| over the same states (NaN without labour choice)"),
    "qf_loss": ("(scaled utils)^2", "critic loss (sum of both critics' MSE), mean since the previous evaluation"),
    "actor_loss": ("scaled utils", "actor loss, mean since the previous evaluation"),
    "entropy": ("nats", "policy entropy estimate (-log density in entropy_space), mean since the previous evaluation"),
    "alpha": ("1", "entropy temperature at the evaluation"),
    "transitions_per_s": ("1/s", "household transitions collected per wall-clock second since the previous evaluation"),
    "updates_per_s": ("1/s", "gradient updates per wall-clock second since the previous evaluation"),
    "wall_s": ("s", "wall-clock seconds of training so far, evaluations and checkpoints included, summed over resumes"),
    "env_steps": ("1", "batched environment steps so far (each adds E*n household transitions)"),
}
EULER_EVERY = 5      # periods between the evaluation states at which expected Euler errors are computed
EVAL_KEYS = ("eval_return", "chat_mean", "chat_std", "ell_mean", "ell_std", "K_mean",
             "K_ss", "chat_ss", "ell_ss", "ss_drift", "euler_bias", "labour_bias", "euler_error", "labour_error")


class Evaluator:
    """Deterministic-policy rollouts with a fixed seed, so that every evaluation of every run
    sees the same initial capital and shocks (common random numbers).

    1. ``eval_envs`` economies with shocks for ``eval_periods`` periods (until γ^T ≤ 1e-3 by
       default): discounted return, and c/a, hours and K over the second half.
    2. RBC: one shock-free economy from k = k_ss (the observation unit) for ``ss_periods``:
       the steady state the policy settles at, and its drift over the last 100 periods.
    """

    def __init__(self, cfg: dict, arm: str, n: int, sc: SACConfig, gamma: float):
        E = sc.eval_envs or max(2, math.ceil(64 / n))
        self.seed, self.gamma = sc.eval_seed, gamma
        self.T = sc.eval_periods or math.ceil(math.log(1e-3) / math.log(gamma))
        self.eco = make_economy(cfg, arm, n, E, seed=sc.eval_seed)
        self.ss_eco = None
        if isinstance(self.eco, RBCEconomy):
            self.ss_eco = make_economy(cfg, arm, n, 1, seed=sc.eval_seed, shocks=False)
        self.ss_periods = sc.ss_periods

    @torch.no_grad()
    def __call__(self, policy) -> dict[str, float]:
        eco, gamma = self.eco, self.gamma
        obs = eco.reset(seed=self.seed)
        ret = torch.zeros(eco.E, eco.n, dtype=torch.float64)
        disc, burn = 1.0, self.T // 2
        chat, ell, K, euler, labour, euler_abs, labour_abs = [], [], [], [], [], [], []
        info_prev = None
        for t in range(self.T):
            a = policy(obs)
            obs, r, info = eco.step(a)
            ret.add_(r, alpha=disc)
            disc *= gamma
            if t >= burn:
                chat.append(a[..., 0])
                if a.shape[-1] > 1:
                    ell.append(a[..., 1])
                K.append(info["k"].mean(-1))
                if info_prev is not None:
                    e, lab = eco.euler_residuals(info_prev, info)
                    euler.append(e.mean())
                    if lab is not None:
                        labour.append(lab.mean())
                info_prev = info
                if (t - burn) % EULER_EVERY == 0:
                    e, lab = eco.expected_euler_residuals(policy, info)
                    euler_abs.append(e.abs().mean())
                    if lab is not None:
                        labour_abs.append(lab.abs().mean())
        chat, K = torch.stack(chat), torch.stack(K)
        out = {"eval_return": ret.mean().item(), "chat_mean": chat.mean().item(), "chat_std": chat.std().item(),
               "K_mean": K.mean().item(), "ell_mean": math.nan, "ell_std": math.nan,
               "K_ss": math.nan, "chat_ss": math.nan, "ell_ss": math.nan, "ss_drift": math.nan,
               "euler_bias": torch.stack(euler).mean().item(),
               "labour_bias": torch.stack(labour).mean().item() if labour else math.nan,
               "euler_error": torch.stack(euler_abs).mean().item(),
               "labour_error": torch.stack(labour_abs).mean().item() if labour_abs else math.nan}
        if ell:
            ell = torch.stack(ell)
            out["ell_mean"], out["ell_std"] = ell.mean().item(), ell.std().item()
        if self.ss_eco is not None:
            out.update(self.steady_state(policy))
        if not all(math.isfinite(out[k]) for k in ("eval_return", "chat_mean", "K_mean")):
            out["eval_return"] = -math.inf      # never the best
        return out

    def steady_state(self, policy) -> dict[str, float]:
        eco = self.ss_eco
        obs = eco.reset(seed=self.seed)
        eco.k = torch.full_like(eco.k, eco.p.k_ss)
        eco.logA = torch.zeros_like(eco.logA)
        obs = eco.observe()
        Ks = []
        for _ in range(self.ss_periods):
            a = policy(obs)
            obs, _, info = eco.step(a)
            Ks.append(info["k"].mean().item())
        K_T, K_back = Ks[-1], Ks[max(0, len(Ks) - 101)]
        return {"K_ss": K_T, "chat_ss": a[..., 0].mean().item(), "ell_ss": a[..., 1].mean().item(),
                "ss_drift": abs(K_T / K_back - 1.0)}


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------

_ECO_STATE = ("k", "logA", "z", "employed")


def _economy_state(eco) -> dict:
    st = {k: getattr(eco, k).clone() for k in _ECO_STATE if hasattr(eco, k)}
    st["generator"] = eco.generator.get_state()
    return st


def _set_economy_state(eco, st: dict) -> None:
    for k in _ECO_STATE:
        if k in st:
            setattr(eco, k, st[k].clone())
    eco.generator.set_state(st["generator"])


def _run_identity(cfg: dict, arm: str, n: int, seed: int, budget: int) -> dict:
    """What a checkpoint must match to be resumed (and what policy.pt and train.nc record):
    ``run_hash`` covers only the settings this run depends on (``config.job_settings``: its arm
    without the sweep over n, its SAC settings included, calibration, economy settings; and n,
    seed, budget); ``code_version`` the package code that trains it, defaults of ``SACConfig``
    included (:func:`marlbc.code_version.code_version`, as the pipeline's params), so that a
    killed job does not resume under edited code; the ``config_hash`` of every output is that
    of the whole resolved config."""
    relevant = {**_config.job_settings(cfg, arm), "n": n, "seed": seed, "budget": budget}
    return {"arm": arm, "n": n, "seed": seed, "preset": cfg["preset"], "budget_updates": budget,
            "run_hash": _config.config_hash(relevant), "code_version": code_version(__name__, entry="run_train")}


def _run_settings(cfg: dict, arm: str, preset: str | None) -> tuple[dict, dict, SACConfig, int]:
    """The resolved config, the arm's spec, its SAC settings and its budget of updates."""
    rcfg = _config.resolve(cfg, preset)
    spec = _config.arm_spec(rcfg, arm)
    sc = SACConfig.from_dict(spec.get("sac"), where=f"arms.{arm}.sac")
    return rcfg, spec, sc, int(spec["budget"]["updates"])


def run_identity(cfg: dict, arm: str, n: int, seed: int, preset: str | None = None) -> dict:
    """The identity that a run of ``arm`` (n, seed) trained under ``cfg`` and ``preset`` records in
    its ``policy.pt``: compare a policy's ``run_hash`` with it to tell whether the arm's
    settings changed since the policy was trained."""
    rcfg, _, _, budget = _run_settings(cfg, arm, preset)
    return _run_identity(rcfg, arm, n, seed, budget)


def select_policy(evals: list[dict], sc: SACConfig) -> dict:
    """The evaluation whose policy becomes ``policy.pt`` (``select_by``).

    "last": the last evaluation (with ``average_from``, the average of the actor over the tail of
    training: the iterate average is the estimate, and picking among snapshots would undo it).
    "return": the best evaluation return. "euler" / "euler_error": among evaluations whose
    return is within ``select_tol`` (a fraction of |best|) of the best, the one with the
    smallest |euler_bias| + |labour_bias| (the mean realised residuals: the policy's level) or
    euler_error + labour_error (the mean absolute expected residuals: the policy's Euler error,
    level and shape); NaN terms count 0. Near the optimum welfare is flat (a policy that is a
    few percent off loses hundredths of a percent), so the return cannot tell the capital level
    apart; the first-order conditions are first order in it."""
    if sc.select_by == "last":
        return evals[-1]
    returns = [e["eval"]["eval_return"] for e in evals]
    best = max(range(len(evals)), key=lambda i: returns[i])
    if sc.select_by == "return":
        return evals[best]
    floor = returns[best] - sc.select_tol * abs(returns[best])
    keys = ("euler_bias", "labour_bias") if sc.select_by == "euler" else ("euler_error", "labour_error")

    def score(e):
        return sum(abs(e["eval"][k]) for k in keys if math.isfinite(e["eval"][k]))
    candidates = [e for e, r in zip(evals, returns) if r >= floor and math.isfinite(score(e))]
    return min(candidates, key=score) if candidates else evals[best]


def _write_log(path: Path, log: dict[str, list], attrs: dict, cfg: dict) -> None:
    upd = np.asarray(log["update"], dtype=np.int64)
    data = {}
    for name, (units, desc) in LOG_VARS.items():
        data[name] = xr.DataArray(np.asarray(log[name], dtype=np.float64), dims="update",
                                  attrs={"units": units, "description": desc})
    ds = xr.Dataset(data, coords={"update": xr.DataArray(upd, dims="update",
                                                          attrs={"description": "gradient updates done"})})
    # atomic, with the provenance of every output (package version, git commit, config_hash)
    write_netcdf(ds, path, cfg, **{k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in attrs.items()})


def _successors(eco, sc: SACConfig, arm: str, n: int, ctx_dim: int):
    """The economy's ``successors`` for ``expected_targets`` (None without them), or a
    ConfigError naming the key when the economy cannot list next period's observations."""
    if not sc.expected_targets:
        return None
    if not getattr(eco, "has_successors", False):
        raise _config.ConfigError(
            f"arms.{arm}.sac.expected_targets = {sc.expected_targets}: the {type(eco).__name__} with n = {n} "
            "cannot list next period's observations from the post-decision state (the RBC economy with "
            "n = 1 and the KS economy can); set it to 0")
    if ctx_dim and sc.n_step != 1:
        raise _config.ConfigError(
            f"arms.{arm}.sac.expected_targets = {sc.expected_targets} with n = {n} needs arms.{arm}.sac.n_step = 1 "
            f"(got {sc.n_step}): the successors' context follows from the last transition's, which the "
            "replay buffer gives for one-step returns")
    return eco.successors


def _load_checkpoint(ckpt_path: Path, ident: dict, stale: str) -> dict | None:
    """The checkpoint of this run (``ident``) to resume from, or None to start afresh. A checkpoint
    of another run is refused (``stale="error"``) or moved aside (``"restart"``)."""
    if not ckpt_path.exists():
        return None
    try:
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    except Exception as e:                   # not written by the training loop, whose writes are atomic
        raise RuntimeError(f"'{ckpt_path}' cannot be read ({type(e).__name__}); move it aside or "
                           "delete it to train this run from the start") from e
    if ck.get("format") == CHECKPOINT_FORMAT and ck["identity"] == ident:
        return ck
    if stale == "restart":
        print(f"{ckpt_path} belongs to another run ({ck.get('identity')}); moved to "
              f"{STALE_CHECKPOINT_FILE}, starting over", flush=True)
        os.replace(ckpt_path, ckpt_path.with_name(STALE_CHECKPOINT_FILE))
        return None
    raise RuntimeError(f"'{ckpt_path}' belongs to another run ({ck.get('identity')}); this run is "
                       f"{ident}. Remove the checkpoint or choose another output folder.")


class _Progress:
    """tqdm on a TTY, plain log lines (one per evaluation) otherwise."""

    def __init__(self, total: int, initial: int, label: str, enabled: bool | None):
        self.tty = sys.stderr.isatty() if enabled is None else enabled
        self.label = label
        self.bar = None
        if self.tty:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=label, unit="upd", mininterval=1.0,
                            file=sys.stderr, dynamic_ncols=True)
        self.total = total

    def advance(self, k: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(k)

    def report(self, update: int, row: dict) -> None:
        ell = f" ell {row['ell_mean']:.4f}" if math.isfinite(row["ell_mean"]) else ""
        kss = f" K_ss {row['K_ss']:.4g}" if math.isfinite(row["K_ss"]) else ""
        msg = (f"ret {row['eval_return']:.5g} chat {row['chat_mean']:.4f}{ell} K {row['K_mean']:.4g}{kss} "
               f"alpha {row['alpha']:.3g} {row['transitions_per_s']:,.0f} trans/s {row['updates_per_s']:.0f} upd/s")
        if self.bar is not None:
            self.bar.set_postfix_str(msg, refresh=False)
        else:
            print(f"[{self.label}] update {update}/{self.total} {msg}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------

class _Run:
    """One training run: its training economies, agent, replay buffer and log, with the steps of
    :func:`train` as methods (act, evaluate, warm up or resume, update, checkpoint, write)."""

    def __init__(self, rcfg: dict, arm: str, n: int, seed: int, sc: SACConfig, gamma: float, ident: dict,
                 out_dir: Path):
        self.sc, self.ident, self.gamma, self.out_dir = sc, ident, gamma, out_dir
        self.label = f"{arm} n={n} seed={seed}"
        E = _config.arm_envs(rcfg, arm)
        self.eco = eco = make_economy(rcfg, arm, n, E, seed=seed, training=True)   # with the arm's exploring starts
        self.d = len(eco.action_names)
        self.M = E * n
        model = eco.decision_model if sc.critic == "post_decision" else None
        self.ctx_dim = eco.ctx_dim if model is not None else 0    # the decision model's context, kept per transition
        self.agent = SAC(eco.obs_dim, eco.action_bounds, sc, gamma, seed, model=model, post_dim=eco.post_dim,
                         successors=_successors(eco, sc, arm, n, self.ctx_dim),
                         own_capital_moved=getattr(eco, "own_capital_moved", None))
        self.buffer = ReplayBuffer(sc.buffer_size, self.M, eco.obs_dim, self.d, self.ctx_dim)
        self.evaluator = Evaluator(rcfg, arm, n, sc, gamma)
        self.rcfg = rcfg
        self.attrs = {**ident, "gamma": gamma, "envs": E, "sac": str(sc.as_dict()),
                      "title": f"SAC training log, {arm} n={n} seed={seed}",
                      "policy_selection": f"policy.pt: select_by={sc.select_by} (select_tol={sc.select_tol}), "
                                          "see marlbc.rl.train.select_policy; policy_last.pt: the last"}
        self.log: dict[str, list] = {"update": [], **{k: [] for k in LOG_VARS}}
        # evals: every evaluation (update, values, policy weights); policy.pt is select_policy's pick
        self.st = {"update": 0, "env_steps": 0, "episode_t": 0, "wall_s": 0.0, "evals": []}

    # -- acting and evaluating ----------------------------------------------------------------------

    def context(self, a):
        return self.eco.context(a).reshape(self.M, self.ctx_dim) if self.ctx_dim else None

    def env_step(self, obs):
        """One step of every training economy; every household's transition goes to the buffer."""
        u, a = self.agent.act(obs)
        ctx = self.context(a)
        obs_next, r, _ = self.eco.step(a)
        self.buffer.add(obs.reshape(self.M, -1), u.reshape(self.M, self.d), r.reshape(self.M), ctx)
        st = self.st
        st["env_steps"] += 1
        st["episode_t"] += 1
        if self.sc.episode_length and st["episode_t"] >= self.sc.episode_length:
            # last observation, no action; its context from the actions the households would take
            # (acted only when there is a context: acting draws from the agent's generator)
            self.buffer.add(obs_next.reshape(self.M, -1),
                            ctx=self.context(self.agent.act(obs_next)[1]) if self.ctx_dim else None)
            obs_next = self.eco.reset()
            st["episode_t"] = 0
        return obs_next

    def evaluate_and_log(self, update: int, sums: dict, counts: dict, t_int: float, steps_int: int,
                         upd_int: int) -> dict:
        """Evaluate the deterministic policy; log it with the interval's mean losses and speed."""
        row = self.evaluator(self.agent.policy.deterministic)
        row["qf_loss"] = sums["qf_loss"] / counts["qf_loss"] if counts["qf_loss"] else math.nan
        for k in ("actor_loss", "entropy"):
            row[k] = sums[k] / counts[k] if counts[k] else math.nan
        row["alpha"] = self.agent.log_alpha.exp().item()
        row["transitions_per_s"] = steps_int * self.M / t_int if t_int > 0 else math.nan
        row["updates_per_s"] = upd_int / t_int if t_int > 0 else math.nan
        row["wall_s"] = self.st["wall_s"]
        row["env_steps"] = self.st["env_steps"]
        self.log["update"].append(update)
        for k in LOG_VARS:
            self.log[k].append(float(row[k]))
        self.st["evals"].append({"update": update, "eval": {k: row[k] for k in EVAL_KEYS},
                                 "actor": {k: v.clone() for k, v in self.agent.policy.state_dict().items()}})
        return row

    # -- start ----------------------------------------------------------------------------------------

    def warm_up(self):
        """Fresh start: ``learning_starts`` steps, the normalisers fitted, the untrained policy
        evaluated (update 0). Returns the observations."""
        sc = self.sc
        obs = self.eco.reset()
        t0 = time.perf_counter()
        for _ in range(max(sc.learning_starts, sc.n_step + 2)):
            obs = self.env_step(obs)
        self.agent.fit_normalisers(self.buffer, initial=True)
        self.st["wall_s"] += time.perf_counter() - t0
        zero = {"qf_loss": 0.0, "actor_loss": 0.0, "entropy": 0.0}
        self.evaluate_and_log(0, zero, {k: 0 for k in zero}, time.perf_counter() - t0, self.st["env_steps"], 0)
        return obs

    def resume(self, ck: dict):
        """Restore agent, buffer, economies, counters and log from checkpoint ``ck``; returns the observations."""
        self.agent.load_state_dict(ck["agent"])
        self.buffer.load_state_dict(ck["buffer"])
        _set_economy_state(self.eco, ck["economy"])
        self.st.update(ck["state"])
        self.log = ck["log"]
        return ck["obs"]

    # -- the loop -------------------------------------------------------------------------------------

    def learn(self, obs, budget: int, bar: _Progress, last_ckpt: int | None) -> None:
        """Updates from ``st["update"]`` to ``budget``: environment steps, one SAC update each, an
        evaluation every ``eval_every`` and a checkpoint every ``checkpoint_every`` updates."""
        sc, st, agent = self.sc, self.st, self.agent
        rate = sc.env_steps_per_update
        sums = {"qf_loss": 0.0, "actor_loss": 0.0, "entropy": 0.0}
        counts = {k: 0 for k in sums}
        t_mark, steps_mark, upd_mark = time.perf_counter(), st["env_steps"], st["update"]
        t_wall = time.perf_counter()
        for u in range(st["update"], budget):
            for _ in range(math.floor((u + 1) * rate) - math.floor(u * rate)):
                obs = self.env_step(obs)
            agent.set_progress(u / budget)
            if u > 0 and u % sc.norm_every == 0:
                agent.fit_normalisers(self.buffer)
            losses = agent.update(self.buffer)
            for k, v in losses.items():
                x = v.item()
                if not math.isfinite(x):
                    last = last_ckpt if last_ckpt is not None else "none written yet"
                    raise TrainingDiverged(
                        f"{k} = {x} at update {u + 1} of {self.label}; training stopped. The last good "
                        f"checkpoint (update {last}) in '{self.out_dir}' is intact")
                sums[k] += x
                counts[k] += 1
            st["update"] = u + 1
            bar.advance()
            now = time.perf_counter()
            st["wall_s"] += now - t_wall
            t_wall = now
            if st["update"] % sc.eval_every == 0 or st["update"] == budget:
                row = self.evaluate_and_log(st["update"], sums, counts, now - t_mark,
                                            st["env_steps"] - steps_mark, st["update"] - upd_mark)
                bar.report(st["update"], row)
                sums = {k: 0.0 for k in sums}
                counts = {k: 0 for k in sums}
                t_mark, steps_mark, upd_mark = time.perf_counter(), st["env_steps"], st["update"]
            if st["update"] % sc.checkpoint_every == 0 or st["update"] == budget:
                self.save_checkpoint(obs)
                last_ckpt = st["update"]

    # -- files ----------------------------------------------------------------------------------------

    def save_checkpoint(self, obs) -> None:
        save_atomic({"format": CHECKPOINT_FORMAT, "identity": self.ident, "state": dict(self.st),
                     "obs": obs.clone(), "agent": self.agent.state_dict(), "buffer": self.buffer.state_dict(),
                     "economy": _economy_state(self.eco), "log": {k: list(v) for k, v in self.log.items()}},
                    self.out_dir / CHECKPOINT_FILE)

    def policy_meta(self, update: int, evaluation: dict) -> dict:
        return {**self.ident, "gamma": self.gamma, "update": update, "eval": evaluation,
                "sac": self.sc.as_dict(), "obs_dim": self.eco.obs_dim}

    def write_outputs(self) -> dict:
        """``policy.pt`` (select_policy's pick), ``policy_last.pt`` and ``train.nc``; returns the pick."""
        best = select_policy(self.st["evals"], self.sc)
        policy, names, log = self.agent.policy, self.eco.action_names, self.log
        save_atomic(policy_payload(policy, best["actor"], names, self.policy_meta(best["update"], best["eval"])),
                    self.out_dir / POLICY_FILE)
        last_eval = {k: log[k][-1] for k in EVAL_KEYS} if log["update"] else {}
        save_atomic(policy_payload(policy, policy.state_dict(), names, self.policy_meta(self.st["update"], last_eval)),
                    self.out_dir / LAST_POLICY_FILE)
        _write_log(self.out_dir / LOG_FILE, log, {**self.attrs, "best_update": best["update"],
                                                  "updates_done": self.st["update"]}, self.rcfg)
        return best


def train(cfg: dict, arm: str, n: int | None, seed: int, out_dir: str | Path, preset: str | None = None,
          *, progress: bool | None = None, stale: str = "error") -> dict:
    """Train SAC on ``arm`` with ``n`` households (default: the arm's first n) and ``seed``.

    ``cfg`` is a validated config as loaded by :func:`marlbc.config.load` (not yet resolved):
    the preset (``preset``, default ``cfg["preset"]``) is applied here, scaling the arm's
    ``budget.updates``. SAC hyperparameters come from ``arms.<arm>.sac`` (fields of
    :class:`SACConfig`). ``progress``: tqdm bar (True), log lines (False), or by TTY (None).
    ``stale``: what to do with a checkpoint in ``out_dir`` written by another run (other config,
    seed or budget): "error" (refuse), or "restart" (rename it ``checkpoint.stale.pt``, kept for
    inspection, and start over: the pipeline reruns a job exactly when its parameters changed).
    Returns a summary: paths, updates, wall time, best and last evaluations.
    """
    if stale not in ("error", "restart"):
        raise ValueError(f"stale = {stale!r}; allowed: 'error', 'restart'")
    one_job()
    rcfg, spec, sc, budget = _run_settings(cfg, arm, preset)
    n = int(spec["n"][0] if n is None else n)
    if n < 1:
        raise _config.ConfigError(f"n = {n} households is not allowed; need n >= 1")
    gamma = float(_config.arm_calibration(rcfg, arm)["beta"])     # RL discount = household's beta
    ident = _run_identity(rcfg, arm, n, seed, budget)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (POLICY_FILE, LAST_POLICY_FILE, LOG_FILE, CHECKPOINT_FILE):
        remove_temporaries(out_dir / name)          # a killed job's half-written files

    run = _Run(rcfg, arm, n, seed, sc, gamma, ident, out_dir)
    ck = _load_checkpoint(out_dir / CHECKPOINT_FILE, ident, stale)
    obs = run.warm_up() if ck is None else run.resume(ck)
    resumed_from = None if ck is None else run.st["update"]
    bar = _Progress(budget, run.st["update"], run.label, progress)
    if resumed_from is not None:
        print(f"[{run.label}] resumed from {out_dir / CHECKPOINT_FILE} at update {resumed_from}",
              file=sys.stderr, flush=True)
    try:
        run.learn(obs, budget, bar, last_ckpt=resumed_from)
    finally:
        bar.close()
    best = run.write_outputs()                  # the budget is reached (also by a finished run started again)

    st, log = run.st, run.log
    return {"arm": arm, "n": n, "seed": seed, "preset": rcfg["preset"], "out_dir": str(out_dir),
            "policy": str(out_dir / POLICY_FILE), "train_nc": str(out_dir / LOG_FILE),
            "updates": st["update"], "env_steps": st["env_steps"], "transitions": st["env_steps"] * run.M,
            "wall_s": st["wall_s"], "resumed_from": resumed_from, "best_update": best["update"],
            "best": best["eval"], "last": {k: log[k][-1] for k in EVAL_KEYS},
            "run_hash": ident["run_hash"], "config_hash": _config.config_hash(rcfg)}
