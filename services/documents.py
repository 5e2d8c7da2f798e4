"""Reading documents: one by id, who may see which, lists with filters, and the full dossier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Integer, literal, tuple_
from sqlmodel import Session, SQLModel, col, func, select

from models.audit import AuditEvent
from models.base import UTCDateTime
from models.db import table_of
from models.deadlines import Deadline
from models.documents import Document
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Marking, RecordedFinding, Version, VersionAttachment
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Stage, Status
from services.errors import NotFound

_Row = TypeVar("_Row", bound=SQLModel)


def get_document(*, session: Session, document_id: int, for_update: bool = False) -> Document:
    """The document with this id (row-locked with for_update on PostgreSQL), or NotFound."""
    return get_row(session, Document, document_id, "document", for_update=for_update)


def get_row(
    session: Session, model: type[_Row], row_id: int, what: str, *, for_update: bool = False
) -> _Row:
    """The row of the model's table with this id, or NotFound naming it as `what`; with
    for_update locked until the transaction ends and read afresh (PostgreSQL: SQLite has no row
    locks and ignores FOR UPDATE; its writers are serialised anyway)."""
    statement = select(model).where(table_of(model).c.id == row_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    row = session.exec(statement).first()
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist")
    return row


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


def version_in_status(
    *, session: Session, document_id: int, version_id: int, status: Status
) -> Version | None:
    """The version, if it is its document's current one and the document is in `status`; else
    None (a step that would refuse it, read without a lock)."""
    document = session.get(Document, document_id)
    version = session.get(Version, version_id)
    if document is None or version is None or document.current_version_id != version_id:
        return None
    return version if document.status is status else None


def get_marking(*, session: Session, version_id: int) -> Marking:
    """The marking of a version, or NotFound."""
    marking = session.exec(select(Marking).where(col(Marking.version_id) == version_id)).first()
    if marking is None:
        raise NotFound(f"version {version_id} has no marking")
    return marking


def can_view(user: User, document: Document) -> bool:
    """Drafters see their own organ's documents; reviewers, office, signers and admins see all."""
    return user.role is not Role.DRAFTER or user.organ_id == document.organ_id


def visible_document(*, session: Session, user: User, document_id: int) -> Document:
    """The document if the user may see it; NotFound otherwise (existence is not disclosed)."""
    document = get_document(session=session, document_id=document_id)
    if not can_view(user, document):
        raise NotFound(f"document {document_id} does not exist")
    return document


@dataclass(frozen=True, slots=True)
class DocumentFilters:
    """Optional filters of the document list."""

    status: Status | None = None
    stage: Stage | None = None
    organ_id: int | None = None
    attribute: Attribute | None = None


@dataclass(frozen=True, slots=True)
class ListPosition:
    """Where a page of the list ended: its last document's creation time and id (the list's
    order). The next page starts after it, however many documents were added or changed since."""

    created_at: datetime
    document_id: int


@dataclass(frozen=True, slots=True)
class DocumentListPage:
    """One page of the list, the total that match, and where the next page starts (None: this
    page is the last)."""

    documents: list[Document]
    total: int
    next_after: ListPosition | None


def list_documents(
    *,
    session: Session,
    user: User,
    filters: DocumentFilters,
    limit: int,
    offset: int = 0,
    after: ListPosition | None = None,
) -> DocumentListPage:
    """One page of the documents the user may see, newest first (then by id, descending), and
    the total that match: the page after `after` (keyset: an index range, as fast deep in the
    list as at its start, and no document skipped or repeated when others are added meanwhile),
    or `offset` documents in."""
    query = select(Document)
    if user.role is Role.DRAFTER:
        query = query.where(col(Document.organ_id) == user.organ_id)
    if filters.status is not None:
        query = query.where(col(Document.status) == filters.status)
    if filters.stage is not None:
        query = query.where(col(Document.stage) == filters.stage)
    if filters.organ_id is not None:
        query = query.where(col(Document.organ_id) == filters.organ_id)
    if filters.attribute is not None:
        query = query.join(
            Marking, col(Marking.version_id) == col(Document.current_version_id)
        ).where(col(Marking.attribute) == filters.attribute)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if after is not None:
        query = query.where(
            tuple_(col(Document.created_at), col(Document.id))
            < tuple_(
                literal(after.created_at, UTCDateTime()), literal(after.document_id, Integer())
            )
        )
    rows = session.exec(
        query.order_by(col(Document.created_at).desc(), col(Document.id).desc())
        .limit(limit + 1)
        .offset(offset)
    ).all()
    page = list(rows[:limit])
    next_after = None
    if len(rows) > limit:
        last = page[-1]
        assert last.id is not None
        next_after = ListPosition(last.created_at, last.id)
    return DocumentListPage(page, int(total), next_after)


@dataclass(frozen=True, slots=True)
class NamedFile:
    """A stored file as one upload sent it: its kind and the name that upload gave it."""

    kind: str
    name: str
    stored: StoredFile


@dataclass(slots=True)
class VersionRecord:
    """One version with its files, marking and findings."""

    version: Version
    main_file: NamedFile
    attachments: list[NamedFile]
    marking: Marking | None
    findings: list[RecordedFinding]


@dataclass(slots=True)
class Dossier:
    """Everything recorded about a document, for its detail page."""

    document: Document
    versions: list[VersionRecord] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    materials: list[tuple[InterpretationMaterial, StoredFile]] = field(default_factory=list)
    history: list[AuditEvent] = field(default_factory=list)


def document_dossier(*, session: Session, document: Document) -> Dossier:
    """The document's versions (oldest first), deadlines, interpretation materials and history."""
    dossier = Dossier(document)
    versions = session.exec(
        select(Version).where(col(Version.document_id) == document.id).order_by(col(Version.number))
    ).all()
    for version in versions:
        dossier.versions.append(version_record(session, version))
    dossier.deadlines = list(
        session.exec(
            select(Deadline)
            .where(col(Deadline.document_id) == document.id)
            .order_by(col(Deadline.due_at))
        ).all()
    )
    dossier.materials = [
        (m, f)
        for m, f in session.exec(
            select(InterpretationMaterial, StoredFile)
            .join(StoredFile, col(StoredFile.id) == col(InterpretationMaterial.file_id))
            .where(col(InterpretationMaterial.document_id) == document.id)
            .order_by(col(InterpretationMaterial.id))
        ).all()
    ]
    dossier.history = list(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.document_id) == document.id)
            .order_by(col(AuditEvent.occurred_at), col(AuditEvent.id))
        ).all()
    )
    return dossier


def version_record(session: Session, version: Version) -> VersionRecord:
    """One version with its main file, attachments, marking and recorded findings."""
    main_file = session.get(StoredFile, version.main_file_id)
    if main_file is None:
        raise NotFound(f"file {version.main_file_id} of version {version.id} is missing")
    attachments = session.exec(
        select(VersionAttachment.kind, VersionAttachment.file_name, StoredFile)
        .join(StoredFile, col(StoredFile.id) == col(VersionAttachment.file_id))
        .where(col(VersionAttachment.version_id) == version.id)
        .order_by(col(VersionAttachment.id))
    ).all()
    marking = session.exec(select(Marking).where(col(Marking.version_id) == version.id)).first()
    findings = session.exec(
        select(RecordedFinding)
        .where(col(RecordedFinding.version_id) == version.id)
        .order_by(col(RecordedFinding.id))
    ).all()
    return VersionRecord(
        version,
        NamedFile("main", version.main_file_name, main_file),
        [NamedFile(kind, name, stored) for kind, name, stored in attachments],
        marking,
        list(findings),
    )
