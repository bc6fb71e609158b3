"""Figures of the replication, one module per figure.

Each module ``marlbc.figures.<name>`` has ``plot(cfg, inputs, pdf, png)``: ``cfg`` is the
resolved configuration, ``inputs`` the files the Snakemake rule ``figure`` hands it
(``FIGURE_INPUTS`` in ``workflow/rules/figures.smk``), and ``pdf``/``png`` the outputs, written
atomically. Every figure states what it shows (units, calibration, preset, seeds, budget) in a
caption built from the files' own attributes (:mod:`marlbc.figures.common`).

=====================  ==========================================================================
closed_form_policy     δ = 1 policies ĉ, ℓ over training against the closed form (and Eq. 13)
irf                    impulse responses of the learned n = 1 policy against the global solution
ks_law_of_motion       learned law of motion K' (K, z) by n against the Krusell–Smith solution
ks_wealth              wealth distributions by n against the KS stationary distribution
heterogeneity          Lorenz curves, per-household capital vs the game, ĉ against wealth
stability              final evaluation return against n across seeds, learning curves (KS)
cost                   training wall time against n, with the paper's Fig. 8 SAC times
=====================  ==========================================================================
"""

FIGURES = ("closed_form_policy", "irf", "ks_law_of_motion", "ks_wealth", "heterogeneity",
           "stability", "cost")

__all__ = ["FIGURES"]
