"""The interpreted-age files of one identifier, read from git (both Pychron locations:
``reduction/<id[:3]>/ia/`` first, then the legacy ``<id[:3]>/ia/``; a file of the same name
under ``reduction/`` shadows the legacy one, as every reader sees it). A truncated or
otherwise unreadable file is listed with its error, never skipped."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import pygit2

from ardvc.data import DataRepo
from ardvc.errors import ArdvcError
from ardvc.formats.ia import IAFile
from ardvc.formats.kinds import decode_file
from ardvc.formats.paths import ia_address


@dataclass(frozen=True)
class IASummary:
    name: str
    """File stem, e.g. ``21_00000`` (or ``61`` for the oldest unnumbered files)."""
    number: int | None
    path: str
    blob_id: str
    preferred_kind: str | None = None
    age: float | None = None
    age_err: float | None = None
    error_kind: str | None = None
    nanalyses: int | None = None
    label: str | None = None
    """The IA's own name (Pychron's aliquot label, ``02``)."""
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _folder(tree: pygit2.Tree, path: str) -> pygit2.Tree | None:
    try:
        obj = tree / path
    except KeyError:
        return None
    return obj if isinstance(obj, pygit2.Tree) else None


def read_ia_path(data: DataRepo, path: str, rev: str | None = None) -> IAFile:
    commit = data.git.resolve(rev)
    result: IAFile = decode_file(
        "ia", data.git.read(path, str(commit.id)), path=path, repo=data.name,
        commit=str(commit.id),
    )  # fmt: skip
    return result


def _summary(data: DataRepo, name: str, path: str, blob: str, commit: str) -> IASummary:
    match = re.search(r"_(\d{5})$", name)
    number = int(match.group(1)) if match else None
    try:
        ia = read_ia_path(data, path, commit)
    except ArdvcError as exc:
        return IASummary(name, number, path, blob, error=str(exc))
    kind = ia.preferred_kind("age")
    return IASummary(
        name, number, path, blob, preferred_kind=kind.kind if kind else None, age=ia.age,
        age_err=ia.age_err, error_kind=ia.age_error_kind_effective, nanalyses=ia.nanalyses,
        label=ia.name,
    )  # fmt: skip


def ia_files(data: DataRepo, identifier: str, rev: str | None = None) -> list[IASummary]:
    """Every IA file of ``identifier`` at ``rev``, by name."""
    commit = data.git.resolve(rev)
    tail = identifier[3:]
    pattern = re.compile(rf"^{re.escape(tail)}(_\d{{5}})?\.ia\.json$")
    found: dict[str, tuple[str, str]] = {}
    for reduction in (True, False):
        folder_path = ia_address(identifier, None, reduction=reduction).path.rsplit("/", 1)[0]
        folder = _folder(commit.tree, folder_path)
        for entry in folder or []:
            if entry.name and pattern.match(entry.name):
                stem = entry.name[: -len(".ia.json")]
                found.setdefault(stem, (f"{folder_path}/{entry.name}", str(entry.id)))
    return [_summary(data, stem, path, blob, str(commit.id))
            for stem, (path, blob) in sorted(found.items())]  # fmt: skip
