"""The base64 ``>ff`` blob codec of raw signal, baseline and sniff data.

A blob is base64 of consecutive ``(t, y)`` float32 pairs; the byte order comes from the
``format`` string (``">ff"`` big-endian in data files, ``"<ff"`` in extraction response
streams). An empty blob decodes to empty arrays (Pychron's unpacker crashes on it).
"""

from __future__ import annotations

import base64
import binascii

import numpy as np
import numpy.typing as npt

from ardvc.errors import UsageError

FloatArray = npt.NDArray[np.float64]
DEFAULT_FORMAT = ">ff"


def _pair_dtype(fmt: str) -> np.dtype[np.float32]:
    order = fmt[:1] if fmt[:1] in "<>!=@" else ">"
    body = fmt[1:] if fmt[:1] in "<>!=@" else fmt
    if body != "ff":
        raise UsageError(f"unsupported blob format {fmt!r}: only float32 pairs ('ff')")
    byteorder = {"<": "<", ">": ">", "!": ">", "=": "=", "@": "="}[order]
    return np.dtype(f"{byteorder}f4")


def decode_pairs(blob: str | bytes, fmt: str = DEFAULT_FORMAT) -> tuple[FloatArray, FloatArray]:
    """Decode a blob into ``(t, y)`` as float64 arrays."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UsageError(f"invalid base64 blob: {exc}") from exc
    dtype = _pair_dtype(fmt)
    if len(raw) % (2 * dtype.itemsize):
        raise UsageError(f"blob of {len(raw)} bytes is not a whole number of {fmt} pairs")
    values = np.frombuffer(raw, dtype=dtype).astype(np.float64)
    return values[0::2].copy(), values[1::2].copy()


def encode_pairs(t: npt.ArrayLike, y: npt.ArrayLike, fmt: str = DEFAULT_FORMAT) -> str:
    """Encode ``(t, y)`` as Pychron does: interleaved float32 pairs, base64 text."""
    ta = np.asarray(t, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if ta.shape != ya.shape or ta.ndim != 1:
        raise UsageError("t and y must be 1-D arrays of the same length")
    pairs = np.empty(ta.size * 2, dtype=_pair_dtype(fmt))
    pairs[0::2] = ta
    pairs[1::2] = ya
    return base64.b64encode(pairs.tobytes()).decode("ascii")
