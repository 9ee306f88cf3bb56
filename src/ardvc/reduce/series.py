"""Ragged series in, padded blocks out: the input side of :func:`fit_batch`.

Series arrive either as (N, P) arrays padded with NaN (a slot is absent when its t is
NaN) or as lists of 1-D arrays. Work is done in blocks of series of one padded width, so
60-point baselines never pay for 340-point signals and memory stays bounded however many
series are fitted.

The padded width is a function of the series' own length only (:func:`padded_width`):
NumPy's pairwise sums then see the same row whatever else is in the batch, so a series'
result is bit-for-bit the same fitted alone or among 100,000 others. Stored results do not
churn with the selection a reduction happened to run on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from ardvc.errors import UsageError
from ardvc.reduce.ols import BoolArray, FloatArray, IntArray

BLOCK = 1024
"""Series per block: large enough to amortise NumPy call overhead, small enough that a
block's temporaries (a few (BLOCK, P) arrays) stay in cache-friendly sizes."""

PAD_TO = 8
"""Widths are rounded up to a multiple of this (≤ 7 wasted slots per series)."""

SeriesLike = npt.ArrayLike | Sequence[npt.ArrayLike]
ExcludedLike = npt.ArrayLike | Sequence[Sequence[int] | None] | None


class SeriesSet:
    """N series of (t, y) with optional user exclusions, addressable in blocks."""

    def __init__(self, t: SeriesLike, y: SeriesLike, user_excluded: ExcludedLike = None):
        self._t2: FloatArray | None = None
        self._y2: FloatArray | None = None
        if isinstance(t, np.ndarray) and t.ndim == 2:
            y2 = np.asarray(y, dtype=np.float64)
            if y2.shape != t.shape:
                raise UsageError(f"t {t.shape} and y {y2.shape} differ in shape")
            self._t2 = np.asarray(t, dtype=np.float64)
            self._y2 = y2
            present = ~np.isnan(self._t2)
            last = present.shape[1] - np.argmax(present[:, ::-1], axis=1)
            self.lengths: IntArray = np.where(present.any(axis=1), last, 0).astype(np.int64)
        else:
            t_list, y_list = _as_list(t), _as_list(y)
            if len(t_list) != len(y_list):
                raise UsageError(f"{len(t_list)} t series but {len(y_list)} y series")
            self.lengths = np.array([a.size for a in t_list], dtype=np.int64)
            y_lengths = np.array([a.size for a in y_list], dtype=np.int64)
            if np.any(y_lengths != self.lengths):
                i = int(np.flatnonzero(y_lengths != self.lengths)[0])
                raise UsageError(
                    f"series {i}: t has {self.lengths[i]} points, y has {y_lengths[i]}"
                )
            self._starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
            self._flat_t = _flat(t_list)
            self._flat_y = _flat(y_list)
        self.width = int(self.lengths.max(initial=0))
        self._user = _normalise_excluded(user_excluded, self.lengths, self._t2)

    def __len__(self) -> int:
        return len(self.lengths)

    def block(self, idx: IntArray) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:
        """(t, y, present, user_excluded) of the series ``idx`` (one :func:`blocks` block),
        padded with NaN to their common :func:`padded_width`."""
        width = int(padded_width(self.lengths[idx]).max(initial=0))
        if self._t2 is not None and self._y2 is not None:
            used = min(width, self._t2.shape[1])
            t = np.full((len(idx), width), np.nan)
            y = np.full((len(idx), width), np.nan)
            t[:, :used] = self._t2[idx, :used]
            y[:, :used] = self._y2[idx, :used]
        else:
            inside = np.arange(width) < self.lengths[idx, None]
            pos = np.where(inside, self._starts[idx, None] + np.arange(width), 0)
            t = np.where(inside, self._flat_t[pos], np.nan) if pos.size else pos * 1.0
            y = np.where(inside, self._flat_y[pos], np.nan) if pos.size else pos * 1.0
        present = ~np.isnan(t)
        user = np.zeros((len(idx), width), dtype=bool)
        if isinstance(self._user, np.ndarray):
            used = min(width, self._user.shape[1])
            user[:, :used] = self._user[idx, :used] & present[:, :used]
        elif self._user is not None:
            for row, i in enumerate(idx):
                picks = self._user[i]
                if picks:
                    user[row, np.asarray(picks, dtype=np.int64)] = True
        return t, y, present, user


def _as_list(series: SeriesLike) -> list[FloatArray]:
    """One 1-D array is one series; anything else iterable is a list of 1-D series."""
    if isinstance(series, np.ndarray) and series.ndim == 1 and series.dtype != object:
        return [series.astype(np.float64, copy=False)]
    arrays = [np.asarray(a, dtype=np.float64) for a in series]  # type: ignore[union-attr]
    if any(a.ndim != 1 for a in arrays):
        raise UsageError("each series must be a 1-D array")
    return arrays


def _flat(series: list[FloatArray]) -> FloatArray:
    return np.concatenate(series) if series else np.zeros(0)


def padded_width(lengths: IntArray) -> IntArray:
    """The width a series of each length is padded to."""
    result: IntArray = -(-lengths // PAD_TO) * PAD_TO
    return result


def blocks(indices: IntArray, lengths: IntArray, size: int = BLOCK) -> Iterator[IntArray]:
    """``indices`` grouped by padded width, cut into blocks of at most ``size``."""
    widths = padded_width(lengths[indices])
    order = np.argsort(widths, kind="stable")
    sorted_idx, sorted_w = indices[order], widths[order]
    edges = np.flatnonzero(np.diff(sorted_w)) + 1
    for group in np.split(sorted_idx, edges):
        for start in range(0, len(group), size):
            yield group[start : start + size]


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
    rows: list[Sequence[int] | None] = [
        None if picks is None else [int(v) for v in np.asarray(picks).ravel()]
        for picks in user  # type: ignore[union-attr]
    ]
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
