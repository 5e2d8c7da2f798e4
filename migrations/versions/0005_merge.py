"""Merge the four areas added after 0003 (portal, lifecycle, monitor, reports).

Revision ID: 0005
Revises: 0004p, 0004s, 0004m, 0004r
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0004p", "0004s", "0004m", "0004r")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
