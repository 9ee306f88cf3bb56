"""The whole per-analysis reduction for a batch: corrections → decay → interferences →
chlorine and atmosphere → F → age and derived values (reduction-math.md §4–§9).

Pure NumPy over N analyses at once; every quantity is a :class:`UArray` so errors and
correlations come from analytic derivatives. Rows whose inputs cannot give a number
(no irradiation, zero 39Ar_K, …) are reported in ``failures``; they never become 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ardvc.reduce import age as agefn
from ardvc.reduce.atmosphere import Atmospheric, partition
from ardvc.reduce.constants import ArArConstants
from ardvc.reduce.conventions import Conventions
from ardvc.reduce.corrections import (
    IsotopeValues,
    abundance_sensitivity,
    isotope_values,
    plan_columns,
)
from ardvc.reduce.decay import decay_factors
from ardvc.reduce.inputs import ISOTOPES, PRODUCTION_KEYS, ArArInputs
from ardvc.reduce.interference import Interferences, correct
from ardvc.reduce.uncertain import Array, InputSpace, UArray


@dataclass
class ArArResults:
    """Every intermediate and final quantity of a batch reduction."""

    space: InputSpace
    isotopes: dict[str, IsotopeValues]
    intensities: dict[str, UArray]
    df37: Array
    df39: Array
    a37: UArray
    a39: UArray
    interferences: Interferences
    atmospheric: Atmospheric
    atm40: UArray
    k40: UArray
    rad40: UArray
    f: UArray
    radiogenic_yield: UArray
    age: UArray
    """Individual ages with J exact (Pychron's ``age`` and ``age_err_wo_j``)."""
    age_with_j: UArray
    kca: UArray
    kcl: UArray
    moles_k39: UArray
    failures: dict[int, str] = field(default_factory=dict)

    @property
    def k39(self) -> UArray:
        return self.interferences.k39

    def interference_corrected(self) -> dict[str, UArray]:
        """The 2022 IA file's ``interference_corrected_values``."""
        return {
            "Ar40": self.intensities["Ar40"] - self.k40,
            "Ar39": self.k39,
            "Ar38": self.intensities["Ar38"],
            "Ar37": self.a37,
            "Ar36": self.atmospheric.atm36,
        }


def production_values(inputs: ArArInputs, space: InputSpace) -> dict[str, UArray]:
    k = len(space)
    return {
        key: UArray.independent(
            space, f"production:{key}", inputs.production[:, i], inputs.production_err[:, i], k
        )
        for i, key in enumerate(PRODUCTION_KEYS)
    }


def reduce_batch(
    inputs: ArArInputs, constants: ArArConstants, conventions: Conventions
) -> ArArResults:
    space = InputSpace()
    plan_columns(inputs, space, conventions)
    for key in PRODUCTION_KEYS:
        space.column(f"production:{key}")
    for name in ("trapped", "j", "fixed_k3739"):
        space.column(name)
    k = len(space)

    values = isotope_values(inputs, space, conventions)
    intensities = abundance_sensitivity(
        {name: values[name].intensity for name in ISOTOPES}, constants.abundance_sensitivity
    )
    df37 = decay_factors(inputs.power, inputs.duration, inputs.elapsed, constants.lambda_ar37)
    df39 = decay_factors(inputs.power, inputs.duration, inputs.elapsed, constants.lambda_ar39)
    a37 = intensities["Ar37"] * df37
    a39 = intensities["Ar39"] * df39

    p = production_values(inputs, space)
    fixed = UArray.independent(space, "fixed_k3739", *constants.fixed_k3739, k)
    fixed = UArray(np.full(inputs.n, fixed.value), np.broadcast_to(fixed.jac, (inputs.n, k)))
    inter = correct(
        a39,
        a37,
        p,
        mode=conventions.interference,
        fixed_k3739=fixed,
        allow_negative_ca=conventions.allow_negative_ca,
    )
    atm = constants.atmosphere
    atmospheric = partition(
        intensities["Ar36"],
        intensities["Ar38"],
        inter.ca36,
        inter.k38,
        inter.ca38,
        p["Cl3638"],
        constants.lambda_cl36,
        inputs.chlorine_days,
        atm.atm4036,
        atm.atm4038,
    )
    trapped_sigma = atm.atm4036_err if conventions.propagate_trapped_error else 0.0
    trapped = UArray.independent(space, "trapped", np.full(inputs.n, atm.atm4036), trapped_sigma, k)
    a40 = intensities["Ar40"]
    atm40 = atmospheric.atm36 * trapped
    k40 = p["K4039"] * inter.k39
    rad40 = a40 - atm40 - k40
    f = agefn.f_value(rad40, inter.k39)
    lambda_k = inputs.lambda_k
    age = agefn.age(inputs.j, f, lambda_k, constants.age_scale)
    j_uncertain = UArray.independent(space, "j", inputs.j, inputs.j_err, k)
    age_with_j = agefn.age(j_uncertain, f, lambda_k, constants.age_scale)
    kca = inter.k39 / inter.ca37 / agefn.ratio_or_one(p["Ca_K"])
    kcl = inter.k39 / atmospheric.cl38 / agefn.ratio_or_one(p["Cl_K"])

    failures: dict[int, str] = {}
    for i in np.flatnonzero(~np.isfinite(df39) | ~np.isfinite(df37)):
        failures[int(i)] = "no irradiation segments: decay factors undefined"
    for i in np.flatnonzero(inter.k39.value == 0):
        failures.setdefault(int(i), "39Ar_K is zero: F undefined")
    for i in np.flatnonzero(~np.isfinite(age.value) | ~np.isfinite(age.std)):
        failures.setdefault(int(i), "age is not finite (check J, F and the decay constant)")

    return ArArResults(
        space=space,
        isotopes=values,
        intensities=intensities,
        df37=df37,
        df39=df39,
        a37=a37,
        a39=a39,
        interferences=inter,
        atmospheric=atmospheric,
        atm40=atm40,
        k40=k40,
        rad40=rad40,
        f=f,
        radiogenic_yield=rad40 / a40 * 100,
        age=age,
        age_with_j=age_with_j,
        kca=kca,
        kcl=kcl,
        moles_k39=inter.k39 * inputs.sensitivity,
        failures=failures,
    )
