"""The portal's search record kept in step with the portal (issue 27): a row written when a
version is published, removed when it is withdrawn; and the PostgreSQL locale the trigram
indexes need, checked at start-up."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.db import id_of
from models.documents import Document
from models.publications import Publication
from models.readings import FileReading
from models.search import PublicationSearch, haystack_of


class SearchLocaleUnsupported(RuntimeError):
    """The PostgreSQL database's LC_CTYPE keeps pg_trgm from indexing Chinese (start-up)."""


def search_locale_problem(engine: Engine) -> str | None:
    """Why the PostgreSQL database cannot index Chinese by trigrams, with the fix; None when it
    can (and on SQLite). pg_trgm takes trigrams from letters as LC_CTYPE classifies them: under
    the C locale no Chinese character is a letter and every Chinese search would read the whole
    index."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        ctype, installed = connection.execute(
            sa.text(
                "SELECT datctype, to_regproc('show_trgm') IS NOT NULL FROM pg_database "
                "WHERE datname = current_database()"
            )
        ).one()
        if not installed:
            return "pg_trgm is not installed in the database: run `gongkai migrate` first"
        trigrams = connection.execute(sa.text("SELECT show_trgm('政务公开')")).scalar_one()
    if trigrams:
        return None
    return (
        f"the database's LC_CTYPE is {ctype!r}, under which pg_trgm ignores Chinese characters: "
        "the portal's search needs a UTF-8 ctype. Create the database with one and migrate "
        "again, e.g. CREATE DATABASE gongkai TEMPLATE template0 ENCODING 'UTF8' "
        "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' (or zh_CN.UTF-8 / en_US.UTF-8)"
    )


def index_publication(
    *, session: Session, publication: Publication, document: Document, organ_name: str
) -> None:
    """Add a publication to the portal's search, with the text that was reviewed: the kept
    reading of its published file (the redacted version for 删减后公开), never read again."""
    session.flush()  # the publication's id
    body = ""
    if publication.file_id is not None:
        body = (
            session.exec(
                select(FileReading.text).where(col(FileReading.file_id) == publication.file_id)
            ).first()
            or ""
        )
    doc_number = document.doc_number or ""
    session.add(
        PublicationSearch(
            publication_id=id_of(publication),
            organ_id=document.organ_id,
            published_at=publication.published_at,
            written_on=document.written_on,
            title=document.title,
            doc_number=doc_number,
            haystack=haystack_of(document.title, doc_number, organ_name, body),
        )
    )


def forget_publication(*, session: Session, publication_id: int) -> None:
    """Take a withdrawn publication out of the portal's search (its rows elsewhere stay)."""
    row = session.get(PublicationSearch, publication_id)
    if row is not None:
        session.delete(row)
