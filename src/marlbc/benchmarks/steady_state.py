"""Deterministic steady state of the representative-household RBC, and the δ = 1 closed form.

Per head, for either utility (SPEC §1-2), with κ = λ = 1 (then the seed's marginal pricing
and the paper's effective aggregation coincide):

    Euler:   1 = β (1 - δ + r)                  =>  K/L = (α / (1/β - 1 + δ))^(1/(1-α))
    prices:  r = α (K/L)^(α-1),   w = (1-α) (K/L)^α
    labour:  linear_labour  u = log c - χ ℓ:         c = w / χ
             log_leisure    u = log c + b log(1-ℓ):  c = w (1 - ℓ) / b
    goods:   C = Y - δ K
    wealth:  a = (1 - δ) K + Y,  ĉ = C / a
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


UTILITIES = ("linear_labour", "log_leisure")     # the RBC utilities this module solves


@dataclass(frozen=True)
class SteadyState:
    """Per-head deterministic steady state (model units; r, w per quarter)."""

    K: float
    L: float
    C: float
    Y: float
    I: float
    r: float
    w: float
    chat: float

    def as_dict(self) -> dict:
        return asdict(self)


def capital_labour_ratio(alpha: float, beta: float, delta: float) -> float:
    """K/L = (α / (1/β − 1 + δ))^(1/(1−α)), from the Euler equation 1 = β(1 − δ + r)."""
    return (alpha / (1.0 / beta - 1.0 + delta)) ** (1.0 / (1.0 - alpha))


def steady_state(alpha: float, beta: float, delta: float, utility: str = "linear_labour",
                 chi: float = 1.0, b: float = 5.0, **_ignored) -> SteadyState:
    """Steady state per head for a calibration dict (extra keys such as ρ, σ_A are ignored)."""
    k = capital_labour_ratio(alpha, beta, delta)          # K / L
    y = k**alpha                                           # Y / L
    r = alpha * k ** (alpha - 1.0)
    w = (1.0 - alpha) * k**alpha
    c_per_L = y - delta * k                                # C / L
    if utility == "linear_labour":
        L = (w / chi) / c_per_L                            # c = w/χ
    elif utility == "log_leisure":
        L = w / (b * c_per_L + w)                          # c = w(1-L)/b
    else:
        raise ValueError(f"unknown utility {utility!r}; allowed: {', '.join(UTILITIES)}")
    K, Y, C = k * L, y * L, c_per_L * L
    return SteadyState(K=K, L=L, C=C, Y=Y, I=delta * K, r=r, w=w, chat=C / ((1.0 - delta) * K + Y))


def closed_form(alpha: float, beta: float, utility: str = "log_leisure", chi: float = 1.0,
                b: float = 5.0, **_ignored) -> dict:
    """Policy with full depreciation (δ = 1): ĉ* = 1 − αβ and constant hours ℓ*.

    log_leisure:    ℓ* = (1−α) / (b(1−αβ) + 1−α)
    linear_labour:  ℓ* = (1−α) / (χ(1−αβ))
    ``ell_eq13`` is the paper's Eq. 13, which swaps α and 1−α: α / (b(1−αβ) + α) (an erratum).
    """
    chat = 1.0 - alpha * beta
    if utility == "log_leisure":
        ell = (1.0 - alpha) / (b * chat + 1.0 - alpha)
        ell_eq13 = alpha / (b * chat + alpha)
    elif utility == "linear_labour":
        ell = (1.0 - alpha) / (chi * chat)
        ell_eq13 = alpha / (chi * chat)
    else:
        raise ValueError(f"unknown utility {utility!r}; allowed: {', '.join(UTILITIES)}")
    return {"chat": chat, "ell": ell, "ell_eq13": ell_eq13}
