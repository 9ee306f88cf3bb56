"""``make demo`` until the acquisition issue lands: a lab built from real Pychron data.

With ``../shared/data`` present, the demo lays out the MetaRepo and three data repositories
as Pychron has them, adopts that folder in place and reads analyses from it. In every case
it creates a data repository and writes the embedded real analysis (Cornudas 69421-02F)
with Pychron's collection commits, then shows it with the CLI.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from ardvc.api import Lab
from ardvc.data.write import write_collection
from ardvc.demodata import cornudas_analysis
from ardvc.errors import RepositoryNotFoundError

BUNDLES = ("IR998", "Cornudas", "Lusk01121")
console = Console()


def shared_data() -> Path | None:
    for candidate in (
        os.environ.get("ARDVC_SHARED_DATA"),
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ):
        if candidate and (Path(candidate) / "MetaData.bundle").is_file():
            return Path(candidate)
    return None


def cli(*args: str) -> None:
    console.rule(f"[bold]ardvc {' '.join(args)}")
    subprocess.run([sys.executable, "-m", "ardvc", *args], check=True)


def clone(bundle: Path, target: Path) -> None:
    if not target.exists():
        console.print(f"cloning {bundle.name} → {target}")
        subprocess.run(["git", "clone", "--quiet", str(bundle), str(target)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lab", nargs="?", default="demo-lab", type=Path)
    root = parser.parse_args().lab.resolve()
    os.environ.setdefault("ARDVC_USER_NAME", "ardvc demo")
    os.environ.setdefault("ARDVC_USER_EMAIL", "demo@ardvc.invalid")
    shared = shared_data()
    if shared is not None:
        console.print(f"[green]real Pychron data from {shared}[/]")
        clone(shared / "MetaData.bundle", root / "MetaData")
        for name in BUNDLES:
            clone(shared / f"{name}.bundle", root / "repositories" / name)
        for message in Lab.adopt_pychron(root).messages:
            console.print(message)
    else:
        console.print("[yellow]../shared/data not found: starting an empty lab[/]")
        for message in Lab.init(root).messages:
            console.print(message)
    lab = Lab.open(root)
    try:
        batch = lab.repo("DemoBatch")
    except RepositoryNotFoundError:
        batch = lab.create_repository("DemoBatch")
    if batch.locate(cornudas_analysis().uuid) is None:
        results = write_collection(
            batch, cornudas_analysis(), lab.author(), previous_blank="bu-FD-F-788"
        )
        console.print(f"wrote 69421-02F into DemoBatch in {len(results)} collection commits")
    os.chdir(root)
    cli("ls")
    cli("show", "69421-02F", "--repo", "DemoBatch")
    if shared is not None:
        cli("show", "66681-03L")
        cli(
            "show",
            "65761-05",
            "--repo",
            "IR998",
            "--at",
            "6a4cdd742592f1cb382cff3c68719fd9c433f52a",
        )
    console.rule("[bold]git log of DemoBatch (Pychron's collection messages)")
    subprocess.run(["git", "-C", str(batch.git.path), "log", "--format=%h %an  %s"], check=True)


if __name__ == "__main__":
    main()
