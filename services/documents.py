"""Reading documents and their versions."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.documents import Document
from models.versions import Marking, Version
from services.errors import NotFound


def get_document(*, session: Session, document_id: int, for_update: bool = False) -> Document:
    """The document with this id (row-locked with for_update on PostgreSQL), or NotFound."""
    statement = select(Document).where(col(Document.id) == document_id)
    if for_update:
        # SQLite has no row locks and ignores FOR UPDATE; its writers are serialised anyway.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    document = session.exec(statement).first()
    if document is None:
        raise NotFound(f"document {document_id} does not exist")
    return document


def get_current_version(*, session: Session, document: Document) -> Version:
    """The version the review is working on, or NotFound when none is set."""
    version = (
        session.get(Version, document.current_version_id)
        if document.current_version_id is not None
        else None
    )
    if version is None:
        raise NotFound(f"document {document.id} has no current version")
    return version


def get_marking(*, session: Session, version_id: int) -> Marking:
    """The marking of a version, or NotFound."""
    marking = session.exec(select(Marking).where(col(Marking.version_id) == version_id)).first()
    if marking is None:
        raise NotFound(f"version {version_id} has no marking")
    return marking
