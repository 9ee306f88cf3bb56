"""The reduction engine: pure NumPy/SciPy, batch-vectorised, no I/O (reduction-math.md)."""
