"""``<Irradiation>/chronology.txt``: the irradiation segments (pychron-format.md §8.2).

One segment per line, ``power,start,end`` with times ``%Y-%m-%d %H:%M:%S`` in naive local
lab time. Like Pychron, lines that do not split into exactly three fields are skipped (an
empty file is a valid chronology with zero segments) and an unparsable date or power is an
error. Unlike Pychron, the skipped lines are reported (:attr:`Chronology.skipped`), and the
writer refuses times it cannot write faithfully (microseconds, time zones) instead of
producing a line no reader can parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ardvc.errors import MissingInputError, UsageError
from ardvc.formats.metabase import FileRef, check_finite, text_of

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""The only time format Pychron reads in a chronology."""


@dataclass(frozen=True, slots=True)
class ChronologySegment:
    """One irradiation interval at relative reactor ``power`` (naive local times)."""

    power: float
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """Naive difference, as Pychron's decay factors use it (reduction-math §5)."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Chronology:
    """The segments of one irradiation, in file order.

    ``skipped`` holds the 1-based numbers of non-blank lines that were not three fields
    (Pychron skips them silently; ardvc skips them too but says so).
    """

    segments: tuple[ChronologySegment, ...]
    path: str | None = None
    skipped: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def is_empty(self) -> bool:
        return not self.segments

    @property
    def irradiation_time(self) -> datetime:
        """Start of the first segment: "the irradiation time" of the chlorine decay term."""
        if not self.segments:
            raise MissingInputError(
                f"chronology {self.path or ''} has no segments, so there is no irradiation time",
                hint="enter the irradiation segments (power,start,end) in chronology.txt",
            )
        return self.segments[0].start

    @property
    def total_duration(self) -> timedelta:
        return sum((s.duration for s in self.segments), timedelta())


def _parse_time(text: str, ref: FileRef, lineno: int) -> datetime:
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError as exc:
        raise ref.corrupt(f"line {lineno}: unparsable time {text.strip()!r} ({exc})") from exc


def parse_lines(lines: Iterable[str], ref: FileRef) -> Chronology:
    """Parse chronology lines; ``ref`` names the file in errors."""
    segments: list[ChronologySegment] = []
    skipped: list[int] = []
    for lineno, line in enumerate(lines, start=1):
        fields = line.strip().split(",")
        if len(fields) != 3:
            if line.strip():
                skipped.append(lineno)
            continue
        power_text, start_text, end_text = fields
        try:
            power = float(power_text.strip())
        except ValueError as exc:
            raise ref.corrupt(f"line {lineno}: unparsable power {power_text.strip()!r}") from exc
        start = _parse_time(start_text, ref, lineno)
        end = _parse_time(end_text, ref, lineno)
        segments.append(ChronologySegment(power, start, end))
    return Chronology(tuple(segments), ref.path, tuple(skipped))


def decode_chronology(
    raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None
) -> Chronology:
    """Decode ``chronology.txt`` bytes (LF or CRLF line ends)."""
    ref = FileRef(path, repo, commit)
    return parse_lines(text_of(raw, ref).splitlines(), ref)


def _format_time(value: datetime, what: str) -> str:
    if value.tzinfo is not None:
        raise UsageError(
            f"chronology {what} {value.isoformat()} carries a time zone; chronology.txt holds "
            "naive local lab time",
            hint="convert to the lab's local time and drop tzinfo",
        )
    if value.microsecond:
        raise UsageError(
            f"chronology {what} {value.isoformat()} has microseconds; chronology.txt stores "
            "whole seconds and Pychron cannot parse anything finer",
            hint="round the time to the second",
        )
    return value.strftime(TIME_FORMAT)


def format_segment(segment: ChronologySegment) -> str:
    """One line as real files have it: ``1.0,2021-11-01 09:50:00,2021-11-01 14:20:00``.

    Power is Python's ``repr`` of the float (``1.0``, ``0.8``), which is what every file
    written since 2017 contains; Pychron's ``%0.3f`` branch (``1.000``) appears only in files
    of 2016-2017 and reads back to the same number.
    """
    power = check_finite(segment.power, "chronology power")
    if power < 0:
        raise UsageError(f"chronology power must not be negative, got {power!r}")
    start = _format_time(segment.start, "start")
    end = _format_time(segment.end, "end")
    if segment.end < segment.start:
        raise UsageError(f"chronology segment ends ({end}) before it starts ({start})")
    return f"{power!r},{start},{end}"


def encode_chronology(segments: Iterable[ChronologySegment]) -> bytes:
    """Every segment on its own ``\\n``-terminated line; zero segments → an empty file."""
    return "".join(format_segment(s) + "\n" for s in segments).encode("ascii")
