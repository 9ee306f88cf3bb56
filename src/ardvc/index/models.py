"""SQLAlchemy 2 models of the index. Everything here is derived from git and can be rebuilt.

Analyses are keyed by (repository, branch, name) where ``name`` is the main file's shard +
tail (a uuid or a run ID); every row records where in git its numbers are (path, blob id,
commit), because nothing reads numbers from the index alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps stored as UTC on every backend (SQLite has no zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the index stores timezone-aware timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Repository(Base):
    __tablename__ = "repositories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    """``data`` or ``meta``."""
    branch: Mapped[str | None] = mapped_column(String(255))
    """The checked-out branch: what ``find`` searches unless told otherwise."""


class RepoHead(Base):
    """The last commit indexed for one branch of one repository."""

    __tablename__ = "repo_heads"
    __table_args__ = (UniqueConstraint("repository_id", "branch"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    branch: Mapped[str] = mapped_column(String(255))
    commit: Mapped[str] = mapped_column(String(40))
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrincipalInvestigator(Base):
    __tablename__ = "principal_investigators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class Material(Base):
    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("name", "grainsize"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    grainsize: Mapped[str] = mapped_column(String(255), default="")


class Sample(Base):
    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("name", "material_id", "project_id", "pi_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    pi_id: Mapped[int | None] = mapped_column(ForeignKey("principal_investigators.id"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Analysis(Base):
    __tablename__ = "analyses"
    __table_args__ = (
        UniqueConstraint("repository_id", "branch", "name"),
        Index("ix_analyses_irradiation_time", "irradiation", "irradiation_level", "timestamp"),
        Index("ix_analyses_sample_time", "sample_id", "timestamp"),
        Index("ix_analyses_project_time", "project_id", "timestamp"),
        Index("ix_analyses_pi_time", "pi_id", "timestamp"),
        Index("ix_analyses_identifier_time", "identifier", "timestamp"),
        Index("ix_analyses_branch_time", "repository_id", "branch", "timestamp"),
        Index("ix_analyses_type_time", "analysis_type", "timestamp"),
        Index("ix_analyses_spectrometer_time", "mass_spectrometer", "timestamp"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    branch: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    """Shard + tail of the main file: a uuid or a run ID."""
    uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    record_id: Mapped[str] = mapped_column(String(255), index=True)
    identifier: Mapped[str] = mapped_column(String(255))
    aliquot: Mapped[int] = mapped_column(Integer)
    increment: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8), default="")
    analysis_type: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    mass_spectrometer: Mapped[str | None] = mapped_column(String(64))
    """Lower case: real files spell one instrument ``Felix`` and ``felix``."""
    extract_device: Mapped[str | None] = mapped_column(String(255))
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("samples.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    """Also on the sample; kept here so a project's analyses come off one index in time
    order."""
    pi_id: Mapped[int | None] = mapped_column(ForeignKey("principal_investigators.id"))
    irradiation: Mapped[str | None] = mapped_column(String(255))
    irradiation_level: Mapped[str | None] = mapped_column(String(32))
    irradiation_position: Mapped[int | None] = mapped_column(Integer)
    tag: Mapped[str] = mapped_column(String(64), default="ok", index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(512))
    blob_id: Mapped[str] = mapped_column(String(40))
    commit: Mapped[str] = mapped_column(String(40))
    """The commit the row was read at (the branch head when indexed)."""


class AnalysisFile(Base):
    """Every file of an analysis: where it is in git."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("analysis_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    """``main`` or the modifier (``.data``, ``intercepts``, ``tags``, …)."""
    path: Mapped[str] = mapped_column(String(512))
    blob_id: Mapped[str] = mapped_column(String(40))
    commit: Mapped[str] = mapped_column(String(40))


class Irradiation(Base):
    __tablename__ = "irradiations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    commit: Mapped[str] = mapped_column(String(40))


class Level(Base):
    __tablename__ = "levels"
    __table_args__ = (UniqueConstraint("irradiation_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    irradiation_id: Mapped[int] = mapped_column(ForeignKey("irradiations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    z: Mapped[float | None] = mapped_column(Float)
    production: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(512))
    blob_id: Mapped[str] = mapped_column(String(40))


class Position(Base):
    __tablename__ = "positions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    identifier: Mapped[str | None] = mapped_column(String(255), index=True)
    j: Mapped[float | None] = mapped_column(Float)
    j_err: Mapped[float | None] = mapped_column(Float)
    lambda_k: Mapped[float | None] = mapped_column(Float)
    mean_j: Mapped[float | None] = mapped_column(Float)
    mean_j_err: Mapped[float | None] = mapped_column(Float)


class InterpretedAge(Base):
    __tablename__ = "interpreted_ages"
    __table_args__ = (UniqueConstraint("repository_id", "branch", "path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    branch: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(512))
    identifier: Mapped[str | None] = mapped_column(String(255), index=True)
    sample: Mapped[str | None] = mapped_column(String(255))
    age: Mapped[float | None] = mapped_column(Float)
    age_err: Mapped[float | None] = mapped_column(Float)
    kind: Mapped[str | None] = mapped_column(String(64))
    nanalyses: Mapped[int | None] = mapped_column(Integer)
    blob_id: Mapped[str] = mapped_column(String(40))
    commit: Mapped[str] = mapped_column(String(40))


class IndexError_(Base):
    """A file the index could not read: shown by ``ardvc index info``, never a crash."""

    __tablename__ = "index_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    branch: Mapped[str] = mapped_column(String(255))
    commit: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(512))
    name: Mapped[str | None] = mapped_column(String(255))
    """The analysis the file belongs to, when known."""
    message: Mapped[str] = mapped_column(Text)
