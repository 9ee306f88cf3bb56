"""The content of an interpreted-age file in Pychron's 2022 nested format, from a reduction
(pychron-format.md §5.11).

Per-analysis values and the 2022 intermediates come straight from the engine's arrays, so a
file ardvc writes holds exactly the numbers the reduction gave. Group values follow the
conventions of Pychron's 2022 files (weighted mean SEM·√MSWD ⊕ J, plateau SEM·√MSWD without
J, integrated and isochron errors ⊕ J) so that ``ardvc ia check`` judges them as matches.
What Pychron leaves unrecorded goes into a top-level ``ardvc`` block: conventions, named
constants, data and MetaRepo commits, the steps of every group value and each analysis'
file blobs — enough to re-derive every number.
"""

from __future__ import annotations

import math
import uuid as uuidlib
from datetime import datetime
from typing import Any

from ardvc import __version__
from ardvc.data import Analysis
from ardvc.errors import MissingInputError, UsageError
from ardvc.reduce.chain import ArArResults
from ardvc.reduce.inputs import ISOTOPES
from ardvc.reduce.stats import ErrorKind
from ardvc.reduce.uncertain import UArray
from ardvc.reduction.groups import GroupValues
from ardvc.reduction.results import AnalysisResult
from ardvc.reduction.run import Reduction

Json = Any

PREFERRED_KINDS = ("plateau", "weighted_mean", "integrated", "isochron")
KIND_LABELS = {
    "plateau": "Plateau",
    "weighted_mean": "Weighted Mean",
    "integrated": "Integrated",
    "isochron": "Isochron",
}
MSEM_LABEL = "SEM, but if MSWD>1 use SEM * sqrt(MSWD)"
ERROR_KINDS = {
    "plateau": MSEM_LABEL,
    "weighted_mean": MSEM_LABEL,
    "integrated": "SEM",
    "isochron": "SEM",
}
"""``error_kind`` as Pychron spells it; the exact recipes are in :data:`ERROR_RECIPES`."""
ERROR_RECIPES = {
    "weighted_mean": "SEM·√MSWD when MSWD > 1, J error added in quadrature",
    "plateau": "SEM·√MSWD when MSWD > 1 over the plateau range, without the J error",
    "integrated": "first-order propagated error of the summed 40Ar*/39Ar_K, with the J error",
    "isochron": "York (Mahon) first-order error of the inverse-isochron F, with the J error",
}
UNITS = {1e9: "Ga", 1e6: "Ma", 1e3: "ka", 1.0: "a"}
SAMPLE_KEYS = (
    "grainsize", "lithology", "lithology_class", "lithology_group", "lithology_type",
    "material", "note", "principal_investigator", "project", "rlocation", "sample", "unit",
)  # fmt: skip


def _num(x: float) -> float | None:
    """A JSON number, or ``null`` for a value the engine could not give (never NaN)."""
    value = float(x)
    return value if math.isfinite(value) else None


def _pair(u: UArray, row: int) -> dict[str, float | None]:
    return {"value": _num(u.value[row]), "error": _num(u.std[row])}


def _per_isotope(values: dict[str, UArray], row: int) -> dict[str, dict[str, float | None]]:
    return {iso: _pair(values[iso], row) for iso in ISOTOPES if iso in values}


def intermediates(chain: ArArResults, row: int) -> dict[str, Json]:
    """The five per-isotope maps of a 2022 analysis entry (icfactors keyed by isotope)."""
    isotopes = chain.isotopes
    return {
        "baseline_corrected_intercepts": _per_isotope(
            {k: v.baseline_corrected for k, v in isotopes.items()}, row
        ),
        "blanks": _per_isotope({k: v.blank for k, v in isotopes.items()}, row),
        "icfactors": _per_isotope({k: v.ic for k, v in isotopes.items()}, row),
        "ic_corrected_values": _per_isotope({k: v.ic_corrected for k, v in isotopes.items()}, row),
        "interference_corrected_values": _per_isotope(chain.interference_corrected(), row),
    }


def analysis_entry(
    analysis: Analysis, result: AnalysisResult, chain: ArArResults, row: int, plateau_step: bool,
    units: str,
) -> dict[str, Json]:  # fmt: skip
    """One ``analyses[]`` entry; ``age_err`` excludes the J error, as Pychron's does."""
    extraction = analysis.extraction
    return {
        "age": result.age,
        "age_err": result.age_err,
        "age_err_wo_j": result.age_err,
        "age_units": units,
        **intermediates(chain, row),
        "extract_value": extraction.extract_value if extraction is not None else None,
        "kca": _num(result.kca),
        "kca_err": _num(result.kca_err),
        "kcl": _num(result.kcl),
        "kcl_err": _num(result.kcl_err),
        "plateau_step": plateau_step,
        "radiogenic_yield": _num(result.radiogenic_yield),
        "radiogenic_yield_err": _num(result.radiogenic_yield_err),
        "record_id": result.record_id,
        "rundate": analysis.main.timestamp,
        "tag": result.tag,
        "uuid": result.uuid,
    }


def group_ages(groups: GroupValues) -> dict[str, float]:
    """``ages{}``; 0.0 where there is no plateau or isochron, as Pychron writes it (the
    ``ardvc`` block says ``null`` for those)."""
    w, p, i, iso = groups.weighted, groups.plateau, groups.integrated, groups.isochron
    return {
        "integrated_age": i.value,
        "integrated_age_err": i.error_with_j,
        "isochron_age": iso.value if iso is not None else 0.0,
        "isochron_age_err": iso.error_with_j if iso is not None else 0.0,
        "plateau_age": p.value if p is not None else 0.0,
        "plateau_age_err": p.error(ErrorKind.MSEM) if p is not None else 0.0,
        "weighted_age": w.value,
        "weighted_age_err": w.error_as(ErrorKind.MSEM, groups.j_rel_error),
    }


def choose_preferred(groups: GroupValues, preferred: str | None) -> str:
    """``preferred`` checked against what exists; default plateau, else weighted mean."""
    if preferred is None:
        return "plateau" if groups.plateau is not None else "weighted_mean"
    kind = preferred.strip().lower().replace("-", "_").replace(" ", "_")
    if kind not in PREFERRED_KINDS:
        raise UsageError(
            f"unknown preferred age {preferred!r}", hint="one of: " + ", ".join(PREFERRED_KINDS)
        )
    if kind == "plateau" and groups.plateau is None:
        raise MissingInputError(
            "no plateau among these steps (Fleck 1977: ≥ 3 contiguous overlapping steps, "
            "≥ 50 % of the 39Ar_K)",
            hint="choose --preferred weighted_mean, integrated or isochron",
        )
    if kind == "isochron" and groups.isochron is None:
        raise MissingInputError(
            "no inverse isochron among these steps (it needs at least 3 non-omitted steps "
            "and a finite intercept)",
            hint="choose another --preferred age",
        )
    return kind


def _members(groups: GroupValues, kind: str) -> tuple[int, ...]:
    """Result indices of the steps that formed group value ``kind``."""
    steps = groups.steps
    if kind == "plateau":
        assert groups.plateau is not None
        return tuple(steps[k] for k in groups.plateau.members)
    if kind == "weighted_mean":
        return tuple(steps[k] for k in groups.weighted.members)
    if kind == "isochron":
        assert groups.isochron is not None
        return groups.isochron.members
    return groups.integrated.members


def _mswd(groups: GroupValues, kind: str) -> float | None:
    if kind == "plateau":
        assert groups.plateau is not None
        return _num(groups.plateau.mswd)
    if kind == "weighted_mean":
        return _num(groups.weighted.mswd)
    if kind == "isochron":
        assert groups.isochron_fit is not None
        return _num(groups.isochron_fit.mswd)
    return None  # an integrated age has no MSWD


def preferred_block(reduction: Reduction, groups: GroupValues, kind: str, units: str) -> Json:
    """``preferred{}``: the chosen age, every group age, constants and what was chosen."""
    ages = group_ages(groups)
    prefix = {"weighted_mean": "weighted", "plateau": "plateau"}.get(kind, kind)
    age, age_err = ages[f"{prefix}_age"], ages[f"{prefix}_age_err"]
    results = reduction.results
    c = reduction.constants
    lambdas = {results[i].lambda_k for i in groups.steps}
    return {
        "age": age,
        "age_err": age_err,
        "ages": ages,
        "arar_constants": {
            "abundance_sensitivity": c.abundance_sensitivity,
            "atm4036": c.atmosphere.atm4036,
            "atm4036_err": c.atmosphere.atm4036_err,
            "atm4038": c.atmosphere.atm4038,
            "atm4038_err": c.atmosphere.atm4038_err,
            "fixed_k3739": c.fixed_k3739[0],
            "fixed_k3739_err": c.fixed_k3739[1],
            "lambda_Ar37": c.lambda_ar37,
            "lambda_Ar37_err": 0.0,
            "lambda_Ar39": c.lambda_ar39,
            "lambda_Ar39_err": 0.0,
            "lambda_Cl36": c.lambda_cl36,
            "lambda_Cl36_err": 0.0,
            "lambda_k": lambdas.pop() if len(lambdas) == 1 else c.decay.total,
            "lambda_k_err": c.decay.total_err,
        },
        "display_age_units": units,
        "include_j_error_in_mean": True,
        "include_j_error_in_plateau": False,
        "include_j_position_error": False,
        "mswd": _mswd(groups, kind),
        "nanalyses": len(_members(groups, kind)),
        "preferred_kinds": [
            {
                "attr": "age", "error": age_err, "error_kind": ERROR_KINDS[kind],
                "kind": KIND_LABELS[kind], "unit": units, "value": age, "weighting": "",
            }
        ],
    }  # fmt: skip


def sample_metadata(analysis: Analysis) -> dict[str, Json]:
    main = analysis.main
    out: dict[str, Json] = {key: getattr(main, key) or "" for key in SAMPLE_KEYS}
    out.update(
        irradiation=main.irradiation or "",
        irradiation_level=main.irradiation_level or "",
        irradiation_position=main.irradiation_position,
        latitude=main.latitude,
        longitude=main.longitude,
    )
    return out


def ardvc_block(
    reduction: Reduction, groups: GroupValues, kind: str, head: str, excluded: list[str]
) -> dict[str, Json]:
    """What Pychron leaves unrecorded: how, from what and over which steps."""
    results = reduction.results

    def ids(indices: tuple[int, ...]) -> list[str]:
        return [results[i].record_id for i in indices]

    def step_ids(positions: tuple[int, ...]) -> list[str]:
        """Record IDs of positions within ``groups.steps``."""
        return ids(tuple(groups.steps[k] for k in positions))

    first = results[groups.steps[0]]
    p, iso, fit = groups.plateau, groups.isochron, groups.isochron_fit
    return {
        "version": __version__,
        "data": {"repo": first.repo, "commit": head},
        "meta": {"repo": first.provenance.get("meta_repo"), "commit": reduction.meta_commit},
        "conventions": reduction.conventions.as_dict(),
        "constants": reduction.constants.as_dict(),
        "preferred": kind,
        "errors": ERROR_RECIPES,
        "excluded": excluded,
        "omitted": ids(groups.omitted),
        "j": groups.j,
        "j_rel_error": groups.j_rel_error,
        "weighted_mean": {
            "steps": ids(_members(groups, "weighted_mean")),
            "dropped_zero_error": step_ids(groups.weighted.dropped),
            "mswd": _num(groups.weighted.mswd),
        },
        "plateau": None if p is None else {
            "steps": ids(_members(groups, "plateau")),
            "mean_steps": step_ids(p.mean_indices),
            "mswd": _num(p.mswd), "gas_fraction": p.gas_fraction,
            "criteria": {"nsteps": p.criteria.nsteps, "overlap_sigma": p.criteria.overlap_sigma,
                         "gas_fraction": p.criteria.gas_fraction, "method": str(p.criteria.method),
                         "pychron_compat": p.criteria.pychron_compat},
        },
        "integrated": {"steps": ids(groups.integrated.members)},
        "isochron": None if iso is None or fit is None else {
            "steps": ids(iso.members), "mswd": _num(fit.mswd),
            "trapped_4036": _num(fit.trapped_4036), "trapped_4036_err": _num(fit.trapped_4036_err),
        },
        "analyses": {
            results[i].record_id: {
                "files": results[i].provenance.get("files", {}),
                "meta_files": results[i].provenance.get("meta_files", {}),
            }
            for i in groups.steps
        },
    }  # fmt: skip


def ia_content(
    analyses: list[Analysis],
    reduction: Reduction,
    groups: GroupValues,
    *,
    kind: str,
    name: str,
    head: str,
    excluded: list[str],
) -> dict[str, Json]:
    """The whole 2022 file for the reduced ``analyses`` (in ``reduction.results`` order)."""
    chain = reduction.chain
    assert chain is not None
    scale = reduction.constants.age_scale
    if scale not in UNITS:
        raise UsageError(f"no age unit for an age scale of {scale:g} years")
    units = UNITS[scale]
    on_plateau = set(_members(groups, "plateau")) if groups.plateau is not None else set()
    entries = [
        analysis_entry(analyses[i], reduction.results[i], chain, reduction.rows[i],
                       i in on_plateau, units)
        for i in groups.steps
    ]  # fmt: skip
    main = analyses[groups.steps[0]].main
    return {
        "analyses": entries,
        "ardvc": ardvc_block(reduction, groups, kind, head, excluded),
        "collection_metadata": {"instrument": main.mass_spectrometer or "", "technique": "Ar/Ar"},
        "name": name,
        "preferred": preferred_block(reduction, groups, kind, units),
        "sample_metadata": sample_metadata(analyses[groups.steps[0]]),
        "session_metadata": {"date": datetime.now().isoformat()},
        "uuid": str(uuidlib.uuid4()),
    }
