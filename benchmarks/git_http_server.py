"""A small smart-HTTP git server with HTTP basic auth, plus the GitHub and GitLab REST
endpoints ardvc uses — for tests and the fault-injection benchmark, on loopback.

    python benchmarks/git_http_server.py --root DIR --port N

Git is served by ``git http-backend`` (CGI) under ``/git/``; every request needs basic
auth with ``$GIT_HTTP_USER`` / ``$GIT_HTTP_PASSWORD`` (from the environment, never the
command line). The APIs answer under ``/github-api/`` (GitHub: ``GET /repos/{owner}/{repo}``,
``POST /orgs/{org}/repos``, ``GET /orgs/{org}/repos``; ``Authorization: Bearer``) and
``/api/v4/`` (GitLab: ``GET /projects/:id``, ``GET /namespaces/:id``, ``POST /projects``,
``GET /groups/:id/projects``; ``PRIVATE-TOKEN``), both checking ``$GIT_HTTP_PASSWORD`` as
the token and creating bare repositories at ``<root>/<owner>/<name>.git``, which the git
side then serves at ``/git/<owner>/<name>.git``. The real services are unreachable from
the test machine; these follow their documented request and response shapes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

GIT_PREFIX = "/git"
GITHUB_PREFIX = "/github-api"
GITLAB_PREFIX = "/api/v4"


class Handler(BaseHTTPRequestHandler):
    server_version = "ardvc-test-git/1"
    protocol_version = "HTTP/1.1"
    root: Path
    user: str
    password: str
    namespaces: ClassVar[dict[str, int]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read the client side

    # --- plumbing --------------------------------------------------------------------------

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, payload: Any) -> None:
        self._send(code, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _basic_ok(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == self.user and password == self.password

    def _token(self) -> str | None:
        header = self.headers.get("Authorization", "")
        for scheme in ("Bearer ", "token "):
            if header.startswith(scheme):
                return header[len(scheme) :]
        return self.headers.get("PRIVATE-TOKEN")

    # --- dispatch ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if path.startswith(GIT_PREFIX + "/"):
            self._git(method, body)
        elif path.startswith(GITHUB_PREFIX + "/"):
            self._api(method, path[len(GITHUB_PREFIX) :], body, github=True)
        elif path.startswith(GITLAB_PREFIX + "/"):
            self._api(method, path[len(GITLAB_PREFIX) :], body, github=False)
        else:
            self._send(404, b"not found\n")

    def _git(self, method: str, body: bytes) -> None:
        if not self._basic_ok():
            self._send(401, b"authentication required\n",
                       {"WWW-Authenticate": 'Basic realm="ardvc test git"'})  # fmt: skip
            return
        url = urlsplit(self.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": method,
            "PATH_INFO": unquote(url.path[len(GIT_PREFIX) :]),
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": self.user,
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                              check=False)  # fmt: skip
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        code, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                code = int(value.split()[0])
            elif key:
                headers[key.strip()] = value.strip()
        if done.returncode != 0 and not done.stdout:
            code, payload = 500, done.stderr
        self._send(code, payload, headers)

    # --- the REST APIs -------------------------------------------------------------------

    def _bare(self, owner: str, name: str) -> Path:
        return self.root / owner / f"{name}.git"

    def _api(self, method: str, path: str, body: bytes, *, github: bool) -> None:
        if self._token() != self.password:
            self._json(401, {"message": "Bad credentials"} if github else {"message": "401"})
            return
        data = json.loads(body) if body else {}
        handler = _github if github else _gitlab
        code, payload = handler(self, method, path, data)
        self._json(code, payload)


def _create(server: Handler, owner: str, name: str) -> Path:
    bare = server._bare(owner, name)
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=master", str(bare)],
                   check=True)  # fmt: skip
    return bare


def _github(server: Handler, method: str, path: str, data: dict[str, Any]) -> tuple[int, Any]:
    if method == "GET" and (m := re.fullmatch(r"/repos/([^/]+)/([^/]+)", path)):
        owner, name = m.groups()
        if not server._bare(owner, name).is_dir():
            return 404, {"message": "Not Found"}
        return 200, {"name": name, "full_name": f"{owner}/{name}", "private": True}
    if m := re.fullmatch(r"/orgs/([^/]+)/repos", path):
        org = m.group(1)
        if method == "GET":
            names = sorted(p.name[:-4] for p in (server.root / org).glob("*.git"))
            return 200, [{"name": n, "full_name": f"{org}/{n}"} for n in names]
        name = str(data.get("name", ""))
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            return 422, {"message": "Validation Failed"}
        if server._bare(org, name).exists():
            taken = [{"message": "name already exists on this account"}]
            return 422, {"message": "Repository creation failed.", "errors": taken}
        _create(server, org, name)
        return 201, {"name": name, "full_name": f"{org}/{name}", "private": True}
    return 404, {"message": "Not Found"}


def _gitlab(server: Handler, method: str, path: str, data: dict[str, Any]) -> tuple[int, Any]:
    if method == "GET" and (m := re.fullmatch(r"/namespaces/([^/]+)", path)):
        group = unquote(m.group(1))
        number = server.namespaces.setdefault(group, len(server.namespaces) + 1)
        return 200, {"id": number, "full_path": group, "kind": "group"}
    if method == "GET" and (m := re.fullmatch(r"/projects/([^/]+)", path)):
        full = unquote(m.group(1))
        owner, _, name = full.rpartition("/")
        if not server._bare(owner, name).is_dir():
            return 404, {"message": "404 Project Not Found"}
        return 200, {"path": name, "path_with_namespace": full}
    if method == "GET" and (m := re.fullmatch(r"/groups/([^/]+)/projects", path)):
        group = unquote(m.group(1))
        names = sorted(p.name[:-4] for p in (server.root / group).glob("*.git"))
        return 200, [{"path": n, "path_with_namespace": f"{group}/{n}"} for n in names]
    if method == "POST" and path == "/projects":
        groups = {v: k for k, v in server.namespaces.items()}
        group = groups.get(int(data.get("namespace_id", 0)))
        name = str(data.get("path") or data.get("name") or "")
        if group is None or not name:
            return 400, {"message": "namespace or path missing"}
        if server._bare(group, name).exists():
            return 400, {"message": {"path": ["has already been taken"]}}
        _create(server, group, name)
        return 201, {"path": name, "path_with_namespace": f"{group}/{name}"}
    return 404, {"message": "404 Not Found"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    Handler.root = args.root.resolve()
    Handler.user = os.environ["GIT_HTTP_USER"]
    Handler.password = os.environ["GIT_HTTP_PASSWORD"]
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
