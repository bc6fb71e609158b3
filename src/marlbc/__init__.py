"""marlbc: households that learn by multi-agent deep RL inside real-business-cycle economies.

Layout (data flows one way):
    config      -> validated, typed configuration (config.yaml + preset)
    economy     -> batched PyTorch economies (RBC family, Krusell-Smith 1998)
    benchmarks  -> exact / numerical economic solutions (NumPy, SciPy)
    rl          -> batched parameter-shared SAC
    evaluation  -> rollouts, impulse responses, Euler errors of learned policies
    claims      -> the paper's claims C1-C6 scored against the benchmarks
    figures     -> one module per figure
"""

__version__ = "0.1.0"
