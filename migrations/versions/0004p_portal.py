"""Portal, publisher and validity lifecycle (issue 4).

One of four sibling revisions after 0003, merged by 0005; each belongs to one area of the
schema, so work on the areas never conflicts.

Revision ID: 0004p
Revises: 0003
"""

from collections.abc import Sequence

revision: str = "0004p"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
