"""Every figure renders from small inputs and fails clearly on missing ones.

The inputs are synthetic netCDF files written with the producers' variable names and attributes
(train.nc of ``marlbc.rl.train``, eval.nc of ``marlbc.evaluation.evaluate``, the benchmarks'
``to_dataset``); the closed-form and game benchmarks are cheap enough to be the real ones.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from marlbc import config
from marlbc.evaluation.io import MissingDataError
from marlbc.figures import FIGURES, common

from .conftest import ROOT

SEEDS = (0, 1)
KS_N = (10, 20)
HET_N = (9,)
Q = 40


@pytest.fixture(scope="module")
def rcfg() -> dict:
    """The repository's config under the smoke preset, resolved (as ``run_figure`` passes it)."""
    return config.resolve(config.load(ROOT / "config.yaml"), "smoke")


def _attrs(arm, n, seed, **extra):
    return {"arm": arm, "n": n, "seed": seed, "preset": "smoke", "config_hash": f"hash{arm[:3]}{n}", **extra}


def _train(arm, n, seed, rng, d_actions=2):
    u = np.arange(0, 1001, 250)
    frac = 1 - np.exp(-u / 300)
    ds = xr.Dataset(
        {"eval_return": ("update", -100 + 60 * frac + rng.normal(0, 1, u.size)),
         "chat_mean": ("update", 0.5 + 0.15 * frac), "chat_std": ("update", np.full(u.size, 0.01)),
         "ell_mean": ("update", 0.3 - 0.13 * frac if d_actions == 2 else np.full(u.size, np.nan)),
         "ell_std": ("update", np.full(u.size, 0.01)),
         "K_mean": ("update", 1 + frac), "wall_s": ("update", u * 0.01),
         "env_steps": ("update", 1000.0 + u)},
        coords={"update": u}, attrs=_attrs(arm, n, seed, budget_updates=1000, updates_done=1000))
    return ds


def _irf(rng, scale=1.0):
    q = np.arange(Q)
    base = {"Y": 1.5 * 0.95**q, "C": 0.5 + 0.3 * (1 - 0.9**q), "I": 6 * 0.85**q, "L": 1.2 * 0.9**q,
            "K": 1.0 * (1 - 0.9**q) * 0.97**q}
    return {x: np.stack([v * scale + rng.normal(0, 0.02, Q), 10 * v * scale]) for x, v in base.items()}


def _ks_eval(n, seed, rng, T=600, burn=100, E=2):
    z = (rng.random(T) < 0.5).astype(np.int8)
    K = np.empty((E, T))
    K[:, 0] = 38.0
    for t in range(T - 1):
        a, b = (0.14, 0.962) if z[t] == 0 else (0.125, 0.964)
        K[:, t + 1] = np.exp(a + b * np.log(K[:, t]) + rng.normal(0, 0.002, E))
    slope = np.array([[0.962, 0.964]] * E) + rng.normal(0, 0.001, (E, 2))
    k_final = rng.gamma(3.0, 13.0, (E, n))
    return xr.Dataset(
        {"K": (("env", "t"), K), "z_index": ("t", z),
         "lom_intercept": (("env", "z_state"), np.array([[0.14, 0.125]] * E)),
         "lom_slope": (("env", "z_state"), slope),
         "k_final": (("env", "household"), k_final),
         "mean_K": ((), float(K[:, burn:].mean())), "gini": ((), 0.25 + 0.01 * seed),
         "eval_return": ((), -80.0 - 0.5 * seed - 0.01 * n), "sim_burn": ((), float(burn)),
         "chat_at_bound_frac": ((), 0.0)},
        coords={"t": np.arange(T), "env": np.arange(E), "household": np.arange(n),
                "z_state": ["good", "bad"]},
        attrs=_attrs("ks", n, seed, family="ks"))


def _ks_bench(rng, T=600):
    kf = np.linspace(0, 200, 300)
    h = np.stack([np.exp(-0.5 * ((kf - 40) / 15) ** 2), 0.1 * np.exp(-0.5 * ((kf - 20) / 10) ** 2)])
    h /= h.sum()
    K = 39.6 * np.exp(rng.normal(0, 0.01, T))
    return xr.Dataset(
        {"lom_intercept": ("z_state", [0.139, 0.127]), "lom_slope": ("z_state", [0.963, 0.965]),
         "K": ("time", K), "z_index": ("time", (rng.random(T) < 0.5).astype(np.int8)),
         "wealth_hist": (("employment", "k_fine"), h), "mean_K": ((), 39.6), "gini": ((), 0.24)},
        coords={"time": np.arange(T), "z_state": ["good", "bad"], "employment": ["employed", "unemployed"],
                "k_fine": kf},
        attrs={"burn": 100, "config_hash": "benchks"})


def _hh_eval(arm, n, seed, cfg, rng):
    spec = cfg["arms"][arm]
    kappa, lam = config.heterogeneity(spec["heterogeneity"], n)
    k = 20 + 300 * (kappa - 1) + 100 * (lam - 1) + rng.normal(0, 0.2, n)
    return xr.Dataset(
        {"k_ss": ("household", k), "chat_ss": ("household", 0.45 - 0.5 * (kappa - 1)),
         "a_ss": ("household", 1.1 * k), "ell_ss": ("household", 0.3 + 0 * k),
         "kappa": ("household", kappa), "lambda": ("household", lam)},
        coords={"household": np.arange(n)}, attrs=_attrs(arm, n, seed, family="rbc"))


def _write(ds: xr.Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="netcdf4")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory, rcfg) -> dict[str, list[Path]]:
    """Each figure's inputs, laid out like the pipeline's results/ tree."""
    from marlbc.benchmarks.run import run as run_benchmark

    root = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(0)
    run = lambda arm, n, s, name: root / "runs" / arm / f"n{n}" / f"seed{s}" / name  # noqa: E731
    bench = root / "benchmarks"
    out: dict[str, list[Path]] = {}

    cf = run_benchmark("closed-form", rcfg, out=bench / "closed_form.nc")
    assert set(cf) >= {"chat", "ell", "ell_eq13"}
    out["closed_form_policy"] = [_write(_train("rbc_closed_form", 1, s, rng), run("rbc_closed_form", 1, s, "train.nc"))
                                 for s in SEEDS] + [bench / "closed_form.nc"]

    irf_runs = []
    for s in SEEDS:
        ds = xr.Dataset({f"irf_{x}": (("shock", "quarter"), v) for x, v in _irf(rng, 1 + 0.1 * s).items()},
                        coords={"shock": ["one_sd", "log_0.1"], "quarter": np.arange(Q)},
                        attrs=_attrs("rbc", 1, s, family="rbc"))
        ds["irf_shock_size"] = ("shock", [0.01, 0.1])
        irf_runs.append(_write(ds, run("rbc", 1, s, "eval.nc")))
    b = xr.Dataset({f"irf_{x}": (("shock", "quarter"), v) for x, v in _irf(rng).items()},
                   coords={"shock": ["one_sigma", "log_0.1"], "quarter": np.arange(Q)})
    b["shock_size"] = ("shock", [0.01, 0.1])
    out["irf"] = irf_runs + [_write(b, bench / "rbc.nc")]

    ks_eval = [_write(_ks_eval(n, s, rng), run("ks", n, s, "eval.nc")) for n in KS_N for s in SEEDS]
    ks_train = [_write(_train("ks", n, s, rng, d_actions=1), run("ks", n, s, "train.nc")) for n in KS_N for s in SEEDS]
    ks_nc = _write(_ks_bench(rng), bench / "ks.nc")
    out["ks_law_of_motion"] = ks_eval + [ks_nc]
    out["ks_wealth"] = ks_eval + [ks_nc]
    out["stability"] = ks_train + ks_eval

    het = [_write(_hh_eval("heterogeneous", n, s, rcfg, rng), run("heterogeneous", n, s, "eval.nc"))
           for n in HET_N for s in SEEDS]
    base = [_write(_hh_eval("baseline", 20, s, rcfg, rng), run("baseline", 20, s, "eval.nc")) for s in SEEDS]
    games = []
    for n in HET_N:
        run_benchmark("game", rcfg, out=bench / f"game_n{n}.nc", n=n)
        games.append(bench / f"game_n{n}.nc")
    out["heterogeneity"] = het + base + games

    tsv = []
    for arm, n in (("ks", 10), ("ks", 20), ("rbc", 1), ("heterogeneous", 9)):
        for s in SEEDS:
            p = root / "bench" / "train" / arm / f"n{n}" / f"seed{s}.tsv"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                         f"{12.5 + n + s:.4f}\t0:00:12\t410.2\t900.1\t300.0\t310.0\t0.1\t1.2\t97.0\t11.9\n")
            tsv.append(p)
    out["cost"] = tsv
    assert set(out) == set(FIGURES)
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_figure_renders(name, files, rcfg, tmp_path):
    module = importlib.import_module(f"marlbc.figures.{name}")
    pdf, png = tmp_path / "figures" / f"{name}.pdf", tmp_path / "figures" / f"{name}.png"
    module.plot(rcfg, files[name], pdf, png)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000
    assert sorted(os.listdir(pdf.parent)) == [pdf.name, png.name]      # no temporary files left


@pytest.mark.parametrize("name", FIGURES)
def test_figure_renders_from_one_run(name, files, rcfg, tmp_path, monkeypatch):
    """A smoke-sized subset (one seed, the smallest n of each arm) is enough (drawn, not written:
    writing is covered above)."""
    import matplotlib.pyplot as plt

    drawn = []

    def draw_only(fig, pdf, png):
        fig.canvas.draw()
        drawn.append(len(fig.axes))
        plt.close(fig)
        Path(pdf).write_bytes(b"x")
        Path(png).write_bytes(b"x")

    monkeypatch.setattr(common, "save", draw_only)
    keep = []
    for p in files[name]:
        meta = common.parse_run_path(p)
        if meta is None or (meta["seed"] == 0 and meta["n"] in (1, 9, 10, 20)
                            and not (meta["arm"] == "ks" and meta["n"] == 20)):
            keep.append(p)
    module = importlib.import_module(f"marlbc.figures.{name}")
    module.plot(rcfg, keep, tmp_path / "f.pdf", tmp_path / "f.png")
    assert drawn and drawn[0] >= 2


# (figure, the file to damage, a variable it must have)
DAMAGE = {
    "closed_form_policy": ("closed_form.nc", "ell_eq13"),
    "irf": ("eval.nc", "irf_K"),
    "ks_law_of_motion": ("ks.nc", "lom_slope"),
    "ks_wealth": ("eval.nc", "k_final"),
    "heterogeneity": ("game_n9.nc", "kappa"),
    "stability": ("train.nc", "eval_return"),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_missing_variable_names_file_and_variable(name, files, rcfg, tmp_path):
    filename, var = DAMAGE[name]
    inputs = list(files[name])
    i = next(i for i, p in enumerate(inputs) if p.name == filename)
    with xr.open_dataset(inputs[i]) as ds:
        damaged = ds.load().drop_vars(var)
    bad = tmp_path / inputs[i].relative_to(inputs[i].parents[3])
    _write(damaged, bad)
    inputs[i] = bad
    module = importlib.import_module(f"marlbc.figures.{name}")
    with pytest.raises(MissingDataError) as err:
        module.plot(rcfg, inputs, tmp_path / "f.pdf", tmp_path / "f.png")
    assert str(bad) in str(err.value) and var in str(err.value)
    assert not (tmp_path / "f.pdf").exists() and not (tmp_path / "f.png").exists()


def test_cost_missing_column(files, rcfg, tmp_path):
    from marlbc.figures import cost

    bad = tmp_path / "bench" / "train" / "ks" / "n10" / "seed0.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("seconds\tmax_rss\n12.0\t400\n")
    with pytest.raises(common.FigureInputError, match=r"seed0\.tsv.*lacks the column 's'"):
        cost.plot(rcfg, [bad], tmp_path / "f.pdf", tmp_path / "f.png")


def test_missing_benchmark_file_is_named(files, rcfg, tmp_path):
    from marlbc.figures import closed_form_policy

    runs_only = [p for p in files["closed_form_policy"] if p.name == "train.nc"]
    with pytest.raises(common.FigureInputError, match="closed_form.nc"):
        closed_form_policy.plot(rcfg, runs_only, tmp_path / "f.pdf", tmp_path / "f.png")
    with pytest.raises(common.FigureInputError, match="train.nc of arm rbc_closed_form"):
        closed_form_policy.plot(rcfg, [files["closed_form_policy"][-1]], tmp_path / "f.pdf", tmp_path / "f.png")


def test_caption_states_calibration_preset_seeds_budget(files, rcfg):
    runs = common.load_runs(files["stability"], "train.nc", ("eval_return",), arm="ks", figure="t")
    text = common.caption(rcfg, "ks", runs, benchmark="KS")
    for needle in ("calibration 'ks98'", "α=0.36", "preset smoke", "seeds 0, 1", "n = 10, 20",
                   "1,000 SAC updates per run", "benchmark: KS"):
        assert needle in text, needle
    text = common.caption(rcfg, "rbc_closed_form", [])
    assert "override δ=1" in text and "budget 250 SAC updates" in text     # 25000 × 0.01 from the config


def test_parse_run_path():
    assert common.parse_run_path("results/runs/ks/n500/seed2/eval.nc") == {"arm": "ks", "n": 500, "seed": 2}
    assert common.parse_run_path("results/bench/train/rbc_closed_form/n1/seed0.tsv") == \
        {"arm": "rbc_closed_form", "n": 1, "seed": 0}
    assert common.parse_run_path("results/benchmarks/ks.nc") is None


def test_save_is_atomic(tmp_path):
    """A failing render leaves the previous outputs untouched and no temporary files."""
    pdf, png = tmp_path / "x.pdf", tmp_path / "x.png"
    pdf.write_bytes(b"old pdf")
    png.write_bytes(b"old png")
    fig, axes = common.figure(1, 1)
    axes[0, 0].plot([0, 1], [0, 1])
    original = fig.savefig

    def failing(fname, *a, format=None, **kw):
        if format == "png":
            raise RuntimeError("disk full")
        return original(fname, *a, format=format, **kw)

    fig.savefig = failing
    with pytest.raises(RuntimeError, match="disk full"):
        common.save(fig, pdf, png)
    assert pdf.read_bytes() == b"old pdf" and png.read_bytes() == b"old png"
    assert sorted(os.listdir(tmp_path)) == ["x.pdf", "x.png"]


def test_cost_times_a_resumed_job_by_all_its_attempts(tmp_path):
    """The cost figure and C6 time jobs alike: a job resumed from a checkpoint by train.nc's
    wall_s (all attempts), not by the benchmark file of its last attempt."""
    from marlbc.figures import cost

    def job(seed, bench_s, wall_s):
        t = tmp_path / "runs" / "ks" / "n10" / f"seed{seed}" / "train.nc"
        t.parent.mkdir(parents=True)
        xr.Dataset({"wall_s": ("update", [0.0, wall_s])}, coords={"update": [0, 1000]}).to_netcdf(t)
        b = tmp_path / "bench" / "train" / "ks" / "n10" / f"seed{seed}.tsv"
        b.parent.mkdir(parents=True, exist_ok=True)
        b.write_text(f"s\tmax_rss\n{bench_s}\t400\n")
        return [b, t]

    jobs = {j["seed"]: j for j in cost.timed_jobs(job(0, 300.0, 1000.0) + job(1, 300.0, 290.0))}
    assert (jobs[0]["seconds"], jobs[0]["resumed"]) == (1000.0, True)
    assert (jobs[1]["seconds"], jobs[1]["resumed"]) == (300.0, False)


@pytest.mark.parametrize("corners", [False, True])
def test_heterogeneity_panel_b_axes(corners):
    """Panel b's log axes carry plain labels (2, 5, 10, 20 …, no 10^k notation and no crowded
    minor labels), and reach left to the game's corner line only when the game has corners."""
    from types import SimpleNamespace

    from marlbc.figures import heterogeneity

    kappa = np.linspace(0.98, 1.02, 6)
    lam = np.ones(6)
    k_game = np.array([0.0 if corners else 11.0, 14.0, 18.0, 22.0, 28.0, 37.0])
    k_learned = np.array([12.0, 15.0, 17.5, 22.5, 27.0, 36.0])
    learned = SimpleNamespace(seed=0, path="eval.nc", ds=xr.Dataset(
        {"k_ss": ("household", k_learned), "kappa": ("household", kappa), "lambda": ("household", lam)}))
    game = xr.Dataset({"k": ("household", k_game), "kappa": ("household", kappa), "lambda": ("household", lam)})
    fig, axes = common.figure(1, 1)
    ax = axes[0, 0]
    heterogeneity.plot_against_game(ax, {6: [learned]}, {6: game}, rank_min=0.9, med_max=0.05)
    fig.canvas.draw()
    held_min = k_game[k_game > 0].min()
    xlo = ax.get_xlim()[0]
    vertical = [ln for ln in ax.lines if len(set(ln.get_xdata())) == 1 and len(ln.get_xdata()) == 2]
    if corners:
        assert xlo < held_min / 3.0 and len(vertical) == 1
    else:
        expected = min(k_game.min(), k_learned.min()) / 1.5
        np.testing.assert_allclose(xlo, expected, rtol=1e-12)
        assert not vertical
    for axis in (ax.xaxis, ax.yaxis):
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        assert labels and all(lbl.replace(".", "").isdigit() for lbl in labels), labels
        assert not [t.get_text() for t in axis.get_minorticklabels() if t.get_text()]
