"""Reports of reduced samples: publication figures (age spectrum, inverse isochron,
ideogram, isotope evolutions) drawn with plot templates, and exports."""

from ardvc.report.plots import FORMATS, age_spectrum, inverse_isochron, render, save

__all__ = ["FORMATS", "age_spectrum", "inverse_isochron", "render", "save"]
