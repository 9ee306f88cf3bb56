"""``ardvc serve``: the web UI."""

from __future__ import annotations

import click

from ardvc.cli.context import CliContext, command_log, pass_ctx, report_errors
from ardvc.errors import UsageError


@click.command("serve")
@click.option("--host", help="Address to bind (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: web.port, 8765).")
@pass_ctx
@report_errors
def serve_cmd(cli: CliContext, host: str | None, port: int | None) -> None:
    """The lab in a browser: catalogue search, repositories, analyses (evolutions, values,
    provenance), samples (spectrum, isochron, ideogram, exports) and irradiations, plus a
    JSON API under /api/ (OpenAPI at /api/openapi.json).

    Read-only unless a write token is set in config.local; with it, tagging an analysis
    and saving an interpreted age ask for the token. Binds to 127.0.0.1 unless
    web.allow_remote is true.

    \b
    ardvc serve                                   http://127.0.0.1:8765/
    ardvc config --local web.token "$(openssl rand -hex 16)"
    ardvc config web.allow_remote true && ardvc serve --host 0.0.0.0
    """
    try:
        import uvicorn

        from ardvc.web import WebSettings, create_app
        from ardvc.web.app import LOOPBACK_HOSTS
        from ardvc.web.security import is_loopback
    except ImportError as exc:
        raise UsageError(
            f"the web UI needs the 'web' extra: {exc}", hint="pip install 'ardvc[web]'"
        ) from exc
    lab = cli.lab()
    cfg = lab.config
    host = host or str(cfg.get("web.host"))
    port = port or int(cfg.get("web.port"))
    local = is_loopback(host)
    if not local and not cfg.get("web.allow_remote"):
        raise UsageError(
            f"refusing to serve on {host}: only loopback addresses unless web.allow_remote",
            hint="ardvc config web.allow_remote true (then anyone who reaches the port can read)",
        )
    token = str(cfg.get("web.token") or "") or None
    settings = WebSettings(token=token, allowed_hosts=LOOPBACK_HOSTS if local else None)
    app = create_app(lab, settings)
    cli.err.print("syncing the index with git …", highlight=False)
    lab.catalog.sync()
    mode = "writes need the token" if token else "read-only (no web.token in config.local)"
    cli.console.print(f"ardvc serving {lab.root} at http://{host}:{port}/ — {mode}",
                      highlight=False)  # fmt: skip
    command_log("serve", host=host, port=port, writes=bool(token))
    uvicorn.run(app, host=host, port=port, log_level="warning")
