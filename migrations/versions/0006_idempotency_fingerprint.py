"""Idempotency-Key fingerprints: the request first sent with a key, so a reuse of the key with a
different request is refused instead of answered with the first result (issue 3).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: responses kept before this revision have no fingerprint and are replayed as before.
    with op.batch_alter_table("idempotent_responses") as batch:
        batch.add_column(sa.Column("request_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotent_responses") as batch:
        batch.drop_column("request_fingerprint")
