"""Extraction ``extraction/<tail>.extr.json`` (pychron-format.md §5.7).

How the gas was released: device, power/temperature, durations, holder positions and the
heating response. Legacy variants that must load: positions as int, string (``"5"`` in
IR998) or null; an empty positions list (means one unknown position); 2017
``request``/``response``/``sblob`` text blobs instead of the ``<ff`` response streams;
``grain_polygon_blob`` instead of ``grain_polygons``; early ``duration``/``cleanup`` keys.
Response streams are not always the documented ``<ff`` pairs (:class:`ResponseStream`).
"""

from __future__ import annotations

import base64
import binascii
import codecs
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from msgspec import field

from ardvc.errors import UsageError
from ardvc.formats.blobs import FloatArray
from ardvc.formats.schema import FileStruct

STREAM_FORMAT = "<ff"
"""Response streams are little-endian ``(t, value)`` float32 pairs, unlike the ``>ff``
signal blobs; the first pair is ``(start epoch as float32, 0)``."""
StreamName = Literal["measured_response", "requested_output", "setpoint_stream"]
LegacyTextName = Literal["request", "response", "sblob"]


@dataclass(frozen=True, slots=True)
class ResponseStream:
    """A decoded response stream and how it was stored.

    ``encoding`` is ``pairs`` (base64 of ``<ff`` pairs, the documented form),
    ``bytes_repr`` (Python 3 ``str(bytes)`` text, ``b"\\xb1…"``, written by Pychron
    ≈2019 — the escapes are decoded, never evaluated), ``text`` (e.g. ``"No Response"``) or
    ``undecodable`` (truncated or of unknown layout; ``note`` says why). ``t``/``value``
    are empty unless the encoding is ``pairs`` or ``bytes_repr``.
    """

    encoding: Literal["pairs", "bytes_repr", "text", "undecodable"]
    t: FloatArray
    value: FloatArray
    text: str | None = None
    note: str | None = None

    @property
    def decoded(self) -> bool:
        return self.encoding in {"pairs", "bytes_repr"}


def _pairs(payload: bytes, encoding: Literal["pairs", "bytes_repr"]) -> ResponseStream | None:
    if len(payload) % 8:
        return None
    values = np.frombuffer(payload, dtype="<f4").astype(np.float64)
    return ResponseStream(encoding, values[0::2].copy(), values[1::2].copy())


def decode_stream(blob: str) -> ResponseStream:
    """Classify and decode one base64 response stream (see :class:`ResponseStream`)."""
    try:
        payload = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UsageError(f"response stream is not base64: {exc}") from exc
    empty = np.empty(0, dtype=np.float64)
    if payload[:1] == b"b" and payload[1:2] in (b"'", b'"', b""):
        quote = payload[1:2]
        if len(payload) >= 3 and payload.endswith(quote):
            inner = codecs.escape_decode(payload[2:-1])[0]
            decoded = _pairs(inner, "bytes_repr")
            if decoded is not None:
                return decoded
            note = f"bytes repr holds {len(inner)} bytes, not whole <ff pairs"
        else:
            note = f"bytes repr truncated after {len(payload)} characters"
        return ResponseStream("undecodable", empty, empty, note=note)
    if payload and payload.isascii() and payload.decode("ascii").isprintable():
        return ResponseStream("text", empty, empty, text=payload.decode("ascii"))
    decoded = _pairs(payload, "pairs")
    if decoded is not None:
        return decoded
    note = f"{len(payload)} bytes are not whole <ff pairs"
    return ResponseStream("undecodable", empty, empty, note=note)


class Position(FileStruct, kw_only=True):
    """One holder position that was heated (``position`` may be an int, string or null)."""

    position: int | str | None = None
    x: float | None = None
    y: float | None = None
    z: float | None = None
    is_degas: bool = False

    @property
    def number(self) -> int | None:
        """The position as an int (``"5"`` → 5); ``None`` when absent or not a number."""
        if isinstance(self.position, int):
            return self.position
        if isinstance(self.position, str) and self.position.strip().lstrip("-").isdigit():
            return int(self.position)
        return None


class ExtractionFile(FileStruct, kw_only=True):
    """``.extr.json``: extraction settings, positions and heating response."""

    weight: float | None = None
    extract_device: str | None = None
    tray: str | None = None
    extract_value: float | None = None
    extract_units: str | None = None
    load_name: str | None = None
    load_holder: str | None = None
    extract_duration: float | None = None
    cleanup_duration: float | None = None
    pre_cleanup_duration: float | None = None
    post_cleanup_duration: float | None = None
    cryo_temperature: float | None = None
    light_value: float | None = None
    pattern: str | None = None
    beam_diameter: str | float | None = None
    ramp_duration: float | None = None
    ramp_rate: float | None = None
    snapshots: list[Any] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    grain_polygons: list[Any] | None = None
    grain_polygon_blob: list[str] | None = None
    extraction_context: dict[str, Any] | None = None
    pid: str | None = None
    positions: list[Position] = field(default_factory=list)
    commit: str | None = None
    pipette_counts: list[Any] | None = None
    timestamp: str | None = None
    measured_response: str | None = None
    requested_output: str | None = None
    setpoint_stream: str | None = None
    # 2017 files: base64 text ("No Response") instead of response streams
    request: str | None = None
    response: str | None = None
    sblob: str | None = None
    # earliest Pychron spellings of the two durations
    duration: float | None = None
    cleanup: float | None = None

    @property
    def effective_positions(self) -> list[Position]:
        """Positions, with an empty list meaning one unknown position (Pychron's ``[{}]``)."""
        return self.positions or [Position()]

    @property
    def position_numbers(self) -> list[int | None]:
        return [p.number for p in self.effective_positions]

    @property
    def extract_duration_s(self) -> float | None:
        return self.extract_duration if self.extract_duration is not None else self.duration

    @property
    def cleanup_duration_s(self) -> float | None:
        return self.cleanup_duration if self.cleanup_duration is not None else self.cleanup

    @property
    def has_streams(self) -> bool:
        return any(
            s is not None
            for s in (self.measured_response, self.requested_output, self.setpoint_stream)
        )

    def stream(self, name: StreamName) -> ResponseStream | None:
        """The ``(t, value)`` series of a response stream, classified by how it was stored;
        ``None`` when the file has no such stream (null or missing key)."""
        blob: str | None = getattr(self, name)
        return None if blob is None else decode_stream(blob)

    def legacy_text(self, name: LegacyTextName) -> str | None:
        """Decoded text of a 2017 ``request``/``response``/``sblob`` (e.g. "No Response")."""
        blob: str | None = getattr(self, name)
        if blob is None:
            return None
        try:
            return base64.b64decode(blob, validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise UsageError(f"extraction {name!r} is not base64 text: {exc}") from exc
