"""git's credential-helper protocol, answered from the lab's ``config.local``.

ardvc runs network git with ``-c credential.helper=!<python> -m ardvc.sync.credential
--root <lab>``; git starts this helper with ``get`` and writes ``protocol=…``, ``host=…``,
``path=…`` lines to its stdin. The helper answers ``username=…`` and ``password=…`` for
the lab remote whose URL matches, so the token travels only through this pipe: never on
a command line, in the environment, in a log or in an error. ``store`` and ``erase`` are
accepted and ignored (the token's home is ``config.local``). ``ardvc credential`` is the
same helper for use in one's own git configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO
from urllib.parse import urlsplit

from ardvc.config import Config
from ardvc.errors import ArdvcError
from ardvc.sync.remotes import Transport, remote_names, remote_secret, remote_spec
from ardvc.workspace import find_root


def read_request(stream: TextIO) -> dict[str, str]:
    """``key=value`` lines up to a blank line or the end of input."""
    request: dict[str, str] = {}
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep:
            request[key] = value
    return request


def _matches(url: str, request: Mapping[str, str]) -> bool:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme != request.get("protocol") or host != request.get("host"):
        return False
    base = parts.path.strip("/")
    asked = request.get("path", "").strip("/")
    return not base or not asked or asked == base or asked.startswith(base + "/")


def answer(config: Config, request: Mapping[str, str]) -> dict[str, str] | None:
    """The credentials for the request, or ``None`` when no lab remote with a secret
    matches it (git then goes on without, and reports the refusal)."""
    for name in remote_names(config):
        spec = remote_spec(config, name)
        if spec is None or spec.transport is not Transport.HTTP or not _matches(spec.url, request):
            continue
        secret = remote_secret(config, name)
        if secret is None:
            continue
        return {"username": request.get("username") or spec.credential_user, "password": secret}
    return None


def respond(config: Config, action: str, stdin: TextIO, stdout: TextIO) -> None:
    request = read_request(stdin)
    if action != "get":
        return
    found = answer(config, request)
    if found is not None:
        stdout.write("".join(f"{key}={value}\n" for key, value in found.items()))
        stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ardvc-credential", description=__doc__)
    parser.add_argument("--root", required=True, help="the lab whose config.local answers")
    parser.add_argument("action", choices=["get", "store", "erase"])
    args = parser.parse_args(argv)
    try:
        workspace = find_root(args.root)
        respond(Config(workspace.ardvc_dir), args.action, sys.stdin, sys.stdout)
    except ArdvcError as exc:  # git shows the helper's stderr; no secret is in it
        print(f"ardvc credential: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
