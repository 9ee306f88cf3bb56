"""Batched first-order error propagation by forward-mode derivatives.

A :class:`UArray` holds N values and their sensitivities to K independent inputs, already
scaled by each input's σ: ``jac[i, k] = ∂f_i/∂x_k · σ_k``. Then ``σ_f = ‖jac_i‖`` and the
covariance of two quantities is ``Σ_k jac_a[i, k]·jac_b[i, k]``. This is exactly the linear
propagation of the ``uncertainties`` package (which Pychron uses), done for a whole batch
with NumPy instead of one Python object per value.

Which inputs are independent is a modelling decision made by whoever creates the columns
(:class:`InputSpace`): Pychron's conventions (a fresh independent value per isotope for a
detector's IC factor, a re-wrapped baseline-corrected intercept, …) and ardvc's full
covariance are just different column layouts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Operand = "UArray | Array | float"


@dataclass
class InputSpace:
    """Names the K independent input columns of one batch."""

    names: list[str] = field(default_factory=list)

    def column(self, name: str) -> int:
        """Index of ``name``, adding the column on first use."""
        try:
            return self.names.index(name)
        except ValueError:
            self.names.append(name)
            return len(self.names) - 1

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)


class UArray:
    """N uncertain values with σ-scaled sensitivities to K shared inputs."""

    __slots__ = ("jac", "value")
    __array_ufunc__ = None  # so ``ndarray * UArray`` defers to UArray.__rmul__

    def __init__(self, value: npt.ArrayLike, jac: Array) -> None:
        self.value: Array = np.asarray(value, dtype=np.float64)
        self.jac: Array = jac

    # --- construction -------------------------------------------------------------------

    @classmethod
    def exact(cls, value: npt.ArrayLike, k: int) -> UArray:
        """Values without uncertainty (a K-column zero Jacobian)."""
        v = np.asarray(value, dtype=np.float64)
        return cls(v, np.zeros((*v.shape, k)))

    @classmethod
    def independent(
        cls, space: InputSpace, name: str, value: npt.ArrayLike, sigma: npt.ArrayLike, k: int
    ) -> UArray:
        """An input: column ``name`` carries ``sigma`` (0 allowed, NaN refused)."""
        v = np.asarray(value, dtype=np.float64)
        s = np.broadcast_to(np.asarray(sigma, dtype=np.float64), v.shape)
        if np.isnan(s).any():
            raise ValueError(f"input {name!r} has a NaN uncertainty")
        jac = np.zeros((*v.shape, k))
        jac[..., space.column(name)] = s
        return cls(v, jac)

    # --- reading ------------------------------------------------------------------------

    @property
    def std(self) -> Array:
        variance: Array = np.einsum("...k,...k->...", self.jac, self.jac)
        return np.sqrt(variance)

    @property
    def k(self) -> int:
        return int(self.jac.shape[-1])

    def covariance(self, other: UArray) -> Array:
        cov: Array = np.einsum("...k,...k->...", self.jac, other.jac)
        return cov

    def correlation(self, other: UArray) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.covariance(other) / (self.std * other.std)

    def nominal(self) -> UArray:
        """The same values with their uncertainty dropped (Pychron's ``nominal_value``)."""
        return UArray(self.value, np.zeros_like(self.jac))

    def __getitem__(
        self, index: int | slice | npt.NDArray[np.bool_] | npt.NDArray[np.intp]
    ) -> UArray:
        return UArray(self.value[index], self.jac[index])

    def __len__(self) -> int:
        return int(self.value.shape[0])

    def __repr__(self) -> str:
        return f"UArray(value={self.value!r}, std={self.std!r})"

    # --- arithmetic ---------------------------------------------------------------------

    @staticmethod
    def _parts(other: object) -> tuple[Array, Array | None]:
        if isinstance(other, UArray):
            return other.value, other.jac
        return np.asarray(other, dtype=np.float64), None

    def __add__(self, other: object) -> UArray:
        v, j = self._parts(other)
        return UArray(self.value + v, self.jac if j is None else self.jac + j)

    __radd__ = __add__

    def __sub__(self, other: object) -> UArray:
        v, j = self._parts(other)
        return UArray(self.value - v, self.jac if j is None else self.jac - j)

    def __rsub__(self, other: object) -> UArray:
        v, j = self._parts(other)
        return UArray(v - self.value, -self.jac if j is None else j - self.jac)

    def __neg__(self) -> UArray:
        return UArray(-self.value, -self.jac)

    def __mul__(self, other: object) -> UArray:
        v, j = self._parts(other)
        jac = self.jac * v[..., None]
        if j is not None:
            jac = jac + j * self.value[..., None]
        return UArray(self.value * v, jac)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> UArray:
        v, j = self._parts(other)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = self.value / v
            jac = self.jac / v[..., None]
            if j is not None:
                jac = jac - j * (q / v)[..., None]
        return UArray(q, jac)

    def __rtruediv__(self, other: object) -> UArray:
        v, j = self._parts(other)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = v / self.value
            jac = -self.jac * (q / self.value)[..., None]
            if j is not None:
                jac = jac + j / self.value[..., None]
        return UArray(q, jac)

    def __pow__(self, exponent: float) -> UArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = self.value**exponent
            jac = self.jac * (exponent * self.value ** (exponent - 1))[..., None]
        return UArray(value, jac)


def log(x: UArray) -> UArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return UArray(np.log(x.value), x.jac / x.value[..., None])


def exp(x: UArray) -> UArray:
    value = np.exp(x.value)
    return UArray(value, x.jac * value[..., None])


def sqrt(x: UArray) -> UArray:
    return x**0.5


def total(x: UArray, axis: int = 0) -> UArray:
    """Σ over ``axis`` of a 1-D batch whose rows share the input columns."""
    return UArray(x.value.sum(axis=axis), x.jac.sum(axis=axis))
