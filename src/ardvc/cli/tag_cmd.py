"""``ardvc tag``."""

from __future__ import annotations

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors


@click.command("tag")
@click.argument("tag")
@click.argument("names", nargs=-1, required=True, metavar="RUNID|UUID...")
@click.option("--repo", required=True, metavar="NAME", help="Data repository.")
@click.option("--note", help="A note stored in the tag file (kept from the old file if absent).")
@pass_ctx
@report_errors
def tag_cmd(cli: CliContext, tag: str, names: tuple[str, ...], repo: str, note: str | None) -> None:
    """Tag analyses ok, omit, invalid, outlier, skip … in one <TAG> commit.

    Excluding tags (omit, invalid, outlier, skip) leave an analysis out of plateaus,
    weighted means and isochrons; the tag lives in git (reduction/<shard>/tags/), so every
    reduction sees it.

    \b
    ardvc tag omit 69421-02A 69421-02B --repo Cornudas
    ardvc tag ok 69421-02A --repo Cornudas --note "re-included after review"
    """
    result = cli.lab().tag(repo, names, tag, note=note)
    command_log("tag", repo=repo, tag=tag, n=len(names), commit=result.commit)
    if result.commit is None:
        cli.console.print("nothing changed: the analyses already carry that tag")
    else:
        cli.console.print(f"tagged {len(names)} analyses {tag} in {repo}: {result.commit[:12]}")
