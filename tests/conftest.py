"""Shared fixtures: the real Pychron repositories of ../shared/data, cloned once per session.

In CI (``CI=true``) a missing ../shared is a failure, not a skip: those bundles are the
ground truth every reader and writer is checked against.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from components import component_missing

if TYPE_CHECKING:
    from pg import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ARDVC_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"

DATA_BUNDLES = (
    "IR998",
    "Cornudas",
    "Lusk01121",
    "Felix_blank180",
    "FractionatedRes",
    "IR1003",
    "Irradiation-NM-293",
    "SwansonB",
    "Timescale",
)
META_BUNDLE = "MetaData"


def _require_shared() -> None:
    if not SHARED_DATA.is_dir():
        component_missing("the shared data", f"bundles not found at {SHARED_DATA}")


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def bundle_bare(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``bundle_bare("IR998")`` → a bare clone holding every branch of the bundle as a local
    branch. Shared by the whole session: tests must treat it as read-only."""
    _require_shared()
    base = tmp_path_factory.mktemp("bundles-bare")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            target = base / f"{name}.git"
            _git("clone", "--quiet", "--mirror", str(SHARED_DATA / f"{name}.bundle"), str(target))
            made[name] = target
        return made[name]

    return get


def clone_bundle(name: str, target: Path) -> Path:
    """A normal clone (working tree on master, other branches as origin/*) of one bundle."""
    _require_shared()
    _git("clone", "--quiet", str(SHARED_DATA / f"{name}.bundle"), str(target))
    return target


@pytest.fixture(scope="session")
def pychron_dvc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Pychron ``.dvc`` folder as a lab has it: MetaData/ and repositories/<name>/ clones
    of IR998, Cornudas and Lusk01121. Session-wide and read-only; copy it to modify."""
    _require_shared()
    base = tmp_path_factory.mktemp("pychron") / ".dvc"
    clone_bundle(META_BUNDLE, base / META_BUNDLE)
    for name in ("IR998", "Cornudas", "Lusk01121"):
        clone_bundle(name, base / "repositories" / name)
    return base


@pytest.fixture(autouse=True)
def isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the machine's own ardvc configuration or lab."""
    base = tmp_path_factory.mktemp("config-levels")
    monkeypatch.setenv("ARDVC_SYSTEM_CONFIG_DIR", str(base / "system"))
    monkeypatch.setenv("ARDVC_GLOBAL_CONFIG_DIR", str(base / "user"))
    monkeypatch.setenv("ARDVC_USER_NAME", "Test Analyst")
    monkeypatch.setenv("ARDVC_USER_EMAIL", "analyst@lab.example")
    monkeypatch.delenv("ARDVC_ROOT", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))


# --- PostgreSQL: a real server on loopback for the session (tests/pg.py) -----------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this session and stopped at its end. Without the
    server binaries: skipped, or a failure in CI."""
    try:
        # imported here: without psycopg (the "postgres" extra) only these tests are affected
        from pg import PostgresUnavailable, start_server
    except ImportError as exc:
        component_missing(
            "PostgreSQL", f"psycopg is not installed (pip install -e '.[postgres]'): {exc}"
        )
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        component_missing("PostgreSQL", str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql+psycopg://user:password@127.0.0.1:PORT/db`` of the session server's
    test database (shared by the session: use ``index_urls`` for a fresh one)."""
    return postgres_server.url()


@pytest.fixture(params=["sqlite", "postgresql"])
def index_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty index database URL, once per backend: a temporary SQLite file, or a fresh
    database in the session's PostgreSQL server, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"ardvc_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


# --- cache remotes: OpenSSH and an S3-compatible server on loopback (tests/sshd.py, s3server.py)


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real OpenSSH server on 127.0.0.1 with a throw-away key pair (``make test``
    installs openssh-server when it is missing)."""
    from sshd import SshdUnavailable, start_sshd

    try:
        server = start_sshd(tmp_path_factory.mktemp("sshd"))
    except SshdUnavailable as exc:
        component_missing("OpenSSH's sshd", str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """moto's standalone S3-compatible server on 127.0.0.1 for the session."""
    from s3server import S3Unavailable, start_s3

    try:
        server = start_s3()
    except S3Unavailable as exc:
        component_missing("moto's S3 server", str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sim_lab(tmp_path: Path) -> Any:
    """A new lab holding the simulator's irradiation: where the persister tests start."""
    from ardvc import Lab
    from ardvc.persist.sim_meta import install_irradiation
    from ardvc.persist.simulator import Simulator

    Lab.init(tmp_path / "lab")
    lab = Lab.open(tmp_path / "lab")
    install_irradiation(lab.meta, Simulator(seed=0).irradiation, lab.author())
    return lab


@pytest.fixture
def sim_persister(sim_lab: Any) -> Iterator[Any]:
    """A persister of ``sim_lab`` committing to its repository SimLab (made on first use)."""
    with sim_lab.persister("SimLab", remote="") as persister:
        persister.repo("SimLab")
        yield persister
