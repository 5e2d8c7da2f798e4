"""the Prefect run of a material's review and of an application, so the sweep of unstarted runs
finds those Prefect missed; an applicant's proposal of proactive disclosure (条例 art. 44 ¶2)

Revision ID: 0011r
Revises: 0010a
Create Date: 2026-12-06 09:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011r'
down_revision: str | None = '0010a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before have no run recorded: the sweep asks Prefect for each open one by its
    # idempotency key, which returns the run already there, and records it.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flow_run_id', sa.String(length=64), nullable=True))
        # 条例 art. 44 ¶2: the applicant proposes the information for proactive disclosure.
        batch_op.add_column(
            sa.Column('proposes_proactive', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('interpretation_materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flow_run_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('interpretation_materials', schema=None) as batch_op:
        batch_op.drop_column('flow_run_id')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('proposes_proactive')
        batch_op.drop_column('flow_run_id')
