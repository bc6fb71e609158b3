"""Rich heterogeneity: learned steady state per household against the n-player game (C3).

Inputs: ``eval.nc`` of each ``heterogeneous`` run and of each ``baseline`` run — per household
``k_ss, chat_ss, a_ss, kappa, lambda`` (the final quarter of the shock-free rollout, mean over
its economies) — and ``results/benchmarks/game_n<N>.nc`` — per household ``k, kappa, lambda``
(the game's steady state, each household taking its own price effect into account).

Panels: (a) Lorenz curves of capital: learned heterogeneous (the arm's first n present, each
seed), the game at that n, the learned homogeneous baseline; (b) per-household steady-state
capital, learned against the game on log axes (C3's relative error is the distance from the 45°
line), every n with a game file, the game's corners at the left, with the ±5 % band and, per n,
the worst seed's Spearman rank correlation and the seeds' median relative errors (the C3
metrics; households matched by (κ, λ));
(c, d) learned ĉ against cash on hand a, coloured by κ and by λ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..evaluation.allocations import match_types, median_relative_error, rank_correlation
from . import common
from .ks_wealth import gini_from_lorenz, lorenz

NAME = "heterogeneity"
HH_VARS = ("k_ss", "chat_ss", "a_ss", "kappa", "lambda")
GAME_VARS = ("k", "kappa", "lambda")


def match(learned, game) -> tuple[np.ndarray, np.ndarray]:
    """(learned k_ss, game k) of the same households, matched by (κ, λ). Raises FigureInputError
    when the two files do not hold the same household types."""
    p = match_types(learned.ds["kappa"].values, learned.ds["lambda"].values, game["kappa"].values, game["lambda"].values)
    if p is None:
        raise common.FigureInputError(
            f"'{learned.path}' and '{game.attrs.get('source_path', 'the game file')}' do not hold the same "
            f"household types (κ, λ); cannot match households")
    return np.asarray(learned.ds["k_ss"].values, float), np.asarray(game["k"].values, float)[p]


def plot_against_game(ax, groups: dict, games: dict, rank_min: float, med_max: float) -> None:
    """Panel (b): learned against game capital per household on log axes, where C3's relative
    error is the vertical distance from the 45° line; a colour per n, a marker per seed; the
    game's corners (k_i = 0, left out of the median) on a line of their own at the left."""
    both = sorted(n for n in groups if n in games)
    cols = dict(zip(both, common.colors(len(both))))
    markers = "os^vD<>"
    pairs = {n: [(r.seed, *match(r, games[n])) for r in groups[n]] for n in both}
    held = np.concatenate([kg[kg > 0] for n in both for _, _, kg in pairs[n]] or [np.ones(1)])
    # log axes: positive values only; the game's holders join the learned ones in setting the
    # lower limit, so that the 45° line stays in view
    learned = np.concatenate([kl[kl > 0] for n in both for _, kl, _ in pairs[n]] + [held])
    corners = any((kg <= 0).any() for n in both for _, _, kg in pairs[n])
    corner_x = held.min() / 3.0                  # where the game's corners are drawn
    hi = max(held.max(), learned.max()) * 1.5
    ylo = learned.min() / 1.5                    # `learned` holds the game's holders too
    xlo = corner_x / 1.3 if corners else ylo
    seeds = sorted({sd for n in both for sd, _, _ in pairs[n]})
    by_n, keys = [], []
    for n in both:
        rhos, meds = [], []
        for sd, kl, kg in pairs[n]:
            rhos.append(rank_correlation(kl, kg))
            meds.append(median_relative_error(kl, kg))
            j = seeds.index(sd)
            ax.plot(np.where(kg > 0, kg, corner_x), kl, markers[j % len(markers)], color=cols[n], ms=3.5, alpha=0.75,
                    mfc="none" if j else None)
        ok = min(rhos) >= rank_min and max(meds) <= med_max
        by_n.append(ax.plot([], [], "s", color=cols[n], label=f"n = {n}: rank corr ≥ {min(rhos):.3f}, median err "
                f"{min(meds):.1%}–{max(meds):.1%}{'' if ok else ' (fails)'}")[0])
    for j, sd in enumerate(seeds):
        keys += ax.plot([], [], markers[j % len(markers)], color="0.4", ms=3.5, mfc="none" if j else None, label=f"seed {sd}")
    x = np.geomspace(min(xlo, ylo), hi, 50)
    keys.append(ax.fill_between(x, x * (1 - med_max), x * (1 + med_max), color="0.5", alpha=0.35, lw=0,
                                label=f"within ±{med_max:.0%} of the game"))
    keys += ax.plot(x, x, color="black", lw=0.8, ls="--", label="45° line")
    if corners:
        ax.axvline(corner_x, color="0.5", lw=0.8, ls=":")
        ax.annotate("game k_i = 0 (k ≥ 0 binds)", (corner_x, ylo), xytext=(3, 3), textcoords="offset points",
                    fontsize=6.5, color="0.3", va="bottom")
    ax.set(xscale="log", yscale="log", xlim=(xlo, hi), ylim=(ylo, hi),
           xlabel="game steady-state capital k_i (model units, log scale)",
           ylabel="learned steady-state capital k_i (log scale)",
           title=f"per household: learned vs game (C3: rank corr ≥ {rank_min:g}, median err ≤ {med_max:.0%})")
    common.plain_log(ax)                         # 2, 5, 10, 20 … rather than crowded minor labels
    ax.add_artist(ax.legend(handles=by_n, loc="upper left", bbox_to_anchor=(0.05, 1.0), fontsize=6.3))
    ax.legend(handles=keys, loc="lower right", fontsize=6.3)


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

    plot_against_game(ax_s, groups, games, rank_min, med_max)

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
           f"rollout's economies. Panel b: log axes, on which C3's relative error is the distance from the 45° "
           f"line; the game's corners (k_i = 0, left out of the median) on the dotted line; per n the worst "
           f"seed's rank correlation and the seeds' range of median errors. Panels c, d pool the seeds of "
           f"n = {main_n}.")
    common.add_caption(fig, cap, title="Heterogeneous households: learned steady state against the n-player game")
    common.save(fig, pdf, png)
