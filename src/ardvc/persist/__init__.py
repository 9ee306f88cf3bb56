"""Acquisition: the persister that commits runs as they are measured, its outbox, and a
spectrometer simulator that produces realistic runs with known truth."""
