# MARL-BC replication: benchmarks -> training -> evaluation -> xarray -> figures -> claims.
#
#   snakemake --cores 4                          # the full replication (preset: full)
#   snakemake --cores 4 --config preset=ci       # claim verification on reduced budgets (results/ci/)
#   snakemake --cores 4 figures/irf.pdf          # one figure, from what is already there
#   snakemake --cores 4 claims                   # the claim checks (non-zero exit if one fails)
#   snakemake --report report.html               # figures, claims and tables in one page

import sys

from snakemake.utils import min_version, validate

import marlbc.config

min_version("9.27")   # callable rule priorities

configfile: "config.yaml"

try:
    marlbc.config.validate(config)   # one-line errors naming the key and what is allowed
except marlbc.config.ConfigError as err:
    sys.exit(f"marlbc: config error: {err}")
validate(config, "workflow/schemas/config.schema.yaml")
CFG = marlbc.config.resolve(config)
# `full` writes results/ and figures/ (committed); ci and smoke write results/<preset>/ and
# figures/<preset>/, so they never replace the full run. Benchmarks are shared: results/benchmarks/.
# Paths are f-strings: {RESULTS} is filled in here, {{arm}} stays a Snakemake wildcard.
RESULTS, FIGDIR = marlbc.config.output_dirs(CFG["preset"])


include: "workflow/rules/common.smk"
include: "workflow/rules/benchmarks.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/claims.smk"


rule all:
    input:
        rules.aggregate.output,
        FIGURES,
        f"{RESULTS}/claims.md",
        f"{RESULTS}/baseline_vs_variant.md",
    default_target: True


rule other_preset:
    """A target that another preset writes (results/runs/... under --config preset=ci) is refused
    by name; Snakemake alone would say only that no rule makes it. Never runs: its input refuses."""
    input: lambda wc: marlbc.config.refuse_other_preset(CFG["preset"], wc.path) or []
    output: "{path}"
    wildcard_constraints:
        path=marlbc.config.other_preset_paths(CFG["preset"]),
    log: f"{RESULTS}/logs/other_preset/{{path}}.log"
    localrule: True
    run:
        raise RuntimeError(f"rule other_preset is a guard and never runs ({output})")
