"""The argon of one run, built backwards from a true age through ardvc's reduction chain.

Everything here lives in *reduction space*: the intensities ``A`` that
:func:`ardvc.reduce.chain.reduce_batch` reports as ``intensities`` (blank-free,
IC- and discrimination-corrected, not yet decay-corrected). Each step of
reduction-math.md §5–§8 is inverted exactly, so reducing the composed gas with the same
production ratios, decay factors and atmosphere returns the age it was made from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ardvc.reduce.flux import MA, monitor_factor


@dataclass(frozen=True)
class Composition:
    """Argon of one run in reduction space plus the true derived quantities.

    The derived values are ``None`` for gas that was not irradiated (air, cocktail, blank).
    ``k39`` and ``kca`` are decay-corrected, as the reduction reports them.
    """

    intensities: Mapping[str, float]
    age: float | None = None
    f: float | None = None
    k39: float | None = None
    rad40: float | None = None
    radiogenic_yield: float | None = None
    kca: float | None = None
    kcl: float | None = None
    atm36: float | None = None
    ca37: float | None = None
    cl38: float | None = None


ZERO = {"Ar40": 0.0, "Ar39": 0.0, "Ar38": 0.0, "Ar37": 0.0, "Ar36": 0.0}


def compose_irradiated(
    *,
    age: float,
    j: float,
    lambda_k: float,
    k39: float,
    radiogenic_yield: float,
    kca: float,
    kcl: float | None,
    productions: Mapping[str, float],
    atm4036: float,
    atm4038: float,
    df37: float,
    df39: float,
    chlorine_days: float,
    lambda_cl36: float,
) -> Composition:
    """Gas of an irradiated sample step from its true age (Ma) and J.

    ``F = (exp(λK·t) − 1)/J``, ``40Ar* = F·39Ar_K``, 40Ar from %40Ar*, atmospheric 36Ar from
    the rest of 40Ar after 40Ar_K, Ca-derived 37Ar from K/Ca, chlorine-derived 38Ar from
    K/Cl, interferences from the production ratios, and 37Ar/39Ar un-decayed to the run.
    Raises ``ValueError`` when the requested yield would need negative atmospheric argon.
    """
    p = productions
    f = monitor_factor(age * MA, lambda_k) / j
    rad40 = f * k39
    k40 = p["K4039"] * k39
    a40 = rad40 / (radiogenic_yield / 100.0)
    atm40 = a40 - rad40 - k40
    if atm40 < 0:
        raise ValueError(
            f"%40Ar* {radiogenic_yield} too high for F {f:.5g}: 40Ar_K alone leaves at most "
            f"{100 * rad40 / (rad40 + k40):.3f} %"
        )
    atm36 = atm40 / atm4036
    ca37 = k39 / (kca * (p["Ca_K"] or 1.0))
    cl38 = k39 / (kcl * (p["Cl_K"] or 1.0)) if kcl else 0.0
    k37 = p["K3739"] * k39
    ca39 = p["Ca3937"] * ca37
    m = p["Cl3638"] * lambda_cl36 * chlorine_days
    a36 = atm36 + p["Ca3637"] * ca37 + m * cl38
    a38 = atm36 * atm4036 / atm4038 + p["K3839"] * k39 + p["Ca3837"] * ca37 + cl38
    intensities = {
        "Ar40": a40,
        "Ar39": (k39 + ca39) / df39,
        "Ar38": a38,
        "Ar37": (ca37 + k37) / df37,
        "Ar36": a36,
    }
    return Composition(
        intensities=intensities,
        age=age,
        f=f,
        k39=k39,
        rad40=rad40,
        radiogenic_yield=radiogenic_yield,
        kca=kca,
        kcl=kcl,
        atm36=atm36,
        ca37=ca37,
        cl38=cl38,
    )


def compose_air(ar40: float, atm4036: float, atm4038: float) -> Composition:
    """An air pipette shot: atmospheric 40/36 and 40/38, no 39Ar or 37Ar."""
    return Composition({**ZERO, "Ar40": ar40, "Ar36": ar40 / atm4036, "Ar38": ar40 / atm4038})


COCKTAIL = {"Ar40": 1.0, "Ar39": 0.0625, "Ar38": 0.0012, "Ar37": 0.018, "Ar36": 0.0011}
"""Relative abundances of the reference-gas cocktail (40Ar = 1): an air/39Ar/37Ar mix."""


def compose_cocktail(ar40: float, mix: Mapping[str, float] = COCKTAIL) -> Composition:
    return Composition({iso: ar40 * r for iso, r in mix.items()})


def compose_blank() -> Composition:
    """A blank run has no gas of its own: only the line blank is measured."""
    return Composition(dict(ZERO))
