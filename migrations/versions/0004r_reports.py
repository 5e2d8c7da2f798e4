"""Office statistics and the annual report (issue 5): imported figures and office marks.

One of four sibling revisions after 0003, merged by 0005; each belongs to one area of the
schema, so work on the areas never conflicts.

Revision ID: 0004r
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004r"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "annual_report_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("report_format", sa.String(length=16), nullable=False),
        sa.Column("media", sa.String(length=8), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("version > 0", name=op.f("ck_annual_report_imports_version_positive")),
        sa.CheckConstraint("media IN ('csv', 'json')", name=op.f("ck_annual_report_imports_media")),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_annual_report_imports_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_report_imports")),
        sa.UniqueConstraint("year", "version", name=op.f("uq_annual_report_imports_year_version")),
    )
    op.create_table(
        "annual_report_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("marked_by", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('submitted', 'published')", name=op.f("ck_annual_report_marks_kind")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["annual_report_imports.id"],
            name=op.f("fk_annual_report_marks_import_id_annual_report_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["marked_by"], ["users.id"], name=op.f("fk_annual_report_marks_marked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_report_marks")),
        sa.UniqueConstraint("year", "kind", name=op.f("uq_annual_report_marks_year_kind")),
    )
    op.create_index("ix_documents_type_written_on", "documents", ["document_type", "written_on"])


def downgrade() -> None:
    op.drop_index("ix_documents_type_written_on", table_name="documents")
    op.drop_table("annual_report_marks")
    op.drop_table("annual_report_imports")
