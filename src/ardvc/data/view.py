"""A flat, printable view of an analysis: metadata and one row per isotope.

Shared by ``ardvc show`` (table/JSON) and later the web UI, so both say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ardvc.data.analysis import Analysis


@dataclass(frozen=True, slots=True)
class Measured:
    value: float | None
    error: float | None

    def text(self, digits: int = 7) -> str:
        """Short display form; JSON output carries the full values."""
        if self.value is None:
            return "—"
        err = "—" if self.error is None else f"{self.error:.2g}"
        return f"{self.value:.{digits}g} ± {err}"


@dataclass(frozen=True, slots=True)
class IsotopeRow:
    isotope: str
    detector: str
    fit: str | None
    n: int | None
    fn: int | None
    intercept: Measured
    baseline: Measured
    blank: Measured
    icfactor: Measured


def _measured(entry: Any) -> Measured:
    if entry is None or getattr(entry, "is_empty", False):
        return Measured(None, None)
    return Measured(entry.effective_value, entry.effective_error)


def isotope_rows(analysis: Analysis) -> list[IsotopeRow]:
    intercepts = analysis.intercepts
    baselines = analysis.baselines
    blanks = analysis.blanks
    icfactors = analysis.icfactors.by_detector() if analysis.icfactors else {}
    rows = []
    for key, detector in analysis.isotope_detectors():
        fit = intercepts.get(key) if intercepts else None
        rows.append(
            IsotopeRow(
                isotope=key,
                detector=detector,
                fit=fit.fit if fit else None,
                n=fit.n if fit else None,
                fn=fit.fn if fit else None,
                intercept=_measured(fit),
                baseline=_measured(baselines.get(detector) if baselines else None),
                blank=_measured(blanks.get(key) if blanks else None),
                icfactor=_measured(icfactors.get(detector)),
            )
        )
    return rows


def metadata(analysis: Analysis) -> dict[str, Any]:
    main = analysis.main
    position = None
    if main.irradiation:
        position = f"{main.irradiation} {main.irradiation_level} {main.irradiation_position}"
    return {
        "run_id": main.record_id,
        "uuid": main.uuid,
        "repository": analysis.repo,
        "commit": analysis.commit,
        "path": analysis.path(None),
        "analysis_type": main.normalised_analysis_type,
        "tag": analysis.tag,
        "timestamp": main.timestamp,
        "mass_spectrometer": main.mass_spectrometer,
        "identifier": main.identifier,
        "sample": main.sample,
        "material": main.material,
        "project": main.project,
        "principal_investigator": main.principal_investigator,
        "irradiation": position,
        "extract_device": analysis.extraction.extract_device if analysis.extraction else None,
        "comment": main.comment,
    }


def as_dict(analysis: Analysis) -> dict[str, Any]:
    """JSON-ready: metadata plus isotope rows (values as numbers, never formatted)."""
    return {**metadata(analysis), "isotopes": [asdict(r) for r in isotope_rows(analysis)]}
