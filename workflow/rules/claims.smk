# Claims C1-C6 (SPEC §4): each writes results/claims/C<k>.json with the measured values, the
# thresholds of config.yaml, a fidelity score and `passed`. `snakemake claims` fails (non-zero
# exit) when a claim fails under the ci or full preset, after writing the table.

CLAIM_INPUTS = {
    "C1": lambda: run_files("eval.nc", "rbc_closed_form") + run_files("eval.nc", "rbc")
    + [benchmark_path("closed_form"), benchmark_path("rbc")],
    "C2": lambda: run_files("eval.nc", "ks") + [benchmark_path("ks")],
    "C3": lambda: run_files("eval.nc", "heterogeneous") + run_files("eval.nc", "baseline")
    + expand(benchmark_path("game_n{n}"), n=GAME_N),
    "C4": lambda: run_files("train.nc", "ks") + run_files("eval.nc", "ks"),
    "C5": lambda: run_files("eval.nc", "ks"),
    "C6": lambda: [bench_tsv(a, n, s) for a, n, s in runs("ks")]
    + run_files("train.nc", "ks"),
}
CLAIMS = list(CLAIM_INPUTS)

localrules: claim, claims_table, baseline_vs_variant, claims


rule claim:
    input:
        code=["src/marlbc/claims/checks.py", "src/marlbc/claims/c3_diagnostics.py", "src/marlbc/claims/common.py",
              "src/marlbc/evaluation/cost.py"],
        data=lambda wc: CLAIM_INPUTS[wc.claim](),
    output: f"{RESULTS}/claims/{{claim}}.json"
    params:
        thresholds=lambda wc: json.dumps(CFG["claims"][wc.claim], sort_keys=True),
        preset=CFG["preset"],
        code=code("marlbc.claims", "run_claim"),
    wildcard_constraints:
        claim="|".join(CLAIMS),
    log: f"{RESULTS}/logs/claims/{{claim}}.log"
    conda: "../../environment.yml"
    script: "../scripts/claim.py"


rule claims_table:
    input:
        code="src/marlbc/claims/report.py",
        results=expand(f"{RESULTS}/claims/{{claim}}.json", claim=CLAIMS),
    output: report(f"{RESULTS}/claims.md", category="Claims", caption="../report/claims.rst")
    params: code=code("marlbc.claims", "run_claims_table"),
    log: f"{RESULTS}/logs/claims/table.log"
    conda: "../../environment.yml"
    script: "../scripts/claims_table.py"


rule baseline_vs_variant:
    input:
        baseline=lambda wc: [f for f in run_files("eval.nc", "baseline") if "/n20/" in f],
        variant=lambda wc: [f for f in run_files("eval.nc", "heterogeneous") if "/n20/" in f],
    output: report(f"{RESULTS}/baseline_vs_variant.md", category="Claims", caption="../report/baseline_vs_variant.rst")
    params: code=code("marlbc.claims", "run_baseline_vs_variant"),
    log: f"{RESULTS}/logs/claims/baseline_vs_variant.log"
    conda: "../../environment.yml"
    script: "../scripts/baseline_vs_variant.py"


rule claims:
    input:
        table=f"{RESULTS}/claims.md",
        results=expand(f"{RESULTS}/claims/{{claim}}.json", claim=CLAIMS),
    log: f"{RESULTS}/logs/claims/gate.log"
    conda: "../../environment.yml"
    run:
        import marlbc.pipeline
        marlbc.pipeline.gate_claims(input.results, CFG["preset"], log[0], table=input.table)
