"""What every handler of the web UI shares: the lab, the write guard, the templates, and
the lock that serialises access to the lab's git and index objects."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ardvc.api import Lab
from ardvc.data import Analysis
from ardvc.data.summary import RepoSummary
from ardvc.errors import ArdvcError
from ardvc.logs import get_logger
from ardvc.provenance import Revision
from ardvc.provenance.history import ITEMS
from ardvc.web.security import SESSION_COOKIE, WriteGuard

HERE = Path(__file__).resolve().parent
HISTORY_LIMIT = 200
"""Commits listed on an analysis page (the API takes any limit)."""
HISTORY_CACHE = 512
K = TypeVar("K")
V = TypeVar("V")


def _cached(cache: OrderedDict[K, V], key: K, size: int, make: Callable[[], V]) -> V:
    """``cache[key]``, made and stored (dropping the least recently used) when missing."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    while len(cache) > size:
        cache.popitem(last=False)
    return value


class OrjsonResponse(JSONResponse):
    """JSON via orjson: fast, and NaN/inf become ``null`` instead of invalid JSON."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


@dataclass
class WebSettings:
    token: str | None = None
    """The write token (``web.token``); ``None``: read-only."""
    allowed_hosts: list[str] | None = None
    """Host headers to accept (DNS-rebinding guard); ``None`` accepts any."""
    sync_interval: float = 30.0
    """Seconds between index syncs triggered by catalogue searches."""


@dataclass
class WebState:
    lab: Lab
    guard: WriteGuard
    templates: Jinja2Templates
    settings: WebSettings
    lock: threading.RLock = field(default_factory=threading.RLock)
    summaries: dict[str, RepoSummary] = field(default_factory=dict)
    last_sync: float = 0.0
    histories: OrderedDict[tuple[str, str, str], list[Revision]] = field(
        default_factory=OrderedDict
    )
    """Provenance by (repository, commit, analysis): a commit's past never changes."""

    def history(self, analysis: Analysis) -> list[Revision]:
        """Every commit that changed one of the analysis' files (any kind), newest first,
        with its value differences (``ardvc log``'s data), kept for repeat visits."""

        def revisions() -> list[Revision]:
            return self.lab.history(
                analysis.name, repo=analysis.repo, rev=analysis.commit, kinds=ITEMS,
                limit=HISTORY_LIMIT,
            )  # fmt: skip

        key = (analysis.repo, analysis.commit, analysis.name)
        return _cached(self.histories, key, HISTORY_CACHE, revisions)

    def sync_index(self) -> None:
        """Bring the index up to git at most every ``sync_interval`` seconds."""
        if time.monotonic() - self.last_sync < self.settings.sync_interval:
            return
        try:
            self.lab.catalog.sync()
        except ArdvcError as exc:
            get_logger("web").warning("index sync failed: %s", exc)
        self.last_sync = time.monotonic()


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _number(value: Any, digits: int = 6) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return f"{value:.{digits}g}"


def _figure_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block (``<``, ``>``, ``&`` escaped)."""
    text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)


def templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["num"] = _number
    templates.env.filters["figure_json"] = _figure_json
    templates.env.filters["slug"] = _slug
    return templates


def session_of(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)
