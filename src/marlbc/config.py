"""Load, validate and resolve the marlbc configuration.

The configuration is a plain dict read from ``config.yaml``. It is validated against the JSON
schema shipped with the package (the same file Snakemake's ``validate`` uses, linked from
``workflow/schemas/config.schema.yaml``) plus a few cross-field checks; every failure is a
:class:`ConfigError` whose one-line message names the key, the value and what is allowed.

A *preset* (``full``, ``ci``, ``smoke``) scales the training budgets (one factor, or one per
arm) and may replace the seeds (of every arm, or of one arm apart) and the population sweep of an
arm; :func:`resolve` applies it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import yaml

ARMS = ("rbc_closed_form", "rbc", "baseline", "heterogeneous", "ks")
PRESETS = ("full", "ci", "smoke")
DEFAULT_CONFIG = Path("config.yaml")
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"   # the repository's, for an editable install


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key and what is allowed."""


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON schema of config.yaml (draft 2020-12)."""
    text = resources.files("marlbc").joinpath("schemas/config.schema.yaml").read_text()
    return yaml.safe_load(text)


def load(path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """Read a YAML config, apply top-level ``overrides`` (like ``--config k=v``), validate it.

    Without ``path``: ``config.yaml`` in the working directory, else the repository's own
    (``REPO_CONFIG``, when the package is installed from a clone with ``pip install -e``)."""
    if path is None:
        path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() or not REPO_CONFIG.exists() else REPO_CONFIG
        if not path.exists():
            raise ConfigError(f"no config file: '{DEFAULT_CONFIG}' is not in the working directory; pass one "
                              "(marlbc --config PATH, or cfg=marlbc.config.load(PATH) in Python)")
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file '{path}' does not exist")
    with open(path) as f:
        try:
            cfg = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ConfigError(f"config file '{path}' is not valid YAML: {' '.join(str(e).split())}") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping, got {type(cfg).__name__}")
    cfg.update(overrides or {})
    validate(cfg)
    return cfg


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<root>"


def _allowed_range(s: dict) -> str:
    parts = []
    for kw, op in (("minimum", ">="), ("exclusiveMinimum", ">"),
                   ("maximum", "<="), ("exclusiveMaximum", "<")):
        if kw in s:
            parts.append(f"{op} {s[kw]}")
    return " and ".join(parts)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _message(err: jsonschema.ValidationError) -> str:
    key, s, v = _key(err.absolute_path), err.schema, err.instance
    match err.validator:
        case "additionalProperties":
            allowed = sorted(s.get("properties", {}))
            extra = sorted(set(v) - set(allowed))
            bad = ", ".join(f"'{_key([*err.absolute_path, e])}'" for e in extra)
            return f"unknown config key {bad}; allowed keys under '{key}': {', '.join(allowed)}"
        case "enum":
            return f"config key '{key}' = {v!r} is not allowed; allowed values: {', '.join(map(str, s['enum']))}"
        case "type":
            hint = ""
            if isinstance(v, str) and s["type"] in ("integer", "number") and _is_number(v):
                hint = (" (Snakemake's --config reads every value nested in a list or mapping as text: "
                        "set such values in a config file, e.g. --configfile my.yaml)")
            return f"config key '{key}' = {v!r} has the wrong type; expected {s['type']}{hint}"
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            return f"config key '{key}' = {v!r} is out of range; allowed: {_allowed_range(s)}"
        case "required":
            missing = next((m for m in s["required"] if m not in v), None)
            where = _key([*err.absolute_path, missing]) if missing is not None else key
            return f"config key '{where}' is missing; required under '{key}': {', '.join(s['required'])}"
        case "minItems" | "maxItems" | "uniqueItems" | "minProperties":
            return f"config key '{key}' = {v!r} is not allowed: {err.message}"
        case _:
            return f"config key '{key}' = {v!r} is not allowed: {err.message}"


def validate(cfg: Any) -> None:
    """Raise :class:`ConfigError` (one line) unless ``cfg`` is a valid marlbc configuration."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        # the shallowest error first: an unknown key beats the errors nested below it
        raise ConfigError(_message(errors[0]))
    _check_finite(cfg)
    _check_cross_fields(cfg)


def _check_finite(node: Any, path: tuple = ()) -> None:
    """NaN and ±inf pass JSON Schema's range checks (NaN compares false): reject them by name."""
    if isinstance(node, dict):
        for k, v in node.items():
            _check_finite(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_finite(v, (*path, i))
    elif isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"config key '{_key(path)}' = {node!r} is not allowed; need a finite number")


def _check_cross_fields(cfg: dict) -> None:
    from .rl.sac import SACConfig                 # here: rl.sac imports this module
    for name in ("chat_bounds", "ell_bounds"):
        lo, hi = cfg["economy"][name]
        if not lo < hi:
            raise ConfigError(f"config key 'economy.{name}' = {[lo, hi]} is not allowed; need low < high")
    for name, cal in cfg["calibrations"].items():
        if "ell_bounds" in cal:
            lo, hi = cal["ell_bounds"]
            if not lo < hi or (cal["utility"] == "log_leisure" and hi >= 1):
                raise ConfigError(f"config key 'calibrations.{name}.ell_bounds' = {[lo, hi]} is not allowed; "
                                  f"need low < high, and high < 1 for utility log_leisure")
        needed = {"linear_labour": "chi", "log_leisure": "b"}.get(cal["utility"])
        if needed and needed not in cal:
            raise ConfigError(f"config key 'calibrations.{name}.{needed}' is missing; "
                              f"utility '{cal['utility']}' needs it")
    for arm, spec in cfg["arms"].items():
        family = "ks" if spec["calibration"] == "ks98" else "rbc"
        if spec["economy"] != family:
            raise ConfigError(f"config key 'arms.{arm}.calibration' = {spec['calibration']!r} does not fit "
                              f"economy {spec['economy']!r}; allowed: ks98 for ks, seed or paper for rbc")
        arm_explore(cfg, arm)                     # keys that do not fit the arm's economy
        SACConfig.from_dict(spec.get("sac"), where=f"arms.{arm}.sac")   # typos before any job runs
        het = spec["heterogeneity"]
        if het["kind"] != "none":
            for k in ("low", "high"):
                if k not in het:
                    raise ConfigError(f"config key 'arms.{arm}.heterogeneity.{k}' is missing; "
                                      f"kind {het['kind']!r} needs low and high")
            if not het["low"] <= het["high"]:
                raise ConfigError(f"config key 'arms.{arm}.heterogeneity' has low {het['low']} > high {het['high']}")
        if het["kind"] == "grid":
            sweeps = {f"arms.{arm}.n": spec["n"]}
            sweeps.update({f"presets.{p}.n.{arm}": ps["n"][arm]
                           for p, ps in cfg["presets"].items() if arm in ps.get("n", {})})
            for key, ns in sweeps.items():
                for n in ns:
                    if math.isqrt(n) ** 2 != n:
                        raise ConfigError(f"config key '{key}' has n = {n}; heterogeneity kind 'grid' "
                                          "needs perfect squares (kind 'spread' takes any n)")
    if {"rbc", "baseline"} <= set(cfg["arms"]) and arm_calibration(cfg, "baseline") != arm_calibration(cfg, "rbc"):
        raise ConfigError("config keys 'arms.baseline.calibration' and 'arms.baseline.overrides' give another "
                          "calibration than 'arms.rbc': the baseline is held against the rbc benchmark, per head "
                          "(SPEC §3), so the two arms must share one")
    for preset, spec in cfg["presets"].items():
        for key in ("n", "arm_budget_scale", "arm_seeds"):
            for arm in spec.get(key, {}):
                if arm not in cfg["arms"]:
                    raise ConfigError(f"config key 'presets.{preset}.{key}.{arm}' names an arm not in 'arms'; "
                                      f"allowed: {', '.join(cfg['arms'])}")


def budget_scale(preset_spec: dict, arm: str) -> float:
    """The factor a preset applies to ``arm``'s budgets: its ``arm_budget_scale`` entry for the
    arm if there is one, else its ``budget_scale``."""
    return preset_spec.get("arm_budget_scale", {}).get(arm, preset_spec["budget_scale"])


def resolve(cfg: dict, preset: str | None = None) -> dict:
    """Apply a preset: seeds, per-arm population sweeps and scaled budgets (a new dict).

    Idempotent: the applied preset is recorded with ``budget_scale`` 1 and its seeds and sweeps
    already in place, so resolving a resolved config with the same preset changes nothing.
    """
    validate(cfg)
    preset = preset or cfg["preset"]
    if preset not in cfg["presets"]:
        raise ConfigError(f"config key 'preset' = {preset!r} is not allowed; allowed values: "
                          f"{', '.join(cfg['presets'])}")
    p = cfg["presets"][preset]
    out = copy.deepcopy(cfg)
    out["preset"] = preset
    out["seeds"] = list(p.get("seeds", cfg["seeds"]))
    for arm, spec in out["arms"].items():
        spec["n"] = list(p.get("n", {}).get(arm, spec["n"]))
        scale = budget_scale(p, arm)
        spec["budget"] = {k: max(1, math.ceil(v * scale)) for k, v in spec["budget"].items()}
    out["presets"][preset] = {"budget_scale": 1.0, **({"arm_seeds": p["arm_seeds"]} if "arm_seeds" in p else {})}
    return out


def arm_seeds(cfg: dict, arm: str) -> list[int]:
    """Seeds of ``arm``'s training jobs under ``cfg``'s preset (a resolved config): the preset's
    ``arm_seeds`` entry for the arm if there is one, else ``seeds``."""
    arm_spec(cfg, arm)
    return list(cfg["presets"][cfg["preset"]].get("arm_seeds", {}).get(arm, cfg["seeds"]))


def output_dirs(preset: str) -> tuple[str, str]:
    """(results, figures) directories a preset writes to.

    ``full`` (the replication whose results are committed) writes to ``results/`` and
    ``figures/``; any other preset to ``results/<preset>/`` and ``figures/<preset>/``, so a
    ``ci`` or ``smoke`` run never replaces the full run's policies, claims or figures. The exact
    benchmarks do not depend on the preset: all presets share ``results/benchmarks/``.
    """
    if preset not in PRESETS:
        raise ConfigError(f"config key 'preset' = {preset!r} is not allowed; allowed values: {', '.join(PRESETS)}")
    return ("results", "figures") if preset == "full" else (f"results/{preset}", f"figures/{preset}")


# (prefix, suffix) of the files a benchmark rule writes, the same under every preset (the exact
# solutions do not depend on it): its netCDF, its Snakemake log and its Snakemake benchmark file.
BENCHMARK_FILES = {"nc": ("results/benchmarks/", ".nc"),
                   "log": ("results/logs/benchmark_", ".log"),
                   "tsv": ("results/bench/benchmark_", ".tsv")}
SHARED_OUTPUTS = tuple(prefix for prefix, _ in BENCHMARK_FILES.values())


# The arm whose calibration (overrides applied) each benchmark is solved with; the `baseline`
# arm is held against the `rbc` benchmark per head, so the two must share a calibration.
BENCHMARK_ARMS = {"rbc": "rbc", "closed-form": "rbc_closed_form", "game": "heterogeneous", "ks": "ks"}
_BENCHMARK_DEFAULT_CALIBRATION = {"rbc": "seed", "closed-form": "paper", "game": "seed", "ks": "ks98"}


def benchmark_calibration(cfg: dict, which: str) -> dict:
    """The calibration benchmark ``which`` (rbc, closed-form, game, ks) is solved with: that of
    the arm held against it (``BENCHMARK_ARMS``, overrides applied), else, when the config has
    no such arm, the benchmark's default calibration."""
    arm = BENCHMARK_ARMS[which]
    if arm in cfg["arms"]:
        return arm_calibration(cfg, arm)
    return named_calibration(cfg, _BENCHMARK_DEFAULT_CALIBRATION[which])


def benchmark_path(name: str, kind: str = "nc") -> str:
    """Path of benchmark ``name``'s file of ``kind`` (nc, log, tsv), e.g. ``results/benchmarks/ks.nc``;
    ``name`` may hold a Snakemake wildcard (``game_n{n}``)."""
    prefix, suffix = BENCHMARK_FILES[kind]
    return f"{prefix}{name}{suffix}"


def preset_writing(path: str) -> str | None:
    """The preset whose run writes ``path`` (see :func:`output_dirs`); None for a shared
    benchmark file or a path outside ``results/`` and ``figures/``."""
    top, _, rest = path.partition("/")
    if top not in ("results", "figures") or not rest or path.startswith(SHARED_OUTPUTS):
        return None
    sub = rest.partition("/")[0]
    return sub if sub in PRESETS and sub != "full" else "full"


def other_preset_paths(preset: str) -> str:
    """A regular expression matching exactly the paths that presets other than ``preset``
    write: ``preset_writing(path) not in (None, preset)``."""
    subdirs = "|".join(p for p in PRESETS if p != "full")
    shared = "|".join(re.escape(s.partition("/")[2]) for s in SHARED_OUTPUTS)
    others = [rf"(?:results|figures)/{p}/.+" for p in PRESETS if p not in ("full", preset)]
    if preset != "full":
        others.append(rf"results/(?!(?:{subdirs})/|{shared}).+|figures/(?!(?:{subdirs})/).+")
    return "|".join(others)


def refuse_other_preset(preset: str, path: str) -> None:
    """Refuse a target that another preset writes (e.g. ``results/runs/...`` asked for under
    ``--config preset=ci``), naming the preset that writes it and where this one writes."""
    writer = preset_writing(path)
    if writer not in (None, preset):
        results, figures = output_dirs(preset)
        raise ConfigError(f"{path!r} is written by the {writer} preset, not by {preset}: run it with "
                          f"--config preset={writer}, or ask for the {preset} preset's files "
                          f"under {results}/ and {figures}/")


def check_run(cfg: dict, arm: str, n: int, seed: int) -> None:
    """Refuse a training run outside the resolved preset's sweep (a typo in a target such as
    ``n5`` for ``n50`` would otherwise start hours of training that no claim reads)."""
    ns = arm_spec(cfg, arm)["n"]
    if n not in ns:
        raise ConfigError(f"n = {n} is not in the {cfg['preset']} preset's sweep of arm {arm!r} "
                          f"(n: {ns}); add it to config key 'arms.{arm}.n' "
                          f"or 'presets.{cfg['preset']}.n.{arm}'")
    seeds, preset = arm_seeds(cfg, arm), cfg["preset"]
    if seed not in seeds:
        if arm in cfg["presets"][preset].get("arm_seeds", {}):
            raise ConfigError(f"seed {seed} is not among the {preset} preset's seeds of arm {arm!r} ({seeds}); "
                              f"add it to config key 'presets.{preset}.arm_seeds.{arm}'")
        raise ConfigError(f"seed {seed} is not among the {preset} preset's seeds "
                          f"({seeds}); add it to config key 'seeds' or 'presets.{preset}.seeds'")


def named_calibration(cfg: dict, name: str) -> dict:
    """A copy of calibration ``name`` as config.yaml writes it (no arm's overrides)."""
    if name not in cfg["calibrations"]:
        raise ConfigError(f"unknown calibration {name!r}; allowed: {', '.join(cfg['calibrations'])}")
    return dict(cfg["calibrations"][name])


def arm_calibration(cfg: dict, arm: str) -> dict:
    """The calibration of ``arm`` with its overrides applied."""
    spec = arm_spec(cfg, arm)
    cal = dict(cfg["calibrations"][spec["calibration"]])
    cal.update(spec.get("overrides", {}))
    return cal


def job_settings(cfg: dict, arm: str) -> dict:
    """What one training job of ``arm`` depends on beyond its own n and seed: the arm's spec
    without its sweep over n (adding an n to the sweep must not retrain the others), its
    calibration and the economy settings. The ``train`` and ``evaluate`` rules' params and a
    run's ``run_hash`` are both built from it."""
    spec = {k: v for k, v in arm_spec(cfg, arm).items() if k != "n"}
    return {"arm": spec, "calibration": arm_calibration(cfg, arm), "economy": cfg["economy"]}


def arm_spec(cfg: dict, arm: str) -> dict:
    if arm not in cfg["arms"]:
        raise ConfigError(f"unknown arm {arm!r}; allowed: {', '.join(cfg['arms'])}")
    return cfg["arms"][arm]


def arm_envs(cfg: dict, arm: str) -> int:
    """Parallel training economies of one job of ``arm``: ``arms.<arm>.envs``, else ``economy.envs``."""
    return int(arm_spec(cfg, arm).get("envs", cfg["economy"]["envs"]))


def arm_explore(cfg: dict, arm: str, n: int | None = None) -> dict:
    """Exploring starts of the *training* economies of ``arm`` (``arms.<arm>.explore``):
    ``init_k`` (default ``economy.init_k``) and ``logA_sd_scale`` (default 1, RBC only) of an
    economy of ``n`` households. With ``min_n`` economies smaller than that start as evaluations
    do (``n=None``: the arm's settings whatever n, as validation reads them). Evaluations always
    start from ``economy.init_k`` and the stationary law of log A."""
    spec = arm_spec(cfg, arm)
    explore = dict(spec.get("explore") or {})
    if "logA_sd_scale" in explore and spec["economy"] == "ks":
        raise ConfigError(f"arms.{arm}.explore.logA_sd_scale: the ks economy has no log A (its z is a "
                          "two-state chain); allowed keys there: init_k, min_n")
    if n is not None and n < int(explore.get("min_n", 1)):
        explore = {}
    return {"init_k": dict(explore.get("init_k", cfg["economy"]["init_k"])),
            "logA_sd_scale": float(explore.get("logA_sd_scale", 1.0))}


def heterogeneity(spec: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Capital and labour productivities (kappa_i, lambda_i) of ``n`` households.

    - ``none``: kappa = lambda = 1.
    - ``grid``: the paper's grids, kappa, lambda in linspace(low, high, s)^2 with n = s^2.
    - ``spread``: the grid when n is a perfect square; otherwise kappa = linspace(low, high, n)
      and lambda the same values in a fixed stride order (stride coprime to n), so the two
      productivities are spread over [low, high] without being perfectly correlated.
    """
    if spec["kind"] == "none":
        return np.ones(n), np.ones(n)
    lo, hi = spec["low"], spec["high"]
    s = math.isqrt(n)
    if s * s == n:
        kappa, lam = np.meshgrid(np.linspace(lo, hi, s), np.linspace(lo, hi, s), indexing="ij")
        return kappa.ravel(), lam.ravel()
    if spec["kind"] == "grid":
        raise ConfigError(f"heterogeneity kind 'grid' needs n to be a perfect square, got n = {n}")
    values = np.linspace(lo, hi, n)
    stride = next(k for k in range(max(2, n // 2 - 1), n + 2) if math.gcd(k, n) == 1)
    return values, values[(np.arange(n) * stride) % n]


def config_hash(cfg: dict) -> str:
    """A short stable hash of a (resolved) config, recorded in every output's attributes."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:12]
