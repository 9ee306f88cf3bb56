"""Ragged series in, padded blocks out: the input side of :func:`fit_batch`.

Series arrive either as (N, P) arrays padded with NaN (a slot is absent when its t is
NaN) or as lists of 1-D arrays. Work is done in blocks of similar length, padded only to
the longest series of the block, so 60-point baselines never pay for 340-point signals
and memory stays bounded however many series are fitted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from ardvc.errors import UsageError
from ardvc.reduce.ols import BoolArray, FloatArray, IntArray

BLOCK = 2048
"""Series per block: large enough to amortise NumPy call overhead, small enough that a
block's temporaries (a few (BLOCK, P) arrays) stay in cache-friendly sizes."""

SeriesLike = npt.ArrayLike | Sequence[npt.ArrayLike]
ExcludedLike = npt.ArrayLike | Sequence[Sequence[int] | None] | None


class SeriesSet:
    """N series of (t, y) with optional user exclusions, addressable in blocks."""

    def __init__(self, t: SeriesLike, y: SeriesLike, user_excluded: ExcludedLike = None):
        self._t2: FloatArray | None = None
        self._y2: FloatArray | None = None
        self._tl: list[FloatArray] = []
        self._yl: list[FloatArray] = []
        if isinstance(t, np.ndarray) and t.ndim == 2:
            y2 = np.asarray(y, dtype=np.float64)
            if y2.shape != t.shape:
                raise UsageError(f"t {t.shape} and y {y2.shape} differ in shape")
            self._t2 = np.asarray(t, dtype=np.float64)
            self._y2 = y2
            present = ~np.isnan(self._t2)
            last = np.where(
                present.any(axis=1), present.shape[1] - np.argmax(present[:, ::-1], 1), 0
            )
            self.lengths: IntArray = last.astype(np.int64)
        elif isinstance(t, np.ndarray) and t.ndim == 1 and t.dtype != object:
            self._tl = [np.asarray(t, dtype=np.float64)]
            self._yl = [np.asarray(y, dtype=np.float64)]
            self.lengths = np.array([t.size], dtype=np.int64)
        else:
            self._tl = [np.asarray(a, dtype=np.float64).ravel() for a in t]  # type: ignore[union-attr]
            self._yl = [np.asarray(a, dtype=np.float64).ravel() for a in y]  # type: ignore[union-attr]
            if len(self._tl) != len(self._yl):
                raise UsageError(f"{len(self._tl)} t series but {len(self._yl)} y series")
            for i, (ti, yi) in enumerate(zip(self._tl, self._yl, strict=True)):
                if ti.shape != yi.shape:
                    raise UsageError(f"series {i}: t has {ti.size} points, y has {yi.size}")
            self.lengths = np.array([a.size for a in self._tl], dtype=np.int64)
        self.width = int(self.lengths.max(initial=0))
        self._user = _normalise_excluded(user_excluded, self.lengths, self._t2)

    def __len__(self) -> int:
        return len(self.lengths)

    def block(self, idx: IntArray) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:
        """(t, y, present, user_excluded) of the series ``idx``, padded to their longest."""
        width = int(self.lengths[idx].max(initial=0))
        if self._t2 is not None and self._y2 is not None:
            t = self._t2[idx, :width]
            y = self._y2[idx, :width]
        else:
            t = np.full((len(idx), width), np.nan)
            y = np.full((len(idx), width), np.nan)
            for row, i in enumerate(idx):
                size = self._tl[i].size
                t[row, :size] = self._tl[i]
                y[row, :size] = self._yl[i]
        present = ~np.isnan(t)
        user = np.zeros((len(idx), width), dtype=bool)
        if isinstance(self._user, np.ndarray):
            user = self._user[idx, :width] & present
        elif self._user is not None:
            for row, i in enumerate(idx):
                picks = self._user[i]
                if picks is not None and len(picks):
                    user[row, np.asarray(picks, dtype=np.int64)] = True
        return t, y, present, user


def blocks(indices: IntArray, lengths: IntArray, size: int = BLOCK) -> Iterator[IntArray]:
    """``indices`` sorted by series length, cut into blocks of at most ``size``."""
    order = indices[np.argsort(lengths[indices], kind="stable")]
    for start in range(0, len(order), size):
        yield order[start : start + size]


def _normalise_excluded(
    user: ExcludedLike, lengths: IntArray, padded: FloatArray | None
) -> BoolArray | list[Sequence[int] | None] | None:
    if user is None:
        return None
    if isinstance(user, np.ndarray) and user.dtype == bool:
        width = padded.shape[1] if padded is not None else int(lengths.max(initial=0))
        if user.shape != (len(lengths), width):
            raise UsageError(
                f"user_excluded mask {user.shape} does not match the series {(len(lengths), width)}"
            )
        mask: BoolArray = user
        return mask
    rows = list(user)  # type: ignore[arg-type]
    if len(rows) != len(lengths):
        raise UsageError(f"{len(rows)} user_excluded lists for {len(lengths)} series")
    for i, picks in enumerate(rows):
        if picks is None:
            continue
        arr = np.asarray(picks, dtype=np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= lengths[i]):
            raise UsageError(
                f"series {i}: user_excluded index out of range 0…{lengths[i] - 1}: "
                f"{sorted(int(v) for v in arr if v < 0 or v >= lengths[i])}"
            )
    return rows
