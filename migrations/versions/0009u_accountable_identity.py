"""Accountable identity: a login unique across organs, the organs a reviewer decides for, and
each person's one-time-code secret (encrypted) with the last time step accepted, and browser
sessions (a random id in the cookie, its sha256 stored, with expiry and revocation), and review
runs that ended while their document waited at a human step (stranded, restarted by the office).

Existing users get their name as login where no one else in any organ bears it; where names
clash, each of them gets `name@organ-code` (unique, since organ codes are).

Revision ID: 0009u
Revises: 0009c
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009u"
down_revision: str | None = "0009c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
UPDATE users SET login = CASE
    WHEN (SELECT count(*) FROM users AS other WHERE other.name = users.name) = 1 THEN name
    ELSE name || '@' || (SELECT organs.code FROM organs WHERE organs.id = users.organ_id)
END
"""


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("login", sa.String(length=100), nullable=True))
    op.execute(_BACKFILL)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("login", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_login"), ["login"])
    op.create_table(
        "organ_assignments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organ_id"], ["organs.id"], name=op.f("fk_organ_assignments_organ_id_organs")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_organ_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "organ_id", name=op.f("pk_organ_assignments")),
    )
    op.create_table(
        "one_time_code_secrets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.String(length=500), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_one_time_code_secrets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_one_time_code_secrets")),
    )
    op.create_table(
        "browser_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("length(id_hash) = 64", name=op.f("ck_browser_sessions_id_hash_sha256")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_browser_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_sessions")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_browser_sessions_id_hash")),
    )
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_browser_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "stranded_reviews",
        sa.Column("flow_run_id", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("waiting_status", sa.String(length=64), nullable=False),
        sa.Column("run_state", sa.String(length=32), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restarted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restarted_by", sa.String(length=100), nullable=True),
        sa.Column("restart_flow_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_stranded_reviews_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_stranded_reviews_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("flow_run_id", name=op.f("pk_stranded_reviews")),
    )
    with op.batch_alter_table("stranded_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stranded_reviews_document_id"), ["document_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("stranded_reviews")
    op.drop_table("browser_sessions")
    op.drop_table("one_time_code_secrets")
    op.drop_table("organ_assignments")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_login"), type_="unique")
        batch_op.drop_column("login")
