"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ardvc.index.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "irradiations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_irradiations")),
        sa.UniqueConstraint("name", name=op.f("uq_irradiations_name")),
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("grainsize", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_materials")),
        sa.UniqueConstraint("name", "grainsize", name=op.f("uq_materials_name")),
    )
    op.create_table(
        "principal_investigators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principal_investigators")),
        sa.UniqueConstraint("name", name=op.f("uq_principal_investigators_name")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
    )
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repositories")),
        sa.UniqueConstraint("name", name=op.f("uq_repositories_name")),
    )
    op.create_table(
        "index_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_index_errors_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_errors")),
    )
    op.create_table(
        "interpreted_ages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=True),
        sa.Column("sample", sa.String(length=255), nullable=True),
        sa.Column("age", sa.Float(), nullable=True),
        sa.Column("age_err", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=True),
        sa.Column("nanalyses", sa.Integer(), nullable=True),
        sa.Column("blob_id", sa.String(length=40), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_interpreted_ages_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreted_ages")),
        sa.UniqueConstraint(
            "repository_id", "branch", "path", name=op.f("uq_interpreted_ages_repository_id")
        ),
    )
    with op.batch_alter_table("interpreted_ages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpreted_ages_identifier"), ["identifier"], unique=False
        )

    op.create_table(
        "levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("irradiation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("z", sa.Float(), nullable=True),
        sa.Column("production", sa.String(length=255), nullable=True),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("blob_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["irradiation_id"],
            ["irradiations.id"],
            name=op.f("fk_levels_irradiation_id_irradiations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_levels")),
        sa.UniqueConstraint("irradiation_id", "name", name=op.f("uq_levels_irradiation_id")),
    )
    op.create_table(
        "repo_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.Column("indexed_at", ardvc.index.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_repo_heads_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repo_heads")),
        sa.UniqueConstraint("repository_id", "branch", name=op.f("uq_repo_heads_repository_id")),
    )
    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("pi_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_samples_material_id_materials")
        ),
        sa.ForeignKeyConstraint(
            ["pi_id"],
            ["principal_investigators.id"],
            name=op.f("fk_samples_pi_id_principal_investigators"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_samples_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
        sa.UniqueConstraint(
            "name", "material_id", "project_id", "pi_id", name=op.f("uq_samples_name")
        ),
    )
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_samples_name"), ["name"], unique=False)

    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=True),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("aliquot", sa.Integer(), nullable=False),
        sa.Column("increment", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("analysis_type", sa.String(length=64), nullable=False),
        sa.Column("timestamp", ardvc.index.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mass_spectrometer", sa.String(length=64), nullable=True),
        sa.Column("extract_device", sa.String(length=255), nullable=True),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("pi_id", sa.Integer(), nullable=True),
        sa.Column("irradiation", sa.String(length=255), nullable=True),
        sa.Column("irradiation_level", sa.String(length=32), nullable=True),
        sa.Column("irradiation_position", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("blob_id", sa.String(length=40), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["pi_id"],
            ["principal_investigators.id"],
            name=op.f("fk_analyses_pi_id_principal_investigators"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_analyses_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_analyses_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_analyses_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
        sa.UniqueConstraint(
            "repository_id", "branch", "name", name=op.f("uq_analyses_repository_id")
        ),
    )
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_analyses_branch_time", ["repository_id", "branch", "timestamp"], unique=False
        )
        batch_op.create_index(
            "ix_analyses_identifier_time", ["identifier", "timestamp"], unique=False
        )
        batch_op.create_index(
            "ix_analyses_irradiation_time",
            ["irradiation", "irradiation_level", "timestamp"],
            unique=False,
        )
        batch_op.create_index("ix_analyses_pi_time", ["pi_id", "timestamp"], unique=False)
        batch_op.create_index("ix_analyses_project_time", ["project_id", "timestamp"], unique=False)
        batch_op.create_index(batch_op.f("ix_analyses_record_id"), ["record_id"], unique=False)
        batch_op.create_index("ix_analyses_sample_time", ["sample_id", "timestamp"], unique=False)
        batch_op.create_index(
            "ix_analyses_spectrometer_time", ["mass_spectrometer", "timestamp"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_analyses_tag"), ["tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_analyses_timestamp"), ["timestamp"], unique=False)
        batch_op.create_index("ix_analyses_type_time", ["analysis_type", "timestamp"], unique=False)
        batch_op.create_index(batch_op.f("ix_analyses_uuid"), ["uuid"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=True),
        sa.Column("j", sa.Float(), nullable=True),
        sa.Column("j_err", sa.Float(), nullable=True),
        sa.Column("lambda_k", sa.Float(), nullable=True),
        sa.Column("mean_j", sa.Float(), nullable=True),
        sa.Column("mean_j_err", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["levels.id"],
            name=op.f("fk_positions_level_id_levels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positions_identifier"), ["identifier"], unique=False)
        batch_op.create_index(batch_op.f("ix_positions_level_id"), ["level_id"], unique=False)

    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("blob_id", sa.String(length=40), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("fk_files_analysis_id_analyses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("analysis_id", "kind", name=op.f("uq_files_analysis_id")),
    )


def downgrade() -> None:

    op.drop_table("files")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_level_id"))
        batch_op.drop_index(batch_op.f("ix_positions_identifier"))

    op.drop_table("positions")
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analyses_uuid"))
        batch_op.drop_index("ix_analyses_type_time")
        batch_op.drop_index(batch_op.f("ix_analyses_timestamp"))
        batch_op.drop_index(batch_op.f("ix_analyses_tag"))
        batch_op.drop_index("ix_analyses_spectrometer_time")
        batch_op.drop_index("ix_analyses_sample_time")
        batch_op.drop_index(batch_op.f("ix_analyses_record_id"))
        batch_op.drop_index("ix_analyses_project_time")
        batch_op.drop_index("ix_analyses_pi_time")
        batch_op.drop_index("ix_analyses_irradiation_time")
        batch_op.drop_index("ix_analyses_identifier_time")
        batch_op.drop_index("ix_analyses_branch_time")

    op.drop_table("analyses")
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_samples_name"))

    op.drop_table("samples")
    op.drop_table("repo_heads")
    op.drop_table("levels")
    with op.batch_alter_table("interpreted_ages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpreted_ages_identifier"))

    op.drop_table("interpreted_ages")
    op.drop_table("index_errors")
    op.drop_table("repositories")
    op.drop_table("projects")
    op.drop_table("principal_investigators")
    op.drop_table("materials")
    op.drop_table("irradiations")
