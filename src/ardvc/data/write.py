"""Writing analyses and modifier files in Pychron's layout (pychron-format.md §3.3, §5, §6.1).

New analyses are named by uuid with 2-character shards (the only layout both Pychron's
reader and ardvc's find). Every file is encoded canonically (indent 4, sorted keys) and
decoded again with ardvc's own schema before anything is committed, so ardvc never writes
a file it could not read back. Collection commits follow Pychron's grouping and messages,
which downstream tools grep for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ardvc.data.repo import DataRepo, spectrometer_path
from ardvc.errors import UsageError
from ardvc.formats.jsonio import CANONICAL, JsonStyle, detect_style, dumps
from ardvc.formats.kinds import SPECTROMETER, decode_file
from ardvc.formats.paths import REDUCTION_MODIFIERS, FileAddress, write_address
from ardvc.formats.runid import is_uuid
from ardvc.formats.spectrometer_file import spec_sha
from ardvc.gitstore import Author, CommitResult, CommitStep, commit_files, commit_series
from ardvc.gitstore.messages import (
    COLLECTION,
    COLLECTION_LOG,
    ICFACTOR_COLLECTION,
    ISOEVO_COLLECTION,
    blanks_collection,
)

Json = Any


@dataclass
class NewAnalysis:
    """Everything acquisition produces for one analysis, as JSON-ready values.

    ``main`` must hold at least ``uuid``, ``identifier``, ``aliquot`` and ``timestamp``.
    ``spectrometer`` is the content of the ``<spec_sha>.json`` file; its name is computed
    with Pychron's recipe and stored in ``main["spec_sha"]``.
    """

    main: dict[str, Json]
    raw_data: dict[str, Json] | None = None
    intercepts: dict[str, Json] | None = None
    baselines: dict[str, Json] | None = None
    blanks: dict[str, Json] | None = None
    icfactors: dict[str, Json] | None = None
    extraction: dict[str, Json] | None = None
    peakcenter: dict[str, Json] | None = None
    monitor: list[Json] | None = None
    tags: dict[str, Json] | None = None
    log: str | None = None
    spectrometer: dict[str, Json] | None = None
    artifacts: dict[str, bytes] | None = None
    """Artifact pointer files (path → bytes) committed with the ``<COLLECTION>`` files."""

    @property
    def uuid(self) -> str:
        uuid = self.main.get("uuid")
        if not isinstance(uuid, str) or not is_uuid(uuid):
            raise UsageError(f"a new analysis needs a uuid4 in main['uuid'], not {uuid!r}")
        return uuid


_MODIFIER_FIELDS: dict[str | None, str] = {
    None: "main",
    ".data": "raw_data",
    "intercepts": "intercepts",
    "baselines": "baselines",
    "blanks": "blanks",
    "icfactors": "icfactors",
    "extraction": "extraction",
    "peakcenter": "peakcenter",
    "monitor": "monitor",
    "tags": "tags",
}

# Pychron's collection commits (2019–): which files go into which commit, in order.
COLLECTION_GROUPS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    (
        COLLECTION,
        (SPECTROMETER, None, ".data", "extraction", "peakcenter", "monitor", "tags", "artifacts"),
    ),
    (ISOEVO_COLLECTION, ("intercepts", "baselines")),
    ("<BLANKS>", ("blanks",)),
    (ICFACTOR_COLLECTION, ("icfactors",)),
    (COLLECTION_LOG, ("logs",)),
)


def encode_checked(
    modifier: str | None, obj: Json, path: str, style: JsonStyle = CANONICAL
) -> bytes:
    """Encode ``obj`` as Pychron does and prove it decodes with ardvc's schema."""
    data = dumps(obj, style)
    decode_file(modifier, data, path=path)
    return data


def spectrometer_name(content: Mapping[str, Json]) -> str:
    return spec_sha(
        content.get("settings"),
        content.get("spectrometer"),
        content.get("deflections"),
        content.get("gains"),
    )


@dataclass(frozen=True)
class EncodedAnalysis:
    """A :class:`NewAnalysis` as the bytes of its files, checked against ardvc's schemas.

    Encoding needs no repository, so acquisition does it while the previous analysis is
    still committing; only the spectrometer file's presence is decided at commit time."""

    uuid: str
    files: dict[str | None, dict[str, bytes]]
    """modifier (``None``: main file, ``"logs"``, ``"artifacts"``) → {path: bytes}."""
    spectrometer: tuple[str, bytes] | None = None


def encode_analysis(new: NewAnalysis) -> EncodedAnalysis:
    """Every file of ``new`` as Pychron writes it (see :func:`encode_checked`)."""
    uuid = new.uuid
    out: dict[str | None, dict[str, bytes]] = {}
    main = dict(new.main)
    spectrometer = None
    if new.spectrometer is not None:
        sha = spectrometer_name(new.spectrometer)
        main["spec_sha"] = sha
        path = spectrometer_path(sha)
        spectrometer = (path, encode_checked(SPECTROMETER, new.spectrometer, path))
    for modifier, attr in _MODIFIER_FIELDS.items():
        value = main if modifier is None else getattr(new, attr)
        if value is None:
            continue
        address = write_address(uuid, modifier)
        if modifier in REDUCTION_MODIFIERS:
            address = FileAddress(address.shard, address.tail, modifier, reduction=True)
        out[modifier] = {address.path: encode_checked(modifier, value, address.path)}
    if new.log is not None:
        out["logs"] = {write_address(uuid, "logs").path: new.log.encode("utf-8")}
    if new.artifacts:
        out["artifacts"] = dict(new.artifacts)
    return EncodedAnalysis(uuid, out, spectrometer)


def collection_files(
    repo: DataRepo, new: NewAnalysis | EncodedAnalysis, at: str | None = None
) -> dict[str | None, dict[str, bytes]]:
    """modifier → {path: bytes} for every file of ``new``; the spectrometer file only if
    the commit ``at`` (default: HEAD) does not have it yet."""
    encoded = new if isinstance(new, EncodedAnalysis) else encode_analysis(new)
    out = dict(encoded.files)
    if encoded.spectrometer is not None:
        path, data = encoded.spectrometer
        if (at is None and repo.git.head_id() is None) or not repo.git.exists(path, at):
            out = {SPECTROMETER: {path: data}, **out}
    return out


def collection_steps(
    files: Mapping[str | None, Mapping[str, bytes]], previous_blank: str | None = None
) -> list[CommitStep]:
    """Pychron's collection commits of one analysis: ``<COLLECTION>``,
    ``<ISOEVO> default collection fits``, ``<BLANKS> preceding <runid>``,
    ``<ICFactor> default`` and an optional ``<COLLECTION> log``, each with its files."""
    steps = []
    for message, modifiers in COLLECTION_GROUPS:
        changes = {p: b for m in modifiers for p, b in files.get(m, {}).items()}
        if not changes:
            continue
        if message == "<BLANKS>":
            message = blanks_collection(previous_blank)
        steps.append(CommitStep(changes, message))
    return steps


def write_collection(
    repo: DataRepo,
    new: NewAnalysis | EncodedAnalysis,
    author: Author,
    *,
    branch: str | None = None,
    previous_blank: str | None = None,
    single_commit: bool = False,
    max_deletions: int | None = None,
) -> list[CommitResult]:
    """Commit a new analysis as Pychron's collection does, or in one commit.

    The commits of :func:`collection_steps` are chained and the branch moves once, to the
    last: other readers see the analysis whole or not at all (Pychron moves it four times,
    and a crash in between leaves an analysis without intercepts or blanks).
    ``single_commit`` puts every file into one ``<COLLECTION>`` commit.
    """
    if not single_commit:
        runs = [CollectionRun(new, previous_blank)]
        return write_collections(repo, runs, author, branch=branch, max_deletions=max_deletions)[0]
    target = repo.git.target_branch(branch)
    head = repo.git.branch_head(target) if target else None
    files = _new_files(repo, new, head)
    merged = {p: b for group in files.values() for p, b in group.items()}
    return commit_series(
        repo.git, [CommitStep(merged, COLLECTION)], author, branch=branch,
        max_deletions=max_deletions, expected_parent=head,
    )  # fmt: skip


@dataclass(frozen=True)
class CollectionRun:
    """One analysis to commit with :func:`write_collections`."""

    new: NewAnalysis | EncodedAnalysis
    previous_blank: str | None = None


def write_collections(
    repo: DataRepo,
    runs: Sequence[CollectionRun],
    author: Author,
    *,
    branch: str | None = None,
    max_deletions: int | None = None,
) -> list[list[CommitResult]]:
    """Commit several new analyses, each in Pychron's collection commits, all chained and
    published with one branch move; the commit results of each run, in order.

    Why: the fixed cost of publishing (moving the branch, rewriting the git index of the
    working tree, queueing the push) is paid once for runs that ended while the previous
    save was committing. Each analysis keeps its own commits and messages; a reader sees
    all of them or none.
    """
    if not runs:
        raise UsageError("write_collections needs at least one run")
    target = repo.git.target_branch(branch)
    head = repo.git.branch_head(target) if target else None
    steps: list[list[CommitStep]] = []
    seen: set[str] = set()
    for run in runs:
        files = _new_files(repo, run.new, head)
        spectrometer = files.get(SPECTROMETER, {})
        if seen.intersection(spectrometer):  # the batch's first run brings it
            files = {m: f for m, f in files.items() if m != SPECTROMETER}
        uuid = run.new.uuid
        if uuid in seen:
            raise UsageError(f"analysis {uuid} is twice in one commit; a uuid is written once")
        seen.update(spectrometer, [uuid])
        steps.append(collection_steps(files, run.previous_blank))
    results = commit_series(
        repo.git, [s for run_steps in steps for s in run_steps], author, branch=branch,
        max_deletions=max_deletions, expected_parent=head,
    )  # fmt: skip
    out, start = [], 0
    for run_steps in steps:
        out.append(results[start : start + len(run_steps)])
        start += len(run_steps)
    return out


def _new_files(
    repo: DataRepo, new: NewAnalysis | EncodedAnalysis, head: str | None
) -> dict[str | None, dict[str, bytes]]:
    """The files of a new analysis, refused if its uuid is in ``head`` already."""
    uuid_path = write_address(new.uuid).path
    if head is not None and repo.git.exists(uuid_path, head):
        raise UsageError(f"{repo.name} already holds {uuid_path}; a uuid is written once")
    return collection_files(repo, new, head)


def modifier_path(repo: DataRepo, name: str, modifier: str, rev: str | None = None) -> str:
    """Where to (re)write ``modifier`` of analysis ``name``: its existing file if any (a
    legacy location keeps being used), else beside the main file — under ``reduction/``
    for tags and interpreted ages, as Pychron does since 2026."""
    existing = repo.locate(name, modifier, rev)
    if existing is not None:
        return existing
    analysis = repo.analysis(name, rev)
    main = analysis.path(None)
    assert main is not None
    shard, file = main.split("/")
    tail = file[: -len(".json")]
    return FileAddress(shard, tail, modifier, reduction=modifier in REDUCTION_MODIFIERS).path


def write_modifiers(
    repo: DataRepo,
    updates: Mapping[tuple[str, str], Json],
    message: str,
    author: Author,
    *,
    branch: str | None = None,
    max_deletions: int | None = None,
) -> CommitResult:
    """Rewrite modifier files of one or more analyses in one commit.

    ``updates`` maps ``(analysis name, modifier)`` to the new content. An existing file keeps
    its JSON style (Python-2 separators, line endings), so the git diff shows only the
    values that changed.
    """
    head = repo.git.branch_head(repo.git.target_branch(branch) or "")
    changes: dict[str, bytes] = {}
    for (name, modifier), obj in updates.items():
        path = modifier_path(repo, name, modifier, head)
        style = CANONICAL
        if head is not None and repo.git.exists(path, head):
            style = detect_style(repo.git.read(path, head))
        changes[path] = encode_checked(modifier, obj, path, style)
    return commit_files(
        repo.git,
        changes,
        message,
        author,
        branch=branch,
        max_deletions=max_deletions,
        expected_parent=head,
    )
