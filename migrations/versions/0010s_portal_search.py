"""publication_search: the portal's search record and its substring indexes (issue 27)

One row per publication on the portal (published, not withdrawn) with 名称, 文号, 发布机构 and the
reviewed text (the kept reading of the published file), filled here from the existing rows.
PostgreSQL: pg_trgm GIN indexes (title, 文号, all fields). SQLite: an FTS5 table with the
trigram tokenizer over the same rows, kept in step by triggers.

Revision ID: 0010s
Revises: 0009i
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010s"
down_revision: str | Sequence[str] | None = "0009i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS = "publication_search_fts"
TRIGRAM_INDEXES = (  # as models/search.py names them
    ("ix_publication_search_title_trgm", "title"),
    ("ix_publication_search_doc_number_trgm", "doc_number"),
    ("ix_publication_search_haystack_trgm", "haystack"),
)


def _fill(newline: str) -> str:
    return (
        "INSERT INTO publication_search (publication_id, organ_id, published_at, written_on, "
        "title, doc_number, haystack) "
        "SELECT p.id, d.organ_id, p.published_at, d.written_on, d.title, "
        "COALESCE(d.doc_number, ''), "
        f"d.title || {newline} || COALESCE(d.doc_number, '') || {newline} || o.name || "
        f"{newline} || COALESCE(r.text, '') "
        "FROM publications p JOIN documents d ON d.id = p.document_id "
        "JOIN organs o ON o.id = d.organ_id "
        "LEFT JOIN file_readings r ON r.file_id = p.file_id "
        "WHERE d.status = 'published' "
        "AND NOT EXISTS (SELECT 1 FROM withdrawals w WHERE w.publication_id = p.id)"
    )


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "publication_search",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=False),
        sa.Column("haystack", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_search_publication_id_publications"),
        ),
        sa.ForeignKeyConstraint(
            ["organ_id"], ["organs.id"], name=op.f("fk_publication_search_organ_id_organs")
        ),
        sa.PrimaryKeyConstraint("publication_id", name=op.f("pk_publication_search")),
    )
    op.create_index(
        "ix_publication_search_order", "publication_search", ["published_at", "publication_id"]
    )
    op.create_index(
        "ix_publication_search_organ",
        "publication_search",
        ["organ_id", "published_at", "publication_id"],
    )
    if postgresql:
        op.execute(_fill("E'\\n'"))
        for name, column in TRIGRAM_INDEXES:
            op.execute(
                f"CREATE INDEX {name} ON publication_search USING gin ({column} gin_trgm_ops)"
            )
        return
    # SQLite: the trigram FTS5 index over the table (external content), case-sensitive like
    # instr() and PostgreSQL's LIKE, so both paths of a search agree.
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS} USING fts5(title, doc_number, haystack, "
        "content='publication_search', content_rowid='publication_id', "
        "tokenize='trigram case_sensitive 1')"
    )
    columns = "title, doc_number, haystack"
    op.execute(
        "CREATE TRIGGER publication_search_fts_insert AFTER INSERT ON publication_search BEGIN "
        f"INSERT INTO {FTS} (rowid, {columns}) "
        "VALUES (new.publication_id, new.title, new.doc_number, new.haystack); END"
    )
    delete_old = (
        f"INSERT INTO {FTS} ({FTS}, rowid, {columns}) "
        "VALUES ('delete', old.publication_id, old.title, old.doc_number, old.haystack);"
    )
    op.execute(
        "CREATE TRIGGER publication_search_fts_delete AFTER DELETE ON publication_search "
        f"BEGIN {delete_old} END"
    )
    op.execute(
        "CREATE TRIGGER publication_search_fts_update AFTER UPDATE ON publication_search "
        f"BEGIN {delete_old} INSERT INTO {FTS} (rowid, {columns}) "
        "VALUES (new.publication_id, new.title, new.doc_number, new.haystack); END"
    )
    op.execute(_fill("char(10)"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS publication_search_fts_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    op.drop_index("ix_publication_search_organ", table_name="publication_search")
    op.drop_index("ix_publication_search_order", table_name="publication_search")
    op.drop_table("publication_search")
