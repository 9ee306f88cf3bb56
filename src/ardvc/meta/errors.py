"""Errors specific to the MetaRepo, refining the shared classes of :mod:`ardvc.errors`.

Missing scientific inputs stay :class:`~ardvc.errors.MissingInputError` subclasses (so a
caller can catch "anything needed for an age is absent" in one place); names that do not
exist are :class:`~ardvc.errors.NotFoundError` subclasses.
"""

from __future__ import annotations

from ardvc.errors import MissingInputError, NotFoundError, UsageError


class IrradiationNotFoundError(NotFoundError):
    """No ``<Irradiation>/chronology.txt`` directory of that name at the asked commit."""


class LevelNotFoundError(NotFoundError):
    """The irradiation has no ``<Level>.json``."""


class HolderNotFoundError(NotFoundError):
    """No holder geometry file of that name and kind."""


class SpectrometerNotFoundError(NotFoundError):
    """No ``spectrometers/<ms>.sens.json`` (or ``.gain.json``) for that spectrometer."""


class ProductionNotFoundError(MissingInputError):
    """A level has no production assigned in ``productions.json``, or the assigned file is
    missing: no interference correction is possible."""


class SensitivityNotFoundError(MissingInputError):
    """No sensitivity record dated before the run (Pychron used 1e-17 mol/fA)."""


class FluxNotSetError(MissingInputError):
    """A position has no J, or Pychron's placeholder J = 0 (an age would be 0)."""


class AlreadyExistsError(UsageError):
    """An irradiation or level to be added exists already."""
