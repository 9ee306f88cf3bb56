"""Who may write through the web UI, and proof that a form came from its own pages.

Reading needs nothing. Every write (tag an analysis, save an interpreted age) needs the
lab's ``web.token`` — a secret that lives only in ``.ardvc/config.local`` — typed into the
form, or sent as ``Authorization: Bearer …`` to the JSON API. Without a configured token
the server is read-only. HTML forms also carry a CSRF token: an HMAC of the browser's
session cookie (random, HttpOnly, SameSite=Strict) under a key drawn when the server
starts, so another site cannot make a logged-in browser post a form. Tokens are compared in
constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

SESSION_COOKIE = "ardvc_session"


class WriteRefused(Exception):
    """A write without the right token or CSRF proof (HTTP 403)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class WriteGuard:
    def __init__(self, token: str | None) -> None:
        self._token = token or None
        self._key = secrets.token_bytes(32)

    @property
    def writes_enabled(self) -> bool:
        return self._token is not None

    @staticmethod
    def new_session() -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, session: str) -> str:
        return hmac.new(self._key, session.encode("utf-8"), hashlib.sha256).hexdigest()

    def check_csrf(self, session: str | None, submitted: str | None) -> None:
        if not session or not submitted:
            raise WriteRefused(
                "the form is missing its session or CSRF token",
                hint="reload the page and submit the form again",
            )
        if not hmac.compare_digest(self.csrf_token(session), submitted):
            raise WriteRefused(
                "the form's CSRF token does not match this browser session",
                hint="reload the page (the server may have restarted) and submit again",
            )

    def check_token(self, submitted: str | None) -> None:
        if self._token is None:
            raise WriteRefused(
                "this server is read-only: no web.token is configured",
                hint="ardvc config --local web.token VALUE, then restart ardvc serve",
            )
        if not submitted or not hmac.compare_digest(
            self._token.encode("utf-8"), submitted.encode("utf-8")
        ):
            raise WriteRefused("missing or wrong write token", hint="enter the lab's web.token")


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost`` …: only this machine can connect."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything
