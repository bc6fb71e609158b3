"""What every number of an ``eval.nc`` is: its units and a long name (CF-style attributes).

    PATH_UNITS[family][name] -> (units, long_name)     per-head paths of the rollouts
    SCALARS[name] -> (units, long_name)                 summary scalars
    scalar_attrs(name, family) -> {"units", "long_name"}

:mod:`marlbc.evaluation.evaluate` writes every variable with these attributes; a scalar without
an entry is an error, so nothing reaches the file undescribed.
"""

from __future__ import annotations

__all__ = ["KS_UNITS", "MEAN_OF", "PATH_UNITS", "RBC_UNITS", "SCALARS", "scalar_attrs"]

# per-head paths (env, t) and (env_det, t_det) of each family; the file adds which rollout it is
RBC_UNITS = {"K": ("capital per head", "capital per head at the start of the quarter"),
             "C": ("goods per head per quarter", "consumption per head"),
             "Y": ("goods per head per quarter", "output per head"),
             "L": ("hours per head", "hours per head"),
             "I": ("goods per head per quarter", "investment per head, mean k' - (1 - delta) mean k"),
             "A": ("1", "total factor productivity A"),
             "r": ("per quarter", "base rental rate of capital R (r_i = kappa_i R)"),
             "w": ("goods per hour", "base wage W (w_i = lambda_i W)"),
             "chat": ("1", "mean consumption fraction c/a over households"),
             "ell": ("hours", "mean hours over households"),
             "reward": ("utils", "mean period utility over households"),
             "gini_k": ("1", "Gini coefficient of capital k_i across households"),
             "sd_logc_t": ("1", "standard deviation of log consumption across households")}
KS_UNITS = {"K": ("capital per head", "capital per head at the start of the quarter"),
            "C": ("goods per head per quarter", "consumption per head"),
            "Y": ("goods per head per quarter", "output per head z K^alpha L^(1-alpha)"),
            "L": ("labour per head", "labour input per head, l_bar times the employment rate"),
            "I": ("goods per head per quarter", "investment per head, mean k' - (1 - delta) mean k"),
            "r": ("per quarter", "rental rate of capital"), "w": ("goods per unit of labour", "wage"),
            "chat": ("1", "mean consumption fraction c/a over households"),
            "reward": ("utils", "mean period utility over households"),
            "gini_k": ("1", "Gini coefficient of capital k_i across households"),
            "sd_logc_t": ("1", "standard deviation of log consumption across households"),
            "unemployment": ("1", "unemployment rate")}
PATH_UNITS = {"rbc": RBC_UNITS, "ks": KS_UNITS}
# summary scalars that are ergodic means of a path (the path's units)
MEAN_OF = {"mean_K": "K", "mean_C": "C", "mean_Y": "Y", "mean_L": "L", "mean_I": "I", "mean_chat": "chat",
           "mean_ell": "ell", "mean_reward": "reward", "gini": "gini_k", "sd_logc": "sd_logc_t"}
_NO_AGG = "the rollout without aggregate shocks (RBC: A = 1; KS: z held at good or bad for ever)"
_ERGODIC = "over quarters t >= sim_burn and the economies of the simulation with aggregate shocks"
# the other summary scalars, by their name in the file
SCALARS = {
    "det_drift": ("1", f"relative drift of capital per head over the last drift_window quarters of {_NO_AGG}: "
                       "|OLS trend slope x (window - 1)| / mean over the window, max over economies"),
    "det_range": ("1", f"max over the last drift_window quarters of |K_t / K_T - 1| (K_T: last quarter) in {_NO_AGG}, "
                       "max over economies"),
    "drift_window": ("quarters", "length of the final window of det_drift and det_range (KS: also of K_det_good, "
                                 "K_det_bad and gini_det_good)"),
    "det_env_spread": ("1", "(max - min) / mean over the shock-free economies (different initial capital draws) of "
                            "capital per head in the last quarter"),
    "det_fixed_point_at": ("quarters", "quarter after which every household's capital in the shock-free rollout was "
                                       "a fixed point to 1e-14 (|k'/k - 1|); -1: not reached"),
    "gini_ss": ("1", "Gini coefficient across households of steady-state capital k_i (last quarter of the shock-free "
                     "rollout, mean over its economies); 0 for n = 1"),
    "cv_k_ss": ("1", "coefficient of variation (std / mean) across households of steady-state capital k_i; 0 for n = 1"),
    "sd_logc_ss": ("1", "standard deviation across households of log steady-state consumption c_i; 0 for n = 1"),
    **{f"wealth_persistence_{q}": ("1", f"share of a +10 % deviation of one household's capital from the shock-free "
                                        f"steady state left after {q} quarter(s) (the others at theirs), median over "
                                        f"the sampled households") for q in (1, 10, 40)},
    "price_effect_weight": ("1", "present value of the change of log(K/L) after a one-quarter blip in one household's "
                                 "capital (the others on the policy), relative to the one-quarter effect that C3's "
                                 "game counts (1 there)"),
    "std_logY": ("1", f"standard deviation over time of log output per head (unfiltered), {_ERGODIC}: mean over "
                      "economies of each economy's std"),
    "std_logY_hp_pct": ("percent", f"100 x standard deviation of the HP-filtered (lambda = 1600) cycle of log output "
                                   f"per head, {_ERGODIC}: mean over economies"),
    "eval_return": ("utils", "discounted return sum_t beta^t u_t per household over the whole simulation with "
                             "aggregate shocks (from t = 0), mean over households and economies"),
    "chat_at_bound_frac": ("1", "share of household-quarters of the simulation with aggregate shocks with c/a within "
                                "1 % of the bounds' width of either bound"),
    "n_nonfinite": ("1", "number of non-finite entries in the aggregate paths (K, C, chat, reward; RBC: ell) of the "
                         "rollout without aggregate shocks and the simulation with them (0 in a sound evaluation)"),
    "periods_det": ("quarters", f"length of {_NO_AGG}"),
    "periods_sim": ("quarters", "length of the simulation with aggregate shocks (KS: burn-in plus z_path_T)"),
    "sim_burn": ("quarters", "quarters at the start of the simulation with aggregate shocks left out of its ergodic "
                             "means (KS: the law of motion is regressed on t >= sim_burn)"),
    # RBC with full depreciation: the closed form
    "cf_chat": ("1", "closed-form optimal consumption fraction c/a = 1 - alpha beta (delta = 1)"),
    "cf_ell": ("hours", "closed-form optimal hours (delta = 1)"),
    **{f"cf_{x}_{stat}_rel_err": ("1", f"{word} over the quarters t >= sim_burn and economies of the simulation with "
                                       f"shocks of |{x}_t / cf_{x} - 1| ({x}_t: mean over households)")
       for x in ("chat", "ell") for stat, word in (("max", "max"), ("mean", "mean"))},
    # RBC n = 1: scored by benchmarks.rbc
    "euler_mean": ("log10", "mean log10 Euler-equation error |1 - c_implied/c| on the policy's own ergodic set "
                            "(benchmarks.rbc.euler_errors)"),
    "euler_max": ("log10", "max log10 Euler-equation error |1 - c_implied/c| on the policy's own ergodic set "
                           "(benchmarks.rbc.euler_errors)"),
    "labour_mean": ("log10", "mean log10 labour-condition (intratemporal) error on the policy's own ergodic set"),
    "labour_max": ("log10", "max log10 labour-condition (intratemporal) error on the policy's own ergodic set"),
    "welfare_loss_pct": ("percent", "consumption-equivalent welfare loss 100 x Delta of the policy against the global "
                                    "solution, over the benchmark's ergodic start states (benchmarks.rbc.welfare_loss)"),
    # Krusell-Smith: the learned law of motion log K' = a_z + b_z log K (OLS over t >= sim_burn)
    **{f"{c}_{z}": ("1", f"{what} of the learned law of motion log K' = a_z + b_z log K in the {z} aggregate state "
                         f"(OLS of log K_t+1 on log K_t over t >= sim_burn with z_t = {z}), mean over economies")
       for c, what in (("a", "intercept a_z"), ("b", "slope b_z")) for z in ("good", "bad")},
    **{f"r2_{z}": ("1", f"R^2 of the learned law of motion in the {z} aggregate state, mean over economies")
       for z in ("good", "bad")},
    **{f"den_haan_{stat}": ("percent", f"den Haan dynamic forecast error: {stat} over t >= sim_burn of "
                                       f"100 |log K_forecast - log K| (K_forecast iterated on the learned law of "
                                       f"motion alone from K at sim_burn), mean over economies")
       for stat in ("max", "mean")},
    **{f"K_det_{z}": ("capital per head", f"capital per head with z held at {z} for ever (idiosyncratic shocks "
                                          f"remain): mean over the last drift_window quarters and those economies")
       for z in ("good", "bad")},
    "gini_det_good": ("1", "Gini coefficient of capital across households with z held at good for ever: mean over the "
                           "cross-sections (every stat_stride) of the last drift_window quarters and those economies"),
    "ks_envs": ("1", "number of economies simulated on the benchmark's z path (different idiosyncratic draws)"),
    "z_path_T": ("quarters", "length of the benchmark's aggregate z path after its burn-in (sim_burn)"),
    "z_path_seed": ("1", "seed of the benchmark's aggregate z path"),
    "eval_seconds": ("s", "wall-clock seconds of the evaluation"),
}


def scalar_attrs(name: str, family: str) -> dict:
    """``units`` and ``long_name`` of the summary scalar ``name`` (its name in eval.nc: ``ss_K``,
    ``mean_K``, ``a_good``, ...) of a ``family`` ("rbc" or "ks") evaluation."""
    paths = PATH_UNITS[family]
    if name in SCALARS:
        units, long_name = SCALARS[name]
    elif name.startswith("ss_") and name[3:] in paths:
        units, ln = paths[name[3:]]
        long_name = (f"the policy's own shock-free steady state (last quarter of the shock-free rollout, mean "
                     f"over its economies): {ln}")
    elif MEAN_OF.get(name) in paths:
        units, ln = paths[MEAN_OF[name]]
        long_name = f"{ln}: mean {_ERGODIC}"
    else:
        raise KeyError(f"summary scalar {name!r} has no units and description: add it to "
                       f"marlbc.evaluation.variables.SCALARS")
    return {"units": units, "long_name": long_name}
