"""Configuration levels, lowest to highest (ARCHITECTURE.md §2):

built-in defaults → system → user → lab (``.ardvc/config``) → local (``.ardvc/config.local``)
→ ``ARDVC_*`` environment variables → command-line overrides.

Files are TOML. Keys are dotted (``core.max_deletions``, ``remote.origin.url``). Secrets
(keys naming a token or password, URLs with an embedded password) are accepted only in
``config.local``, which is written with mode 0600 and never committed anywhere.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from ardvc.errors import ConfigError, SecretInSharedConfigError
from ardvc.formats.jsonio import atomic_write_bytes


class Level(StrEnum):
    DEFAULT = "default"
    SYSTEM = "system"
    USER = "user"
    LAB = "lab"
    LOCAL = "local"
    ENV = "env"
    CLI = "cli"


WRITABLE = (Level.SYSTEM, Level.USER, Level.LAB, Level.LOCAL)
LOCAL_MODE = 0o600


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


@dataclass(frozen=True, slots=True)
class Key:
    """A known configuration key: its type, default and what it is for."""

    name: str
    kind: type
    default: Any
    help: str

    def parse(self, text: str) -> Any:
        """Convert a command-line or environment string to this key's type."""
        try:
            if self.kind is bool:
                return _to_bool(text)
            if self.kind is int:
                return int(text)
            if self.kind is float:
                return float(text)
        except ValueError as exc:
            raise ConfigError(f"{self.name}: {exc}") from exc
        return text

    def check(self, value: Any, origin: str) -> Any:
        ok = isinstance(value, self.kind) and not (self.kind is int and isinstance(value, bool))
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise ConfigError(
                f"{self.name} in {origin} must be {self.kind.__name__}, not {value!r}"
            )
        return value


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("user.name", str, "", "commit author name (falls back to lab.author_name)"),
        Key("user.email", str, "", "commit author e-mail (falls back to lab.author_email)"),
        Key("lab.name", str, "", "the lab's name, shown in reports"),
        Key("lab.meta_repo", str, "MetaData", "folder name of the MetaRepo in the lab root"),
        Key("lab.timezone", str, "", "IANA zone of naive lab timestamps (e.g. America/Denver)"),
        Key("lab.author_name", str, "", "lab-wide default commit author name"),
        Key("lab.author_email", str, "", "lab-wide default commit author e-mail"),
        Key("core.branch", str, "", "branch to commit on; empty = each repo's current branch"),
        Key("core.max_deletions", int, 10, "largest number of files one commit may delete"),
        Key("core.worktree_sync", bool, True, "update checked-out files and git index on commit"),
        Key("index.url", str, "", "SQL index URL; empty = .ardvc/index.sqlite3"),
        Key("persist.remote", str, "origin", "git remote the outbox pushes to; empty = none"),
        Key("persist.save_timeout", float, 120.0, "seconds end_run waits for room among saves"),
        Key("persist.save_queue", int, 4, "runs ended but not yet committed before end_run waits"),
        Key("persist.commit_process", bool, True, "commit in a process beside the recording one"),
        Key("sync.jobs", int, 4, "repositories pushed, pulled or fetched at the same time"),
        Key("sync.timeout", float, 300.0, "seconds one network git command may take"),
        Key("reduce.conventions", str, "pychron-2022", "pychron-2018, pychron-2022 or ardvc"),
        Key("reduce.decay_constants", str, "min2000", "min2000, sj1977, renne2011, nmgrl2018"),
        Key("reduce.atmosphere", str, "nier1950", "nier1950 or lee2006"),
        Key("reduce.monitor", str, "fc-2", "flux monitor: fc-2 (28.201 Ma), FC SJ, …"),
        Key(
            "cache.type", str, "reflink,hardlink,copy", "workspace links to cache objects, in order"
        ),
        Key("cache.remote", str, "", "default cache remote (cache_remote.<name>.url)"),
        Key("cache.lock_timeout", float, 60.0, "seconds a cache command waits for a busy lock"),
        Key("cache.hardlink_lock", bool, False, "NFS-safe workspace lock (hardlink claim files)"),
        Key("cache.jobs", int, 0, "threads for hashing and transfers; 0 = automatic"),
        Key("cache.processes", int, 0, "processes adding many files; 0 = cores + 1"),
        Key("web.host", str, "127.0.0.1", "address ardvc serve binds to"),
        Key("web.port", int, 8765, "port ardvc serve listens on"),
        Key("web.allow_remote", bool, False, "let ardvc serve bind to a non-loopback address"),
        Key("web.token", str, "", "token for the web UI's write actions (config.local only)"),
        Key("log.level", str, "INFO", "level of logs/ardvc.log"),
        Key("log.max_bytes", int, 5_000_000, "size at which logs/ardvc.log rotates"),
        Key("log.backups", int, 5, "rotated log files kept"),
    )
}
DYNAMIC_SECTIONS = {"remote", "cache_remote"}
"""Sections whose subsections are named by the user (``remote.<name>.<key>``,
``cache_remote.<name>.url``)."""

_SECRET_NAME = re.compile(r"token|password|secret", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@:]*:[^/@]+@", re.IGNORECASE)


def is_secret(key: str, value: Any = None) -> bool:
    """A key that names a token or password, or a value that is a URL with a password."""
    if _SECRET_NAME.search(key.rsplit(".", 1)[-1]):
        return True
    return isinstance(value, str) and bool(_URL_PASSWORD.match(value))


def mask_secret(value: str) -> str:
    """``postgresql://u:pw@h/db`` → ``postgresql://u:***@h/db``; other secrets → ``***``."""
    match = _URL_PASSWORD.match(value)
    if match:
        head = match.group(0)
        scheme_user = head[: head.rindex(":")]
        return f"{scheme_user}:***@{value[len(head) :]}"
    return "***"


def key_spec(key: str) -> Key:
    """The :class:`Key` of ``key``; dynamic-section keys are free-form strings."""
    if key in KEYS:
        return KEYS[key]
    section = key.split(".", 1)[0]
    if section in DYNAMIC_SECTIONS and key.count(".") >= 2:
        return Key(key, str, "", "user-defined")
    close = [k for k in KEYS if k.split(".")[-1] == key.split(".")[-1]]
    hint = f"did you mean {close[0]}?" if close else "ardvc config --list shows every key"
    raise ConfigError(f"unknown configuration key {key!r}", hint=hint)


def _env_name(key: str) -> str:
    return "ARDVC_" + re.sub(r"[^A-Z0-9]", "_", key.upper())


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(flat.items()):
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    value: Any
    level: Level
    origin: str

    def shown(self) -> str:
        if isinstance(self.value, bool):
            text = "true" if self.value else "false"
        else:
            text = str(self.value)
        return mask_secret(text) if is_secret(self.key, text) and text else text


class Config:
    """The merged view of every level for one lab (or none, outside a lab)."""

    def __init__(
        self,
        lab_dir: Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.lab_dir = lab_dir
        self.env = dict(os.environ if env is None else env)
        self._overrides = dict(overrides or {})
        self._settings: dict[str, Setting] = {}
        self._load()

    # --- where each level lives ---------------------------------------------------------

    def path(self, level: Level) -> Path:
        if level is Level.SYSTEM:
            base = self.env.get("ARDVC_SYSTEM_CONFIG_DIR") or platformdirs.site_config_dir("ardvc")
            return Path(base) / "config.toml"
        if level is Level.USER:
            base = self.env.get("ARDVC_GLOBAL_CONFIG_DIR") or platformdirs.user_config_dir("ardvc")
            return Path(base) / "config.toml"
        if self.lab_dir is None:
            raise ConfigError(f"no lab here, so there is no {level} configuration")
        if level is Level.LAB:
            return self.lab_dir / "config"
        if level is Level.LOCAL:
            return self.lab_dir / "config.local"
        raise ConfigError(f"the {level} level is not a file")

    def _file_levels(self) -> Iterator[Level]:
        yield Level.SYSTEM
        yield Level.USER
        if self.lab_dir is not None:
            yield Level.LAB
            yield Level.LOCAL

    def read_level(self, level: Level) -> dict[str, Any]:
        """The flat ``{key: value}`` of one file level (empty when the file is absent)."""
        path = self.path(level)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"invalid TOML in {path}: {exc}") from exc
        flat = dict(_flatten(data))
        for key, value in flat.items():
            spec = key_spec(key)
            flat[key] = spec.check(value, str(path))
            if level is not Level.LOCAL and is_secret(key, value):
                raise SecretInSharedConfigError(
                    f"{path} holds the secret {key!r}; secrets belong in config.local",
                    hint=f"move it: ardvc config --local {key} … and remove it from {path}",
                )
        return flat

    def _load(self) -> None:
        self._settings.clear()
        for key, spec in KEYS.items():
            self._settings[key] = Setting(key, spec.default, Level.DEFAULT, "built-in")
        for level in self._file_levels():
            origin = str(self.path(level))
            for key, value in self.read_level(level).items():
                self._settings[key] = Setting(key, value, level, origin)
        for key, spec in KEYS.items():
            name = _env_name(key)
            if name in self.env:
                self._settings[key] = Setting(key, spec.parse(self.env[name]), Level.ENV, name)
        for key, text in self._overrides.items():
            spec = key_spec(key)
            self._settings[key] = Setting(key, spec.parse(text), Level.CLI, "command line")

    # --- reading ------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        key_spec(key)
        setting = self._settings.get(key)
        return None if setting is None else setting.value

    def setting(self, key: str) -> Setting | None:
        key_spec(key)
        return self._settings.get(key)

    def settings(self) -> list[Setting]:
        return [self._settings[k] for k in sorted(self._settings)]

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    # --- writing one level --------------------------------------------------------------

    def set(self, key: str, text: str, level: Level = Level.LAB) -> Any:
        """Write ``key`` at one file level; returns the typed value written."""
        spec = key_spec(key)
        value = spec.parse(text)
        if level is not Level.LOCAL and is_secret(key, value):
            raise SecretInSharedConfigError(
                f"refusing to write the secret {key!r} to the {level} configuration",
                hint=f"secrets go to config.local only: ardvc config --local {key} VALUE",
            )
        self._update(level, lambda flat: flat.__setitem__(key, value))
        return value

    def unset(self, key: str, level: Level = Level.LAB) -> bool:
        """Remove ``key`` from one level; returns whether it was there."""
        key_spec(key)
        found: list[bool] = []

        def drop(flat: dict[str, Any]) -> None:
            found.append(flat.pop(key, None) is not None)

        self._update(level, drop)
        return found[0]

    def _update(self, level: Level, change: Callable[[dict[str, Any]], None]) -> None:
        if level not in WRITABLE:
            raise ConfigError(f"cannot write the {level} level")
        flat = self.read_level(level)
        change(flat)
        path = self.path(level)
        mode = LOCAL_MODE if level is Level.LOCAL else None
        atomic_write_bytes(path, tomli_w.dumps(_nest(flat)).encode("utf-8"), mode=mode)
        self._load()


def write_initial(path: Path, values: Mapping[str, Any], *, local: bool = False) -> None:
    """Create a config file (used by ``init``); ``local`` files get mode 0600."""
    text = tomli_w.dumps(_nest(values)) if values else ""
    header = (
        "# ardvc secrets and machine paths: never committed, mode 0600\n"
        if local
        else "# ardvc lab configuration (ardvc config KEY VALUE)\n"
    )
    atomic_write_bytes(path, (header + text).encode("utf-8"), mode=LOCAL_MODE if local else None)
