"""Economic benchmarks every claim is held against (NumPy / SciPy)."""
