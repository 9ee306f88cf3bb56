"""MetaRepo reads that belong to instruments rather than irradiations: holder geometries,
spectrometer sensitivities and gains, molecular weights, the cocktail file (§8.5, §8.6)."""

from __future__ import annotations

from datetime import datetime

from ardvc.errors import FileNotInRepoError, UsageError
from ardvc.formats.holders import (
    HOLDER_DIRS,
    HOLDER_SUFFIX,
    Holder,
    HolderKind,
    decode_holder,
    holder_path,
)
from ardvc.formats.metabase import FileRef
from ardvc.formats.names import check_safe_name
from ardvc.formats.spectrometer import (
    COCKTAIL_PATH,
    GAIN_SUFFIX,
    MOLECULAR_WEIGHTS_PATH,
    SENS_SUFFIX,
    SPECTROMETER_DIR,
    Cocktail,
    SensitivityRecord,
    decode_cocktail,
    decode_number_map,
    decode_sensitivities,
    select_sensitivity,
)
from ardvc.meta.base import MetaBase
from ardvc.meta.errors import (
    HolderNotFoundError,
    SensitivityNotFoundError,
    SpectrometerNotFoundError,
)


class InstrumentReader(MetaBase):
    """Holders, spectrometers and constants at any revision (default HEAD)."""

    def holders(self, kind: HolderKind = "irradiation", rev: str | None = None) -> list[str]:
        if kind not in HOLDER_DIRS:
            raise UsageError(f"unknown holder kind {kind!r}: use 'irradiation' or 'load'")
        return self._names(HOLDER_DIRS[kind], self.commit_id(rev), HOLDER_SUFFIX)

    def holder(self, name: str, kind: HolderKind = "irradiation", rev: str | None = None) -> Holder:
        """A holder geometry (``kind`` ``"irradiation"`` or ``"load"``)."""
        commit = self.commit_id(rev)
        path = holder_path(name, kind)
        if name:
            check_safe_name(name, what="holder name")

        def decode(raw: bytes, ref: FileRef) -> Holder:
            return decode_holder(
                raw, name=name, kind=kind, path=ref.path, repo=ref.repo, commit=ref.commit
            )

        found = self._decoded("holder", path, commit, decode)
        if found is None:
            raise HolderNotFoundError(
                f"no {kind} holder {name!r} ({self.name}:{path} at {commit[:12]})"
            )
        return found

    def spectrometers(self, rev: str | None = None) -> list[str]:
        """Spectrometer names with a sensitivity file, as spelled in the file names."""
        return self._names(SPECTROMETER_DIR, self.commit_id(rev), SENS_SUFFIX)

    def _spectrometer_file(self, mass_spectrometer: str, suffix: str, commit: str) -> str:
        wanted = f"{mass_spectrometer}{suffix}".lower()
        tree = self._tree(SPECTROMETER_DIR, commit)
        for entry in tree or ():
            if entry.type_str == "blob" and (entry.name or "").lower() == wanted:
                return f"{SPECTROMETER_DIR}/{entry.name}"
        raise SpectrometerNotFoundError(
            f"no {SPECTROMETER_DIR}/{mass_spectrometer}{suffix} (any case) in "
            f"{self.name} at {commit[:12]}"
        )

    def sensitivities(
        self, mass_spectrometer: str, rev: str | None = None
    ) -> tuple[SensitivityRecord, ...]:
        """Every record of ``<ms>.sens.json`` in file order; the name is case-insensitive."""
        commit = self.commit_id(rev)
        path = self._spectrometer_file(mass_spectrometer, SENS_SUFFIX, commit)

        def decode(raw: bytes, ref: FileRef) -> tuple[SensitivityRecord, ...]:
            return decode_sensitivities(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded("sensitivity", path, commit, decode)
        assert found is not None  # the file was just listed in this commit's tree
        return found

    def sensitivity(self, mass_spectrometer: str, when: datetime, rev: str | None = None) -> float:
        """Sensitivity (mol/fA) for a run at naive local time ``when``."""
        commit = self.commit_id(rev)
        record = select_sensitivity(self.sensitivities(mass_spectrometer, commit), when)
        if record is None:
            raise SensitivityNotFoundError(
                f"{mass_spectrometer} has no sensitivity record dated before "
                f"{when:%Y-%m-%d %H:%M:%S} in {self.name} at {commit[:12]}",
                hint="add a sensitivity record (Pychron would have used 1e-17 mol/fA)",
            )
        return record.sensitivity

    def gains(self, mass_spectrometer: str, rev: str | None = None) -> dict[str, float]:
        """``<ms>.gain.json``: detector → gain (``{}`` is a valid, empty table)."""
        commit = self.commit_id(rev)
        path = self._spectrometer_file(mass_spectrometer, GAIN_SUFFIX, commit)
        return dict(self._number_map("gains", path, commit))

    def molecular_weights(self, rev: str | None = None) -> dict[str, float]:
        """``molecular_weights.json``: isotope or species → mass."""
        return dict(self._number_map("weights", MOLECULAR_WEIGHTS_PATH, self.commit_id(rev)))

    def _number_map(self, kind: str, path: str, commit: str) -> dict[str, float]:
        def decode(raw: bytes, ref: FileRef) -> dict[str, float]:
            return decode_number_map(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded(kind, path, commit, decode)
        if found is None:
            raise FileNotInRepoError(path, repo=self.name, rev=commit[:12])
        return found

    def cocktail(self, rev: str | None = None) -> Cocktail:
        """``cocktail.json`` (one zero-length dose and a fixed J)."""
        commit = self.commit_id(rev)

        def decode(raw: bytes, ref: FileRef) -> Cocktail:
            return decode_cocktail(raw, path=ref.path, repo=ref.repo, commit=ref.commit)

        found = self._decoded("cocktail", COCKTAIL_PATH, commit, decode)
        if found is None:
            raise FileNotInRepoError(COCKTAIL_PATH, repo=self.name, rev=commit[:12])
        return found
