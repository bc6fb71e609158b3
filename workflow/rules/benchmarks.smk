# Economic benchmarks (NumPy/SciPy), each a netCDF with units and descriptions.

GAME_N = CFG["arms"]["heterogeneous"]["n"] if "heterogeneous" in CFG["arms"] else []


rule benchmark_rbc:
    output: "results/benchmarks/rbc.nc"
    params: solved_from=benchmark_params("rbc"),
    log: "results/logs/benchmark_rbc.log"
    benchmark: "results/bench/benchmark_rbc.tsv"
    threads: 1
    resources: runtime=10, mem_mb=1000
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmark_closed_form:
    output: "results/benchmarks/closed_form.nc"
    params: solved_from=benchmark_params("closed_form"),
    log: "results/logs/benchmark_closed_form.log"
    benchmark: "results/bench/benchmark_closed_form.tsv"
    threads: 1
    resources: runtime=5, mem_mb=500
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmark_game:
    output: "results/benchmarks/game_n{n}.nc"
    params: solved_from=benchmark_params("game"),
    log: "results/logs/benchmark_game_n{n}.log"
    benchmark: "results/bench/benchmark_game_n{n}.tsv"
    threads: 1
    resources: runtime=5, mem_mb=1000
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmark_ks:
    output: "results/benchmarks/ks.nc"
    params: solved_from=benchmark_params("ks"),
    log: "results/logs/benchmark_ks.log"
    benchmark: "results/bench/benchmark_ks.tsv"
    threads: 1
    resources: runtime=20, mem_mb=2000
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmarks:
    input:
        "results/benchmarks/rbc.nc",
        "results/benchmarks/closed_form.nc",
        "results/benchmarks/ks.nc",
        expand("results/benchmarks/game_n{n}.nc", n=GAME_N),
