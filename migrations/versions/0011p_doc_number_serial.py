"""publication_search: the 文号's serial number indexed on PostgreSQL (issue 27)

A 文号 fragment such as 〔2023〕50000 went through the 文号's trigram index, whose trigrams (202,
023, 000 …) are in nearly every 文号: the index read most of itself, about 20 ms at a million
documents. Two B-tree indexes serve such a fragment instead (services/publication/search.py):
the serial number (the digits after the 文号's first 〕) and the 文号 holding more than one 〕,
whose serial number may be after another 〕. SQLite keeps its FTS5 index: nothing to do there.

Revision ID: 0011p
Revises: 0011r
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011p"
down_revision: str | Sequence[str] | None = "0011r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOC_NUMBER_INDEXES = (  # as models/search.py names them
    ("ix_publication_search_doc_serial", "((substring(doc_number, '〕([0-9]+)')))"),
    ("ix_publication_search_doc_irregular", "(publication_id) WHERE doc_number LIKE '%〕%〕%'"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, indexed in DOC_NUMBER_INDEXES:
        op.execute(f"CREATE INDEX {name} ON publication_search {indexed}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _ in DOC_NUMBER_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
