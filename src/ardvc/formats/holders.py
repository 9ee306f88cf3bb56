"""Holder geometries ``irradiation_holders/*.txt`` and ``load_holders/*.txt`` (§8.5).

Header ``<shape-or-count>,<radius>[,<has_hole_ids>]`` (Pychron uses only the radius), then
one hole per line: ``x,y`` (header radius), ``x,y,r``, or with hole ids ``id,x,y`` (also
``id,x,y,r``). Blank lines and ``#`` comments are skipped, but implicit hole ids are the line
index + 1 over **all** lines after the header, so blank lines shift the numbering exactly as
in Pychron.

The ``r``-prefixed radius variant (``-6.75,19.801,r13.5`` in ``load_holders/10trough.txt``,
``16hole.txt``, ``18hole.txt``) cannot be parsed by Pychron's geometry loader (it calls
``float("r13.5")``). ardvc reads the ``r`` as a marker and the number after it as the hole
radius in the file's units; :attr:`Hole.radius_prefixed` records that it was written so,
and :func:`encode_holder` writes it back the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ardvc.errors import UsageError
from ardvc.formats.metabase import FileRef, check_finite, text_of

HolderKind = Literal["irradiation", "load"]
HOLDER_DIRS: dict[str, str] = {"irradiation": "irradiation_holders", "load": "load_holders"}
HOLDER_SUFFIX = ".txt"

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


@dataclass(frozen=True, slots=True)
class Hole:
    """One hole: ``id`` is the explicit id or the implicit ``line index + 1``."""

    id: str
    x: float
    y: float
    radius: float
    radius_prefixed: bool = False


@dataclass(frozen=True, slots=True)
class Holder:
    """A decoded holder file. ``shape`` is the header's first field (a hole count such as
    ``56`` for irradiation trays, or ``circle``/``square`` for load holders)."""

    name: str
    kind: str
    shape: str
    radius: float
    has_hole_ids: bool
    holes: tuple[Hole, ...]
    path: str | None = None

    @property
    def count(self) -> int | None:
        """The header count when the first field is an integer (often not the hole count)."""
        return int(self.shape) if self.shape.strip().isdigit() else None

    def hole(self, hole_id: str | int) -> Hole | None:
        key = str(hole_id)
        return next((h for h in self.holes if h.id == key), None)


def holder_path(name: str, kind: HolderKind) -> str:
    if kind not in HOLDER_DIRS:
        raise UsageError(f"unknown holder kind {kind!r}: use 'irradiation' or 'load'")
    return f"{HOLDER_DIRS[kind]}/{name}{HOLDER_SUFFIX}"


def _number(text: str, ref: FileRef, lineno: int, what: str) -> tuple[float, bool]:
    value = text.strip()
    prefixed = value[:1] in {"r", "R"}
    if prefixed:
        value = value[1:]
    try:
        number = float(value)
    except ValueError as exc:
        raise ref.corrupt(f"line {lineno}: unparsable {what} {text.strip()!r}") from exc
    if not math.isfinite(number):
        raise ref.corrupt(f"line {lineno}: {what} {text.strip()!r} is not finite")
    if prefixed and what != "radius":
        raise ref.corrupt(f"line {lineno}: only a radius may carry an 'r' prefix ({text!r})")
    return number, prefixed


def _header(line: str, ref: FileRef) -> tuple[str, float, bool]:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) not in (2, 3):
        raise ref.corrupt(f"line 1: holder header {line.strip()!r} is not shape,radius[,ids]")
    radius, _ = _number(fields[1], ref, 1, "header radius")
    has_ids = False
    if len(fields) == 3:
        flag = fields[2].lower()
        if flag not in _TRUE | _FALSE:
            raise ref.corrupt(f"line 1: hole-id flag {fields[2]!r} is not True/False")
        has_ids = flag in _TRUE
    return fields[0], radius, has_ids


def parse_holder(text: str, *, name: str, kind: str, ref: FileRef) -> Holder:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ref.corrupt("holder file has no header line")
    shape, radius, has_ids = _header(lines[0], ref)
    holes: list[Hole] = []
    for index, line in enumerate(lines[1:]):
        lineno = index + 2
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split(",")
        if has_ids:
            if len(fields) not in (3, 4):
                raise ref.corrupt(f"line {lineno}: expected id,x,y[,r], got {stripped!r}")
            hole_id, rest = fields[0].strip(), fields[1:]
        else:
            if len(fields) not in (2, 3):
                raise ref.corrupt(f"line {lineno}: expected x,y[,r], got {stripped!r}")
            hole_id, rest = str(index + 1), fields
        x, _ = _number(rest[0], ref, lineno, "x")
        y, _ = _number(rest[1], ref, lineno, "y")
        r, prefixed = (radius, False) if len(rest) == 2 else _number(rest[2], ref, lineno, "radius")
        holes.append(Hole(hole_id, x, y, r, prefixed))
    return Holder(name, kind, shape, radius, has_ids, tuple(holes), ref.path)


def decode_holder(
    raw: bytes,
    *,
    name: str,
    kind: str,
    path: str,
    repo: str | None = None,
    commit: str | None = None,
) -> Holder:
    """Decode a holder text file (LF or CRLF)."""
    ref = FileRef(path, repo, commit)
    return parse_holder(text_of(raw, ref), name=name, kind=kind, ref=ref)


def _fmt(value: float) -> str:
    return f"{check_finite(value, 'hole coordinate'):0.4f}"


def encode_holder(
    shape: str,
    radius: float,
    holes: Iterable[Hole],
    *,
    has_hole_ids: bool = False,
    write_radius: bool = True,
) -> bytes:
    """Holder text with Pychron's ``{:0.4f}`` coordinates, ``\\n``-terminated lines.

    ``write_radius=False`` writes ``x,y`` lines (every hole takes the header radius).
    """
    if "," in shape or "\n" in shape or not shape.strip():
        raise UsageError(f"holder shape {shape!r} must be one word or a count")
    header = f"{shape},{check_finite(radius, 'holder radius', positive=True)!r}"
    if has_hole_ids:
        header += ",True"
    lines = [header]
    for hole in holes:
        fields = [hole.id] if has_hole_ids else []
        fields += [_fmt(hole.x), _fmt(hole.y)]
        if write_radius:
            r = _fmt(hole.radius)
            fields.append(f"r{r}" if hole.radius_prefixed else r)
        lines.append(",".join(fields))
    return ("\n".join(lines) + "\n").encode("ascii")


def ring_holes(count: int, ring_radius: float, hole_radius: float) -> list[Hole]:
    """``count`` holes evenly spaced on a ring, hole 1 at 12 o'clock, clockwise."""
    if count < 1:
        raise UsageError("a ring needs at least one hole")
    holes: list[Hole] = []
    for i in range(count):
        angle = 2 * math.pi * i / count
        x = ring_radius * math.sin(angle)
        y = ring_radius * math.cos(angle)
        holes.append(Hole(str(i + 1), round(x, 4) + 0.0, round(y, 4) + 0.0, hole_radius))
    return holes
