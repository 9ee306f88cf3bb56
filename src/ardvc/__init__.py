"""ardvc — argon data version control.

Git-backed, Pychron-compatible persistence and provenance for 40Ar/39Ar geochronology labs.
The Python API starts at :class:`ardvc.Lab` (imported lazily so ``import ardvc`` stays
cheap for tools that only need the formats).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("ardvc")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from ardvc.api import Lab

__all__ = ["Lab", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Lab":
        from ardvc.api import Lab

        return Lab
    raise AttributeError(name)
