"""Rich heterogeneity: learned steady state per household against the n-player game (C3).

Inputs: ``eval.nc`` of each ``heterogeneous`` run and of each ``baseline`` run — per household
``k_ss, chat_ss, a_ss, kappa, lambda`` (the final quarter of the shock-free rollout, mean over
its economies) — and ``results/benchmarks/game_n<N>.nc`` — per household ``k, kappa, lambda``
(the game's steady state, each household taking its own price effect into account).

Panels: (a) Lorenz curves of capital: learned heterogeneous (the arm's first n present, each
seed), the game at that n, the learned homogeneous baseline; (b) per-household steady-state
capital, learned against the game, every n with a game file, with the 45° line, the Spearman
rank correlation and the median relative error (the C3 metrics; households matched by (κ, λ));
(c, d) learned ĉ against cash on hand a, coloured by κ and by λ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import common
from .ks_wealth import gini_from_lorenz, lorenz

NAME = "heterogeneity"
HH_VARS = ("k_ss", "chat_ss", "a_ss", "kappa", "lambda")
GAME_VARS = ("k", "kappa", "lambda")


def match(learned, game) -> tuple[np.ndarray, np.ndarray]:
    """(learned k_ss, game k) of the same households, matched by (κ, λ) (both sorted the same way).
    Raises FigureInputError when the two files do not hold the same types."""
    def key(ds):
        kap = np.round(np.asarray(ds["kappa"].values, float), 10)
        lam = np.round(np.asarray(ds["lambda"].values, float), 10)
        return np.lexsort((lam, kap)), kap, lam

    il, kl, ll = key(learned.ds)
    ig, kg, lg = key(game)
    if len(il) != len(ig) or not (np.allclose(kl[il], kg[ig]) and np.allclose(ll[il], lg[ig])):
        raise common.FigureInputError(
            f"'{learned.path}' and '{game.attrs.get('source_path', 'the game file')}' do not hold the same "
            f"household types (κ, λ); cannot match households")
    return (np.asarray(learned.ds["k_ss"].values, float)[il], np.asarray(game["k"].values, float)[ig])


def c3_metrics(k_learned: np.ndarray, k_game: np.ndarray) -> tuple[float, float]:
    """Spearman rank correlation and median relative error |k/k_game − 1| (over k_game > 0)."""
    from scipy.stats import spearmanr

    rho = float(spearmanr(k_learned, k_game).statistic) if len(k_game) > 2 else float("nan")
    pos = k_game > 0
    med = float(np.median(np.abs(k_learned[pos] / k_game[pos] - 1.0))) if pos.any() else float("nan")
    return rho, med


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    het = common.load_runs(inputs, "eval.nc", HH_VARS, ("household",), arm="heterogeneous", figure=NAME)
    base = common.load_runs(inputs, "eval.nc", ("k_ss",), ("household",), arm="baseline", figure=NAME,
                            required=False)
    games = {}
    for p in map(Path, inputs):
        if p.name.startswith("game_n") and p.suffix == ".nc":
            g = common.load_benchmark([p], p.name, GAME_VARS, ("household",), figure=NAME)
            games[int(g.sizes["household"])] = g
    if not games:
        raise common.FigureInputError(f"figure '{NAME}' needs at least one results/benchmarks/game_n<N>.nc "
                                      f"among its inputs; got: {', '.join(map(str, inputs))}")
    groups = common.by_n(het)
    first = [n for n in (cfg.get("arms", {}).get("heterogeneous", {}).get("n") or []) if n in groups]
    main_n = first[0] if first else min(groups, key=lambda n: (n not in games, n))
    th = cfg.get("claims", {}).get("C3", {})
    rank_min, med_max = float(th.get("rank_corr_min", 0.9)), float(th.get("median_rel_err_max", 0.05))

    fig, axes = common.figure(2, 2, width=10.5, height=8.0)
    (ax_l, ax_s), (ax_k, ax_m) = axes

    # (a) Lorenz curves
    het_cols = common.colors(max(len(groups[main_n]), 1))
    for r, col in zip(groups[main_n], het_cols):
        pop, sh = lorenz(r.ds["k_ss"].values)
        ax_l.plot(pop, sh, color=col, lw=1.5,
                  label=f"learned heterogeneous n = {main_n}, seed {r.seed}: Gini {gini_from_lorenz(pop, sh):.4f}")
    if main_n in games:
        pop, sh = lorenz(games[main_n]["k"].values)
        ax_l.plot(pop, sh, **common.BENCHMARK_STYLE,
                  label=f"game steady state n = {main_n}: Gini {gini_from_lorenz(pop, sh):.4f}")
    for r in base:
        pop, sh = lorenz(r.ds["k_ss"].values)
        ax_l.plot(pop, sh, color="tab:gray", lw=1.2, ls="-.",
                  label=f"learned baseline κ = λ = 1, n = {r.n}, seed {r.seed}: Gini {gini_from_lorenz(pop, sh):.4f}")
    ax_l.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls=":", label="equality")
    ax_l.set(xlim=(0, 1), ylim=(0, 1), xlabel="population share (poorest first)", ylabel="share of capital",
             title="Lorenz curves of steady-state capital")
    ax_l.legend(loc="upper left", fontsize=6.5)

    # (b) learned vs game, per household
    both = [n for n in groups if n in games]
    cols = dict(zip(both, common.colors(len(both))))
    markers = "os^vD<>"
    lo, hi = np.inf, -np.inf
    for n in both:
        for j, r in enumerate(groups[n]):
            kl, kg = match(r, games[n])
            rho, med = c3_metrics(kl, kg)
            ax_s.plot(kg, kl, markers[j % len(markers)], color=cols[n], ms=4, alpha=0.75, mfc="none" if j else None,
                      label=f"n = {n}, seed {r.seed}: rank corr {rho:.3f}, median rel. err {med:.1%}")
            lo, hi = min(lo, kg.min(), kl.min()), max(hi, kg.max(), kl.max())
    if np.isfinite(lo):
        pad = 0.04 * (hi - lo or 1.0)
        ax_s.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="black", lw=1.0, ls="--", label="45° line")
        ax_s.set(xlim=(lo - pad, hi + pad), ylim=(lo - pad, hi + pad))
    ax_s.set(xlabel="game steady-state capital k_i (model units)", ylabel="learned steady-state capital k_i",
             title=f"per household: learned vs game (C3: rank corr ≥ {rank_min:g}, median err ≤ {med_max:.0%})")
    ax_s.legend(loc="upper left", fontsize=6.5)

    # (c, d) chat against wealth, coloured by type
    rs = groups[main_n]
    a = np.concatenate([r.ds["a_ss"].values for r in rs])
    chat = np.concatenate([r.ds["chat_ss"].values for r in rs])
    for ax, var, sym in ((ax_k, "kappa", "κ"), (ax_m, "lambda", "λ")):
        t = np.concatenate([r.ds[var].values for r in rs])
        sc = ax.scatter(a, chat, c=t, cmap="coolwarm", s=22, edgecolor="0.2", linewidth=0.3)
        fig.colorbar(sc, ax=ax, label=f"{'capital' if var == 'kappa' else 'labour'} productivity {sym}_i",
                     shrink=0.85)
        ax.set(xlabel="cash on hand a_i = (1−δ)k_i + w_i ℓ_i + r_i k_i (model units)",
               ylabel="consumption fraction ĉ_i = c_i / a_i",
               title=f"learned ĉ against wealth, n = {main_n}, coloured by {sym}")

    arms_txt = common.caption(cfg, "heterogeneous", het)
    base_txt = (f"Baseline (κ = λ = 1): {common.seeds_text(base)}, {common.budget_text(cfg, 'baseline', base)}"
                if base else "No baseline run among the inputs")
    games_txt = ", ".join(f"n = {n}" for n in sorted(games))
    cap = (f"{arms_txt} {base_txt}. Benchmark: steady state of the n-player game in which each household takes "
           f"its own effect on prices into account (3n conditions, k ≥ 0), results/benchmarks/game_n<N>.nc for "
           f"{games_txt}. Learned steady state: final quarter of the shock-free rollout (A = 1), mean over the "
           f"rollout's economies; panels c, d pool the seeds of n = {main_n}.")
    common.add_caption(fig, cap, title="Heterogeneous households: learned steady state against the n-player game")
    common.save(fig, pdf, png)
