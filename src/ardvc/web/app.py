"""The web UI as a FastAPI application: ``create_app(lab)``; ``ardvc serve`` runs it.

A thin shell over :class:`ardvc.api.Lab`. Every handler runs under one lock, because the
lab's git and index objects are not made for concurrent use; a lab's web UI serves a few
people, and a page takes tens of milliseconds. Assets (plotly.js from the plotly package,
the page script and style) are served from this process: no CDN, works offline.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import plotly
import pygit2
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ardvc import __version__
from ardvc.api import Lab
from ardvc.errors import ArdvcError, NotFoundError, UsageError
from ardvc.logs import get_logger
from ardvc.web.api_routes import router as api_router
from ardvc.web.pages import render_page
from ardvc.web.pages import router as page_router
from ardvc.web.security import WriteGuard, WriteRefused
from ardvc.web.state import HERE, OrjsonResponse, WebSettings, WebState, templates

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
TREE_CACHE_LIMIT = 1 << 20


def _status_for(exc: ArdvcError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, UsageError):
        return 400
    return 422


def create_app(lab: Lab, settings: WebSettings | None = None) -> FastAPI:
    """The web UI and JSON API of ``lab``.

    Lets libgit2 keep parsed trees of up to 1 MiB in its object cache (by default it keeps
    none over 4 KiB, which every root tree of a large repository exceeds): an analysis'
    provenance reads the root tree of every commit, and its neighbours read the same ones.
    """
    pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, TREE_CACHE_LIMIT)
    settings = settings or WebSettings()
    app = FastAPI(
        title="ardvc", version=__version__, default_response_class=OrjsonResponse,
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
        description="Analyses, samples and interpreted ages of an ardvc lab, read from git.",
    )  # fmt: skip
    app.state.web = WebState(lab, WriteGuard(settings.token), templates(), settings)
    if settings.allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        """Security headers, and ``Server-Timing: app;dur=<ms>`` (the time this process
        spent on the request, which ``benchmarks/bench_web.py`` reads)."""
        started = time.perf_counter()
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        response.headers["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.2f}"
        return response

    def _error(request: Request, status: int, message: str, hint: str) -> Response:
        if request.url.path.startswith("/api"):
            return OrjsonResponse({"error": message, "hint": hint or None}, status_code=status)
        return render_page(request, "error.html", {"status": status, "error": message,
                                                   "hint": hint}, status=status)  # fmt: skip

    @app.exception_handler(ArdvcError)
    async def ardvc_error(request: Request, exc: ArdvcError) -> Response:
        return _error(request, _status_for(exc), str(exc), exc.hint or "")

    @app.exception_handler(WriteRefused)
    async def refused(request: Request, exc: WriteRefused) -> Response:
        get_logger("web").warning("refused a write to %s: %s", request.url.path, exc)
        return _error(request, 403, str(exc), exc.hint)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api_router)
    app.include_router(page_router)
    return app
