"""Interference corrections: reactor-produced 39Ar, 37Ar, 38Ar and 36Ar from K and Ca
(reduction-math.md §6)."""

from __future__ import annotations

from dataclasses import dataclass

from ardvc.reduce.uncertain import UArray


@dataclass
class Interferences:
    k39: UArray
    k37: UArray
    ca37: UArray
    ca39: UArray
    k38: UArray
    ca36: UArray
    ca38: UArray


def correct(
    a39: UArray,
    a37: UArray,
    p: dict[str, UArray],
    *,
    mode: str = "normal",
    fixed_k3739: UArray | None = None,
    allow_negative_ca: bool = True,
) -> Interferences:
    """Split decay-corrected 39Ar and 37Ar into K- and Ca-derived parts.

    ``p`` maps production keys (K3739, Ca3937, …) to per-analysis uncertain ratios.
    """
    if mode == "normal":
        k39 = (a39 - p["Ca3937"] * a37) / (1 - p["K3739"] * p["Ca3937"])
        k37 = p["K3739"] * k39
        ca37 = a37 - k37
        if not allow_negative_ca:
            keep = (ca37.value > 0).astype(float)
            ca37 = ca37 * keep
        ca39 = p["Ca3937"] * ca37
    elif mode == "fixed_k3739":
        if fixed_k3739 is None:
            raise ValueError("fixed_k3739 mode needs the fixed (37/39)K ratio")
        x = fixed_k3739
        y = 1 / p["Ca3937"]
        ca37 = a39 * x * y / (x + y)
        ca39 = p["Ca3937"] * ca37
        k39 = a39 - ca39
        k37 = x * k39
    else:
        raise ValueError(f"unknown interference mode {mode!r}")
    k38 = p["K3839"] * k39
    ca36 = p["Ca3637"] * ca37
    ca38 = p["Ca3837"] * ca37
    return Interferences(k39, k37, ca37, ca39, k38, ca36, ca38)
