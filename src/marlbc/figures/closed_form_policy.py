"""δ = 1 policies over training against the closed form (C1, ``rbc_closed_form`` arm).

Inputs: ``train.nc`` of each ``rbc_closed_form`` run (``chat_mean``, ``ell_mean`` and their
``*_std`` against ``update``: the deterministic policy's mean ĉ and ℓ on the evaluation economies)
and ``results/benchmarks/closed_form.nc`` (``chat`` = 1 − αβ, ``ell`` = ℓ*, ``ell_eq13`` = the
paper's Eq. 13 value with α and 1 − α swapped, an erratum).

Panels: ĉ against updates, ℓ against updates (one line per seed, ±1 sd band over households,
environments and periods), and the relative error |x / x* − 1| on a log axis with the C1
tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import common

NAME = "closed_form_policy"
ARM = "rbc_closed_form"
TRAIN_VARS = ("chat_mean", "ell_mean")
BENCH_VARS = ("chat", "ell", "ell_eq13")


@common.styled
def plot(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    runs = common.load_runs(inputs, "train.nc", TRAIN_VARS, ("update",), arm=ARM, figure=NAME)
    bench = common.load_benchmark(inputs, "closed_form.nc", BENCH_VARS, figure=NAME)
    chat_star, ell_star, ell_13 = (float(bench[v]) for v in BENCH_VARS)
    tol = float(cfg.get("claims", {}).get("C1", {}).get("closed_form_rel_tol", 0.01))

    fig, axes = common.figure(1, 3, width=11.5, height=3.5)
    ax_c, ax_l, ax_e = axes[0]
    cols = common.colors(len(runs))
    for r, col in zip(runs, cols):
        u = r.ds["update"].values
        for ax, var in ((ax_c, "chat"), (ax_l, "ell")):
            m = r.ds[f"{var}_mean"].values
            ax.plot(u, m, color=col, marker="o", ms=2.5, label=f"seed {r.seed}")
            if f"{var}_std" in r.ds:
                s = r.ds[f"{var}_std"].values
                ax.fill_between(u, m - s, m + s, color=col, alpha=0.15, lw=0)
        for var, star, ls in (("chat", chat_star, "-"), ("ell", ell_star, ":")):
            err = np.abs(r.ds[f"{var}_mean"].values / star - 1.0)
            ax_e.plot(u, np.maximum(err, 1e-6), color=col, ls=ls, marker="o", ms=2.5,
                      label=f"{'ĉ' if var == 'chat' else 'ℓ'}, seed {r.seed}")

    ax_c.axhline(chat_star, **common.BENCHMARK_STYLE, label=f"closed form ĉ* = 1 − αβ = {chat_star:.4f}")
    ax_l.axhline(ell_star, **common.BENCHMARK_STYLE, label=f"closed form ℓ* = {ell_star:.4f}")
    ax_l.axhline(ell_13, color="tab:red", lw=1.5, ls=(0, (5, 3)),
                 label=f"paper Eq. 13 = {ell_13:.4f}\n(erratum: α and 1−α swapped)")
    ax_e.axhline(tol, color="tab:red", lw=1.2, ls="--", label=f"C1 tolerance {tol:g}")
    ax_c.set(xlabel="SAC gradient updates", ylabel="consumption fraction ĉ = c/a",
             title="consumption fraction ĉ")
    ax_l.set(xlabel="SAC gradient updates", ylabel="hours ℓ (time endowment 1)", title="hours ℓ")
    ax_e.set(xlabel="SAC gradient updates", ylabel="|x / x* − 1|", yscale="log",
             title="relative error of the mean against the closed form")
    ax_c.legend(loc="best")
    ax_l.legend(loc="best")
    ax_e.legend(loc="best", frameon=True, framealpha=0.85, edgecolor="none", ncol=2 if len(runs) > 2 else 1)

    cap = common.caption(
        cfg, ARM, runs,
        benchmark=common.benchmark_caption(bench, "closed form of the δ = 1 RBC, ĉ* = 1 − αβ, "
                                                  "ℓ* = (1−α)/(b(1−αβ)+1−α)"),
        extra="Lines: mean of the deterministic policy's ĉ and ℓ over the evaluation economies with TFP "
              "shocks (second half of the rollout) at each evaluation; bands ±1 sd over households, "
              "environments and periods; panel c is the error of that mean (C1 itself scores the maximum "
              "error over the ergodic set, from eval.nc). ĉ and ℓ are unit-free (shares of cash on hand and "
              "of the time endowment)")
    common.add_caption(fig, cap, title="Full depreciation (δ = 1): learned policy against the closed form")
    common.save(fig, pdf, png)
