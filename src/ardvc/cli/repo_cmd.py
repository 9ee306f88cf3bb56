"""``ardvc ls`` and ``ardvc repo``."""

from __future__ import annotations

import click
from rich.table import Table

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.data import repo_summary


@click.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
@report_errors
def ls_cmd(cli: CliContext, as_json: bool) -> None:
    """List the lab's data repositories with their analysis counts.

    Counts are read from git at each branch head. When a repository also has a
    data_collection branch (local or origin/), the analyses present only there are shown
    as "collection-only", so a stale master is never mistaken for the whole data set.
    """
    lab = cli.lab()
    summaries = [repo_summary(lab.repo(name)) for name in lab.repository_names()]
    if as_json:
        import orjson

        cli.console.print_json(orjson.dumps([s.as_dict() for s in summaries]).decode())
        return
    table = Table(title=f"{lab.root}  (MetaRepo {lab.config.get('lab.meta_repo')})")
    for column in ("repository", "branch", "analyses", "collection-only", "head", "date"):
        table.add_column(column, justify="right" if column == "analyses" else "left")
    for s in summaries:
        table.add_row(
            s.name,
            s.branch or "(detached)",
            str(s.analyses),
            "" if s.collection_only is None else str(s.collection_only),
            (s.head or "")[:10],
            s.date or "(empty)",
        )
    cli.console.print(table)
    if not summaries:
        cli.console.print("no data repositories yet: ardvc repo create NAME")


@click.group("repo")
def repo_group() -> None:
    """Manage data repositories."""


@repo_group.command("create")
@click.argument("name")
@pass_ctx
@report_errors
def repo_create(cli: CliContext, name: str) -> None:
    """Create the data repository NAME under repositories/.

    NAME is normalised by Pychron's rules ("Foo Bar" → FooBar, other characters outside
    [.a-zA-Z0-9] become "-"); the repository starts with a "# NAME" README commit.
    """
    lab = cli.lab()
    repo = lab.create_repository(name)
    command_log("repo create", name=repo.name)
    cli.console.print(f"created repository {repo.name} at {repo.git.path}", highlight=False)
