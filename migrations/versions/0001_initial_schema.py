"""Initial schema: every table, the documents ⇄ versions key, and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:00:43.307672
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organs",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organs")),
        sa.UniqueConstraint("code", name=op.f("uq_organs_code")),
    )
    op.create_table(
        "stored_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_stored_files_sha256_hex")),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_stored_files_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_files_sha256")),
        sa.UniqueConstraint("storage_path", name=op.f("uq_stored_files_storage_path")),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "drafter",
                "secrecy_reviewer",
                "disclosure_office",
                "signer",
                "admin",
                "system",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organ_id"], ["organs.id"], name=op.f("fk_users_organ_id_organs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("organ_id", "name", name=op.f("uq_users_organ_id_name")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_organ_id"), ["organ_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("length(token_hash) = 64", name=op.f("ck_api_tokens_token_hash_sha256")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=100), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("policy_profile", sa.String(length=64), nullable=False),
        sa.Column("is_important_policy", sa.Boolean(), nullable=False),
        sa.Column("issued_in_government_name", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "returned",
                "office_prereview",
                "secrecy_review",
                "escalated",
                "awaiting_interpretation",
                "awaiting_signoff",
                "published",
                "filed",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "intake",
                "marking",
                "secrecy_review",
                "interpretation",
                "publication",
                "done",
                name="stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("validity", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "(stage = 'intake' AND status IN ('submitted', 'returned')) OR (stage = 'marking' AND status IN ('office_prereview')) OR (stage = 'secrecy_review' AND status IN ('secrecy_review', 'escalated')) OR (stage = 'interpretation' AND status IN ('awaiting_interpretation')) OR (stage = 'publication' AND status IN ('awaiting_signoff')) OR (stage = 'done' AND status IN ('published', 'filed'))",
            name=op.f("ck_documents_status_matches_stage"),
        ),
        sa.CheckConstraint(
            "validity IN ('valid', 'amended', 'repealed', 'expired')",
            name=op.f("ck_documents_validity"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_documents_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organ_id"], ["organs.id"], name=op.f("fk_documents_organ_id_organs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_organ_status", ["organ_id", "status"], unique=False)
        batch_op.create_index(
            "ix_documents_status_changed", ["status", "status_changed_at"], unique=False
        )

    op.create_table(
        "interpretation_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('interpretation_plan', 'interpretation_material')",
            name=op.f("ck_interpretation_materials_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_interpretation_materials_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_interpretation_materials_file_id_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpretation_materials")),
        sa.UniqueConstraint(
            "document_id", "file_id", name=op.f("uq_interpretation_materials_document_id_file_id")
        ),
    )
    with op.batch_alter_table("interpretation_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interpretation_materials_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("main_file_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("number > 0", name=op.f("ck_versions_number_positive")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_versions_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["main_file_id"],
            ["stored_files.id"],
            name=op.f("fk_versions_main_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_versions_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_versions_document_id_number")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_versions_idempotency_key")),
    )
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_versions_document_id"), ["document_id"], unique=False)
    # documents ⇄ versions is a cycle: the document's current version is keyed once both exist.
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_current_version_id_versions"),
            "versions",
            ["current_version_id"],
            ["id"],
        )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "drafter",
                "secrecy_reviewer",
                "disclosure_office",
                "signer",
                "admin",
                "system",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('api', 'ui', 'system')", name=op.f("ck_audit_events_channel")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_audit_events_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_audit_events_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_document", ["document_id", "occurred_at"], unique=False
        )

    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_deadlines_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_deadlines_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
        sa.UniqueConstraint("document_id", "kind", name=op.f("uq_deadlines_document_id_kind")),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_open", ["met_at", "due_at"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "drafter",
                "secrecy_reviewer",
                "disclosure_office",
                "signer",
                "admin",
                "system",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column(
            "attribute_before",
            sa.Enum(
                "proactive",
                "on_request",
                "redacted",
                "withheld",
                name="attribute_before",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "attribute_after",
            sa.Enum(
                "proactive",
                "on_request",
                "redacted",
                "withheld",
                name="attribute_after",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('api', 'ui', 'system')", name=op.f("ck_decisions_channel")),
        sa.CheckConstraint(
            "kind IN ('approve', 'return', 'change_attribute', 'escalate', 'determine', 'sign_off', 'file', 'convert')",
            name=op.f("ck_decisions_kind"),
        ),
        sa.CheckConstraint("attempt > 0", name=op.f("ck_decisions_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_decisions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_decisions_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_decisions_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint(
            "document_id",
            "version_id",
            "step",
            "attempt",
            name=op.f("uq_decisions_document_id_version_id_step_attempt"),
        ),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "blocking",
                "warning",
                "routing",
                name="severity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_findings_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_version_id"), ["version_id"], unique=False)

    op.create_table(
        "markings",
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("reason_explanation", sa.Text(), nullable=True),
        sa.Column("secrecy_period_years", sa.Integer(), nullable=True),
        sa.Column("declassify_on", sa.Date(), nullable=True),
        sa.Column("declassify_condition", sa.Text(), nullable=True),
        sa.Column("secrecy_override_reference", sa.String(length=500), nullable=True),
        sa.Column("marking_text", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column(
            "attribute",
            sa.Enum(
                "proactive",
                "on_request",
                "redacted",
                "withheld",
                name="attribute",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "secrecy_level",
            sa.Enum(
                "none",
                "mimi",
                "jimi",
                "juemi",
                name="secrecy_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "secrecy_level = 'none' OR attribute = 'withheld'",
            name=op.f("ck_markings_classified_is_withheld"),
        ),
        sa.CheckConstraint(
            "secrecy_period_years IS NULL OR secrecy_period_years > 0",
            name=op.f("ck_markings_period_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_markings_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markings")),
        sa.UniqueConstraint("version_id", name=op.f("uq_markings_version_id")),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marking_text", sa.String(length=100), nullable=False),
        sa.Column("validity", sa.String(length=16), nullable=False),
        sa.Column("index_number", sa.String(length=100), nullable=False),
        sa.Column("publisher", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "validity IN ('valid', 'amended', 'repealed', 'expired')",
            name=op.f("ck_publications_validity"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_publications_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_publications_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_publications_idempotency_key")),
        sa.UniqueConstraint("index_number", name=op.f("uq_publications_index_number")),
        sa.UniqueConstraint("version_id", name=op.f("uq_publications_version_id")),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publications_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "version_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "kind IN ('interpretation_plan', 'interpretation_material', 'redacted_version', 'other')",
            name=op.f("ck_version_attachments_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_version_attachments_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_version_attachments_version_id_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_attachments")),
        sa.UniqueConstraint(
            "version_id", "file_id", name=op.f("uq_version_attachments_version_id_file_id")
        ),
    )
    with op.batch_alter_table("version_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_version_attachments_version_id"), ["version_id"], unique=False
        )

    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_documents_current_version_id_versions", type_="foreignkey")
    with op.batch_alter_table("version_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_attachments_version_id"))

    op.drop_table("version_attachments")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_document_id"))

    op.drop_table("publications")
    op.drop_table("markings")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_version_id"))

    op.drop_table("findings")
    op.drop_table("decisions")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_open")

    op.drop_table("deadlines")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_document")

    op.drop_table("audit_events")
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_versions_document_id"))

    op.drop_table("versions")
    with op.batch_alter_table("interpretation_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interpretation_materials_document_id"))

    op.drop_table("interpretation_materials")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_status_changed")
        batch_op.drop_index("ix_documents_organ_status")

    op.drop_table("documents")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organ_id"))

    op.drop_table("users")
    op.drop_table("stored_files")
    op.drop_table("organs")


# The audit log is append-only (domain §10 rule 21): the database refuses UPDATE and DELETE.
# Row-level triggers do not fire on TRUNCATE, which the PostgreSQL tests use between tests.
_AUDIT_MESSAGE = "audit_events is append-only: UPDATE and DELETE are refused"


def _create_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{_AUDIT_MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{_AUDIT_MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()"
    )


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_change()")
