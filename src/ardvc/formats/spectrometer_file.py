"""Data-repository spectrometer files ``<spec_sha>.json`` at the root (pychron-format.md §5.9).

Source parameters, gains and deflections shared by many analyses, stored once under a name
derived from their content. Values stay exactly as decoded (``0`` vs ``0.0``, numbers as
strings) because the name is a hash of their *text*. Treat existing names as opaque: the
recipe reproduces Python-3-era and (with ``py2_floats``) Python-2-era names, but not files
whose ``settings`` hold nested objects (Cornudas, SwansonB).

(The MetaRepo's ``spectrometers/`` files live in :mod:`ardvc.formats.spectrometer`.)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from msgspec import field

from ardvc.formats.schema import FileStruct

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_INTEGRAL = re.compile(r"^-?\d+$")


class SpectrometerFile(FileStruct, kw_only=True):
    """``{"spectrometer", "gains", "deflections"[, "settings"]}``."""

    spectrometer: dict[str, Any] = field(default_factory=dict)
    gains: dict[str, Any] = field(default_factory=dict)
    deflections: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] | None = None

    def sha(self, *, py2_floats: bool = False) -> str:
        return spec_sha(
            self.settings, self.spectrometer, self.deflections, self.gains, py2_floats=py2_floats
        )

    def matches_name(self, name: str) -> bool:
        """Whether either float spelling reproduces ``name`` (a 40-hex file stem)."""
        return name in {self.sha(), self.sha(py2_floats=True)}


def py2_str(value: Any) -> str:
    """Python 2's ``str()`` of a float: 12 significant digits (``%.12g``), plus ``.0`` when
    that looks integral (``3250.0`` → ``"3250.0"``, ``1.66056166056166`` →
    ``"1.66056166056"``). Other values use Python 3 ``str``."""
    if isinstance(value, float):
        text = "%.12g" % value  # noqa: UP031 - printf semantics are the point
        return text + ".0" if _INTEGRAL.match(text) else text
    return str(value)


def spec_sha(
    settings: Mapping[str, Any] | None,
    spectrometer: Mapping[str, Any] | None,
    deflections: Mapping[str, Any] | None,
    gains: Mapping[str, Any] | None,
    *,
    py2_floats: bool = False,
) -> str:
    """Pychron's spectrometer-file name: SHA-1 over settings, spectrometer, deflections and
    gains in that order, each in sorted key order, feeding ``key`` then ``str(value)`` as
    UTF-8. ``py2_floats`` formats floats as Python 2 did (:func:`py2_str`)."""
    fmt = py2_str if py2_floats else str
    digest = hashlib.sha1(usedforsecurity=False)
    for part in (settings, spectrometer, deflections, gains):
        if not part:
            continue
        for key in sorted(part):
            digest.update(str(key).encode("utf-8"))
            digest.update(fmt(part[key]).encode("utf-8"))
    return digest.hexdigest()


def is_spectrometer_path(path: str) -> bool:
    """``<40 hex>.json`` at the repository root."""
    return "/" not in path and path.endswith(".json") and bool(SHA_RE.match(path[:-5]))
