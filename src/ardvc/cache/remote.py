"""Cache remotes through fsspec: a local folder, SSH/SFTP, or S3-compatible storage.

Configured as ``cache_remote.<name>.url`` (``/srv/cache``, ``file:///srv/cache``,
``ssh://user@host:port/srv/cache``, ``s3://bucket/prefix``) plus, as needed,
``endpoint_url`` (S3-compatible servers), ``region``, ``access_key_id``,
``secret_access_key`` (config.local only), ``keyfile`` and ``known_hosts`` (SSH),
``jobs``; ``cache.remote`` names the default. The layout mirrors the local cache:
``files/blake3/<xx>/<rest>`` and ``runs/<xx>/<key>/<value>``.

An upload is never visible half-written: on S3 a PUT is atomic; on a folder or over SFTP
the object goes to a temp name beside its final one and is renamed.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import fsspec

from ardvc.cache.hashing import ALGORITHM, default_jobs, is_oid
from ardvc.config import Config
from ardvc.errors import CacheError, ConfigError
from ardvc.workspace import Workspace

EXISTS_LIMIT = 64
"""Up to this many objects are checked one request each; more, by one listing."""


_MAKEDIRS_TRIES = 4
"""One more than the folders above an object that threads may race to create."""


@dataclass
class CacheRemote:
    name: str
    url: str
    make_fs: Callable[[], Any]
    root: str
    jobs: int
    atomic_put: bool
    """The store makes each upload visible whole (S3); else temp name + rename."""
    per_thread: bool = False
    """One connection per thread (paramiko's SFTP client mixes up concurrent requests)."""
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def fs(self) -> Any:
        if not self.per_thread:
            if not hasattr(self, "_shared"):
                self._shared = self.make_fs()
            return self._shared
        fs = getattr(self._local, "fs", None)
        if fs is None:
            fs = self._local.fs = self.make_fs()
        return fs

    def object_path(self, oid: str) -> str:
        return f"{self.root}/files/{ALGORITHM}/{oid[:2]}/{oid[2:]}"

    def run_path(self, key: str, value: str) -> str:
        return f"{self.root}/runs/{key[:2]}/{key}/{value}"

    # --- existence -------------------------------------------------------------------------

    def exists(self, oid: str) -> bool:
        return bool(self.fs.exists(self.object_path(oid)))

    def all_objects(self) -> set[str]:
        """Every object on the remote (one recursive listing)."""
        base = f"{self.root}/files/{ALGORITHM}"
        if not self.fs.exists(base):
            return set()
        out = set()
        for path in self.fs.find(base):
            parts = str(path).rstrip("/").split("/")
            oid = parts[-2] + parts[-1]
            if len(parts[-2]) == 2 and is_oid(oid):
                out.add(oid)
        return out

    def present(self, oids: set[str]) -> set[str]:
        """Which of ``oids`` the remote holds: a request each for few, a listing for many
        (dvc-machinery.md §10.2)."""
        if not oids:
            return set()
        if len(oids) <= EXISTS_LIMIT:
            return {o for o in oids if self.exists(o)}
        return oids & self.all_objects()

    def all_runs(self) -> set[tuple[str, str]]:
        base = f"{self.root}/runs"
        if not self.fs.exists(base):
            return set()
        out = set()
        for path in self.fs.find(base):
            parts = str(path).rstrip("/").split("/")
            if len(parts) >= 3 and is_oid(parts[-1]) and is_oid(parts[-2]):
                out.add((parts[-2], parts[-1]))
        return out

    # --- moving bytes ----------------------------------------------------------------------

    def _makedirs(self, remote_path: str) -> None:
        """Create the parent folder; another thread creating it at the same time is fine
        (fsspec's SFTP ``makedirs`` checks, then creates: a race). Object stores have no
        folders (and must not create a missing bucket), so nothing is done there."""
        if self.atomic_put:
            return
        parent = remote_path.rsplit("/", 1)[0]
        for attempt in range(_MAKEDIRS_TRIES):
            try:
                self.fs.makedirs(parent, exist_ok=True)
                return
            except OSError:
                # lost a race for the folder or one above it: what the other thread made
                # is skipped on the next try
                if self.fs.isdir(parent):
                    return
                if attempt == _MAKEDIRS_TRIES - 1:
                    raise

    def upload(self, local: str, remote_path: str) -> None:
        self._makedirs(remote_path)
        if self.atomic_put:
            self.fs.put_file(local, remote_path)
            return
        tmp = f"{remote_path}.{secrets.token_hex(6)}.tmp"
        self.fs.put_file(local, tmp)
        try:
            self.fs.mv(tmp, remote_path)
        except BaseException:
            self.fs.rm_file(tmp)
            raise

    def download(self, remote_path: str, local: str) -> None:
        self.fs.get_file(remote_path, local)

    def upload_bytes(self, data: bytes, remote_path: str) -> None:
        self._makedirs(remote_path)
        if self.atomic_put:
            self.fs.pipe_file(remote_path, data)
            return
        tmp = f"{remote_path}.{secrets.token_hex(6)}.tmp"
        self.fs.pipe_file(tmp, data)
        self.fs.mv(tmp, remote_path)

    def read_bytes(self, remote_path: str) -> bytes:
        data: bytes = self.fs.cat_file(remote_path)
        return data

    def remove(self, oid: str) -> None:
        self.fs.rm_file(self.object_path(oid))


def _known_hosts_policy(path: Path) -> Any:
    import paramiko

    class KnownHosts(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
        """Accept only a host key listed in ``path`` (the client loads no keys itself)."""

        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            keys = paramiko.HostKeys(str(path)) if path.is_file() else paramiko.HostKeys()
            found = keys.lookup(hostname)
            if found is None or found.get(key.get_name()) != key:
                raise paramiko.SSHException(
                    f"the host key of {hostname} is not in {path}; add it (ssh-keyscan) or "
                    "point cache_remote.<name>.known_hosts at a file that has it"
                )

    return KnownHosts()


def _settings(config: Config, name: str) -> dict[str, str]:
    prefix = f"cache_remote.{name}."
    return {
        s.key[len(prefix) :]: str(s.value) for s in config.settings() if s.key.startswith(prefix)
    }


def open_remote(config: Config, workspace: Workspace, name: str | None = None) -> CacheRemote:
    """The cache remote ``name`` (default ``cache.remote``) from the lab configuration."""
    chosen = name or str(config.get("cache.remote") or "")
    if not chosen:
        raise ConfigError(
            "no cache remote named and cache.remote is not set",
            hint="ardvc config cache_remote.lab.url s3://bucket/ardvc && "
            "ardvc config cache.remote lab",
        )
    opts = _settings(config, chosen)
    url = opts.get("url", "")
    if not url:
        raise ConfigError(
            f"cache remote {chosen!r} has no url",
            hint=f"ardvc config cache_remote.{chosen}.url URL",
        )
    jobs = default_jobs(int(opts.get("jobs", "0") or 0))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("", "file"):
        path = unquote(parts.path) if scheme == "file" else url
        root = Path(path).expanduser()
        if not root.is_absolute():
            root = (workspace.ardvc_dir / root).resolve()
        return CacheRemote(chosen, url, lambda: fsspec.filesystem("file", auto_mkdir=True),
                           str(root), jobs, atomic_put=False)  # fmt: skip
    if scheme in ("ssh", "sftp"):
        host = parts.hostname or ""
        known = Path(opts.get("known_hosts") or "~/.ssh/known_hosts").expanduser()
        kwargs: dict[str, Any] = {
            "port": parts.port or 22,
            "host_key_policy": _known_hosts_policy(known),
        }
        if parts.username:
            kwargs["username"] = parts.username
        if opts.get("keyfile"):
            kwargs["key_filename"] = os.path.expanduser(opts["keyfile"])

        def connect() -> Any:
            try:
                return fsspec.filesystem("sftp", host=host, skip_instance_cache=True, **kwargs)
            except Exception as exc:  # paramiko raises many kinds; all mean "cannot connect"
                raise CacheError(
                    f"cannot connect to cache remote {chosen!r} ({host}:{kwargs['port']}): {exc}",
                    hint="check the url, cache_remote.<name>.keyfile and known_hosts",
                ) from exc

        folder = parts.path.rstrip("/") or "."
        remote = CacheRemote(chosen, url, connect, folder, jobs, atomic_put=False, per_thread=True)
        remote.fs.info(folder) if remote.fs.exists(folder) else None  # connect now
        return remote
    if scheme == "s3":
        s3_kwargs: dict[str, Any] = {}
        if opts.get("endpoint_url"):
            s3_kwargs["endpoint_url"] = opts["endpoint_url"]
        if opts.get("access_key_id"):
            s3_kwargs["key"] = opts["access_key_id"]
        if opts.get("secret_access_key"):
            s3_kwargs["secret"] = opts["secret_access_key"]
        if opts.get("region"):
            s3_kwargs["client_kwargs"] = {"region_name": opts["region"]}
        try:
            import s3fs  # noqa: F401
        except ImportError as exc:
            raise CacheError("s3 cache remotes need s3fs", hint="pip install 'ardvc[s3]'") from exc
        bucket = f"{parts.netloc}{parts.path}".rstrip("/")
        return CacheRemote(chosen, url, lambda: fsspec.filesystem("s3", **s3_kwargs), bucket,
                           jobs, atomic_put=True)  # fmt: skip
    raise ConfigError(
        f"cache remote {chosen!r}: unsupported url scheme {scheme!r}",
        hint="use a folder path, ssh://user@host/path or s3://bucket/prefix",
    )
