"""Chlorine-derived 36Ar and trapped (atmospheric) argon (reduction-math.md §7)."""

from __future__ import annotations

from dataclasses import dataclass

from ardvc.reduce.uncertain import UArray


@dataclass
class Atmospheric:
    atm36: UArray
    atm38: UArray
    cl38: UArray
    cl36: UArray


def partition(
    a36: UArray,
    a38: UArray,
    ca36: UArray,
    k38: UArray,
    ca38: UArray,
    cl3638: UArray,
    lambda_cl36: float,
    chlorine_days: object,
    atm4036: float,
    atm4038: float,
) -> Atmospheric:
    """Solve for atmospheric 36Ar given 36Cl decay since irradiation.

    ``m = Cl3638·λCl36·t`` converts 38Cl to the 36Ar it has produced; ``r`` is the nominal
    (36/38)atm ratio (its uncertainty is not propagated, as in Pychron).
    """
    m = cl3638 * lambda_cl36 * chlorine_days
    r = atm4036 / atm4038
    atm36 = (a36 - ca36 - m * (a38 - k38 - ca38)) / (1 - m * r)
    atm38 = atm36 * r
    cl38 = a38 - atm38 - k38 - ca38
    cl36 = m * cl38
    return Atmospheric(atm36, atm38, cl38, cl36)
