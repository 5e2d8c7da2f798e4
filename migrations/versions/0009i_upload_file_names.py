"""A file name per upload (issue 23): the name a drafter gave a file is recorded with the version
or attachment that sent it (versions.main_file_name, version_attachments.file_name,
interpretation_materials.file_name), never shown from the content-addressed stored file, whose
bytes another drafter may have sent under another name. Existing rows keep the name they were
shown with: the stored file's.

Revision ID: 0009i
Revises: 0009r
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009i"
down_revision: str | Sequence[str] | None = "0009r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, new column, the column naming its stored file)
NAMED = (
    ("versions", "main_file_name", "main_file_id"),
    ("version_attachments", "file_name", "file_id"),
    ("interpretation_materials", "file_name", "file_id"),
)


def upgrade() -> None:
    # Added NOT NULL with an empty default and filled at once: SQLite adds such a column in place
    # (making it NOT NULL afterwards would rebuild versions, which other tables reference). The
    # default is dropped where the database can (PostgreSQL); writers always give the name.
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column, file_id in NAMED:
        op.add_column(
            table,
            sa.Column(column, sa.String(length=255), nullable=False, server_default=sa.text("''")),
        )
        op.execute(
            f"UPDATE {table} SET {column} = (SELECT stored_files.original_name FROM stored_files "
            f"WHERE stored_files.id = {table}.{file_id})"
        )
        if postgresql:
            op.alter_column(table, column, server_default=None)


def downgrade() -> None:
    for table, column, _ in NAMED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
