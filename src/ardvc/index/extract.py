"""Reading index rows out of git: one pass over a tree, or only what a diff touched.

Pure git → plain rows; no database here. Unreadable files become error rows naming the
file, so one corrupt file never stops an index sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pygit2

from ardvc.errors import ArdvcError
from ardvc.formats.ia import decode_ia
from ardvc.formats.jsonio import loads
from ardvc.formats.kinds import classify_path, decode_file
from ardvc.formats.paths import (
    REDUCTION_ROOT,
    extension_for,
    split_main_path,
    suffix,
)
from ardvc.formats.tags import DEFAULT_TAG
from ardvc.gitstore.objects import blob_at, lookup, name_of, tree_at

PER_ANALYSIS = (".data", "intercepts", "baselines", "blanks", "icfactors", "tags", "peakcenter",
                "extraction", "monitor", "logs")  # fmt: skip


ENDINGS = tuple((m, suffix(m) + extension_for(m)) for m in PER_ANALYSIS)
"""(modifier, file-name ending), e.g. ``("intercepts", ".inte.json")``."""


@dataclass
class AnalysisRow:
    name: str
    uuid: str | None
    record_id: str
    identifier: str
    aliquot: int
    increment: int | None
    step: str
    analysis_type: str
    timestamp: datetime
    mass_spectrometer: str | None
    extract_device: str | None
    sample: str | None
    material: str | None
    grainsize: str | None
    project: str | None
    pi: str | None
    latitude: float | None
    longitude: float | None
    irradiation: str | None
    irradiation_level: str | None
    irradiation_position: int | None
    tag: str
    comment: str | None
    path: str
    blob_id: str
    files: list[tuple[str, str, str]] = field(default_factory=list)
    """(kind, path, blob id) of every file, ``main`` included."""


@dataclass
class IARow:
    path: str
    identifier: str | None
    sample: str | None
    age: float | None
    age_err: float | None
    kind: str | None
    nanalyses: int | None
    blob_id: str


@dataclass
class ErrorRow:
    path: str
    name: str | None
    message: str


@dataclass
class RepoExtract:
    """Rows of one repository branch: everything (``full``) or what changed since a commit."""

    repo: str
    branch: str
    head: str
    full: bool
    analyses: list[AnalysisRow] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    """Analysis names whose rows go (re-extracted ones are replaced, not listed here)."""
    touched: set[str] = field(default_factory=set)
    """Analysis names whose rows and errors are replaced by this extract."""
    ia: list[IARow] = field(default_factory=list)
    ia_touched: set[str] = field(default_factory=set)
    errors: list[ErrorRow] = field(default_factory=list)
    error_paths: set[str] = field(default_factory=set)
    """Paths whose previous error rows are replaced."""


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


class TreeReader:
    """Reads analyses out of one commit's tree, with per-shard listings cached."""

    def __init__(self, repo: pygit2.Repository, commit: pygit2.Commit, timezone: str | None):
        self.repo = repo
        self.commit = commit
        self.commit_id = str(commit.id)
        self.tree = commit.tree
        self.zone = ZoneInfo(timezone or "UTC")
        self.listings: dict[str, dict[str, tuple[str, str]]] = {}

    def listing(self, folder: str) -> dict[str, tuple[str, str]]:
        """file name → (path, blob id) of one folder (empty when absent)."""
        if folder not in self.listings:
            found = lookup(self.tree, folder)
            entries: dict[str, tuple[str, str]] = {}
            if isinstance(found, pygit2.Tree):
                for entry in found:
                    if entry.type_str == "blob":
                        name = name_of(entry)
                        entries[name] = (f"{folder}/{name}", str(entry.id))
            self.listings[folder] = entries
        return self.listings[folder]

    def files_of(self, shard: str, tail: str) -> list[tuple[str, str, str]]:
        found = []
        main = self.listing(shard).get(f"{tail}.json")
        if main is not None:
            found.append(("main", *main))
        for modifier, ending in ENDINGS:
            file = tail + ending
            hit = None
            if modifier == "tags":
                hit = self.listing(f"{REDUCTION_ROOT}/{shard}/{modifier}").get(file)
            hit = hit or self.listing(f"{shard}/{modifier}").get(file)
            if hit is not None:
                found.append((modifier, *hit))
        return found

    def analysis(self, shard: str, tail: str, errors: list[ErrorRow]) -> AnalysisRow | None:
        """The row of analysis ``shard + tail``; ``None`` (with an error row) if unreadable."""
        files = self.files_of(shard, tail)
        by_kind = {kind: (path, oid) for kind, path, oid in files}
        if "main" not in by_kind:
            return None
        name = shard + tail
        path, oid = by_kind["main"]
        try:
            main = decode_file(None, blob_at(self.repo, oid).data, path=path, commit=self.commit_id)
        except ArdvcError as exc:
            errors.append(ErrorRow(path, name, str(exc)))
            return None
        tag, device = DEFAULT_TAG, None
        if "tags" in by_kind:
            tag_path, tag_oid = by_kind["tags"]
            try:
                tag = decode_file("tags", blob_at(self.repo, tag_oid).data, path=tag_path).name
                tag = tag.strip().lower()
            except ArdvcError as exc:
                errors.append(ErrorRow(tag_path, name, str(exc)))
                tag = "?"
        if "extraction" in by_kind:
            ex_path, ex_oid = by_kind["extraction"]
            try:
                raw = loads(blob_at(self.repo, ex_oid).data, path=ex_path)
                device = raw.get("extract_device") if isinstance(raw, dict) else None
            except ArdvcError as exc:
                errors.append(ErrorRow(ex_path, name, str(exc)))
        return AnalysisRow(
            name=name, uuid=main.uuid, record_id=main.record_id, identifier=main.identifier,
            aliquot=main.aliquot, increment=main.increment, step=main.step,
            analysis_type=main.normalised_analysis_type,
            timestamp=main.timestamp_dt.replace(tzinfo=self.zone),
            mass_spectrometer=main.spectrometer_key or None,
            extract_device=str(device) if device else None,
            sample=main.sample or None, material=main.material or None,
            grainsize=main.grainsize or None, project=main.project or None,
            pi=main.principal_investigator or None, latitude=_float(main.latitude),
            longitude=_float(main.longitude), irradiation=main.irradiation or None,
            irradiation_level=main.irradiation_level or None,
            irradiation_position=main.irradiation_position, tag=tag, comment=main.comment,
            path=path, blob_id=oid, files=files,
        )  # fmt: skip

    def interpreted_age(self, path: str, oid: str, errors: list[ErrorRow]) -> IARow | None:
        try:
            ia = decode_ia(loads(blob_at(self.repo, oid).data, path=path), path=path)
        except ArdvcError as exc:
            errors.append(ErrorRow(path, None, str(exc)))
            return None
        kind = ia.preferred_kind("age")
        return IARow(
            path=path, identifier=ia.identifier, sample=ia.sample, age=ia.age,
            age_err=ia.age_err, kind=kind.kind if kind else getattr(ia, "age_kind", None),
            nanalyses=ia.nanalyses, blob_id=oid,
        )  # fmt: skip

    def ia_files(self) -> Iterator[tuple[str, str]]:
        for entry in self.tree:
            shard = name_of(entry)
            if entry.type_str != "tree" or shard.startswith("."):
                continue
            if shard == REDUCTION_ROOT:
                for sub in tree_at(self.repo, entry.id):
                    if sub.type_str == "tree":
                        folder = f"{REDUCTION_ROOT}/{name_of(sub)}/ia"
                        yield from self.listing(folder).values()
                continue
            yield from self.listing(f"{shard}/ia").values()


def _main_names(reader: TreeReader) -> Iterator[tuple[str, str]]:
    for entry in reader.tree:
        shard = name_of(entry)
        if entry.type_str != "tree" or shard in {REDUCTION_ROOT, "csv"} or shard.startswith("."):
            continue
        for file in reader.listing(shard):
            if file.endswith(".json"):
                yield shard, file[: -len(".json")]


def extract_full(
    repo: pygit2.Repository, name: str, branch: str, commit: pygit2.Commit, timezone: str | None
) -> RepoExtract:
    reader = TreeReader(repo, commit, timezone)
    out = RepoExtract(name, branch, str(commit.id), full=True)
    for shard, tail in _main_names(reader):
        row = reader.analysis(shard, tail, out.errors)
        if row is not None:
            out.analyses.append(row)
    for path, oid in reader.ia_files():
        ia = reader.interpreted_age(path, oid, out.errors)
        if ia is not None:
            out.ia.append(ia)
    return out


def _owner(path: str) -> tuple[str, str] | None:
    """(shard, tail) of the analysis a changed file belongs to, if any."""
    kind = classify_path(path)
    if kind is None or kind.modifier in {"spectrometer", "ia"}:
        return None
    if kind.modifier is None:
        return split_main_path(path)
    parts = path.split("/")
    if parts[0] == REDUCTION_ROOT:
        parts = parts[1:]
    shard, modifier, file = parts
    ending = suffix(modifier) + extension_for(modifier)  # e.g. ".inte.json"
    return shard, file[: -len(ending)] if file.endswith(ending) else file


def changed_paths(repo: pygit2.Repository, old: pygit2.Commit, new: pygit2.Commit) -> set[str]:
    """Files that differ between two commits, descending only into subtrees whose ids
    differ (libgit2's tree diff walked all 256 shards of a big repository: 50 ms)."""
    paths: set[str] = set()
    _diff_trees(repo, old.tree, new.tree, "", paths)
    return paths


def _entries(tree: pygit2.Tree | None) -> dict[str, tuple[str, str]]:
    if tree is None:
        return {}
    return {name_of(e): (str(e.id), e.type_str) for e in tree}


def _diff_trees(
    repo: pygit2.Repository,
    old: pygit2.Tree | None,
    new: pygit2.Tree | None,
    prefix: str,
    out: set[str],
) -> None:
    before, after = _entries(old), _entries(new)
    for name in before.keys() | after.keys():
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        path = prefix + name
        a_tree = tree_at(repo, a[0]) if a is not None and a[1] == "tree" else None
        b_tree = tree_at(repo, b[0]) if b is not None and b[1] == "tree" else None
        if a_tree is not None or b_tree is not None:
            _diff_trees(repo, a_tree, b_tree, path + "/", out)
        if (a is not None and a[1] == "blob") or (b is not None and b[1] == "blob"):
            out.add(path)


def extract_changes(
    repo: pygit2.Repository,
    name: str,
    branch: str,
    old: pygit2.Commit,
    new: pygit2.Commit,
    timezone: str | None,
) -> RepoExtract:
    """Rows for what changed between two commits (any two: a force-moved branch is fine)."""
    reader = TreeReader(repo, new, timezone)
    out = RepoExtract(name, branch, str(new.id), full=False)
    owners: set[tuple[str, str]] = set()
    for path in changed_paths(repo, old, new):
        kind = classify_path(path)
        out.error_paths.add(path)
        if kind is not None and kind.modifier == "ia":
            out.ia_touched.add(path)
            blob = lookup(new.tree, path)
            if isinstance(blob, pygit2.Blob):
                ia = reader.interpreted_age(path, str(blob.id), out.errors)
                if ia is not None:
                    out.ia.append(ia)
            continue
        owner = _owner(path)
        if owner is not None:
            owners.add(owner)
    for shard, tail in sorted(owners):
        analysis_name = shard + tail
        out.touched.add(analysis_name)
        row = reader.analysis(shard, tail, out.errors)
        if row is None:
            out.removed.add(analysis_name)
        else:
            out.analyses.append(row)
    return out


def names(rows: Iterable[AnalysisRow]) -> set[str]:
    return {r.name for r in rows}
