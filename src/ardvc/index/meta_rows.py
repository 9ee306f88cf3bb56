"""Irradiations, levels and positions (with J) from the MetaRepo, into the index."""

from __future__ import annotations

from dataclasses import dataclass, field

import pygit2
from sqlalchemy import Connection, delete, insert, select

from ardvc.errors import ArdvcError
from ardvc.formats.irradiation import decode_level
from ardvc.formats.production import decode_production_map
from ardvc.gitstore.objects import blob_at, name_of, tree_at
from ardvc.index.extract import ErrorRow
from ardvc.index.models import IndexError_, Irradiation, Level, Position
from ardvc.index.store import repository_id, set_head

SKIP = {"irradiation_holders", "load_holders", "productions", "spectrometers", "scripts",
        "experiments"}  # fmt: skip


@dataclass
class LevelRow:
    name: str
    path: str
    blob_id: str
    z: float | None
    production: str | None
    positions: list[dict[str, str | float | None]]


@dataclass
class MetaExtract:
    head: str
    irradiations: dict[str, list[LevelRow]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    """Irradiations whose rows are replaced (all of them when full)."""
    errors: list[ErrorRow] = field(default_factory=list)
    full: bool = True


def _irradiation(
    repo: pygit2.Repository, tree: pygit2.Tree, name: str, commit: str, out: MetaExtract
) -> None:
    levels: list[LevelRow] = []
    productions: dict[str, str] = {}
    for entry in tree:
        if name_of(entry) == "productions.json" and entry.type_str == "blob":
            path = f"{name}/productions.json"
            try:
                mapping = decode_production_map(
                    blob_at(repo, entry.id).data, path=path, commit=commit
                )
                productions = {lvl: mapping.for_level(lvl) or "" for lvl in mapping.levels}
            except ArdvcError as exc:
                out.errors.append(ErrorRow(path, name, str(exc)))
    for entry in tree:
        file = name_of(entry)
        if entry.type_str != "blob" or not file.endswith(".json") or file == "productions.json":
            continue
        level_name, path = file[: -len(".json")], f"{name}/{file}"
        try:
            level = decode_level(blob_at(repo, entry.id).data, path=path, commit=commit)
        except ArdvcError as exc:
            out.errors.append(ErrorRow(path, name, str(exc)))
            continue
        positions = [
            {"position": p.position, "identifier": p.identifier_text,
             "j": p.j if isinstance(p.j, int | float) else None,
             "j_err": p.j_err if isinstance(p.j_err, int | float) else None,
             "lambda_k": p.lambda_k[0] if p.lambda_k else None,
             "mean_j": p.mean_flux[0] if p.mean_flux else None,
             "mean_j_err": p.mean_flux[1] if p.mean_flux else None}
            for p in level.positions
        ]  # fmt: skip
        z = level.z if isinstance(level.z, int | float) else None
        levels.append(
            LevelRow(
                level_name, path, str(entry.id), z, productions.get(level_name) or None, positions
            )
        )
    out.irradiations[name] = levels


def extract_meta(
    repo: pygit2.Repository, commit: pygit2.Commit, since: pygit2.Commit | None = None
) -> MetaExtract:
    """Every irradiation (or only those a diff since ``since`` touched)."""
    out = MetaExtract(str(commit.id), full=since is None)
    wanted: set[str] | None = None
    if since is not None:
        diff = since.tree.diff_to_tree(commit.tree)
        wanted = set()
        for delta in diff.deltas:
            for path in (delta.old_file.path, delta.new_file.path):
                if "/" in path:
                    wanted.add(path.split("/", 1)[0])
        out.touched = {w for w in wanted if w not in SKIP}
    for entry in commit.tree:
        name = name_of(entry)
        if entry.type_str != "tree" or name in SKIP or name.startswith("."):
            continue
        if wanted is not None and name not in wanted:
            continue
        _irradiation(repo, tree_at(repo, entry.id), name, str(commit.id), out)
    if out.full:
        out.touched = set(out.irradiations)
    return out


def apply_meta(conn: Connection, name: str, branch: str, extract: MetaExtract) -> None:
    repo_id = repository_id(conn, name, "meta")
    if extract.full:
        gone = select(Irradiation.id)
    else:
        gone = select(Irradiation.id).where(Irradiation.name.in_(sorted(extract.touched)))
    level_ids = select(Level.id).where(Level.irradiation_id.in_(gone))
    conn.execute(delete(Position).where(Position.level_id.in_(level_ids)))
    conn.execute(delete(Level).where(Level.irradiation_id.in_(gone)))
    conn.execute(delete(Irradiation).where(Irradiation.id.in_(gone)))
    errors = delete(IndexError_).where(
        IndexError_.repository_id == repo_id, IndexError_.branch == branch
    )
    if not extract.full:
        errors = errors.where(IndexError_.name.in_(sorted(extract.touched)))
    conn.execute(errors)
    for irradiation, levels in sorted(extract.irradiations.items()):
        irr_id = conn.execute(
            insert(Irradiation)
            .values(name=irradiation, commit=extract.head)
            .returning(Irradiation.id)
        ).scalar_one()
        for level in levels:
            level_id = conn.execute(
                insert(Level).values(irradiation_id=irr_id, name=level.name, z=level.z,
                                     production=level.production, path=level.path,
                                     blob_id=level.blob_id).returning(Level.id)
            ).scalar_one()  # fmt: skip
            if level.positions:
                conn.execute(
                    insert(Position), [{"level_id": level_id, **p} for p in level.positions]
                )
    if extract.errors:
        conn.execute(insert(IndexError_), [
            {"repository_id": repo_id, "branch": branch, "commit": extract.head, "path": e.path,
             "name": e.name, "message": e.message} for e in extract.errors
        ])  # fmt: skip
    set_head(conn, repo_id, branch, extract.head)
