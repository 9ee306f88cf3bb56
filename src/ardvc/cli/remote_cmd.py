"""``ardvc remote``: where the lab's repositories are shared."""

from __future__ import annotations

import sys

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.cli.output import emit_json, table
from ardvc.config import Level
from ardvc.errors import UsageError
from ardvc.sync.remotes import (
    RemoteSetup,
    check_remote_name,
    remote_names,
    remote_secret,
    remote_spec,
    remove_remote,
)


def read_token(name: str) -> str:
    """A token from stdin (a pipe) or a hidden prompt; never from the command line."""
    if sys.stdin.isatty():
        token = click.prompt(f"token for remote {name}", hide_input=True)
    else:
        token = sys.stdin.readline()
    token = str(token).strip()
    if not token:
        raise UsageError("no token given", hint="pipe it in: ardvc remote token NAME < file")
    return token


@click.group("remote")
def remote_group() -> None:
    """Lab remotes: where the MetaRepo and every data repository are shared.

    \b
    ardvc remote add origin /srv/git/lab                   a folder of bare repositories
    ardvc remote add origin ssh://git@server/srv/git/lab   an SSH git server
    ardvc remote add origin --github NMGRLData             a GitHub organisation
    ardvc remote add origin --gitlab gitlab.com/mylab      a GitLab group
    ardvc remote token origin < token.txt                  the token, into config.local
    """


@remote_group.command("add")
@click.argument("name")
@click.argument("url", required=False)
@click.option("--github", metavar="ORG", help="Repositories in this GitHub organisation.")
@click.option("--gitlab", metavar="HOST/GROUP", help="Repositories in this GitLab group.")
@click.option("--url", "git_url", metavar="URL",
              help="With --github/--gitlab: push/pull through this base URL instead.")  # fmt: skip
@click.option("--api-url", default="", help="API base (default: the service's own).")
@click.option("--user", default="", help="HTTP user name sent with the token.")
@click.option("--ssh-command", default="", help="SSH command, e.g. 'ssh -i ~/.ssh/lab_key'.")
@click.option("--token-stdin", is_flag=True, help="Read the token from stdin into config.local.")
@click.option("--force", is_flag=True, help="Repoint repositories that have another URL.")
@pass_ctx
@report_errors
def remote_add(
    cli: CliContext, name: str, url: str | None, github: str | None, gitlab: str | None,
    git_url: str | None, api_url: str, user: str, ssh_command: str, token_stdin: bool,
    force: bool,
) -> None:  # fmt: skip
    """Add (or change) a lab remote and give every repository its git remote.

    Each repository lives at URL/<name>.git: the MetaRepo at URL/MetaData.git, a data
    repository at URL/<Repo>.git. URL is a local or mounted folder, ssh://… or
    user@host:path, git://…, or http(s)://…. Repositories missing there are created by
    `ardvc push` (local paths, SSH, and GitHub/GitLab when a token is configured).
    Credentials never go into the URL: store the token with --token-stdin or
    `ardvc remote token NAME`; git gets it from ardvc's credential helper.
    """
    check_remote_name(name)
    token = read_token(name) if token_stdin else None
    setup = RemoteSetup.from_options(name, git_url or url, github=github, gitlab=gitlab,
                                     api_url=api_url, user=user, ssh_command=ssh_command,
                                     token=token)  # fmt: skip
    applied = cli.lab().add_remote(setup, force=force)
    command_log("remote add", name=name, host=str(setup.host))
    rows = [(a.repo, a.action, a.url) for a in applied]
    cli.console.print(table(f"remote {name}", ("repository", "git remote", "URL"), rows))
    kept = [a.repo for a in applied if a.action == "kept"]
    if kept:
        cli.err.print(f"[yellow]note:[/] {', '.join(kept)} keep their own URL for {name} "
                      "(--force repoints them)", highlight=False)  # fmt: skip


@remote_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@pass_ctx
@report_errors
def remote_list(cli: CliContext, as_json: bool) -> None:
    """The lab remotes (tokens are never shown, only whether one is stored)."""
    config = cli.lab().config
    specs = [s for n in remote_names(config) if (s := remote_spec(config, n)) is not None]
    if as_json:
        emit_json(cli.console, [{**vars(s), "host": str(s.host),
                                 "token": remote_secret(config, s.name) is not None}
                                for s in specs])  # fmt: skip
        return
    rows = [(s.name, s.url, str(s.host), s.owner or "-", s.transport,
             "stored" if remote_secret(config, s.name) else "-") for s in specs]  # fmt: skip
    cli.console.print(table("remotes", ("name", "URL", "host", "owner", "transport", "token"),
                            rows))  # fmt: skip


@remote_group.command("token")
@click.argument("name")
@pass_ctx
@report_errors
def remote_token(cli: CliContext, name: str) -> None:
    """Store the token (or HTTP password) of a remote in config.local (mode 0600).

    Read from stdin or a hidden prompt, never from the command line.
    """
    lab = cli.lab()
    if remote_spec(lab.config, name) is None:
        raise UsageError(f"no lab remote {name!r}", hint=f"ardvc remote add {name} URL")
    lab.config.set(f"remote.{name}.token", read_token(name), Level.LOCAL)
    command_log("remote token", name=name)
    cli.console.print(f"token of {name} stored in {lab.workspace.config_local_file}")


@remote_group.command("remove")
@click.argument("name")
@pass_ctx
@report_errors
def remote_remove(cli: CliContext, name: str) -> None:
    """Forget a lab remote (and its token). The repositories' git remotes stay."""
    if not remove_remote(cli.lab().config, name):
        raise UsageError(f"no lab remote {name!r}")
    command_log("remote remove", name=name)
    cli.console.print(f"removed remote {name}")
