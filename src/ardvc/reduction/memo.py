"""The run-cache key and record of a reduction (``reduce_analyses(..., runs=…)``).

The key is :func:`ardvc.cache.runcache.stage_key` of

* the stage (``reduce``) and the code version — ardvc's version plus a BLAKE3 of the
  source of every package that reads or reduces data, so an edited formula misses;
* the input blob ids: every file of every selected analysis, the frozen flux and
  production files of the data repository (or their absence), and the git tree ids of
  each irradiation's folder and of ``spectrometers/`` in the MetaRepo — git's own Merkle
  hashes, so any change of a chronology, level, production or sensitivity file misses
  while a commit elsewhere in the MetaRepo does not;
* the canonical parameters (constants, conventions, refit overrides, selection order).

It is computed from the main files alone (read by the selection anyway), so a hit reads
no other file and runs no engine. A hit returns the stored results with their commits
rebased to the current ones (the inputs are identical by construction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields, replace
from functools import cache
from pathlib import Path
from typing import Any

import pygit2
from blake3 import blake3

import ardvc
from ardvc import __version__
from ardvc.cache.runcache import stage_key
from ardvc.data import Analysis
from ardvc.errors import ArdvcError
from ardvc.formats.irradiation import frozen_flux_path
from ardvc.formats.production import frozen_production_path
from ardvc.formats.spectrometer import SPECTROMETER_DIR
from ardvc.gitstore.objects import lookup
from ardvc.meta import MetaRepo
from ardvc.reduction.results import AnalysisResult

STAGE = "reduce"
CODE_PACKAGES = ("reduce", "reduction", "formats", "data", "meta", "gitstore")
_FLOATS = {f.name for f in fields(AnalysisResult) if f.type in ("float", float)}


@cache
def code_version() -> str:
    """ardvc's version and a BLAKE3 over the source of the packages a reduction runs."""
    base = Path(ardvc.__file__).parent
    hasher = blake3()
    for package in CODE_PACKAGES:
        for path in sorted((base / package).rglob("*.py")):
            hasher.update(path.relative_to(base).as_posix().encode() + b"\0")
            hasher.update(path.read_bytes())
    return f"{__version__}+{hasher.hexdigest()[:32]}"


def _tree_id(tree: pygit2.Tree, path: str) -> str:
    obj = lookup(tree, path)
    return str(obj.id) if obj is not None else ""


def reduction_key(
    analyses: Sequence[Analysis], meta: MetaRepo, meta_commit: str, params: dict[str, Any]
) -> str:
    meta_tree = meta.git.tree(meta_commit)
    inputs: dict[str, str] = {f"meta:{SPECTROMETER_DIR}/": _tree_id(meta_tree, SPECTROMETER_DIR)}
    data_trees: dict[tuple[str, str], pygit2.Tree] = {}
    for analysis in analyses:
        for stored in analysis.files.values():
            inputs[f"{analysis.repo}:{stored.path}"] = stored.blob_id
        try:
            main = analysis.main
        except ArdvcError:
            continue  # reduced as a failure naming the corrupt file (its blob is keyed)
        irr, level = main.irradiation, main.irradiation_level
        if not irr:
            continue
        inputs[f"meta:{irr}/"] = _tree_id(meta_tree, irr)
        where = (analysis.repo, analysis.commit)
        if where not in data_trees:
            data_trees[where] = analysis._raw[analysis.commit].peel(pygit2.Commit).tree
        frozen = [frozen_flux_path(irr)] + ([frozen_production_path(irr, level)] if level else [])
        for path in frozen:
            inputs[f"{analysis.repo}:{path}"] = _tree_id(data_trees[where], path)
    selection = [f"{a.repo}:{a.name}" for a in analyses]
    return stage_key(STAGE, code_version(), inputs, {**params, "selection": selection})


def result_record(
    results: Sequence[AnalysisResult], rows: Sequence[int], meta_commit: str
) -> dict[str, Any]:
    return {
        "results": [r.as_dict() for r in results],
        "rows": list(rows),
        "meta_commit": meta_commit,
    }


def _rebase(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _rebase(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebase(v, old, new) for v in value]
    return new if value == old else value


def results_from_record(
    record: dict[str, Any], analyses: Sequence[Analysis], meta_commit: str
) -> tuple[list[AnalysisResult], list[int]]:
    """The stored results, each rebased onto its analysis's current commit and the
    current MetaRepo commit."""
    old_meta = str(record["meta_commit"])
    out = []
    for stored, analysis in zip(record["results"], analyses, strict=True):
        values: dict[str, Any] = {
            k: (math.nan if k in _FLOATS and v is None else v) for k, v in stored.items()
        }
        result = AnalysisResult(**values)
        provenance = _rebase(_rebase(result.provenance, result.commit, analysis.commit),
                             old_meta, meta_commit)  # fmt: skip
        out.append(replace(result, commit=analysis.commit, provenance=provenance))
    return out, [int(r) for r in record["rows"]]
