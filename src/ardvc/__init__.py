"""ardvc — argon data version control.

Git-backed, Pychron-compatible persistence and provenance for 40Ar/39Ar geochronology labs.
The Python API starts at :class:`ardvc.Lab` (imported lazily so ``import ardvc`` stays
cheap for tools that only need the formats).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs every worker process 10 ms
if TYPE_CHECKING:
    from ardvc.api import Lab

    __version__: str

__all__ = ["Lab", "__version__"]


def __getattr__(name: str) -> object:
    if name == "Lab":
        from ardvc.api import Lab

        return Lab
    if name == "__version__":  # looked up when asked: importlib.metadata costs 40 ms
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("ardvc")
        except PackageNotFoundError:  # running from a source tree without installation
            return "0.0.0+unknown"
    raise AttributeError(name)
