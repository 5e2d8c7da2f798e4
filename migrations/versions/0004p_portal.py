"""Portal, publisher and validity lifecycle (issue 4).

One of four sibling revisions after 0003, merged by 0005; each belongs to one area of the
schema, so work on the areas never conflicts.

- validity_changes: the history of 已修改 / 已废止 / 已失效 (seed 004 §二(二)).
- documents.valid_until: a validity end date; passing it expires the document (domain rule 15).
- publications.summary (内容概述, 条例 art. 12 ¶3) and publications.file_id (the file shown).
- indexes for the portal's catalogue order, its filters and the feeds.

Revision ID: 0004p
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004p"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALIDITIES = ("valid", "amended", "repealed", "expired")
ROLES = ("drafter", "secrecy_reviewer", "disclosure_office", "signer", "admin", "system")


def _validity(name: str) -> sa.Enum:
    return sa.Enum(*VALIDITIES, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    op.create_table(
        "validity_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("from_validity", _validity("from_validity"), nullable=False),
        sa.Column("to_validity", _validity("to_validity"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("amended_by_document_id", sa.Integer(), nullable=True),
        sa.Column("amended_by_reference", sa.String(length=200), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('api', 'ui', 'system')", name=op.f("ck_validity_changes_channel")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_validity_changes_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["amended_by_document_id"],
            ["documents.id"],
            name=op.f("fk_validity_changes_amended_by_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validity_changes")),
    )
    op.create_index(
        "ix_validity_changes_document", "validity_changes", ["document_id", "recorded_at"]
    )
    op.create_index("ix_validity_changes_recorded", "validity_changes", ["recorded_at", "id"])

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch_op.create_index("ix_documents_valid_until", ["valid_until"], unique=False)
        batch_op.create_index("ix_documents_written_on", ["written_on"], unique=False)

    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_publications_file_id_stored_files"), "stored_files", ["file_id"], ["id"]
        )
        batch_op.create_index("ix_publications_published", ["published_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index("ix_publications_published")
        batch_op.drop_constraint(op.f("fk_publications_file_id_stored_files"), type_="foreignkey")
        batch_op.drop_column("file_id")
        batch_op.drop_column("summary")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_written_on")
        batch_op.drop_index("ix_documents_valid_until")
        batch_op.drop_column("valid_until")
    op.drop_table("validity_changes")
