"""The base64 ``>ff`` codec on real blobs."""

from __future__ import annotations

import base64
import struct

import numpy as np
import orjson
import pygit2
import pytest

from ardvc.errors import UsageError
from ardvc.formats.blobs import decode_pairs, encode_pairs


def test_known_bytes_decode_big_endian() -> None:
    raw = struct.pack(">ff", 31.142, 960.155)
    t, y = decode_pairs(base64.b64encode(raw))
    assert t[0] == np.float32(31.142) and y[0] == np.float32(960.155)
    t2, y2 = decode_pairs(base64.b64encode(struct.pack("<ff", 1.5, 2.5)), "<ff")
    assert (t2[0], y2[0]) == (1.5, 2.5)


def test_empty_blob_gives_empty_arrays() -> None:
    t, y = decode_pairs("")
    assert t.size == 0 and y.size == 0


def test_bad_blobs_raise() -> None:
    with pytest.raises(UsageError):
        decode_pairs("QfkjFURw")  # 6 bytes: not whole pairs
    with pytest.raises(UsageError):
        decode_pairs("not base64!!")
    with pytest.raises(UsageError):
        decode_pairs("", ">dd")


@pytest.mark.shared
def test_real_blob_round_trips_exactly(bundle_bare) -> None:  # type: ignore[no-untyped-def]
    repo = pygit2.Repository(str(bundle_bare("Cornudas")))
    data = orjson.loads(
        repo.revparse_single(
            "c919ed7dbc538568b0964e28896dd3fdbdc235ab:d3/.data/f3b3a7-3cf5-4bb3-9c2d-f160f87397a9.dat.json"
        ).data
    )
    signal = next(s for s in data["signals"] if s["isotope"] == "Ar40")
    assert signal["blob"].startswith("QfkjFURwCe9C")
    t, y = decode_pairs(signal["blob"], data["format"])
    assert t.size == 340  # reduction-math §16.1
    # the reference quotes t and y rounded to 3 decimals
    assert abs(t[0] - 31.142) < 5e-4 and abs(y[0] - 960.155) < 5e-4
    assert abs(t[-1] - 395.765) < 1e-3
    assert encode_pairs(t, y, data["format"]) == signal["blob"]
