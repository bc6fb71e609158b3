"""C3's reported rows: where and why the learned steady state misses the n-player game's.

C3 scores the rank correlation and the median relative error of per-household capital against
the game (:func:`marlbc.claims.checks.check_C3`). Each function here adds one row that is
reported, not scored, for one n: a :class:`~marlbc.claims.common.Metric` with ``scored=False``,
its value the worst seed or the mean over seeds (the note says which), and the per-seed numbers
written into ``per_seed[seed]`` (the claim's ``details``). They read the learned steady state of
each evaluation (``k_ss``, ``ell_ss``, ``c_ss`` and the evaluation's diagnostics) and the game's
(``game``: ``k``, ``ell``, ``c``; ``kg`` its capital), in the evaluation's household order.

    euler_row          the learned k_i in the game's Euler conditions, against C3's tolerance
    aggregate_row      the learned K/L against the game's
    wedge_row          the error left against the game with one common Euler wedge (the spread)
    weighted_row       the error weighted by capital, the game's corners included
    productivity_row   the elasticity of capital to return productivity κ_i, against the game's
    windfall_row       the share of a windfall kept after 10 quarters, against the game's
    price_weight_row   the weight θ of a household's own price effect in the learned economy
"""

from __future__ import annotations

import numpy as np

from ..benchmarks.game import GameSolveError, income as game_income, solve_game, solve_game_at_ratio
from ..evaluation.allocations import median_relative_error
from ..evaluation.statistics import capital_share_distance, capital_weighted_error, productivity_elasticities
from .common import EvalRun, Metric, worst


def _per_seed(per_seed: dict, key: str, fmt: str) -> str:
    """``per_seed[seed][key]`` of every seed, formatted by ``fmt`` and joined by " / " (a row's note)."""
    return " / ".join(format(d[key], fmt) for d in per_seed.values())


def euler_row(th: dict, n: int, tolerance: float, per_seed: dict) -> Metric | None:
    """The learned steady state in the game's Euler conditions (worst seed), against the median
    residual that moves k_i by C3's median error."""
    euler = {sd: d["euler_game_median"] for sd, d in per_seed.items() if "euler_game_median" in d}
    if not euler:
        return None
    return Metric(f"n = {n}: log10 median |Euler residual| of the learned k_i in the game's terms "
                  f"({th['median_rel_err_max']:.0%} of k_i needs ≤ {np.log10(tolerance):.2f})",
                  float(np.log10(max(euler.values()))), scored=False,
                  note="worst seed; per seed " + " / ".join(f"{np.log10(v):.2f}" for v in euler.values())
                       + "; |1 − β(1 − δ + ∂m_i/∂k_i)| with the own-price effect (benchmarks.game."
                       "residuals) over the game's households with k_i > 0; the tolerance is the "
                       "median residual that moves k_i by that share (benchmarks.game.euler_tolerance); "
                       "reported, not scored")


def aggregate_row(th: dict, n: int, cal: dict, kappa, lam, game: dict, tolerance: float,
                  rs: list[EvalRun], per_seed: dict) -> Metric | None:
    """The learned aggregate capital-labour ratio against the game's (worst seed, largest |error|),
    beside the error that alone opens a return gap as large as C3's Euler tolerance: a price-taking
    household's residual β(1 − δ + R) − 1 moves by β(1 − α) R per unit of log(K/L). Households
    that satisfy their Euler conditions at prices that far off can match the game's k_i only
    through their own-price terms, that is with capital more than C3's median error away."""
    if not all("ell_ss" in r.ds for r in rs):
        return None
    beta, delta, alpha = cal["beta"], cal["delta"], cal["alpha"]
    at_game = game_income(cal, kappa, lam, game["k"], game["ell"])
    allowed = tolerance / (beta * (1.0 - alpha) * at_game.R)          # |Δ log(K/L)| that opens that gap
    gaps = {}
    for r in rs:
        learned = game_income(cal, kappa, lam, r.ds["k_ss"].values, r.ds["ell_ss"].values)
        per_seed[r.seed]["KL_rel_err"] = learned.x / at_game.x - 1.0
        gaps[r.seed] = beta * (1.0 - delta + learned.R) - 1.0
        per_seed[r.seed]["aggregate_return_gap"] = gaps[r.seed]
    s = max(gaps, key=lambda sd: abs(per_seed[sd]["KL_rel_err"]))
    v = per_seed[s]["KL_rel_err"]
    return Metric(f"n = {n}: aggregate K/L of the learned steady state against the game's (households at "
                  f"their Euler conditions hold k_i within {th['median_rel_err_max']:.0%} only if within ±{allowed:.2%})",
                  v, scored=False,
                  note=f"worst seed {s}; per seed " + " / ".join(f"{per_seed[sd]['KL_rel_err']:+.2%}" for sd in gaps)
                       + "; a price taker's return gap β(1 − δ + R) − 1 at the learned prices "
                       + " / ".join(f"{g:+.1e}" for g in gaps.values())
                       + f" (game {beta * (1.0 - delta + at_game.R) - 1.0:+.1e}); an aggregate off by more "
                       "than the bound opens a gap larger than the Euler residual that moves k_i by C3's "
                       "median error (benchmarks.game.euler_tolerance); reported, not scored")


def wedge_row(n: int, cal: dict, kappa, lam, per_seed: dict, rs: list[EvalRun]) -> Metric | None:
    """C3's median error against the game with one Euler wedge for every household, set so that
    its K/L is the learned one (``benchmarks.game.solve_game_at_ratio``): what is left once the
    aggregate is matched is the spread of capital across households. Worst seed."""
    if not all("ell_ss" in r.ds for r in rs):
        return None
    at_ratio = {}
    for r in rs:
        k = r.ds["k_ss"].values
        try:
            sol, beta = solve_game_at_ratio(cal, kappa, lam, game_income(cal, kappa, lam, k, r.ds["ell_ss"].values).x)
            at_ratio[r.seed] = median_relative_error(k, sol.k)
            wedge = 1.0 / beta - 1.0 / cal["beta"]
        except (ValueError, GameSolveError, np.linalg.LinAlgError):   # an aggregate no common wedge reaches
            at_ratio[r.seed], wedge = float("nan"), float("nan")
        per_seed[r.seed].update(median_rel_err_at_learned_KL=at_ratio[r.seed], euler_wedge_at_learned_KL=wedge)
    s, v = worst(at_ratio)
    return Metric(f"n = {n}: median |k_i/k_i game − 1| against the game with one Euler wedge for all "
                  f"households that gives it the learned K/L (the spread alone)", v, scored=False,
                  note=f"worst seed {s}; per seed " + " / ".join(f"{v:.3f}" for v in at_ratio.values())
                       + " against the scored " + _per_seed(per_seed, "median_rel_err", ".3f")
                       + "; wedge 1/β' − 1/β " + _per_seed(per_seed, "euler_wedge_at_learned_KL", "+.1e")
                       + " (benchmarks.game.solve_game_at_ratio; the game's households with k_i > 0 at that "
                       "wedge). What the aggregate accounts for is the difference; reported, not scored")


def weighted_row(n: int, kg: np.ndarray, rs: list[EvalRun], per_seed: dict) -> Metric:
    """C3's error read with capital weights instead of the median over holders (worst seed):
    :func:`~marlbc.evaluation.statistics.capital_weighted_error` over every household, the game's
    corners included, with the share of capital held by other households than in the game
    (:func:`~marlbc.evaluation.statistics.capital_share_distance`) beside it."""
    for r in rs:
        k = r.ds["k_ss"].values
        per_seed[r.seed].update(capital_weighted_rel_err=capital_weighted_error(k, kg),
                                capital_share_distance=capital_share_distance(k, kg))
    s, v = worst({sd: d["capital_weighted_rel_err"] for sd, d in per_seed.items()})
    return Metric(f"n = {n}: Σ|k_i − k_i game| / Σ k_i game (C3's error weighted by capital, all households)",
                  v, scored=False,
                  note=f"worst seed {s}; per seed " + _per_seed(per_seed, "capital_weighted_rel_err", ".3f")
                       + " against the scored median " + _per_seed(per_seed, "median_rel_err", ".3f")
                       + "; share of capital held by other households than in the game, ½ Σ|s_i − s_i game| "
                       "over capital shares s_i, " + _per_seed(per_seed, "capital_share_distance", ".3f")
                       + " (evaluation.statistics.capital_weighted_error, capital_share_distance); "
                       "reported, not scored")


def windfall_row(n: int, game_keep: float, rs: list[EvalRun], per_seed: dict,
                 shed_quarters: float) -> Metric | None:
    """Share of a 10 % windfall the median household still holds after 10 quarters, learned
    (mean over seeds; hours chosen by the policy) beside the game's with hours held
    (``game_keep``) and the quarters of wage income that a game household free to choose its
    hours would forgo to shed it (``shed_quarters``, median)."""
    keep = {r.seed: r.scalar("wealth_persistence_10") for r in rs}
    if not all(np.isfinite(v) for v in keep.values()):      # evaluations from before the diagnostic
        return None
    for sd, v in keep.items():
        per_seed[sd]["wealth_persistence_10"] = v
    return Metric(f"n = {n}: share of a 10 % windfall kept after 10 quarters (median household, hours "
                  f"chosen), game with hours held {game_keep:.3f}", float(np.mean(list(keep.values()))),
                  scored=False,
                  note="mean over seeds; per seed " + " / ".join(f"{v:.2f}" for v in keep.values())
                       + "; reported, not scored. Game with hours held: its own problem linearised "
                       "(benchmarks.game.windfall_persistence). A game household free to choose its "
                       "hours keeps c_i = W_i/χ and works less until the windfall is gone: it is "
                       f"{shed_quarters:.1f} quarters of its wage income (median), so it keeps none of "
                       "it after 10 quarters where that is under 10")


def productivity_row(n: int, kappa, lam, kg: np.ndarray, rs: list[EvalRun], per_seed: dict) -> Metric | None:
    """How strongly the learned households' capital rises with their return productivity κ_i,
    beside the game's: the elasticity e_κ of :func:`~marlbc.evaluation.statistics.productivity_elasticities`
    over the game's households with k_i > 0 (mean over seeds). A learned allocation can match the
    game's K/L and still miss its spread; this says which way and by how much."""
    pos = kg > 0
    e_game = productivity_elasticities(kg[pos], kappa[pos], lam[pos])
    if not np.isfinite(e_game[0]):
        return None
    for r in rs:
        e = productivity_elasticities(r.ds["k_ss"].values[pos], kappa[pos], lam[pos])
        per_seed[r.seed].update(elasticity_kappa=e[0], elasticity_lambda=e[1])
    learned = [per_seed[r.seed]["elasticity_kappa"] for r in rs]
    return Metric(f"n = {n}: % more capital per 1 % higher return productivity κ_i (elasticity across "
                  f"households), game {e_game[0]:.1f}", float(np.mean(learned)), scored=False,
                  note="mean over seeds; per seed " + " / ".join(f"{v:.1f}" for v in learned)
                       + "; the same for wage productivity λ_i " + " / ".join(
                           f"{per_seed[r.seed]['elasticity_lambda']:.1f}" for r in rs)
                       + f" (game {e_game[1]:.1f}); least squares of log k_i on log κ_i and log λ_i "
                       "over the game's households with k_i > 0 (evaluation.statistics."
                       "productivity_elasticities); reported, not scored")


def price_weight_row(n: int, cal: dict, kappa, lam, kg: np.ndarray, rs: list[EvalRun],
                         per_seed: dict) -> Metric | None:
    """The weight θ of a household's own price effect in each learned economy, and how far the
    game solved at that weight moves the median household's capital."""
    theta = {r.seed: r.scalar("price_effect_weight") for r in rs}
    if not all(np.isfinite(v) for v in theta.values()):     # evaluations from before the diagnostic
        return None
    pos = kg > 0
    moved = {}
    for sd, v in theta.items():                              # the game with the learned economy's weight
        try:
            kt = solve_game(cal, kappa, lam, own_price_weight=max(v, 0.0)).k
            moved[sd] = float(np.median(np.abs(kt[pos] / kg[pos] - 1.0))) if pos.any() else float("nan")
        except (GameSolveError, np.linalg.LinAlgError):      # θ near 0: price takers, no interior steady state
            moved[sd] = float("nan")
        per_seed[sd].update(price_effect_weight=v, game_at_weight_median_rel_move=moved[sd])
    return Metric(f"n = {n}: weight θ of a household's own price effect in the learned economy "
                  f"(the game's: 1)", float(np.mean(list(theta.values()))), scored=False,
                  note="mean over seeds; per seed " + " / ".join(f"{v:.2f}" for v in theta.values())
                       + "; the present value of the price path after a one-quarter blip in one "
                       "household's capital, the others answering on the learned policy, relative to "
                       "the game's one-quarter effect (evaluation.evaluate.price_effect_weight). The "
                       "game with its own-price term weighted by θ (benchmarks.game.solve_game, "
                       "own_price_weight) puts the median household "
                       + " / ".join(f"{v:.0%}" for v in moved.values())
                       + " away from the game's k_i; reported, not scored")
