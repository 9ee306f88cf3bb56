"""A backend-independent dump of an index, for comparing an incrementally synced index with
a fresh rebuild. Rows are keyed by natural keys (never database ids)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ardvc.index.models import (
    Analysis,
    AnalysisFile,
    IndexError_,
    InterpretedAge,
    Irradiation,
    Level,
    Material,
    Position,
    PrincipalInvestigator,
    Project,
    RepoHead,
    Repository,
    Sample,
)

# ``commit`` of a row is the head it was read at: any commit where (path, blob id) holds.
ANALYSIS_COLUMNS = [
    c
    for c in [col.name for col in Analysis.__table__.columns]
    if c not in {"id", "repository_id", "sample_id", "project_id", "pi_id", "commit"}
]


def dump(engine: Engine) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        repos = {r.id: r.name for r in conn.execute(select(Repository.id, Repository.name))}
        out["repositories"] = sorted(
            conn.execute(select(Repository.name, Repository.kind, Repository.branch)).all()
        )
        out["heads"] = sorted(
            (repos[r.repository_id], r.branch, r.commit) for r in conn.execute(select(RepoHead))
        )
        sample_q = (
            select(Sample.id, Sample.name, Material.name, Material.grainsize, Project.name,
                   PrincipalInvestigator.name, Sample.latitude, Sample.longitude)
            .outerjoin(Material, Material.id == Sample.material_id)
            .outerjoin(Project, Project.id == Sample.project_id)
            .outerjoin(PrincipalInvestigator, PrincipalInvestigator.id == Sample.pi_id)
        )  # fmt: skip
        samples = {row[0]: tuple(row[1:]) for row in conn.execute(sample_q)}
        projects = dict(conn.execute(select(Project.id, Project.name)).all())
        pis = dict(conn.execute(select(PrincipalInvestigator.id, PrincipalInvestigator.name)).all())
        analyses = {}
        for a in conn.execute(select(Analysis.__table__)).mappings():
            values = tuple(a[c] for c in ANALYSIS_COLUMNS)
            key = (repos[a["repository_id"]], a["branch"], a["name"])
            analyses[a["id"]] = key
            sample = samples.get(a["sample_id"]) if a["sample_id"] else None
            owners = (projects.get(a["project_id"]), pis.get(a["pi_id"]))
            out.setdefault("analyses", []).append((*key, values, sample, owners))
        out["analyses"] = sorted(out.get("analyses", []), key=repr)
        out["files"] = sorted(
            (*analyses[f["analysis_id"]], f["kind"], f["path"], f["blob_id"])
            for f in conn.execute(select(AnalysisFile.__table__)).mappings()
        )
        out["ia"] = sorted(
            (repos[i["repository_id"]], *(i[k] for k in ("branch", "path", "identifier", "sample",
             "age", "age_err", "kind", "nanalyses", "blob_id")))
            for i in conn.execute(select(InterpretedAge.__table__)).mappings()
        )  # fmt: skip
        out["errors"] = sorted(
            (repos[e["repository_id"]], e["branch"], e["path"], e["name"], e["message"])
            for e in conn.execute(select(IndexError_.__table__)).mappings()
        )
        levels = {
            lv.id: (lv.irradiation, lv.name, lv.z, lv.production, lv.path, lv.blob_id)
            for lv in conn.execute(
                select(
                    Level.id,
                    Irradiation.name.label("irradiation"),
                    Level.name,
                    Level.z,
                    Level.production,
                    Level.path,
                    Level.blob_id,
                ).join(Irradiation)
            )
        }
        out["levels"] = sorted(levels.values(), key=repr)
        out["positions"] = sorted(
            (levels[p["level_id"]][:2], *(p[k] for k in ("position", "identifier", "j", "j_err",
             "lambda_k", "mean_j", "mean_j_err")))
            for p in conn.execute(select(Position.__table__)).mappings()
        )  # fmt: skip
    return out
