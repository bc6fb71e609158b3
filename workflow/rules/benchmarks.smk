# Economic benchmarks (NumPy/SciPy), each a netCDF with units and descriptions.

GAME_N = CFG["arms"]["heterogeneous"]["n"] if "heterogeneous" in CFG["arms"] else []


rule benchmark_rbc:
    output: benchmark_path("rbc")
    params:
        solved_from=benchmark_params("rbc"),
        code=code("marlbc.benchmarks.run", "run_benchmark"),
    log: benchmark_path("rbc", "log")
    benchmark: benchmark_path("rbc", "tsv")
    threads: 1
    resources: runtime=10, mem_mb=1000
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmark_closed_form:
    output: benchmark_path("closed_form")
    params:
        solved_from=benchmark_params("closed_form"),
        code=code("marlbc.benchmarks.run", "run_benchmark"),
    log: benchmark_path("closed_form", "log")
    benchmark: benchmark_path("closed_form", "tsv")
    threads: 1
    resources: runtime=5, mem_mb=500
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmark_game:
    output: benchmark_path("game_n{n}")
    params:
        solved_from=benchmark_params("game"),
        code=code("marlbc.benchmarks.run", "run_benchmark"),
    log: benchmark_path("game_n{n}", "log")
    benchmark: benchmark_path("game_n{n}", "tsv")
    threads: 1
    resources: runtime=5, mem_mb=1000
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmark_ks:
    output: benchmark_path("ks")
    params:
        solved_from=benchmark_params("ks"),
        code=code("marlbc.benchmarks.run", "run_benchmark"),
    log: benchmark_path("ks", "log")
    benchmark: benchmark_path("ks", "tsv")
    threads: 1
    resources: runtime=20, mem_mb=2000
    conda: "../../environment.yml"
    script: "../scripts/benchmark.py"


rule benchmarks:
    input:
        [benchmark_path(name) for name in ("rbc", "closed_form", "ks")],
        expand(benchmark_path("game_n{n}"), n=GAME_N),
