# One xarray dataset of every run: dims arm, n, seed, t, update, quarter (CF-style, compressed).

localrules: aggregate


rule aggregate:
    input:
        evals=run_files("eval.nc"),
        trains=run_files("train.nc"),
    output: f"{RESULTS}/marlbc.nc"
    params: code=code("marlbc.evaluation.aggregate", "run_aggregate"),
    log: f"{RESULTS}/logs/aggregate.log"
    conda: "../../environment.yml"
    script: "../scripts/aggregate.py"
