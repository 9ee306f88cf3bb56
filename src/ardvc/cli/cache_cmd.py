"""``ardvc add / checkout / unprotect / gc / lock``, ``ardvc cache …`` and
``ardvc run-cache …``: artifacts and the content-addressed cache."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ardvc.cache.links import unprotect
from ardvc.cache.pointer import Pointer
from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, table
from ardvc.errors import TransferError, UsageError
from ardvc.labcache import LabCache

if TYPE_CHECKING:
    from ardvc.cache.transfer import TransferReport

WAIT = click.option(
    "--wait", is_flag=True,
    help="Wait for busy locks as long as it takes (default: cache.lock_timeout seconds).",
)  # fmt: skip
JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
REMOTE = click.option(
    "-r", "--remote", metavar="NAME", help="Cache remote (default: cache.remote)."
)


@contextlib.contextmanager
def _bar(cli: CliContext, what: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar; its ticks are passed on at most ten times a second (an add of 10⁵
    files would otherwise spend its time drawing)."""
    with Progress(
        TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=cli.err, transient=True, disable=cli.verbosity < 0,
    ) as bar:  # fmt: skip
        task = bar.add_task(what, total=total)
        pending, shown = 0, time.monotonic()

        def tick(n: int) -> None:
            nonlocal pending, shown
            pending += n
            if time.monotonic() - shown >= 0.1:
                bar.advance(task, pending)
                pending, shown = 0, time.monotonic()

        yield tick
        bar.advance(task, pending)


def _lab_cache(cli: CliContext, wait: bool) -> LabCache:
    return LabCache(cli.cache_lab(), wait=wait)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def _pointer_json(p: Pointer) -> dict[str, object]:
    return {"hash": p.hash, "kind": p.kind, "size": p.size, "nfiles": p.nfiles}


@click.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-m", "--message", help="Commit message (default: '<ARTIFACT> add PATHS').")
@WAIT
@JSON
@pass_ctx
@report_errors
def add_cmd(cli: CliContext, paths: tuple[Path, ...], message: str | None, wait: bool,
            as_json: bool) -> None:  # fmt: skip
    """Put files or folders of a data repository into the cache and commit their pointers.

    The content goes to .ardvc/cache (content-addressed, read-only, deduplicated); the
    repository gets PATH.ardvc (algorithm, hash, size) and a .gitignore line, in one commit
    that contains nothing else. Unchanged files are not read again (state DB). With
    cache.type starting with reflink or hardlink, workspace files become links to the
    cache (hardlinks are read-only: `ardvc unprotect PATH` before editing in place).

    \b
    ardvc add repositories/NM-999/snapshots
    ardvc add repositories/NM-999/videos/run42.mp4 -m "laser video of run 42"
    """
    started = time.perf_counter()
    lc = _lab_cache(cli, wait)
    try:
        with _bar(cli, "hashing") as tick:
            reports = lc.add(list(paths), message=message, progress=tick)
    finally:
        lc.close()
    command_log("add", paths=" ".join(map(str, paths)))
    staged = [s for r in reports for s in r.staged]
    if as_json:
        emit_json(cli.console, [
            {"path": str(s.path), **_pointer_json(s.pointer), "hashed": s.hashed,
             "added": s.added, "link": s.link,
             "commit": r.commit.commit if r.commit else None}
            for r in reports for s in r.staged
        ])  # fmt: skip
        return
    for r in reports:
        for s in r.staged:
            what = f"{s.pointer.nfiles} files" if s.pointer.kind == "dir" else "file"
            cli.console.print(
                f"added {s.path} ({what}, {_size(s.pointer.size)}; {s.hashed} hashed, "
                f"{s.added} new in the cache; workspace: {s.link})", highlight=False,
            )  # fmt: skip
        done = "pointers unchanged"
        if r.commit is not None and r.commit.commit is not None:
            done = f"committed {r.commit.commit[:12]}"
        cli.console.print(f"{done}: {', '.join(r.pointer_paths)}", highlight=False)
    cli.err.print(f"{len(staged)} artifacts in {time.perf_counter() - started:.2f} s",
                  highlight=False)  # fmt: skip


@click.command("checkout")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--repo", "repos", multiple=True, help="Only these repositories (repeatable).")
@click.option("--force", is_flag=True,
              help="Replace differing workspace content even if the cache lacks it.")  # fmt: skip
@WAIT
@pass_ctx
@report_errors
def checkout_cmd(cli: CliContext, paths: tuple[Path, ...], repos: tuple[str, ...], force: bool,
                 wait: bool) -> None:  # fmt: skip
    """Make the working trees hold the artifacts their pointers name, from the cache.

    Objects are verified before they are placed. Content that differs from the pointer
    and is not in the cache is never overwritten without --force (it is listed instead).
    After `git checkout` of another commit, this brings the artifacts along.
    """
    lc = _lab_cache(cli, wait)
    try:
        with _bar(cli, "checking out") as tick:
            results = lc.checkout(list(paths), repos=repos or None, force=force, progress=tick)
    finally:
        lc.close()
    command_log("checkout", paths=" ".join(map(str, paths)) or None, force=force or None)
    refused = [p for r in results for p in r.refused]
    for r in results:
        if r.placed or r.removed:
            cli.console.print(f"{r.path}: {r.placed} placed ({r.link}), {r.removed} removed",
                              highlight=False)  # fmt: skip
    unchanged = sum(r.unchanged for r in results)
    cli.console.print(f"{len(results)} artifacts, {unchanged} already up to date")
    if refused:
        raise UsageError(
            f"{len(refused)} workspace files differ and are not in the cache; not replaced: "
            + ", ".join(refused[:5])
            + (" …" if refused[5:] else ""),
            hint="ardvc add them to keep them, or ardvc checkout --force to discard them",
        )


@click.command("unprotect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@pass_ctx
@report_errors
def unprotect_cmd(cli: CliContext, paths: tuple[Path, ...]) -> None:
    """Replace hardlinked (read-only) artifact files by private writable copies, so they
    can be edited in place without touching the cache. Re-add them afterwards."""
    changed = 0
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        changed += sum(unprotect(f) for f in files)
    cli.console.print(f"{changed} files made writable copies")


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@WAIT
@JSON
@pass_ctx
@report_errors
def gc_cmd(cli: CliContext, dry_run: bool, wait: bool, as_json: bool) -> None:
    """Remove cache objects that nothing references any more.

    Kept: whatever a pointer on any branch (local or remote-tracking) of any repository
    names, pointers not yet committed in working trees, and the objects run records need.
    Manifests are removed before files. Waits until no other command uses the cache.
    """
    lc = _lab_cache(cli, wait)
    try:
        with _bar(cli, "removing") as tick:
            report = lc.gc(dry_run=dry_run, progress=tick)
    finally:
        lc.close()
    command_log("gc", dry_run=dry_run or None)
    if as_json:
        emit_json(cli.console, asdict(report))
        return
    verb = "would remove" if dry_run else "removed"
    cli.console.print(
        f"{verb} {len(report.removed)} objects ({_size(report.freed_bytes)}) and "
        f"{report.temps_removed} abandoned temp files; {report.kept} referenced objects kept",
        highlight=False,
    )


@click.command("lock")
@JSON
@pass_ctx
@report_errors
def lock_cmd(cli: CliContext, as_json: bool) -> None:
    """Who holds which workspace path or cache lock right now (stale ones are marked)."""
    lc = _lab_cache(cli, False)
    table_ = lc.cache.rwlock.entries()
    rows = [("write", p, h) for p, h in table_.write.items()]
    rows += [("read", p, h) for p, hs in table_.read.items() for h in hs]
    if as_json:
        emit_json(cli.console, [{"mode": m, "path": p, **h.as_json(), "stale": h.dead}
                                for m, p, h in rows])  # fmt: skip
        return
    if not rows:
        cli.console.print("no locks held")
        return
    cli.console.print(table("locks", ["mode", "path", "holder", "stale"],
                            [(m, p, h.describe(), "yes" if h.dead else "")
                             for m, p, h in rows]))  # fmt: skip


# --- ardvc cache ---------------------------------------------------------------------------


@click.group("cache")
def cache_group() -> None:
    """The content-addressed cache and its remotes (cache_remote.<name>.url).

    \b
    ardvc config cache_remote.lab.url s3://bucket/ardvc
    ardvc config cache_remote.lab.endpoint_url http://minio.lab:9000
    ardvc config --local cache_remote.lab.secret_access_key …
    ardvc config cache.remote lab
    ardvc cache push            ardvc cache pull            ardvc cache status -c
    """


def _transfer(
    cli: CliContext, what: str, run: Callable[[Callable[[int], None]], TransferReport]
) -> None:
    try:
        with _bar(cli, what) as tick:
            report = run(tick)
    except TransferError as exc:
        from ardvc.cache.transfer import TransferReport  # remotes: loaded when used

        if isinstance(exc.report, TransferReport):
            moved = len(exc.report.moved)
            cli.err.print(f"{moved} objects moved despite the failures", highlight=False)
        raise
    cli.console.print(
        f"{what}: {len(report.moved)} objects ({_size(report.bytes)}), {report.runs} run "
        f"records; {report.already} already there ({report.remote})", highlight=False,
    )  # fmt: skip


@cache_group.command("push")
@REMOTE
@WAIT
@pass_ctx
@report_errors
def cache_push_cmd(cli: CliContext, remote: str | None, wait: bool) -> None:
    """Upload the objects that any branch references, and new run records.

    Files first, manifests last; each object is verified before it leaves; a remote
    index (.ardvc/tmp/index/<remote>) avoids asking about what is known to be there.
    """
    lc = _lab_cache(cli, wait)
    try:
        _transfer(cli, "pushed", lambda tick: lc.push(remote, progress=tick))
    finally:
        lc.close()
    command_log("cache push", remote=remote)


@cache_group.command("fetch")
@REMOTE
@WAIT
@pass_ctx
@report_errors
def cache_fetch_cmd(cli: CliContext, remote: str | None, wait: bool) -> None:
    """Download the objects any branch references that the cache lacks (verified), and
    the remote's run records. The working trees are not touched."""
    lc = _lab_cache(cli, wait)
    try:
        _transfer(cli, "fetched", lambda tick: lc.fetch(remote, progress=tick))
    finally:
        lc.close()
    command_log("cache fetch", remote=remote)


@cache_group.command("pull")
@REMOTE
@click.option("--force", is_flag=True, help="Let checkout replace content not in the cache.")
@WAIT
@pass_ctx
@report_errors
def cache_pull_cmd(cli: CliContext, remote: str | None, force: bool, wait: bool) -> None:
    """Fetch, then check out every artifact of the checked-out branches."""
    lc = _lab_cache(cli, wait)
    try:
        _transfer(cli, "fetched", lambda tick: lc.fetch(remote, progress=tick))
        with _bar(cli, "checking out") as tick:
            results = lc.checkout(force=force, progress=tick)
    finally:
        lc.close()
    command_log("cache pull", remote=remote)
    placed = sum(r.placed for r in results)
    cli.console.print(f"checked out {placed} files of {len(results)} artifacts")


@cache_group.command("status")
@click.option("-c", "--cloud", is_flag=True, help="Compare with the cache remote too.")
@REMOTE
@click.option("--refresh", is_flag=True, help="Forget the remote index and ask the remote.")
@JSON
@pass_ctx
@report_errors
def cache_status_cmd(cli: CliContext, cloud: bool, remote: str | None, refresh: bool,
                     as_json: bool) -> None:  # fmt: skip
    """Artifacts of the checked-out branches: workspace vs pointer vs cache, each with
    what to do; with -c, which referenced objects are only local, only remote, or lost."""
    lc = _lab_cache(cli, False)
    try:
        with _bar(cli, "artifacts") as tick:
            rows = lc.status(progress=tick)
        payload: dict[str, object] = {"artifacts": [r.as_dict() for r in rows]}
        if cloud:
            from ardvc.cache.gc import expand
            from ardvc.cache.transfer import cloud_status

            wanted = expand(lc.cache, lc.referenced())
            cs = cloud_status(lc.cache, lc.remote(remote), wanted, refresh=refresh)
            payload["remote"] = {k: sorted(v) for k, v in asdict(cs).items()}
    finally:
        lc.close()
    if as_json:
        emit_json(cli.console, payload)
        return
    cli.console.print(table("artifacts", ["path", "state", "size", "remedy"],
                            [(r.path, r.state, _size(r.size), r.remedy or "")
                             for r in rows]))  # fmt: skip
    if cloud:
        counts = {k: len(v) for k, v in payload["remote"].items()}  # type: ignore[attr-defined]
        cli.console.print(
            f"remote: {counts['both']} in both, {counts['local_only']} to push "
            f"(ardvc cache push), {counts['remote_only']} to fetch (ardvc cache fetch), "
            f"{counts['missing']} in neither", highlight=False,
        )  # fmt: skip


@cache_group.command("verify")
@click.option("--repair", is_flag=True, help="Remove the corrupt objects (fetch them again).")
@WAIT
@JSON
@pass_ctx
@report_errors
def cache_verify_cmd(cli: CliContext, repair: bool, wait: bool, as_json: bool) -> None:
    """Re-hash every object in the cache; exits 1 when any is corrupt."""
    lc = _lab_cache(cli, wait)
    try:
        total = sum(1 for _ in lc.cache.odb.oids())
        with _bar(cli, "verifying", total) as tick:
            report = lc.verify(repair=repair, progress=tick)
    finally:
        lc.close()
    command_log("cache verify", repair=repair or None)
    if as_json:
        emit_json(cli.console, asdict(report))
    else:
        for oid, problem in sorted(report.corrupt.items()):
            cli.console.print(f"[red]corrupt[/] {oid}: {problem}", highlight=False)
        cli.console.print(f"{report.checked} objects checked, {len(report.corrupt)} corrupt"
                          + (f", {len(report.removed)} removed" if repair else ""))  # fmt: skip
    if not report.ok:
        raise SystemExit(1)


# --- ardvc run-cache -----------------------------------------------------------------------


@click.group("run-cache")
def run_cache_group() -> None:
    """Memoised stage results (.ardvc/cache/runs): a second `ardvc reduce` with the same
    inputs, parameters and code is a lookup."""


@run_cache_group.command("status")
@JSON
@pass_ctx
@report_errors
def run_cache_status_cmd(cli: CliContext, as_json: bool) -> None:
    """How many stage keys and records the run-cache holds."""
    lc = _lab_cache(cli, False)
    status = lc.cache.runs.status()
    if as_json:
        emit_json(cli.console, asdict(status))
        return
    cli.console.print(f"{status.records} run records under {status.keys} keys "
                      f"({_size(status.bytes)})")  # fmt: skip


@run_cache_group.command("gc")
@click.option("--keep", default=1, show_default=True, help="Newest records kept per key.")
@click.option("--older-than", type=float, metavar="DAYS", help="Also drop records older than this.")
@click.option("--dry-run", is_flag=True, help="Only report.")
@pass_ctx
@report_errors
def run_cache_gc_cmd(cli: CliContext, keep: int, older_than: float | None, dry_run: bool) -> None:
    """Drop old run records (their objects become garbage for `ardvc gc`)."""
    if keep < 0:
        raise UsageError("--keep must be 0 or more")
    lc = _lab_cache(cli, False)
    removed = lc.cache.runs.gc(keep=keep, older_than_days=older_than, dry_run=dry_run)
    command_log("run-cache gc", keep=keep, dry_run=dry_run or None)
    cli.console.print(f"{'would remove' if dry_run else 'removed'} {len(removed)} run records")
