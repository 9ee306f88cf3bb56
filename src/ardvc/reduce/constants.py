"""Physical constants and the named sets labs choose between (reduction-math.md §10).

Decay constants are per year (40K) or per day (37Ar, 39Ar, 36Cl), as Pychron keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import hypot

from ardvc.errors import UsageError


@dataclass(frozen=True, slots=True)
class DecayConstants:
    """40K decay constants (1/a): β⁻ to 40Ca and electron capture to 40Ar."""

    name: str
    lambda_b: float
    lambda_b_err: float
    lambda_e: float
    lambda_e_err: float

    @property
    def total(self) -> float:
        return self.lambda_b + self.lambda_e

    @property
    def total_err(self) -> float:
        return hypot(self.lambda_b_err, self.lambda_e_err)


@dataclass(frozen=True, slots=True)
class Atmosphere:
    """Trapped (atmospheric) argon ratios with 1σ errors."""

    name: str
    atm4036: float
    atm4036_err: float
    atm4038: float
    atm4038_err: float


@dataclass(frozen=True, slots=True)
class Monitor:
    """A flux standard: mineral and age (Ma, 1σ)."""

    name: str
    material: str
    age: float
    age_err: float


STEIGER_JAGER_1977 = DecayConstants("Steiger & Jager 1977", 4.962e-10, 9.3e-13, 5.81e-11, 1.6e-13)
"""Steiger & Jäger (1977) with the uncertainties Pychron's class defaults carry."""
MIN_2000 = DecayConstants("Min et al., 2000", 4.883e-10, 9.9e-12, 5.80e-11, 1.4e-12)
"""Min et al. (2000), GCA 64:73: λβ 4.884 ± 0.099, λε 0.580 ± 0.014 (×1e-10/a); NMGRL level
files carry the total 5.463e-10 ± 9.9985e-12, i.e. λβ = 4.883e-10."""
NMGRL_2018 = DecayConstants("NMGRL 2018 (lab file)", 4.884e-10, 0.0, 5.80e-11, 0.0)
"""λK = 5.464e-10, the value of the 2017–2018 NMGRL level files."""
RENNE_2011 = DecayConstants("Renne et al., 2011", 4.9548e-10, 1.34e-12, 5.757e-11, 1.6e-13)
"""Renne et al. (2011), GCA 75:5097, optimisation model."""

NIER_1950 = Atmosphere("Nier 1950", 295.5, 0.5, 1575.0, 2.0)
_LEE_4036, _LEE_4036_ERR, _LEE_3836, _LEE_3836_ERR = 298.56, 0.31, 0.1885, 0.0003
LEE_2006 = Atmosphere(
    "Lee et al., 2006",
    _LEE_4036,
    _LEE_4036_ERR,
    _LEE_4036 / _LEE_3836,
    _LEE_4036 / _LEE_3836 * hypot(_LEE_4036_ERR / _LEE_4036, _LEE_3836_ERR / _LEE_3836),
)
"""Lee et al. (2006), GCA 70:4507: 40/36 = 298.56 ± 0.31, 38/36 = 0.1885 ± 0.0003."""

FC2_MIN = Monitor("FC Min", "sanidine", 28.201, 0.046)
"""Fish Canyon sanidine (FC-2) at 28.201 Ma (Kuiper et al. 2008), Pychron's default monitor."""
FC_SJ = Monitor("FC SJ", "sanidine", 28.02, 0.28)
FC_RENNE_2011 = Monitor("FC Renne 2011", "sanidine", 28.294, 0.036)

DECAY_SETS = {c.name: c for c in (STEIGER_JAGER_1977, MIN_2000, NMGRL_2018, RENNE_2011)}
ATMOSPHERES = {a.name: a for a in (NIER_1950, LEE_2006)}
MONITORS = {m.name: m for m in (FC2_MIN, FC_SJ, FC_RENNE_2011)}
ALIASES = {
    "sj1977": "Steiger & Jager 1977",
    "steiger_jager_1977": "Steiger & Jager 1977",
    "min2000": "Min et al., 2000",
    "renne2011": "Renne et al., 2011",
    "nmgrl2018": "NMGRL 2018 (lab file)",
    "nier1950": "Nier 1950",
    "lee2006": "Lee et al., 2006",
    "fc-2": "FC Min",
    "fc2": "FC Min",
}


@dataclass(frozen=True, slots=True)
class ArArConstants:
    """Everything constant in a reduction; recorded with every result."""

    decay: DecayConstants = MIN_2000
    atmosphere: Atmosphere = NIER_1950
    monitor: Monitor = FC2_MIN
    lambda_ar37: float = 0.01975
    lambda_ar39: float = 7.068e-6
    lambda_cl36: float = 6.308e-9
    abundance_sensitivity: float = 0.0
    fixed_k3739: tuple[float, float] = (0.01, 1e-4)
    age_scale: float = 1e6
    """Years per display unit (Ma)."""
    extra: dict[str, float] = field(default_factory=dict)

    def with_atmosphere(self, atm4036: float, atm4036_err: float) -> ArArConstants:
        atm = replace(self.atmosphere, atm4036=atm4036, atm4036_err=atm4036_err)
        return replace(self, atmosphere=atm)

    def as_dict(self) -> dict[str, object]:
        return {
            "decay": self.decay.name,
            "lambda_b": self.decay.lambda_b,
            "lambda_e": self.decay.lambda_e,
            "lambda_k": self.decay.total,
            "atmosphere": self.atmosphere.name,
            "atm4036": self.atmosphere.atm4036,
            "atm4036_err": self.atmosphere.atm4036_err,
            "atm4038": self.atmosphere.atm4038,
            "atm4038_err": self.atmosphere.atm4038_err,
            "monitor": self.monitor.name,
            "monitor_age": self.monitor.age,
            "lambda_ar37": self.lambda_ar37,
            "lambda_ar39": self.lambda_ar39,
            "lambda_cl36": self.lambda_cl36,
            "abundance_sensitivity": self.abundance_sensitivity,
            "fixed_k3739": list(self.fixed_k3739),
        }


def named(kind: str, name: str) -> DecayConstants | Atmosphere | Monitor:
    """Look up a named set (``--set constants=min2000``); unknown names list the choices."""
    tables: dict[str, dict[str, DecayConstants] | dict[str, Atmosphere] | dict[str, Monitor]]
    tables = {"decay": DECAY_SETS, "atmosphere": ATMOSPHERES, "monitor": MONITORS}
    table = tables.get(kind)
    if table is None:
        raise UsageError(f"unknown constant kind {kind!r}: decay, atmosphere or monitor")
    key = ALIASES.get(name.lower(), name)
    if key not in table:
        raise UsageError(f"unknown {kind} set {name!r}", hint="choose one of: " + ", ".join(table))
    return table[key]
