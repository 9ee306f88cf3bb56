"""Names that become paths: repository names, identifiers, run IDs.

Every name that ardvc turns into a folder or file is checked here first, so that nothing a
user types (or a corrupt file holds) can escape its folder.
"""

from __future__ import annotations

import re

from ardvc.errors import UnsafeNameError

_REPO_DELIMITERS = ("_", "/", " ")
_REPO_FORBIDDEN = re.compile(r"[^.a-zA-Z0-9]")


def check_safe_name(name: str, *, what: str = "name") -> str:
    """Return ``name`` unchanged if it is a single, harmless path component.

    Refuses the empty string, ``.``/``..``, separators, absolute paths, NUL and control
    characters: each of these would let a name address a file outside its folder.
    """
    if not isinstance(name, str) or not name:
        raise UnsafeNameError(f"empty {what}")
    problems = []
    if name in {".", ".."}:
        problems.append("is a relative folder reference")
    if "/" in name or "\\" in name:
        problems.append("contains a path separator")
    if "\x00" in name or any(ord(c) < 32 for c in name):
        problems.append("contains a NUL or control character")
    if ".." in name.split("."):
        problems.append("contains '..'")
    if problems:
        raise UnsafeNameError(
            f"unsafe {what} {name!r}: " + ", ".join(problems),
            hint=f"a {what} must be one folder or file name, without '/', '\\\\', '..' or NUL",
        )
    return name


def camel_case(name: str, delimiters: tuple[str, ...] = _REPO_DELIMITERS) -> str:
    """Pychron's ``camel_case``: capitalise, then title-case the words around delimiters."""
    if not name:
        return name
    name = name[0].upper() + name[1:]
    for delimiter in delimiters:
        if delimiter in name:
            name = "".join(part.title() for part in name.split(delimiter))
    return name


def prep_repo_name(name: str) -> str:
    """Normalise a user-typed repository name exactly as Pychron's ``prep_repo_name`` does.

    ``"Foo Bar"`` → ``"FooBar"``, ``"Foo,Bar"`` → ``"Foo-Bar"``, ``"&Foo>Bar$"`` →
    ``"-Foo-Bar-"``. The result is then checked to be a safe folder name.
    """
    if not name or not name.strip():
        raise UnsafeNameError("empty repository name")
    if "\x00" in name:
        raise UnsafeNameError(f"unsafe repository name {name!r}: contains NUL")
    normalised = _REPO_FORBIDDEN.sub("-", camel_case(name))
    return check_safe_name(normalised, what="repository name")
