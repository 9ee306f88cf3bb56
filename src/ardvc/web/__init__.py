"""The web UI: ``ardvc serve`` (FastAPI + Jinja2 + Plotly, every asset served locally)."""

from ardvc.web.app import create_app
from ardvc.web.state import WebSettings

__all__ = ["WebSettings", "create_app"]
