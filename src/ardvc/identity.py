"""Who commits: ``user.name``/``user.email`` from the lab config, then the lab-wide default
author, then git's own configuration. Never a made-up identity."""

from __future__ import annotations

import pygit2

from ardvc.config import Config
from ardvc.errors import ConfigError
from ardvc.gitstore import Author


def _git_identity() -> tuple[str, str]:
    try:
        config = pygit2.Config.get_global_config()
    except (OSError, pygit2.GitError):
        return "", ""
    name = config["user.name"] if "user.name" in config else ""  # noqa: SIM401 - no .get
    email = config["user.email"] if "user.email" in config else ""  # noqa: SIM401
    return str(name), str(email)


def resolve_author(config: Config) -> Author:
    name = config.get("user.name") or config.get("lab.author_name")
    email = config.get("user.email") or config.get("lab.author_email")
    if not name or not email:
        git_name, git_email = _git_identity()
        name = name or git_name
        email = email or git_email
    if not name or not email:
        raise ConfigError(
            "no commit author configured",
            hint='set it once: ardvc config --global user.name "Your Name" && '
            "ardvc config --global user.email you@lab.org (or lab.author_name/_email "
            "for a lab-wide default)",
        )
    return Author(str(name), str(email))
