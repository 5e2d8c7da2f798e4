"""Scheduled lifecycle checks: windows, re-review, secrecy expiry (issue 4).

One of four sibling revisions after 0003, merged by 0005; each belongs to one area of the
schema, so work on the areas never conflicts. Window alerts live in `alerts` (0003); this adds
the re-review tasks (条例 art. 18; 保密法 2024 arts. 20, 24).

Revision ID: 0004s
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004s"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rereviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cycle", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("converted_to", sa.String(length=16), nullable=True),
        sa.Column("converted_version_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('periodic', 'secrecy_expiry')", name=op.f("ck_rereviews_kind")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'kept', 'converted')", name=op.f("ck_rereviews_status")
        ),
        sa.CheckConstraint(
            "converted_to IN ('proactive', 'redacted', 'on_request')",
            name=op.f("ck_rereviews_converted_to"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_rereviews_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_rereviews_version_id_versions")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_rereviews_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["converted_version_id"],
            ["versions.id"],
            name=op.f("fk_rereviews_converted_version_id_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rereviews")),
        sa.UniqueConstraint(
            "document_id", "kind", "cycle", name=op.f("uq_rereviews_document_id_kind_cycle")
        ),
    )
    op.create_index("ix_rereviews_status_due", "rereviews", ["status", "due_at"])
    op.create_index("ix_rereviews_document_decided", "rereviews", ["document_id", "decided_at"])


def downgrade() -> None:
    op.drop_table("rereviews")
