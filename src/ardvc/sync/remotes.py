"""Lab remotes: ``remote.<name>.*`` in the configuration, one URL per repository.

A lab remote is a place holding every repository of the lab side by side: the MetaRepo at
``<url>/<MetaRepo>.git`` and each data repository at ``<url>/<Repo>.git`` — a folder of bare
repositories (local or mounted path), an SSH or ``git://`` server, a smart-HTTP server, a
GitHub organisation or a GitLab group. Keys:

``url`` (base URL), ``host`` (``git``, ``github`` or ``gitlab``: who can create missing
repositories through an API), ``owner`` (the organisation or group), ``api_url``, ``user``
(the HTTP user name), ``ssh_command`` (e.g. ``ssh -i ~/.ssh/lab_key``), and, in
``config.local`` only, ``token`` or ``password``.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from ardvc.config import Config, Level, is_secret
from ardvc.errors import ConfigError, UsageError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SCP = re.compile(r"^(?:[^@/:]+@)?[^@/:]+:(?!//)")
KEYS = ("url", "host", "owner", "api_url", "user", "ssh_command")
SECRET_KEYS = ("token", "password")


class Host(StrEnum):
    GIT = "git"
    GITHUB = "github"
    GITLAB = "gitlab"


class Transport(StrEnum):
    LOCAL = "local"
    SSH = "ssh"
    GIT = "git"
    HTTP = "http"


def transport_of(url: str) -> Transport:
    """How git reaches ``url``: a path, ``ssh://`` or ``user@host:path``, ``git://``, HTTP(S)."""
    lowered = url.lower()
    if lowered.startswith(("http://", "https://")):
        return Transport.HTTP
    if lowered.startswith("git://"):
        return Transport.GIT
    if lowered.startswith(("ssh://", "git+ssh://", "ssh+git://")) or _SCP.match(url):
        return Transport.SSH
    return Transport.LOCAL


def local_path(url: str) -> Path:
    return Path(url.removeprefix("file://")).expanduser()


@dataclass(frozen=True)
class RemoteSpec:
    """One configured lab remote (secrets are not held here: see :func:`remote_secret`)."""

    name: str
    url: str
    host: Host = Host.GIT
    owner: str = ""
    api_url: str = ""
    user: str = ""
    ssh_command: str = ""

    @property
    def transport(self) -> Transport:
        return transport_of(self.url)

    def repo_url(self, repo: str) -> str:
        """Where repository ``repo`` lives on this remote."""
        base = self.url.rstrip("/")
        sep = "" if self.transport is Transport.SSH and base.endswith(":") else "/"
        return f"{base}{sep}{repo}.git"

    @property
    def credential_user(self) -> str:
        """HTTP user name sent with the token (GitHub and GitLab accept these for tokens)."""
        if self.user:
            return self.user
        if self.host is Host.GITHUB:
            return "x-access-token"
        if self.host is Host.GITLAB:
            return "oauth2"
        return urlsplit(self.url).username or "git"


def check_remote_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"not a usable remote name: {name!r}",
            hint="letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


def remote_names(config: Config) -> list[str]:
    names = {s.key.split(".")[1] for s in config.settings() if s.key.startswith("remote.")}
    return sorted(names)


def remote_spec(config: Config, name: str) -> RemoteSpec | None:
    """The lab remote ``name``, or ``None`` when the configuration has no URL for it."""
    url = config.get(f"remote.{name}.url")
    if not url:
        return None
    values = {key: str(config.get(f"remote.{name}.{key}") or "") for key in KEYS}
    try:
        host = Host(values["host"] or "git")
    except ValueError:
        raise ConfigError(
            f"remote.{name}.host must be git, github or gitlab, not {values['host']!r}"
        ) from None
    return RemoteSpec(name, str(url), host, values["owner"], values["api_url"], values["user"],
                      values["ssh_command"])  # fmt: skip


def remote_secret(config: Config, name: str) -> str | None:
    """The token (or password) of remote ``name`` from ``config.local``; never log it."""
    for key in SECRET_KEYS:
        value = config.get(f"remote.{name}.{key}")
        if value:
            return str(value)
    return None


def add_remote(
    config: Config,
    name: str,
    url: str,
    *,
    host: Host = Host.GIT,
    owner: str = "",
    api_url: str = "",
    user: str = "",
    ssh_command: str = "",
    level: Level = Level.LAB,
) -> RemoteSpec:
    """Write a lab remote into the configuration (replacing one of the same name)."""
    check_remote_name(name)
    if is_secret("url", url) or (transport_of(url) is Transport.HTTP and urlsplit(url).password):
        raise UsageError(
            "the URL holds a password; it would end up in logs and on command lines",
            hint=f"give the URL without it and store the token: ardvc remote token {name}",
        )
    if transport_of(url) is Transport.LOCAL:
        url = str(local_path(url).resolve())
    for key, value in {"url": url, "host": str(host), "owner": owner, "api_url": api_url,
                       "user": user, "ssh_command": ssh_command}.items():  # fmt: skip
        if value:
            config.set(f"remote.{name}.{key}", value, level)
        elif config.get(f"remote.{name}.{key}"):
            config.unset(f"remote.{name}.{key}", level)
    spec = remote_spec(config, name)
    assert spec is not None
    return spec


def hosted(kind: Host, where: str) -> tuple[str, str, str]:
    """(base URL, owner, API URL) for ``--github ORG`` or ``--gitlab HOST/GROUP``."""
    if kind is Host.GITHUB:
        owner = where.strip("/")
        if not owner or "/" in owner:
            raise UsageError(f"--github takes an organisation name, not {where!r}")
        return f"https://github.com/{owner}", owner, "https://api.github.com"
    server, _, group = where.strip("/").partition("/")
    if not server or not group:
        raise UsageError(f"--gitlab takes HOST/GROUP (e.g. gitlab.com/mylab), not {where!r}")
    return f"https://{server}/{group}", group, f"https://{server}/api/v4"


@dataclass(frozen=True)
class RemoteSetup(RemoteSpec):
    """What ``ardvc remote add`` (and ``clone-lab``) was asked to configure: a remote and
    its token (which goes to ``config.local`` only)."""

    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_options(
        cls, name: str, url: str | None, *, github: str | None = None,
        gitlab: str | None = None, api_url: str = "", user: str = "", ssh_command: str = "",
        token: str | None = None,
    ) -> RemoteSetup:  # fmt: skip
        """``URL``, or ``--github ORG`` / ``--gitlab HOST/GROUP`` (``url`` then overrides
        the derived git URL, e.g. to use SSH)."""
        if github and gitlab:
            raise UsageError("give --github or --gitlab, not both")
        if github or gitlab:
            host = Host.GITHUB if github else Host.GITLAB
            base, owner, api = hosted(host, str(github or gitlab))
            return cls(name, url or base, host, owner, api_url or api, user, ssh_command, token)
        if not url:
            raise UsageError("give the remote's URL, or --github ORG / --gitlab HOST/GROUP")
        return cls(name, url, Host.GIT, "", api_url, user, ssh_command, token)

    def write(self, config: Config) -> RemoteSpec:
        """Store the remote (its token in ``config.local``); make it the lab's default
        remote when ``persist.remote`` names no configured remote."""
        spec = add_remote(
            config,
            self.name,
            self.url,
            host=self.host,
            owner=self.owner,
            api_url=self.api_url,
            user=self.user,
            ssh_command=self.ssh_command,
        )
        if self.token:
            config.set(f"remote.{self.name}.token", self.token, Level.LOCAL)
        current = str(config.get("persist.remote") or "")
        if current != self.name and (not current or remote_spec(config, current) is None):
            config.set("persist.remote", self.name)
        return spec


def remove_remote(config: Config, name: str) -> bool:
    """Forget a lab remote at every writable level that holds one of its keys."""
    found = False
    for level in (Level.LAB, Level.LOCAL):
        for key in (*KEYS, *SECRET_KEYS):
            full = f"remote.{name}.{key}"
            if full in config.read_level(level):
                found = config.unset(full, level) or found
    return found


def helper_command(root: Path) -> str:
    """The ``credential.helper`` value that answers from this lab's ``config.local`` (a
    shell snippet git runs with ``get``, ``store`` or ``erase``; nothing secret in it)."""
    command = " ".join(
        shlex.quote(part)
        for part in (sys.executable, "-m", "ardvc.sync.credential", "--root", str(root))
    )
    # only "get" needs an answer: "store" and "erase" are drained without starting Python
    return f'!f() {{ if [ "$1" = get ]; then exec {command} get; fi; cat >/dev/null; }}; f'
