"""The record's hash chain (issue 21): table audit_chain, built for the entries already recorded;
decisions and the chain become append-only like audit_events; withdrawals (撤回) are recorded. Interpretation material gets its
secrecy clearance (material sent with a version counts as cleared with it).

Revision ID: 0009a
Revises: 0008h
Create Date: 2026-12-06 02:50:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.chain import append_links, lock_chain

revision: str = "0009a"
down_revision: str | None = "0008h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPEND_ONLY = ("decisions", "audit_chain", "withdrawals")
_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_table", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seq > 0", name=op.f("ck_audit_chain_seq_positive")),
        sa.CheckConstraint(
            "entry_table IN ('audit_events', 'decisions')",
            name=op.f("ck_audit_chain_entry_table_known"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint(
            "entry_table", "entry_id", name=op.f("uq_audit_chain_entry_table_entry_id")
        ),
    )
    _build_chain()
    with op.batch_alter_table("interpretation_materials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_decision_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_interpretation_materials_review_decision_id_decisions"),
            "decisions",
            ["review_decision_id"],
            ["id"],
        )
    # Material that came as an attachment of a version was reviewed with that version.
    op.execute(
        "UPDATE interpretation_materials SET cleared_at = received_at WHERE file_id IN "
        "(SELECT file_id FROM version_attachments)"
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("attribute_before", sa.String(length=16), nullable=False),
        sa.Column("attribute_after", sa.String(length=16), nullable=False),
        sa.Column("withdrawn_by", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "attribute_before IN ('proactive', 'on_request', 'redacted', 'withheld')",
            name=op.f("ck_withdrawals_attribute_before"),
        ),
        sa.CheckConstraint(
            "attribute_after IN ('proactive', 'on_request', 'redacted', 'withheld')",
            name=op.f("ck_withdrawals_attribute_after"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_withdrawals_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_withdrawals_publication_id_publications"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["users.id"], name=op.f("fk_withdrawals_withdrawn_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
        sa.UniqueConstraint("publication_id", name=op.f("uq_withdrawals_publication_id")),
    )
    op.create_index(op.f("ix_withdrawals_document_id"), "withdrawals", ["document_id"])
    for table in _APPEND_ONLY:
        _create_append_only_triggers(table)


def downgrade() -> None:
    for table in _APPEND_ONLY:
        _drop_append_only_triggers(table)
    with op.batch_alter_table("interpretation_materials", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_interpretation_materials_review_decision_id_decisions"),
            type_="foreignkey",
        )
        batch_op.drop_column("cleared_at")
        batch_op.drop_column("review_decision_id")
    op.drop_index(op.f("ix_withdrawals_document_id"), table_name="withdrawals")
    op.drop_table("withdrawals")
    op.drop_table("audit_chain")


def _build_chain() -> None:
    """Link the entries recorded before the chain existed, oldest first (time, table, id)."""
    connection = op.get_bind()
    lock_chain(connection)
    entries = connection.execute(
        sa.text(
            "SELECT 'audit_events' AS t, id, occurred_at AS at FROM audit_events "
            "UNION ALL SELECT 'decisions', id, decided_at FROM decisions ORDER BY at, t, id"
        )
    ).all()
    now = datetime.now(UTC)
    for i in range(0, len(entries), _BATCH):
        append_links(connection, [(row[0], row[1]) for row in entries[i : i + _BATCH]], at=now)


def _create_append_only_triggers(table: str) -> None:
    message = f"{table} is append-only: UPDATE and DELETE are refused"
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()"
    )


def _drop_append_only_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_change()")
