"""Creating and listing repositories on GitHub and GitLab through their REST APIs.

Endpoints used (as documented by each service):

* GitHub (``remote.<name>.api_url``, default ``https://api.github.com``):
  ``GET /repos/{owner}/{repo}``, ``POST /orgs/{org}/repos``, ``GET /orgs/{org}/repos``;
  ``Authorization: Bearer <token>``.
* GitLab (default ``https://<host>/api/v4``): ``GET /projects/:id`` and
  ``GET /namespaces/:id`` (URL-encoded paths), ``POST /projects``,
  ``GET /groups/:id/projects``; ``PRIVATE-TOKEN: <token>``.

Repositories are created in a GitHub organisation (not a personal account) or a GitLab
group. The token is sent only in those headers; errors name the URL and the HTTP status,
never the token.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from ardvc.errors import ArdvcError
from ardvc.sync.remotes import Host, RemoteSpec

TIMEOUT_S = 30.0
PAGE = 100


class HostingError(ArdvcError):
    """A GitHub/GitLab API call that did not do what was asked."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status


class HostingApi:
    """The API of one hosted remote, with its token."""

    def __init__(self, spec: RemoteSpec, token: str | None, timeout: float = TIMEOUT_S) -> None:
        if spec.host is Host.GIT:
            raise HostingError(f"remote {spec.name} is not on GitHub or GitLab")
        if not spec.owner:
            raise HostingError(
                f"remote {spec.name} names no organisation or group",
                hint=f"ardvc remote add {spec.name} --github ORG (or --gitlab HOST/GROUP)",
            )
        if not token:
            raise HostingError(
                f"remote {spec.name} has no API token, so ardvc cannot create repositories there",
                hint=f"store one in config.local: ardvc remote token {spec.name}",
            )
        self.spec, self._token, self.timeout = spec, token, timeout
        default = "https://api.github.com" if spec.host is Host.GITHUB else ""
        self.base = (spec.api_url or default).rstrip("/")
        if not self.base:
            raise HostingError(f"remote {spec.name} has no api_url")

    def _headers(self) -> dict[str, str]:
        if self.spec.host is Host.GITHUB:
            return {
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "ardvc",
            }
        return {"PRIVATE-TOKEN": self._token, "User-Agent": "ardvc"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One JSON request; ``None`` for 404; other failures raise :class:`HostingError`."""
        url = f"{self.base}{path}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = self._headers()
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = Request(url, data=data, method=method, headers=headers)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except HTTPError as exc:
            if exc.code == 404:
                return None
            hint = None
            if exc.code in (401, 403):
                hint = f"check the token: ardvc remote token {self.spec.name}"
            raise HostingError(f"{method} {url} failed: HTTP {exc.code} {exc.reason}",
                               status=exc.code, hint=hint) from None  # fmt: skip
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HostingError(f"{method} {url} failed: {reason}") from None
        return json.loads(payload) if payload else {}

    # --- what sync needs -------------------------------------------------------------------

    def _project(self, name: str) -> str:
        return quote(f"{self.spec.owner}/{name}", safe="")

    def exists(self, name: str) -> bool:
        if self.spec.host is Host.GITHUB:
            return self.call("GET", f"/repos/{self.spec.owner}/{name}") is not None
        return self.call("GET", f"/projects/{self._project(name)}") is not None

    def create(self, name: str) -> None:
        """Create private repository ``name`` in the organisation or group."""
        if self.spec.host is Host.GITHUB:
            body = {"name": name, "private": True, "auto_init": False}
            result = self.call("POST", f"/orgs/{self.spec.owner}/repos", body)
        else:
            namespace = self.call("GET", f"/namespaces/{quote(self.spec.owner, safe='')}")
            if namespace is None:
                raise HostingError(f"GitLab has no group {self.spec.owner!r} at {self.base}")
            body = {"name": name, "path": name, "namespace_id": namespace["id"],
                    "visibility": "private"}  # fmt: skip
            result = self.call("POST", "/projects", body)
        if result is None:
            raise HostingError(
                f"{self.spec.owner!r} was not found at {self.base} (organisation or group)"
            )

    def names(self) -> list[str]:
        """Every repository of the organisation or group (paged)."""
        if self.spec.host is Host.GITHUB:
            path, key = f"/orgs/{self.spec.owner}/repos", "name"
        else:
            path, key = f"/groups/{quote(self.spec.owner, safe='')}/projects", "path"
        out: list[str] = []
        page = 1
        while True:
            batch = self.call("GET", f"{path}?per_page={PAGE}&page={page}")
            if batch is None:
                raise HostingError(f"{self.spec.owner!r} was not found at {self.base}")
            out.extend(str(item[key]) for item in batch)
            if len(batch) < PAGE:
                return sorted(out)
            page += 1
