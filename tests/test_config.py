"""Configuration levels, origins, secrets and the 0600 local file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ardvc.config import Config, Level, is_secret, mask_secret
from ardvc.errors import ConfigError, SecretInSharedConfigError


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    d = tmp_path / "lab" / ".ardvc"
    d.mkdir(parents=True)
    return d


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "ARDVC_SYSTEM_CONFIG_DIR": str(tmp_path / "system"),
        "ARDVC_GLOBAL_CONFIG_DIR": str(tmp_path / "user"),
    }


def test_levels_override_in_order(lab_dir: Path, env: dict[str, str]) -> None:
    cfg = Config(lab_dir, env=env)
    assert cfg.get("core.max_deletions") == 10
    assert cfg.setting("core.max_deletions").level is Level.DEFAULT  # type: ignore[union-attr]
    cfg.set("core.max_deletions", "20", Level.SYSTEM)
    cfg.set("core.max_deletions", "30", Level.USER)
    assert Config(lab_dir, env=env).get("core.max_deletions") == 30
    cfg.set("core.max_deletions", "40", Level.LAB)
    cfg.set("core.max_deletions", "50", Level.LOCAL)
    fresh = Config(lab_dir, env=env)
    assert fresh.get("core.max_deletions") == 50
    assert fresh.setting("core.max_deletions").origin == str(lab_dir / "config.local")  # type: ignore[union-attr]
    with_env = Config(lab_dir, env={**env, "ARDVC_CORE_MAX_DELETIONS": "60"})
    assert with_env.get("core.max_deletions") == 60
    assert with_env.setting("core.max_deletions").origin == "ARDVC_CORE_MAX_DELETIONS"  # type: ignore[union-attr]
    cli = Config(
        lab_dir,
        env={**env, "ARDVC_CORE_MAX_DELETIONS": "60"},
        overrides={"core.max_deletions": "70"},
    )
    assert cli.get("core.max_deletions") == 70
    assert cli.setting("core.max_deletions").level is Level.CLI  # type: ignore[union-attr]
    # unset falls back to the level below
    assert fresh.unset("core.max_deletions", Level.LOCAL)
    assert Config(lab_dir, env=env).get("core.max_deletions") == 40
    assert not fresh.unset("core.max_deletions", Level.LOCAL)


def test_types_are_checked(lab_dir: Path, env: dict[str, str]) -> None:
    cfg = Config(lab_dir, env=env)
    with pytest.raises(ConfigError):
        cfg.set("core.max_deletions", "many")
    with pytest.raises(ConfigError):
        cfg.set("core.no_such_key", "1")
    cfg.set("core.worktree_sync", "false")
    assert Config(lab_dir, env=env).get("core.worktree_sync") is False
    (lab_dir / "config").write_text('[core]\nmax_deletions = "ten"\n')
    with pytest.raises(ConfigError, match="must be int"):
        Config(lab_dir, env=env)
    (lab_dir / "config").write_text("[core\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        Config(lab_dir, env=env)


def test_secrets_only_in_config_local(lab_dir: Path, env: dict[str, str]) -> None:
    cfg = Config(lab_dir, env=env)
    with pytest.raises(SecretInSharedConfigError):
        cfg.set("remote.origin.token", "ghp_abc")
    with pytest.raises(SecretInSharedConfigError):
        cfg.set("index.url", "postgresql+psycopg://ardvc:s3cret@db.lab/ardvc")
    with pytest.raises(SecretInSharedConfigError):
        cfg.set("remote.origin.password", "x", Level.USER)
    assert not (lab_dir / "config").exists() or "s3cret" not in (lab_dir / "config").read_text()
    cfg.set("remote.origin.token", "ghp_abc", Level.LOCAL)
    cfg.set("index.url", "postgresql+psycopg://ardvc:s3cret@db.lab/ardvc", Level.LOCAL)
    local = lab_dir / "config.local"
    assert stat.S_IMODE(local.stat().st_mode) == 0o600
    fresh = Config(lab_dir, env=env)
    assert fresh.get("remote.origin.token") == "ghp_abc"
    shown = {s.key: s.shown() for s in fresh.settings()}
    assert shown["index.url"] == "postgresql+psycopg://ardvc:***@db.lab/ardvc"
    # a secret smuggled into the shared file by hand is refused at load time
    (lab_dir / "config").write_text('[remote.origin]\ntoken = "leaked"\n')
    with pytest.raises(SecretInSharedConfigError):
        Config(lab_dir, env=env)


def test_secret_detection() -> None:
    assert is_secret("remote.github.token")
    assert is_secret("index.password")
    assert is_secret("index.url", "postgresql://u:p@h/db")
    assert not is_secret("index.url", "postgresql://u@h/db")
    assert not is_secret("user.name", "Jake")
    assert mask_secret("https://bob:pw@git.lab/x.git") == "https://bob:***@git.lab/x.git"
    assert mask_secret("ghp_123") == "***"


def test_shared_config_is_world_readable(lab_dir: Path, env: dict[str, str]) -> None:
    Config(lab_dir, env=env).set("lab.name", "NMGRL")
    assert stat.S_IMODE((lab_dir / "config").stat().st_mode) == 0o644
    assert (lab_dir / "config").read_text() == '[lab]\nname = "NMGRL"\n'


def test_outside_a_lab_only_user_and_system(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = Config(None, env=env)
    cfg.set("user.name", "Analyst", Level.USER)
    assert Config(None, env=env).get("user.name") == "Analyst"
    with pytest.raises(ConfigError):
        cfg.set("user.name", "x", Level.LAB)
