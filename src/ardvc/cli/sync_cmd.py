"""``ardvc status``, ``push``, ``pull``, ``share``, ``offline``, ``clone-lab`` and
``credential``: the lab and its remotes."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from ardvc.api import Lab
from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, table
from ardvc.cli.remote_cmd import read_token
from ardvc.cli.sync_output import (
    print_failures,
    print_report,
    print_share,
    print_status,
    sync_progress,
)
from ardvc.sync.credential import respond
from ardvc.sync.offline_state import OfflineState
from ardvc.sync.operations import ShareReport
from ardvc.sync.remotes import RemoteSetup
from ardvc.sync.steps import SyncReport

REMOTE_OPTION = click.option(
    "--remote", metavar="NAME", help="Lab remote (default: persist.remote, i.e. origin)."
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="The result as JSON.")


def _repos(text: str | None) -> list[str]:
    return [r.strip() for r in (text or "").split(",") if r.strip()]


@click.command("status")
@REMOTE_OPTION
@click.option("--fetch", is_flag=True, help="Fetch every repository first (network).")
@click.option("--strict", is_flag=True, help="Exit 1 unless every repository is in sync.")
@JSON_OPTION
@pass_ctx
@report_errors
def status_cmd(
    cli: CliContext, remote: str | None, fetch: bool, strict: bool, as_json: bool
) -> None:
    """Where every repository stands against the remote, and what to do about it.

    One row per repository (the MetaRepo and every data repository): branch, commits
    ahead of and behind the remote, commits waiting in the outbox, the last fetch, and
    an explicit state with its remedy — in-sync, ahead (push), behind (pull), diverged
    (pull, then push), unpublished, collection-unmerged, push-failing, fetch-failing,
    conflict, no-remote. Without --fetch nothing goes over the network: the counts are
    as of the last fetch. Then the artifacts (ardvc add) whose working-tree file, pointer
    or cache object disagree, each with its remedy.
    """
    lab = cli.lab()
    with sync_progress(cli, "fetching") as progress:
        status = lab.status(remote, fetch=fetch, progress=progress)
    state = OfflineState.load(lab.workspace)
    if state.active:
        status.notes.append(f"offline since {state.since} (ardvc offline finish)")
    lab_cache = lab.cache()
    try:
        artifacts = lab_cache.status()
    finally:
        lab_cache.close()
    unwell = [a for a in artifacts if a.remedy]
    if as_json:
        emit_json(cli.console, {**status.as_dict(), "artifacts": [a.as_dict() for a in artifacts]})
    else:
        print_status(cli.console, status)
        if unwell:
            rows = [(escape(a.path), a.state, escape(a.remedy or "")) for a in unwell]
            cli.console.print(table("artifacts", ["path", "state", "remedy"], rows))
        if artifacts:
            cli.console.print(
                f"artifacts: {len(artifacts) - len(unwell)} of {len(artifacts)} as committed",
                highlight=False,
            )
    if strict and (not status.in_sync or unwell):
        raise SystemExit(1)


def _show(cli: CliContext, report: SyncReport | ShareReport, as_json: bool) -> None:
    """Print a push/pull/share report (or its JSON); exit 1 when a repository failed."""
    if as_json:
        emit_json(cli.console, report.as_dict())
    elif isinstance(report, ShareReport):
        print_share(cli.console, report)
    else:
        print_report(cli.console, report)
    if not report.ok:
        raise SystemExit(1)


@click.command("push")
@click.argument("repos", nargs=-1, metavar="[REPO]...")
@REMOTE_OPTION
@JSON_OPTION
@pass_ctx
@report_errors
def push_cmd(cli: CliContext, repos: tuple[str, ...], remote: str | None, as_json: bool) -> None:
    """Push the MetaRepo and every data repository (or those named), in parallel.

    Each repository's checked-out branch, a local data_collection and every branch
    with commits in the outbox go to the remote; missing remote repositories are created
    (local paths, SSH, GitHub/GitLab with a token). Pushed commits leave the outbox; a
    failed or rejected push keeps them there with the error (see ardvc status). Exits 1
    when any repository was not pushed.
    """
    lab = cli.lab()
    with sync_progress(cli, "pushing") as progress:
        report = lab.push(remote, repos, progress=progress)
    command_log("push", remote=report.remote, ok=report.ok, repos=len(report.repos))
    _show(cli, report, as_json)


@click.command("pull")
@click.argument("repos", nargs=-1, metavar="[REPO]...")
@REMOTE_OPTION
@click.option("--allow-deletions", is_flag=True,
              help="Accept a merge that deletes more than core.max_deletions files.")  # fmt: skip
@JSON_OPTION
@pass_ctx
@report_errors
def pull_cmd(
    cli: CliContext, repos: tuple[str, ...], remote: str | None, allow_deletions: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Fetch every repository, bring its branch up to the remote, then sync the index.

    A branch behind the remote is fast-forwarded; a diverged one is merged. A conflict
    changes nothing: the files are listed with what to do (ardvc never resolves one by
    dropping a side). As Pychron does, the remote data_collection branch is merged into
    the checked-out branch — loudly when that fails. Exits 1 when any repository failed.
    """
    lab = cli.lab()
    with sync_progress(cli, "pulling") as progress:
        report = lab.pull(remote, repos, progress=progress, allow_deletions=allow_deletions)
    command_log("pull", remote=report.remote, ok=report.ok, repos=len(report.repos))
    _show(cli, report, as_json)


@click.command("share")
@click.argument("repos", nargs=-1, metavar="[REPO]...")
@REMOTE_OPTION
@click.option("--attempts", default=4, show_default=True,
              help="Rounds: a rejected push is pulled and pushed again, an unreachable "
              "remote retried after 2 s, 4 s, …")  # fmt: skip
@JSON_OPTION
@pass_ctx
@report_errors
def share_cmd(
    cli: CliContext, repos: tuple[str, ...], remote: str | None, attempts: int, as_json: bool
) -> None:
    """Push everything pending and say exactly what went where.

    Drains the outbox: every repository is pushed; where the remote moved on, its
    commits are pulled (merged) first and the push repeated; an unreachable remote is
    retried with backoff. Prints each branch sent, its URL, commit range, number of
    commits and outbox entries cleared. Exits 1 unless everything was shared.
    """
    lab = cli.lab()
    with sync_progress(cli, "sharing") as progress:
        report = lab.share(remote, repos, progress=progress, attempts=attempts)
    command_log("share", remote=report.push.remote, ok=report.ok, rounds=len(report.rounds))
    _show(cli, report, as_json)


@click.group("offline")
def offline_group() -> None:
    """Work without the network, then share everything (prepare → work → finish)."""


@offline_group.command("prepare")
@click.option("--repos", required=True, metavar="A,B",
              help="Data repositories to work on (cloned when missing).")  # fmt: skip
@REMOTE_OPTION
@JSON_OPTION
@pass_ctx
@report_errors
def offline_prepare(cli: CliContext, repos: str, remote: str | None, as_json: bool) -> None:
    """Clone or update the MetaRepo and the chosen repositories, build a local index.

    The local SQLite index is built from git (not copied from a database). While
    offline, commits land locally and acquisition queues them in the outbox, the
    offline index follows every commit, and push/pull refuse. Run before leaving.
    """
    lab = cli.lab()
    with sync_progress(cli, "preparing") as progress:
        report = lab.offline_prepare(_repos(repos), remote, progress=progress)
    command_log("offline prepare", repos=repos, ok=report.ok)
    if as_json:
        emit_json(cli.console, report.as_dict())
    else:
        print_failures(cli.console, report.clone)
        if report.pull is not None:
            print_failures(cli.console, report.pull)
    if not report.ok:
        cli.err.print("[bold red]not offline:[/] the repositories could not be brought up "
                      "to date (see above)")  # fmt: skip
        raise SystemExit(1)
    if not as_json:
        cli.console.print(f"offline: {', '.join(_repos(repos))} and {lab.sync.meta_name} "
                          f"ready, {report.analyses} analyses in the offline index")  # fmt: skip


@offline_group.command("status")
@pass_ctx
@report_errors
def offline_status(cli: CliContext) -> None:
    """Whether the lab is offline, since when, and what waits to be shared."""
    lab = cli.lab()
    state = OfflineState.load(lab.workspace)
    if not state.active:
        cli.console.print("online")
        return
    repos = ", ".join(state.repos)
    cli.console.print(f"offline since {state.since} (remote {state.remote}; repositories "
                      f"{repos}); {len(lab.outbox)} commits in the outbox")  # fmt: skip


@offline_group.command("finish")
@JSON_OPTION
@pass_ctx
@report_errors
def offline_finish(cli: CliContext, as_json: bool) -> None:
    """Pull what others pushed, push and drain the outbox, re-sync the shared index.

    Others' new analyses merge without conflicts (they are new files). Anything that
    fails leaves the lab offline with the report; nothing is lost; run it again.
    """
    lab = cli.lab()
    with sync_progress(cli, "finishing") as progress:
        report = lab.offline_finish(progress=progress)
    command_log("offline finish", finished=report.finished)
    if as_json:
        emit_json(cli.console, report.as_dict())
    else:
        print_failures(cli.console, report.pull)
        if report.share is not None:
            print_share(cli.console, report.share)
        for note in report.notes:
            cli.err.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if not report.finished:
        raise SystemExit(1)
    if not as_json:
        synced = sum(r.mode != "unchanged" for r in report.index)
        cli.console.print(f"online again: shared index synced ({synced} repository branches)")


@click.command("clone-lab")
@click.argument("args", nargs=-1, metavar="URL [DEST] | --github ORG [DEST]")
@click.option("--github", metavar="ORG", help="The lab's repositories are in this GitHub org.")
@click.option("--gitlab", metavar="HOST/GROUP", help="… or in this GitLab group.")
@click.option("--url", "git_url", metavar="URL",
              help="With --github/--gitlab: clone from this base URL (e.g. SSH).")  # fmt: skip
@click.option("--api-url", default="", help="GitHub/GitLab API base (default: the service's).")
@click.option("--repos", metavar="A,B", help="Data repositories to clone (default: all the "
              "remote lists; a git daemon or HTTP server cannot list: name them).")  # fmt: skip
@click.option("--meta-repo", metavar="NAME", help="MetaRepo name (default MetaData).")
@click.option("--remote", "name", default="origin", show_default=True, help="Remote name.")
@click.option("--user", default="", help="HTTP user name for the token.")
@click.option("--ssh-command", default="", help="SSH command, e.g. 'ssh -i ~/.ssh/lab_key'.")
@click.option("--token-stdin", is_flag=True, help="Read the API/HTTP token from stdin.")
@pass_ctx
@report_errors
def clone_lab_cmd(
    cli: CliContext, args: tuple[str, ...], github: str | None, gitlab: str | None,
    git_url: str | None, api_url: str, repos: str | None, meta_repo: str | None, name: str,
    user: str, ssh_command: str, token_stdin: bool,
) -> None:  # fmt: skip
    """Set up a new workstation from a lab remote.

    Creates the lab at DEST (default: --root or the current folder), configures the
    remote, clones the MetaRepo and the chosen data repositories, and rebuilds the index.
    Re-running it resumes: what is present is kept.

    \b
    ardvc clone-lab ssh://git@labserver/srv/git ~/labs/nmgrl --repos IR998,Cornudas
    ardvc clone-lab --github NMGRLData ~/labs/nmgrl --token-stdin < token.txt
    """
    hosted = bool(github or gitlab)
    positional = list(args)
    url = git_url if hosted else (positional.pop(0) if positional else None)
    if len(positional) > 1:
        raise click.UsageError("too many arguments: URL and DEST at most")
    dest = Path(positional[0]) if positional else (cli.root or Path.cwd())
    token = read_token(name) if token_stdin else None
    setup = RemoteSetup.from_options(name, url, github=github, gitlab=gitlab, api_url=api_url,
                                     user=user, ssh_command=ssh_command, token=token)  # fmt: skip
    chosen = _repos(repos) if repos is not None else None
    with sync_progress(cli, "cloning") as progress:
        lab, report = Lab.clone_lab(dest, setup, chosen, meta_repo=meta_repo, progress=progress)
    command_log("clone-lab", remote=name, ok=report.ok, repos=len(report.repos))
    rows = [(o.target.name, r.status, escape(r.summary)) for o in report.repos for r in o.results]
    cli.console.print(table(f"clone-lab into {lab.root}", ("repository", "result", "what"), rows))
    print_failures(cli.console, report)
    if not report.ok:
        raise SystemExit(1)
    cli.console.print(f"lab ready at {lab.root}: {len(report.repos) - 1} data repositories, "
                      "index rebuilt")  # fmt: skip


@click.command("credential")
@click.argument("action", type=click.Choice(["get", "store", "erase"]))
@pass_ctx
@report_errors
def credential_cmd(cli: CliContext, action: str) -> None:
    """git credential helper answering from this lab's config.local.

    ardvc runs git with it by itself; to use it in your own git configuration:
    git config credential.helper '!ardvc --root /path/to/lab credential'.
    Answers with remote.<name>.token (or .password) for the lab remote whose URL
    matches git's request; stores nothing.
    """
    respond(cli.lab().config, action, sys.stdin, sys.stdout)
