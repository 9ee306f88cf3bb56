"""A second, deliberately naive reader of Pychron repositories, built only from the paths
and keys written in pychron-format.md (§3.1, §3.4, §5) and the git command line.

It shares no code with ardvc, so files that both read identically are files that follow
the documented format, not merely files ardvc agrees with itself about.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

UUID4 = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.IGNORECASE
)
SUFFIX = {
    ".data": ".dat",
    "intercepts": ".inte",
    "baselines": ".base",
    "blanks": ".blan",
    "icfactors": ".icfa",
    "tags": ".tags",
    "peakcenter": ".peak",
    "extraction": ".extr",
    "monitor": ".moni",
}


def git_show(repo: Path, rev: str, path: str) -> bytes | None:
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def candidate_paths(name: str, modifier: str | None) -> list[str]:
    """§3.1: shard lengths by name kind; modifier directory and 4-letter suffix."""
    name = name.replace(":", "_")
    if UUID4.match(name):
        lengths = [5, 3, 2]
    elif name.count("-") > 1:
        lengths = [4] if len(name.split("-")[0]) == 1 else [5]
    else:
        lengths = [3]
    out = []
    for n in lengths:
        shard, tail = name[:n], name[n:]
        if modifier is None:
            out.append(f"{shard}/{tail}.json")
        else:
            out.append(f"{shard}/{modifier}/{tail}{SUFFIX[modifier]}.json")
            if modifier == "tags":
                out.insert(len(out) - 1, f"reduction/{shard}/tags/{tail}.tags.json")
    return out


def read(repo: Path, rev: str, name: str, modifier: str | None = None) -> dict[str, Any] | None:
    for path in candidate_paths(name, modifier):
        raw = git_show(repo, rev, path)
        if raw is not None:
            value: dict[str, Any] = json.loads(raw)
            return value
    return None


def intercept(repo: Path, rev: str, name: str, isotope: str) -> tuple[float, float]:
    """§5.3: ``value``/``error`` of an isotope's entry in the intercepts file."""
    doc = read(repo, rev, name, "intercepts")
    assert doc is not None, f"no intercepts for {name}"
    entry = doc[isotope]
    return float(entry["value"]), float(entry["error"])
