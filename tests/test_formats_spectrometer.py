"""Spectrometer-file names: Pychron's SHA-1 recipe reproduced on the real repositories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ardvc.formats.kinds import SPECTROMETER, decode_file
from ardvc.formats.spectrometer_file import (
    SpectrometerFile,
    is_spectrometer_path,
    py2_str,
    spec_sha,
)
from ardvc.gitstore.repo import GitRepo

Bare = Callable[[str], Path]

# bundle → (files at master, names reproduced with Python-3 str, with Python-2 floats)
EXPECTED = {
    "Lusk01121": (31, 31, 0),
    "IR998": (2, 2, 2),
    "FractionatedRes": (4, 4, 4),
    "Felix_blank180": (9, 1, 9),
    "Irradiation-NM-293": (20, 11, 1),
    "Cornudas": (111, 0, 0),
    "SwansonB": (99, 0, 0),
}


@pytest.mark.shared
@pytest.mark.parametrize("bundle", sorted(EXPECTED))
def test_recipe_reproduces_file_names(bundle_bare: Bare, bundle: str) -> None:
    repo = GitRepo(bundle_bare(bundle))
    commit = repo.head_id("master")
    py3 = py2 = total = 0
    for f in repo.files("master"):
        if not is_spectrometer_path(f.path):
            continue
        total += 1
        spec = decode_file(SPECTROMETER, repo.read_blob(f.oid), path=f.path, commit=commit)
        name = f.path.removesuffix(".json")
        py3 += spec.sha() == name
        py2 += spec.sha(py2_floats=True) == name
        assert spec.matches_name(name) == (spec.sha() == name or spec.sha(py2_floats=True) == name)
    assert (total, py3, py2) == EXPECTED[bundle]


@pytest.mark.shared
def test_lusk_example_and_string_values(bundle_bare: Bare) -> None:
    repo = GitRepo(bundle_bare("Lusk01121"))
    name = "857b14d91aad9a1d167c9a6f53bb8f032c5a9e87"
    spec = decode_file(SPECTROMETER, repo.read(f"{name}.json", "master"), path=f"{name}.json")
    assert spec.sha() == name and spec.settings is None
    assert spec.gains["AX"] == 1 and isinstance(spec.gains["AX"], int)  # kept as written
    assert spec.spectrometer["HV"] == 9.9

    ir = GitRepo(bundle_bare("IR998"))
    path = "44c6f8761147de90179e8a3952e48831c78a9a46.json"
    spec = decode_file(SPECTROMETER, ir.read(path, "master"), path=path)
    assert spec.spectrometer["zfocus"] == "1.65"  # numbers as strings survive
    assert spec.deflections["AX(CDD)"] == 3250.0 and spec.deflections["AX"] == 0


def test_py2_float_formatting_and_order() -> None:
    assert py2_str(3250.0) == "3250.0"
    assert py2_str(1.66056166056166) == "1.66056166056"
    assert py2_str(1e-05) == "1e-05" and py2_str(0.1) == "0.1" and py2_str(7) == "7"
    a = spec_sha({"x": 1}, {"y": 2.5}, {"H1": 0.0}, {"H1": 1})
    # settings, spectrometer, deflections, gains — order matters, keys sorted inside each
    assert a != spec_sha({"y": 2.5}, {"x": 1}, {"H1": 0.0}, {"H1": 1})
    assert spec_sha(None, {"b": 1, "a": 2}, None, None) == spec_sha({}, {"a": 2, "b": 1}, {}, {})
    assert SpectrometerFile(spectrometer={"b": 1, "a": 2}).sha() == spec_sha(
        None, {"a": 2, "b": 1}, None, None
    )
