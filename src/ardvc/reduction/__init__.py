"""Reductions over repositories: gathering inputs from git, running the pure engine,
refits, interpreted-age checks, provenance."""
