"""Office monitor: stuck documents and digests (issue 5).

One of four sibling revisions after 0003, merged by 0005; each belongs to one area of the
schema, so work on the areas never conflicts. The monitor adds indexes only (models/office.py):
documents waiting in a stage with an allowance in entry order (the stuck list's pages) and by
status then entry order (its counts: one index range per status and level), unmet publication and
interpretation deadlines by due date, and audit events by action and time.

Revision ID: 0004m
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004m"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ORs, not IN: PostgreSQL cannot prove "status = 'x'" implies "status = ANY (ARRAY[...])" on a
# varchar column, and would never use the partial index.
WAITING = (
    "(status = 'office_prereview' OR status = 'secrecy_review' OR "
    "status = 'awaiting_interpretation' OR status = 'awaiting_signoff')"
)
WINDOWS = (
    "met_at IS NULL AND (kind = 'publication_local' OR kind = 'publication_ceiling' OR "
    "kind = 'interpretation')"
)


def upgrade() -> None:
    op.create_index(
        "ix_documents_waiting",
        "documents",
        ["status_changed_at", "id", "status", "organ_id", "policy_profile"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_documents_waiting_status",
        "documents",
        ["status", "status_changed_at", "organ_id", "policy_profile"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_deadlines_window_open",
        "deadlines",
        ["due_at", "kind"],
        postgresql_where=sa.text(WINDOWS),
        sqlite_where=sa.text(WINDOWS),
    )
    op.create_index("ix_audit_events_action_time", "audit_events", ["action", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_action_time", table_name="audit_events")
    op.drop_index("ix_deadlines_window_open", table_name="deadlines")
    op.drop_index("ix_documents_waiting_status", table_name="documents")
    op.drop_index("ix_documents_waiting", table_name="documents")
