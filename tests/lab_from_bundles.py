"""A lab made of real Pychron repositories (shared bundles) for the web, plot and export
tests: ``MetaData`` and data repositories as cheap local clones (``git clone --shared`` of
the session's bare mirrors), adopted as an ardvc lab with the NMGRL time zone."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from ardvc.api import Lab
from ardvc.config import Level

CORNUDAS_IA = "c919ed7dbc538568b0964e28896dd3fdbdc235ab"
META_2022 = "20d8fab7220fa66144f756d421809c0dc1ef0bcf"
DENVER = "America/Denver"


def make_lab(
    bundle_bare: Callable[[str], Path],
    root: Path,
    repos: Sequence[str] = ("Cornudas",),
    *,
    token: str | None = None,
) -> Lab:
    root.mkdir(parents=True)
    targets = {"MetaData": root / "MetaData"}
    targets.update({name: root / "repositories" / name for name in repos})
    for name, target in targets.items():
        subprocess.run(
            ["git", "clone", "--quiet", "--shared", str(bundle_bare(name)), str(target)],
            check=True, capture_output=True,
        )  # fmt: skip
    Lab.adopt_pychron(root)
    lab = Lab.open(root)
    lab.config.set("lab.timezone", DENVER)
    if token is not None:
        lab.config.set("web.token", token, Level.LOCAL)
    return Lab.open(root)
