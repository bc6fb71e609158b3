# One rule per figure; the figure's module is an input, so editing it reruns only that figure
# (editing figures/common.py, shared by all, reruns them all); the digest of the package code
# it runs is a param (`code`, common.smk), so a code edit in what it imports reruns it too.

FIGURE_INPUTS = {
    "closed_form_policy": lambda: run_files("train.nc", "rbc_closed_form") + [benchmark_path("closed_form")],
    "irf": lambda: run_files("eval.nc", "rbc") + [benchmark_path("rbc")],
    "ks_law_of_motion": lambda: run_files("eval.nc", "ks") + [benchmark_path("ks")],
    "ks_wealth": lambda: run_files("eval.nc", "ks") + [benchmark_path("ks")],
    "heterogeneity": lambda: run_files("eval.nc", "heterogeneous") + run_files("eval.nc", "baseline")
    + expand(benchmark_path("game_n{n}"), n=GAME_N),
    "stability": lambda: run_files("train.nc", "ks") + run_files("eval.nc", "ks"),
    "cost": lambda: [bench_tsv(a, n, s) for a, n, s in runs()] + run_files("train.nc"),   # wall_s: resumed jobs
}
FIGURES = expand(f"{FIGDIR}/{{name}}.{{ext}}", name=FIGURE_INPUTS, ext=("pdf", "png"))

localrules: figure


rule figure:
    input:
        module="src/marlbc/figures/{name}.py",
        common="src/marlbc/figures/common.py",    # style and captions shared by every figure
        data=lambda wc: FIGURE_INPUTS[wc.name](),
    output:
        pdf=report(f"{FIGDIR}/{{name}}.pdf", category="Figures", caption="../report/figure.rst"),
        png=f"{FIGDIR}/{{name}}.png",
    params: code=lambda wc: code(f"marlbc.figures.{wc.name}", "run_figure"),
    wildcard_constraints:
        name="|".join(FIGURE_INPUTS),
    log: f"{RESULTS}/logs/figures/{{name}}.log"
    conda: "../../environment.yml"
    script: "../scripts/figure.py"


rule figures:
    input: FIGURES
