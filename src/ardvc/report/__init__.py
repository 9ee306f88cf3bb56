"""Reports of reduced samples: publication figures (age spectrum, inverse isochron,
ideogram, isotope evolutions) drawn with plot templates, and exports."""

from typing import Any

__all__ = ["FORMATS", "age_spectrum", "inverse_isochron", "render", "save"]


def __getattr__(name: str) -> Any:
    """Matplotlib loads only when a figure is made (the CLI starts without it)."""
    if name in __all__:
        from ardvc.report import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'ardvc.report' has no attribute {name!r}")
