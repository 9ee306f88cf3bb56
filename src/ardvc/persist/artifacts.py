"""Artifacts in data repositories: the cache on one side, committed pointers on the other.

``add`` puts a file or folder of a data repository's working tree into the lab's cache and
commits only its pointer (``PATH.ardvc``) and a ``.gitignore`` line next to it, with
gitstore's index-free commit (nothing else in the git index is ever committed). Pointers
are found in git trees, so ``status``, ``checkout``, ``gc`` and cache transfers see every
branch and commit, not only the working tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ardvc.cache import pointer as pointers
from ardvc.cache.add import Staged, stage
from ardvc.cache.checkout import CheckoutResult, checkout
from ardvc.cache.objects import ObjectStore
from ardvc.cache.pointer import SUFFIX, Pointer
from ardvc.cache.status import ArtifactStatus, Tracked, artifacts_status
from ardvc.cache.store import Cache
from ardvc.errors import ConcurrentUpdateError, UsageError
from ardvc.formats.jsonio import atomic_write_bytes
from ardvc.formats.paths import write_address
from ardvc.gitstore import Author, CommitResult, GitRepo, commit_files

MESSAGE_TAG = "<ARTIFACT>"
RETRIES = 20


@dataclass
class AddReport:
    staged: list[Staged]
    commit: CommitResult | None
    pointer_paths: list[str] = field(default_factory=list)


def repo_relative(repo: GitRepo, path: Path) -> str:
    """``path`` relative to the repository's working tree, refusing what cannot be an
    artifact (outside the repository, inside ``.git``, a pointer file, the root)."""
    absolute = Path(path).absolute()
    try:
        rel = absolute.relative_to(Path(repo.path).absolute()).as_posix()
    except ValueError:
        raise UsageError(f"{path} is not inside the repository {repo.path}") from None
    if rel in ("", ".") or rel.split("/")[0] == ".git":
        raise UsageError(f"{path} cannot be an artifact of {repo.name}")
    if rel.endswith(SUFFIX):
        raise UsageError(f"{path} is a pointer file; add the artifact it points to")
    return rel


def _check_untracked(repo: GitRepo, rel: str, head: str | None) -> None:
    if head is None:
        return
    if repo.exists(rel, head):
        raise UsageError(
            f"{rel} is committed to git in {repo.name}; an artifact must not be",
            hint=f"remove it from git first (git rm -r --cached {rel}), then ardvc add it",
        )


def _gitignores(repo: GitRepo, rels: list[str], head: str | None) -> dict[str, bytes]:
    """Each artifact folder's ``.gitignore`` (from ``head``) with ``/<name>`` lines added
    for the artifacts it lacks."""
    by_folder: dict[str, list[str]] = {}
    for rel in rels:
        folder, _, name = rel.rpartition("/")
        by_folder.setdefault(folder, []).append(name)
    out = {}
    for folder, names in by_folder.items():
        path = f"{folder}/.gitignore" if folder else ".gitignore"
        current = repo.read(path, head) if head and repo.exists(path, head) else b""
        lines = current.splitlines()
        new = [f"/{n}".encode() for n in names if f"/{n}".encode() not in lines]
        if new:
            sep = b"\n" if current and not current.endswith(b"\n") else b""
            out[path] = current + sep + b"\n".join(new) + b"\n"
    return out


def add(
    cache: Cache,
    repo: GitRepo,
    paths: Sequence[Path],
    author: Author,
    *,
    message: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> AddReport:
    """Cache ``paths`` (files or folders in ``repo``'s working tree) and commit their
    pointers in one commit. Waits for the locks of those paths (and of the cache)."""
    rels = [repo_relative(repo, p) for p in paths]
    lab_paths = [Path(p).absolute().relative_to(cache.root).as_posix() for p in paths]
    with cache.reading_cache("add", lab_paths):
        branch = repo.target_branch()
        head = repo.branch_head(branch) if branch else None
        for rel in rels:
            _check_untracked(repo, rel, head)
        staged = [stage(cache, repo.path / rel, progress) for rel in rels]
        commit = _commit_pointers(repo, rels, [s.pointer for s in staged], author, message)
    return AddReport(staged, commit, [f"{r}{SUFFIX}" for r in rels])


def _commit_pointers(
    repo: GitRepo,
    rels: list[str],
    found: list[Pointer],
    author: Author,
    message: str | None,
) -> CommitResult | None:
    names = ", ".join(rels)
    text = message or f"{MESSAGE_TAG} add {names}"
    for _ in range(RETRIES):
        branch = repo.target_branch()
        head = repo.branch_head(branch) if branch else None
        changes: dict[str, bytes | None] = {
            f"{rel}{SUFFIX}": ptr.encode() for rel, ptr in zip(rels, found, strict=True)
        }
        changes.update(_gitignores(repo, rels, head))
        try:
            result = commit_files(repo, changes, text, author, expected_parent=head)
        except ConcurrentUpdateError:
            continue  # another add committed meanwhile: rebuild on its commit
        _write_worktree(repo, changes)
        return result if result.commit else None
    raise ConcurrentUpdateError(
        f"{repo.name} kept moving; the pointers of {names} were not committed",
        hint="the content is in the cache: run ardvc add again",
    )


def _write_worktree(repo: GitRepo, changes: dict[str, bytes | None]) -> None:
    """Make sure the working tree shows the committed pointers (also when the lab turned
    off ``core.worktree_sync``); a user's own edit of a ``.gitignore`` is kept."""
    if not repo.has_worktree:
        return
    for rel, data in changes.items():
        if data is None or not rel.endswith(SUFFIX):
            continue
        target = repo.path / rel
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)


def committed_pointers(repo: GitRepo, rev: str | None = None) -> dict[str, Pointer]:
    """Every pointer file at ``rev`` (default: HEAD): pointer path → pointer."""
    if repo.head_id(rev) is None:
        return {}
    out = {}
    for f in repo.files(rev):
        if f.path.endswith(SUFFIX):
            where = f"{repo.name}:{f.path}"
            out[f.path] = pointers.decode(repo.read_blob(f.oid), where)
    return out


def tracked(repo: GitRepo, rels: Iterable[str] | None = None) -> list[Tracked]:
    """The artifacts of ``repo``'s checked-out branch, each with its working-tree pointer
    (which wins when it differs from the committed one)."""
    committed = committed_pointers(repo) if repo.head_id() is not None else {}
    wanted = None if rels is None else {f"{r}{SUFFIX}" for r in rels}
    out = []
    for path, ptr in sorted(committed.items()):
        if wanted is not None and path not in wanted:
            continue
        local = repo.path / path
        is_committed = True
        if local.is_file():
            raw = local.read_bytes()
            if raw != ptr.encode():
                ptr = pointers.decode(raw, str(local))
                is_committed = False
        out.append(Tracked(repo.path / pointers.artifact_path_for(path), ptr, is_committed))
    if wanted is not None:
        unknown = wanted - set(committed)
        if unknown:
            raise UsageError(f"not an artifact of {repo.name}: {', '.join(sorted(unknown))}")
    return out


def status(
    cache: Cache, repo: GitRepo, on_item: Callable[[], None] | None = None
) -> list[ArtifactStatus]:
    return artifacts_status(cache, tracked(repo), on_item)


def checkout_all(
    cache: Cache,
    repo: GitRepo,
    rels: Iterable[str] | None = None,
    *,
    force: bool = False,
    on_file: Callable[[], None] | None = None,
) -> list[CheckoutResult]:
    """Make the working tree hold every (or the named) artifact of the checked-out
    branch."""
    items = tracked(repo, rels)
    writes = [Path(i.path).relative_to(cache.root).as_posix() for i in items]
    with cache.reading_cache("checkout", writes):
        return [checkout(cache, i.path, i.pointer, force=force, on_file=on_file) for i in items]


def referenced(repo: GitRepo, revs: Iterable[str]) -> set[str]:
    """Object ids (files, and manifests as ``….dir``) the pointers at ``revs`` name."""
    out: set[str] = set()
    for rev in revs:
        out.update(p.oid for p in committed_pointers(repo, rev).values())
    return out


def branch_heads(repo: GitRepo) -> list[str]:
    """Heads of every local and remote-tracking branch."""
    heads = []
    for branch in repo.branches() + repo.remote_branches():
        head = repo.head_id(branch)
        if head is not None:
            heads.append(head)
    return sorted(set(heads))


ARTIFACTS_DIR = "artifacts"
ARTIFACTS_IGNORE = (
    b"# artifact content lives in the ardvc cache; only pointers are committed\n"
    b"*\n!*.ardvc\n!.gitignore\n"
)


def analysis_artifacts(
    odb: ObjectStore, uuid: str, attached: Mapping[str, bytes | Path]
) -> dict[str, bytes]:
    """Put attached artifacts into the cache (before anything is committed, so a pointer
    never names missing content); the pointer files to commit with the analysis."""
    if not attached:
        return {}
    address = write_address(uuid)
    folder = f"{address.shard}/{ARTIFACTS_DIR}"
    out = {f"{folder}/.gitignore": ARTIFACTS_IGNORE}
    for name, content in sorted(attached.items()):
        if isinstance(content, Path):
            oid, _ = odb.add_file(content)
            size = content.stat().st_size
        else:
            oid, size = odb.add_bytes(content), len(content)
        artifact = f"{address.tail}.{name}"
        out[f"{folder}/{artifact}{SUFFIX}"] = Pointer(artifact, oid, size).encode()
    return out
