"""The document list's order as indexes: GET /documents pages newest first, for everyone and per
organ (drafters), as index ranges — keyset pages after a cursor — instead of sorting every
matching document for each page (issue 3).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_created", "documents", ["created_at", "id"])
    op.create_index("ix_documents_organ_created", "documents", ["organ_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_documents_organ_created", table_name="documents")
    op.drop_index("ix_documents_created", table_name="documents")
