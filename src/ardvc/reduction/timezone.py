"""Which time zone a lab's naive timestamps are in, when nobody said."""

from __future__ import annotations

import os
from pathlib import Path


def local_zone() -> str | None:
    """This machine's IANA zone (``$TZ``, ``/etc/timezone`` or the ``/etc/localtime`` link).

    Pychron converted timestamps with ``time.mktime``, i.e. in the workstation's zone; this
    is the same guess, made explicit and reported.
    """
    env = os.environ.get("TZ", "").lstrip(":")
    if env and "/" in env:
        return env
    try:
        text = Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    if text:
        return text
    try:
        target = str(Path("/etc/localtime").readlink())
    except OSError:
        return None
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None
