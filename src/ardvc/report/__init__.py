"""Reports of reduced samples: publication figures (age spectrum, inverse isochron)."""

from ardvc.report.plots import FORMATS, age_spectrum, inverse_isochron, render, save

__all__ = ["FORMATS", "age_spectrum", "inverse_isochron", "render", "save"]
