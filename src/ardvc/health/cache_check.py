"""fsck: pointers against the cache. Every artifact pointer on any branch of any
repository names an object (a manifest names its files); each must be in the cache and
hash to its name.

* an object a pointer names is not in the cache → repairable when a cache remote is
  configured (fetched from it, and verified on arrival), else it needs a person (``ardvc
  add`` the file again from a copy);
* an object whose content does not hash to its name → repairable the same way: removed,
  then fetched again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ardvc.cache import manifest as manifests
from ardvc.cache.gc import expand
from ardvc.cache.remote import open_remote
from ardvc.cache.store import Cache, CacheSettings
from ardvc.cache.transfer import fetch
from ardvc.cache.verify import verify
from ardvc.errors import TransferError
from ardvc.gitstore import GitRepo
from ardvc.health.findings import Finding, LabView
from ardvc.persist import artifacts
from ardvc.workspace import Workspace

FETCH = "ardvc fsck --repair (fetches it from the cache remote)"
NO_REMOTE = "re-add the file from a copy (ardvc add PATH), or configure the cache remote " \
    "that holds it (cache.remote) and run ardvc fsck --repair"  # fmt: skip


def _cache(view: LabView) -> Cache:
    return Cache(Workspace(view.root), CacheSettings.from_config(view.config))


def _has_remote(view: LabView) -> bool:
    return bool(view.config.get("cache.remote"))


def _referenced(view: LabView) -> dict[str, str]:
    """oid → where the first pointer naming it is (``repo:path.ardvc``)."""
    out: dict[str, str] = {}
    for source in view.sources():
        git = GitRepo(source.path)
        for head in artifacts.branch_heads(git):
            for path, pointer in artifacts.committed_pointers(git, head).items():
                out.setdefault(pointer.oid, f"{source.name}:{path}")
    return out


def check_cache(view: LabView) -> Iterator[Finding]:
    named = _referenced(view)
    if not named and not (view.root / ".ardvc" / "cache" / "files").is_dir():
        return
    repairable = _has_remote(view)
    remedy = FETCH if repairable else NO_REMOTE
    cache = _cache(view)
    try:
        with cache.reading_cache("fsck"):
            unexpanded: list[str] = []
            wanted = expand(cache, named, unexpanded)
            for oid in sorted(wanted):
                if cache.odb.exists(oid):
                    continue
                where = named.get(oid, "a manifest's entry")
                kind = "manifest" if oid.endswith(manifests.DIR_SUFFIX) else "object"
                yield Finding(
                    "cache-missing-object", where, f"{kind} {oid} is not in the cache",
                    repairable, remedy, "error", {"oid": oid},
                )  # fmt: skip
            report = verify(cache)
        for oid, problem in sorted(report.corrupt.items()):
            yield Finding(
                "cache-corrupt-object", oid, problem, repairable,
                remedy if repairable else "ardvc cache verify --repair, then " + NO_REMOTE,
                "error", {"oid": oid},
            )  # fmt: skip
    finally:
        cache.close()


def repair_cache(view: LabView, findings: Sequence[Finding]) -> list[str]:
    """Remove corrupt objects, then fetch every object the findings name from the cache
    remote (each verified on arrival)."""
    oids = {f.subject["oid"] for f in findings if "oid" in f.subject}
    if not oids:
        return []
    cache = _cache(view)
    done: list[str] = []
    try:
        corrupt = [f.subject["oid"] for f in findings if f.kind == "cache-corrupt-object"]
        if corrupt:
            with cache.writing_cache("fsck --repair"):
                for oid in corrupt:
                    cache.odb.remove(oid)
                    done.append(f"removed corrupt object {oid}")
        remote = open_remote(view.config, Workspace(view.root))
        with cache.reading_cache("fsck --repair"):
            try:
                report = fetch(cache, remote, oids)
            except TransferError as exc:
                done.append(f"fetch from {remote.name} failed for {len(exc.failed)} objects")
                return done
        done.extend(f"fetched {oid} from {remote.name}" for oid in report.moved)
    finally:
        cache.close()
    return done
