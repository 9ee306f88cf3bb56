"""Publication figures of a reduced sample, and writing them to a file.

``age_spectrum`` and ``inverse_isochron`` return :class:`matplotlib.figure.Figure` objects
drawn by Agg without pyplot (no global figure registry, safe in servers and threads);
``save`` writes one as PNG, PDF or SVG, by suffix, atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from ardvc.errors import UsageError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.report.isochron import inverse_isochron
from ardvc.report.spectrum import age_spectrum

__all__ = ["FORMATS", "age_spectrum", "inverse_isochron", "render", "save"]

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
# no creation date in PDF/SVG, so the same figure gives the same bytes (diffable, cacheable)
_METADATA: dict[str, dict[str, str | None]] = {
    "png": {"Software": "ardvc (matplotlib)"},
    "pdf": {"CreationDate": None, "Creator": "ardvc (matplotlib)"},
    "svg": {"Date": None, "Creator": "ardvc (matplotlib)"},
}


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        what = f"unknown file type {path.suffix!r}" if path.suffix else "no file suffix"
        raise UsageError(
            f"cannot write a figure as {path.name!r}: {what}",
            hint="name the file .png, .pdf or .svg",
        )
    return fmt


def render(fig: Figure, fmt: str, *, dpi: int = 300) -> bytes:
    """The figure's bytes as ``png``, ``pdf`` or ``svg`` (dpi matters for PNG only)."""
    if fmt not in _METADATA:
        raise UsageError(f"unknown figure format {fmt!r}", hint="use png, pdf or svg")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    return buffer.getvalue()


def save(fig: Figure, path: Path | str, *, dpi: int = 300) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) so a reader sees the old file or
    the whole new one; an unknown suffix is refused before anything is written."""
    target = Path(path)
    data = render(fig, _format_of(target), dpi=dpi)
    atomic_write_bytes(target, data)
    return target
