"""The SQL index on SQLite and PostgreSQL: schema from migrations, rebuild from the shared
bundles, incremental sync equal to a rebuild, faults."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.data.write import write_collection
from ardvc.demodata import cornudas_analysis
from ardvc.gitstore import Author
from ardvc.index import schema
from ardvc.index.db import create_engine_for
from ardvc.index.models import Base
from conftest import DATA_BUNDLES, META_BUNDLE, clone_bundle
from index_dump import dump

AUTHOR = Author("Index Test", "index@lab.example")
COUNTS = {  # shared/data/README.md: analyses at master (and data_collection)
    "IR998": {"master": 119},
    "Cornudas": {"master": 381, "origin/data_collection": 414},
    "Lusk01121": {"master": 426},
    "Felix_blank180": {"master": 187},
    "FractionatedRes": {"master": 167},
    "IR1003": {"master": 13},
    "Irradiation-NM-293": {"master": 525},
    "SwansonB": {"master": 420, "origin/data_collection": 328},
    "Timescale": {"master": 443, "origin/data_collection": 453},
}


SYNC_SCRIPT = """
import sys
from ardvc.api import Lab
lab = Lab.open(sys.argv[1], overrides={"index.url": sys.argv[2], "lab.timezone": "America/Denver"})
lab.catalog.ensure_schema()
print("ready", flush=True)
lab.catalog.sync()
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="session")
def bundles_lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shared bundle as a Pychron .dvc folder, adopted (read-only for the tests)."""
    root = tmp_path_factory.mktemp("all-bundles") / ".dvc"
    clone_bundle(META_BUNDLE, root / META_BUNDLE)
    for name in DATA_BUNDLES:
        clone_bundle(name, root / "repositories" / name)
    Lab.adopt_pychron(root)
    return root


def open_lab(root: Path, url: str) -> Lab:
    return Lab.open(root, overrides={"index.url": url, "lab.timezone": "America/Denver"})


def test_schema_from_migrations_equals_models(index_urls: str) -> None:
    engine = create_engine_for(index_urls)
    assert schema.current_revision(engine) is None
    schema.upgrade(engine)
    assert schema.current_revision(engine) == schema.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    schema.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}


@pytest.mark.shared
def test_rebuild_over_the_shared_bundles(bundles_lab: Path, index_urls: str) -> None:
    lab = open_lab(bundles_lab, index_urls)
    reports = lab.catalog.rebuild(processes=2)
    counts = {(r.repo, r.branch): r.analyses for r in reports if r.repo != META_BUNDLE}
    expected = {(repo, branch): n for repo, by in COUNTS.items() for branch, n in by.items()}
    assert counts == expected
    levels = next(r for r in reports if r.repo == META_BUNDLE)
    assert levels.analyses == 907 and levels.errors == 1  # Unirradiated/C.json is invalid
    g = lab.find(irradiation="NM-293", level="G")
    assert {r.identifier for r in g} == {"25761", "25762", "25763", "25764", "25765", "25766"}
    assert all(r.repo == "Irradiation-NM-293" and r.analysis_type == "unknown" for r in g)
    # the record says where the numbers are, and they are there
    first = lab.analysis_at(g[0])
    assert first.record_id == g[0].record_id and first.files[None].blob_id == g[0].blob_id
    assert len(lab.find(repo=["Cornudas"], branch="origin/data_collection")) == 414
    assert len(lab.find(sample="CORN-8*", type=["unknown"])) > 0
    assert {r.tag for r in lab.find(repo=["IR998"])} >= {"ok", "omit", "skip"}
    info = lab.catalog.info()
    errors = {e.split(":")[0] for s in info.repos for e in s.errors}
    assert errors == {"Unirradiated/C.json", "657/ia/63.ia.json", "657/ia/63_00000.ia.json"}
    assert not any(s.stale for s in info.repos)
    assert info.counts["positions"] == 17158
    assert lab.catalog.sync() and all(r.mode == "unchanged" for r in lab.catalog.sync())


@pytest.fixture
def small_lab(tmp_path: Path, bundle_bare: Callable[[str], Path]) -> Path:
    """A writable lab with two real repositories and the MetaRepo (local clones of the
    session's mirrors: fast, and independent of each other)."""
    root = tmp_path / ".dvc"
    git(tmp_path, "clone", "-q", str(bundle_bare(META_BUNDLE)), str(root / META_BUNDLE))
    for name in ("IR1003", "FractionatedRes"):
        git(tmp_path, "clone", "-q", str(bundle_bare(name)), str(root / "repositories" / name))
    Lab.adopt_pychron(root)
    return root


def rebuilt(root: Path, tmp_path: Path) -> dict[str, object]:
    reference = open_lab(root, f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    reference.catalog.rebuild(processes=1)
    return dump(reference.catalog.engine)


@pytest.mark.shared
def test_incremental_sync_equals_rebuild(small_lab: Path, index_urls: str, tmp_path: Path) -> None:
    lab = open_lab(small_lab, index_urls)
    lab.catalog.sync()
    repo = lab.repo("IR1003")
    # ardvc's own commit: the index follows by itself
    write_collection(repo, cornudas_analysis(), lab.author())
    assert [r.record_id for r in lab.find(repo=["IR1003"], identifier=["69421"])] == ["69421-02F"]
    # edits by other tools: modify, delete, corrupt, force-move a branch
    path = repo.git.path
    doc = (
        (path / "656/02-02A.json")
        .read_text()
        .replace('"sample": "NWA 11042"', '"sample": "renamed"')
    )
    (path / "656/02-02A.json").write_text(doc)
    for victim in ("656/02-02C.json", "656/intercepts/02-02C.inte.json"):
        (path / victim).unlink()
    (path / "656/tags").mkdir(exist_ok=True)
    (path / "656/tags/02-02D.tags.json").write_text('{"name": ')  # truncated
    git(path, "add", "-A")
    git(path, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "-qm", "edits")
    frac = lab.repo("FractionatedRes").git.path
    git(frac, "reset", "-q", "--hard", "HEAD~5")
    git(
        frac,
        "-c",
        "user.name=x",
        "-c",
        "user.email=x@y",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "moved",
    )
    reports = lab.catalog.sync()
    assert {r.repo: r.mode for r in reports}["IR1003"] == "incremental"
    got = dump(lab.catalog.engine)
    assert got == rebuilt(small_lab, tmp_path)
    # the edits are visible, and the corrupt file is an error row, not a crash
    assert lab.find(sample="renamed")[0].record_id == "65602-02A"
    assert "65602-02C" not in {r.record_id for r in lab.find(repo=["IR1003"])}
    assert any("02-02D.tags.json" in e for s in lab.catalog.info().repos for e in s.errors)
    # every (commit, path) → blob id the index gives is true in git
    for record in lab.find(branch="*"):
        assert (
            git(
                small_lab / "repositories" / record.repo,
                "rev-parse",
                f"{record.commit}:{record.path}",
            ).strip()
            == record.blob_id
        )


@pytest.mark.shared
def test_concurrent_syncs_do_not_duplicate(
    small_lab: Path, index_urls: str, tmp_path: Path
) -> None:
    lab = open_lab(small_lab, index_urls)
    procs = [
        subprocess.Popen([sys.executable, "-c", SYNC_SCRIPT, str(small_lab), index_urls])
        for _ in range(3)
    ]
    assert [p.wait() for p in procs] == [0, 0, 0]
    assert dump(lab.catalog.engine) == rebuilt(small_lab, tmp_path)


def test_unreachable_database_masks_the_password(tmp_path: Path) -> None:
    Lab.init(tmp_path / "lab")
    url = "postgresql+psycopg://ardvc:topsecret@127.0.0.1:1/nothing"
    result = CliRunner().invoke(
        main, ["--root", str(tmp_path / "lab"), "-c", f"index.url={url}", "index", "info"]
    )
    assert result.exit_code == 1
    assert "topsecret" not in result.output
    assert "ardvc:***@127.0.0.1:1/nothing" in result.output


@pytest.mark.shared
def test_killed_sync_leaves_a_consistent_index(
    small_lab: Path, index_urls: str, tmp_path: Path
) -> None:
    """SIGKILL at random moments of a sync: every repository branch in the index is whole at
    its recorded head (or absent), and the next sync finishes the job."""
    import random
    import signal
    import time

    from ardvc.data import DataRepo
    from ardvc.gitstore import GitRepo
    from ardvc.index.models import Analysis, RepoHead, Repository

    rng = random.Random(11)
    lab = open_lab(small_lab, index_urls)
    for _ in range(3):
        args = [sys.executable, "-c", SYNC_SCRIPT, str(small_lab), index_urls]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with lab.catalog.engine.connect() as conn:
            heads = {
                (r.name, r.branch): r.commit
                for r in conn.execute(
                    sa.select(Repository.name, RepoHead.branch, RepoHead.commit).join(RepoHead)
                )
            }
            rows = conn.execute(
                sa.select(Repository.name, Analysis.branch, sa.func.count())
                .join(Repository, Repository.id == Analysis.repository_id)
                .group_by(Repository.name, Analysis.branch)
            ).all()
        for name, branch, count in rows:
            assert (name, branch) in heads, f"rows of {name}:{branch} without an indexed head"
            repo = DataRepo(GitRepo(small_lab / "repositories" / name))
            assert count == repo.count_analyses(heads[(name, branch)])
    lab.catalog.sync()
    assert dump(lab.catalog.engine) == rebuilt(small_lab, tmp_path)


@pytest.mark.shared
def test_index_commands(small_lab: Path) -> None:
    import csv
    import io
    import json

    runner = CliRunner()
    base = ["--root", str(small_lab)]
    rebuilt_out = runner.invoke(main, [*base, "index", "rebuild", "--processes", "1"])
    assert rebuilt_out.exit_code == 0, rebuilt_out.output
    assert "IR1003" in rebuilt_out.output and "full" in rebuilt_out.output
    synced = runner.invoke(main, [*base, "index", "sync"])
    assert synced.exit_code == 0 and "unchanged" in synced.output
    info = json.loads(runner.invoke(main, [*base, "index", "info", "--json"]).output)
    assert info["backend"]["backend"] == "sqlite" and info["schema_version"] == info["code_version"]
    assert info["counts"]["analyses"] == 13 + 167
    found = json.loads(
        runner.invoke(main, [*base, "find", "--irradiation", "NM-290", "--format", "json"]).output
    )
    assert {r["identifier"] for r in found} == {"65602"} and len(found) == 13
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(main, [*base, "find", "--type", "air", "--format", "csv", "--no-sync"]).output
    )))  # fmt: skip
    assert len(rows) == 107 and {r["repo"] for r in rows} == {"FractionatedRes"}
    table_out = runner.invoke(main, [*base, "find", "--repo", "IR1003", "--limit", "2"])
    assert table_out.exit_code == 0 and "2 analyses" in table_out.output
