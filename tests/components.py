"""What a test does when a component it needs is missing: in CI (``CI=true``), where
``make test`` installs and starts every component, that is a failure; elsewhere a skip."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def component_missing(what: str, reason: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    if in_ci():
        pytest.fail(f"{what} is required in CI: {reason}")
    pytest.skip(reason)
