"""Reading and writing Pychron's JSON: strict decode, style-preserving encode, atomic files.

Pychron writes ``json.dumps(obj, indent=4, sort_keys=True)`` with no trailing newline. Real
repositories also hold Python-2 files (``", "`` item separators, so a space before every
newline) and files written on Windows (CRLF). :class:`JsonStyle` captures those so that an
unchanged file re-encodes to the same bytes; new files use :data:`CANONICAL`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ardvc.errors import CorruptFileError

JsonValue = Any


@dataclass(frozen=True, slots=True)
class JsonStyle:
    """The textual conventions of one JSON file."""

    item_separator: str = ","
    newline: str = "\n"
    final_newline: bool = False
    sort_keys: bool = True
    ensure_ascii: bool = True


CANONICAL = JsonStyle()
PYTHON2 = JsonStyle(item_separator=", ")


def detect_style(raw: bytes) -> JsonStyle:
    """Infer the separators and line endings a file was written with."""
    newline = "\r\n" if b"\r\n" in raw else "\n"
    nl = newline.encode()
    item_separator = ", " if b", " + nl in raw else ","
    final_newline = raw.endswith(nl)
    ensure_ascii = raw.isascii()
    return JsonStyle(
        item_separator=item_separator,
        newline=newline,
        final_newline=final_newline,
        ensure_ascii=ensure_ascii,
    )


def loads(raw: bytes, *, path: str, repo: str | None = None, commit: str | None = None) -> Any:
    """Decode JSON bytes; any failure is a :class:`CorruptFileError` naming the file.

    orjson is tried first for speed; the standard library is the fallback because real
    files may contain ``NaN``/``Infinity``, which orjson rejects.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptFileError(path, str(exc), repo=repo, commit=commit) from exc


def dumps(obj: Any, style: JsonStyle = CANONICAL) -> bytes:
    """Encode as Pychron does: ``json.dumps(indent=4, sort_keys=True)``, ``/`` unescaped.

    Non-ASCII text is ``\\u``-escaped as Python's ``json`` does by default, unless the
    style came from a file that holds raw UTF-8.
    """
    text = json.dumps(
        obj,
        indent=4,
        sort_keys=style.sort_keys,
        separators=(style.item_separator, ": "),
        ensure_ascii=style.ensure_ascii,
        allow_nan=True,
    )
    if style.newline != "\n":
        text = text.replace("\n", style.newline)
    if style.final_newline:
        text += style.newline
    return text.encode("utf-8")


DEFAULT_FILE_MODE = 0o644


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int | None = None, fsync: bool = True
) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a part.

    temp file in the same directory → write → fsync → rename → fsync the directory. The
    file keeps its previous permissions unless ``mode`` is given (new files get 0644).
    ``fsync=False`` keeps the atomic rename but not durability across a power cut (for
    markers and caches that can be rebuilt).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = DEFAULT_FILE_MODE
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not fsync:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write_json(path: Path, obj: Any, style: JsonStyle = CANONICAL) -> None:
    """Atomically write ``obj`` as JSON, then re-read it to prove it decodes."""
    data = dumps(obj, style)
    atomic_write_bytes(path, data)
    loads(path.read_bytes(), path=str(path))
