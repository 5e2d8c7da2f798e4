"""The portal's search record (issue 27): one row per publication on the portal, holding what a
citizen searches — 名称, 文号, 发布机构 and the text that was reviewed (the kept reading of the
published file: the redacted version's for 删减后公开) — in newest-first order.

Written when a version is published and removed when it is withdrawn, so the rows are exactly
the publications the portal shows. Beside the table each database has a substring index of its
own, made by migration 0010s and kept out of the metadata:

- PostgreSQL: `pg_trgm` GIN indexes on the title, the 文号 and on `haystack` (all four fields);
  trigrams need a database whose LC_CTYPE is a UTF-8 locale (checked at start-up by
  services.publication.search_index). And B-tree indexes on the 文号's serial number (0011p).
- SQLite: the FTS5 table `publication_search_fts` (trigram tokenizer), an external-content index
  over this table kept in step by triggers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column

FTS_TABLE = "publication_search_fts"  # SQLite only
TRIGRAM_INDEXES = (  # PostgreSQL only: (name, indexed expression)
    ("ix_publication_search_title_trgm", "title"),
    ("ix_publication_search_doc_number_trgm", "doc_number"),
    ("ix_publication_search_haystack_trgm", "haystack"),
)
# PostgreSQL only: the 文号's serial number (the digits after its first 〕, e.g. 50000 of
# 麻政发〔2023〕50000号) and the few 文号 holding more than one 〕 (migration 0011p), so that a 文号
# fragment holding 〕 and digits is found through a B-tree: trigrams such as 202 and 000 are in
# nearly every 文号, and their index reads most of itself for such a fragment.
DOC_SERIAL = "substring(doc_number, '〕([0-9]+)')"
DOC_IRREGULAR = "doc_number LIKE '%〕%〕%'"
DOC_NUMBER_INDEXES = (  # (name, what CREATE INDEX … ON publication_search takes)
    ("ix_publication_search_doc_serial", f"(({DOC_SERIAL}))"),
    ("ix_publication_search_doc_irregular", f"(publication_id) WHERE {DOC_IRREGULAR}"),
)
# What separates the fields in `haystack`: a line break, which no query may hold (a Line), so no
# match runs from one field into the next.
FIELD_SEPARATOR = "\n"


class PublicationSearch(SQLModel, table=True):
    """One publication as the portal's search reads it."""

    __tablename__ = "publication_search"
    __table_args__ = (
        # Newest first (the catalogue's order), and the same per organ.
        sa.Index("ix_publication_search_order", "published_at", "publication_id"),
        sa.Index("ix_publication_search_organ", "organ_id", "published_at", "publication_id"),
    )

    publication_id: int = Field(foreign_key="publications.id", primary_key=True)
    organ_id: int = Field(foreign_key="organs.id")
    published_at: datetime = Field(sa_column=utc_column())
    written_on: date
    title: str = Field(max_length=500)
    doc_number: str = Field(default="", max_length=100)
    # 名称, 文号, 发布机构 and the reviewed text, separated by FIELD_SEPARATOR.
    haystack: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))


def haystack_of(title: str, doc_number: str, organ: str, body: str) -> str:
    """The searched text of a publication: its four fields, each on its own line."""
    return FIELD_SEPARATOR.join((title, doc_number, organ, body.replace("\x00", "")))


def outside_metadata(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's include_object: leave out the database-specific search indexes (the FTS5
    table and its shadow tables, the trigram and 文号 indexes), which the metadata cannot
    describe."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    own = {index for index, _ in (*TRIGRAM_INDEXES, *DOC_NUMBER_INDEXES)}
    return not (type_ == "index" and name in own)
