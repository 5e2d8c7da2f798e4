"""What the public portal shows: published documents only, addressed by 索引号.

The catalogue carries the fields of 条例 art. 12 ¶3 (索引、名称、内容概述、生成日期) plus 发布机构,
the printed marking (seed 001 §二(四)1) and 有效性 (seed 000 §三(二十二)). Every query starts
from a publication row of a published document, so nothing unpublished is reachable, and no
internal id is accepted from outside except a file id checked against the publication.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models.db import id_of
from models.documents import Document
from models.files import StoredFile
from models.organs import Organ
from models.publications import InterpretationMaterial, Publication, Withdrawal
from models.readings import FileReading
from models.validity import ValidityChangeRecord
from models.versions import Version, VersionAttachment
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.statuses import Status
from policies.validity import Validity, annotation
from services.errors import Gone, NotFound
from services.publication.search import (
    CatalogueFilters,
    Cursor,
    Total,
    search_page,
)
from services.publication.texts import (
    PublishedText,
    published_text,
    published_texts,
    reading_columns,
)

REDACTED_NOTE = "本文件依法删减后公开，公开的是删减后的版本。"  # seed 001 §二(四)1: 此件删减后公开
PUBLIC_ATTACHMENT_KINDS = ("interpretation_material",)  # 解读材料 (seed 000 §三(十八))


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One row of the catalogue (条例 art. 12 ¶3)."""

    index_number: str
    title: str
    doc_number: str | None
    summary: str
    written_on: date
    organ: str
    marking_text: str
    validity: Validity
    published_at: datetime

    @property
    def is_redacted(self) -> bool:
        """Whether the document was published after redaction (此件删减后公开)."""
        return any(
            a.publishes_redacted_version and a.marking == self.marking_text for a in Attribute
        )

    def as_json(self) -> dict[str, Any]:
        """The entry in the catalogue's JSON variant."""
        return {
            "index_number": self.index_number,
            "title": self.title,
            "doc_number": self.doc_number,
            "summary": self.summary,
            "written_on": self.written_on.isoformat(),
            "organ": self.organ,
            "marking": self.marking_text,
            "validity": self.validity.value,
            "validity_label": self.validity.label,
            "published_at": self.published_at.astimezone(SHANGHAI).isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PortalFile:
    """A downloadable file of a published document."""

    id: int
    name: str
    media_type: str
    size_bytes: int
    storage_path: str


@dataclass(frozen=True, slots=True)
class ValidityNote:
    """One validity change as the page and the feeds show it."""

    id: int
    validity: Validity
    text: str  # e.g. 已废止（被《X》废止，自 2026-11-20 起）
    reason: str
    linked_index_number: str | None
    effective_on: date
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PortalDocument:
    """One published document's page."""

    entry: CatalogueEntry
    document_id: int
    file: PortalFile | None
    interpretation: list[PortalFile] = field(default_factory=list)
    validity_notes: list[ValidityNote] = field(default_factory=list)
    texts: dict[int, PublishedText] = field(default_factory=dict)  # kept readings, by file id

    @property
    def text(self) -> PublishedText | None:
        """The published file's kept text (for 删减后公开 the redacted version's), if read."""
        return None if self.file is None else self.texts.get(self.file.id)

    def interpretation_file(self, file_id: int) -> PortalFile:
        """One of the document's public 解读 files; NotFound for any other file."""
        for candidate in self.interpretation:
            if candidate.id == file_id:
                return candidate
        raise NotFound(f"{self.entry.index_number} has no interpretation material {file_id}")

    @property
    def annotation(self) -> str | None:
        """The current validity annotation (the latest change), None while valid."""
        if self.entry.validity is Validity.VALID or not self.validity_notes:
            return None
        return self.validity_notes[-1].text


def _current(publication: Any, document: Any) -> Any:
    """The publication is its document's current version's: a document published again after a
    withdrawal (撤回) and a conversion shows its new version only, never the withdrawn one (what
    was withdrawn stays withdrawn; the new version had its own review, 先审查、后公开)."""
    return col(publication.version_id) == col(document.current_version_id)


def _catalogue_select() -> Any:
    return (
        sa.select(
            col(Publication.index_number),
            col(Document.title),
            col(Document.doc_number),
            col(Publication.summary),
            col(Document.written_on),
            col(Organ.name),
            col(Publication.marking_text),
            col(Publication.validity),
            col(Publication.published_at),
        )
        .join(Document, col(Document.id) == col(Publication.document_id))
        .join(Organ, col(Organ.id) == col(Document.organ_id))
        .where(col(Document.status) == Status.PUBLISHED, _current(Publication, Document))
    )


def _entry(row: Any) -> CatalogueEntry:
    index_number, title, doc_number, summary, written_on, organ, marking, validity, at = row
    return CatalogueEntry(
        index_number=index_number,
        title=title,
        doc_number=doc_number,
        summary=summary or title,
        written_on=written_on,
        organ=organ,
        marking_text=marking,
        validity=Validity(validity),
        published_at=at,
    )


@dataclass(frozen=True, slots=True)
class CataloguePage:
    """One page of the catalogue or of a search: its entries, the next page's cursor, the
    total (capped or counted within a bound, and said so), and whether a bounded scan stopped
    at its bound before the page filled (the cursor continues it)."""

    entries: list[CatalogueEntry]
    next_cursor: Cursor | None
    total: Total
    scan_stopped: bool = False


def _shown(page: Any) -> Any:
    """The catalogue's columns of a page of (publication_id, published_at), in its order."""
    return (
        _catalogue_select()
        .add_columns(page.c.publication_id, page.c.published_at.label("page_published_at"))
        .join(page, page.c.publication_id == col(Publication.id))
        .order_by(page.c.published_at.desc(), page.c.publication_id.desc())
    )


def catalogue_page(
    *, session: Session, filters: CatalogueFilters, cursor: Cursor | None, limit: int
) -> CataloguePage:
    """One page of the catalogue, newest publication first, after `cursor`."""
    found = search_page(session=session, filters=filters, cursor=cursor, limit=limit, shown=_shown)
    entries = [_entry(row[:-2]) for row in found.rows]
    return CataloguePage(entries, found.next_cursor, found.total, found.scan_stopped)


def _file(stored: StoredFile, name: str) -> PortalFile:
    assert stored.id is not None
    return PortalFile(stored.id, name, stored.media_type, stored.size_bytes, stored.storage_path)


def _published_name() -> Any:
    """The name the published file was sent under with the published version (the redacted
    version's own name for 删减后公开, else the main file's): a column of the publication's row."""
    attached = (
        sa.select(col(VersionAttachment.file_name))
        .where(
            col(VersionAttachment.version_id) == col(Publication.version_id),
            col(VersionAttachment.file_id) == col(Publication.file_id),
        )
        .limit(1)
        .scalar_subquery()
    )
    main = (
        sa.select(col(Version.main_file_name))
        .where(col(Version.id) == col(Publication.version_id))
        .scalar_subquery()
    )
    return sa.func.coalesce(attached, main)


def _interpreted() -> Any:
    """Whether the publication has 解读材料 on the portal (see _interpretation_files)."""
    attached = sa.exists().where(
        col(VersionAttachment.version_id) == col(Publication.version_id),
        col(VersionAttachment.kind).in_(PUBLIC_ATTACHMENT_KINDS),
    )
    received = sa.exists().where(
        col(InterpretationMaterial.document_id) == col(Publication.document_id),
        col(InterpretationMaterial.kind).in_(PUBLIC_ATTACHMENT_KINDS),
        col(InterpretationMaterial.cleared_at).is_not(None),
    )
    return sa.or_(attached, received)


@dataclass(frozen=True, slots=True)
class _Found:
    """A publication's page as its first query finds it."""

    document_id: int
    version_id: int
    row: Any  # the catalogue row
    file: PortalFile | None  # the shown file, under its published name
    text: PublishedText | None
    notes: list[ValidityNote]
    interpreted: bool


def _amending(statement: Any, by: Any, by_publication: Any) -> Any:
    """The statement outer-joined with the document amending a validity change (`by`) and that
    document's publication, when it is published itself."""
    return statement.outerjoin(
        by,
        sa.and_(
            col(by.id) == col(ValidityChangeRecord.amended_by_document_id),
            col(by.status) == Status.PUBLISHED,
        ),
    ).outerjoin(
        by_publication,
        sa.and_(col(by_publication.document_id) == col(by.id), _current(by_publication, by)),
    )


def _publication_statement() -> Any:
    """By 索引号 (bound as `index_number`): the publication's catalogue row, its shown file with
    its published name and kept text, whether it has 解读材料 to look up, and its validity
    changes oldest first, each with the amending document's 文号, title and 索引号 when that is
    published itself (one row per change and publication of the amending document; one row
    without a change when there is none)."""
    by = aliased(Document)
    by_publication = aliased(Publication)
    statement = _amending(
        _catalogue_select()
        .add_columns(
            col(Publication.document_id),
            col(Publication.version_id),
            col(StoredFile.id),
            col(StoredFile.media_type),
            col(StoredFile.size_bytes),
            col(StoredFile.storage_path),
            _published_name(),
            col(FileReading.id),
            *reading_columns(),
            _interpreted(),
            ValidityChangeRecord,
            col(by.doc_number),
            col(by.title),
            col(by_publication.index_number),
        )
        .outerjoin(StoredFile, col(StoredFile.id) == col(Publication.file_id))
        .outerjoin(FileReading, col(FileReading.file_id) == col(Publication.file_id))
        .outerjoin(
            ValidityChangeRecord,
            col(ValidityChangeRecord.document_id) == col(Publication.document_id),
        ),
        by,
        by_publication,
    )
    return statement.where(col(Publication.index_number) == sa.bindparam("index_number")).order_by(
        col(ValidityChangeRecord.recorded_at),
        col(ValidityChangeRecord.id),
        col(by_publication.published_at),
    )


# Built once: a statement costs more to build than the database takes to answer it.
_PUBLICATION = _publication_statement()


def _publication(session: Session, index_number: str) -> _Found:
    """The publication's page as one query finds it: every page but one with 解读材料 is one
    round trip."""
    rows = session.execute(_PUBLICATION, {"index_number": index_number}).all()
    if not rows:
        raise NotFound(f"no published document has the index number {index_number!r}")
    row = rows[0]
    catalogue, (document_id, version_id, file_id, media_type, size, path, name) = row[:9], row[9:16]
    reading, text, findings, ocr, interpreted = row[16:21]
    shown = file = None
    if file_id is not None:  # a version has its main file's name: `name` is never empty
        file = PortalFile(file_id, name, media_type, size, path)
        if reading is not None:
            shown = published_text(file_id, text, findings, ocr, media_type)
    notes: dict[int, ValidityNote] = {}
    for change, by_number, by_title, by_index in (r[21:] for r in rows):
        if change is not None:  # the amending document's latest publication wins
            notes[id_of(change)] = _note(change, by_number or by_title, by_index)
    return _Found(
        document_id, version_id, catalogue, file, shown, list(notes.values()), interpreted
    )


def _interpretation_files(session: Session, found: _Found) -> list[PortalFile]:
    """解读材料 sent with the published version, or received for the document afterwards and
    cleared by a secrecy reviewer."""
    attached = (
        select(StoredFile, VersionAttachment.file_name)
        .join(VersionAttachment, col(VersionAttachment.file_id) == col(StoredFile.id))
        .where(
            col(VersionAttachment.version_id) == found.version_id,
            col(VersionAttachment.kind).in_(PUBLIC_ATTACHMENT_KINDS),
        )
    )
    received = (
        select(StoredFile, InterpretationMaterial.file_name)
        .join(InterpretationMaterial, col(InterpretationMaterial.file_id) == col(StoredFile.id))
        .where(
            col(InterpretationMaterial.document_id) == found.document_id,
            col(InterpretationMaterial.kind).in_(PUBLIC_ATTACHMENT_KINDS),
            # Material sent after intake only once a secrecy reviewer cleared it (issue 21).
            col(InterpretationMaterial.cleared_at).is_not(None),
        )
    )
    # Names as this document's own uploads gave them (a file sent with the version first).
    files: dict[int, PortalFile] = {}
    for stored, name in [*session.exec(received).all(), *session.exec(attached).all()]:
        files[id_of(stored)] = _file(stored, name)
    return [files[key] for key in sorted(files)]


def _note(change: ValidityChangeRecord, label: str | None, linked: str | None) -> ValidityNote:
    by = change.amended_by_reference or label
    assert change.id is not None
    text = annotation(change.to_validity, by=by, effective_on=change.effective_on.isoformat())
    return ValidityNote(
        id=change.id,
        validity=change.to_validity,
        text=text or change.to_validity.label,
        reason=change.reason,
        linked_index_number=linked,
        effective_on=change.effective_on,
        recorded_at=change.recorded_at,
    )


class Withdrawn(Gone):
    """The publication was withdrawn (撤回): the portal says so and shows nothing of it."""


def withdrawal_notice(withdrawal: Withdrawal, title: str) -> str:
    """What the portal says in place of a withdrawn document (no content, no reason text)."""
    day = withdrawal.withdrawn_at.astimezone(SHANGHAI).date().isoformat()
    return f"《{title}》已于 {day} 撤回，不再公开。"


def _withdrawal(session: Session, index_number: str) -> tuple[Withdrawal, str] | None:
    row = session.exec(
        select(Withdrawal, Document.title)
        .join(Publication, col(Publication.id) == col(Withdrawal.publication_id))
        .join(Document, col(Document.id) == col(Withdrawal.document_id))
        .where(col(Publication.index_number) == index_number)
    ).first()
    return None if row is None else (row[0], row[1])


def portal_document(*, session: Session, index_number: str) -> PortalDocument:
    """The page of a published document; Withdrawn (410) for one withdrawn since; NotFound
    otherwise (unknown and unpublished look the same)."""
    try:
        found = _publication(session, index_number)
    except NotFound:
        withdrawn = _withdrawal(session, index_number)
        if withdrawn is None:
            raise
        raise Withdrawn(withdrawal_notice(*withdrawn)) from None
    interpretation = _interpretation_files(session, found) if found.interpreted else []
    texts = published_texts(session, [f.id for f in interpretation])
    if found.text is not None:
        texts[found.text.file_id] = found.text
    return PortalDocument(
        entry=_entry(found.row),
        document_id=found.document_id,
        file=found.file,
        interpretation=interpretation,
        validity_notes=found.notes,
        texts=texts,
    )


def portal_file(*, session: Session, index_number: str, file_id: int) -> PortalFile:
    """A file of a published document: its published file (for 删减后公开 the redacted version,
    never the original) or its interpretation material; NotFound for anything else."""
    page = portal_document(session=session, index_number=index_number)
    for candidate in [page.file, *page.interpretation]:
        if candidate is not None and candidate.id == file_id:
            return candidate
    raise NotFound(f"{index_number} has no public file {file_id}")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """An entry of the feeds: a new publication or a validity change."""

    id: str
    kind: str  # "published" | "validity" | "withdrawn" (a tombstone of the published entry)
    index_number: str
    title: str
    summary: str
    updated: datetime


def feed_statements(limit: int) -> tuple[Any, Any]:
    """The two SELECTs behind the feeds: newest publications, newest validity changes (with the
    amending document's 文号, title and 索引号 when it is published itself)."""
    published = (
        _catalogue_select()
        .order_by(col(Publication.published_at).desc(), col(Publication.id).desc())
        .limit(limit)
    )
    by = aliased(Document)
    by_publication = aliased(Publication)
    changes = (
        _amending(
            sa.select(
                ValidityChangeRecord,
                col(Publication.index_number),
                col(Document.title),
                col(by.doc_number),
                col(by.title),
                col(by_publication.index_number),
            )
            .join(Document, col(Document.id) == col(ValidityChangeRecord.document_id))
            .join(Publication, col(Publication.document_id) == col(Document.id)),
            by,
            by_publication,
        )
        .where(col(Document.status) == Status.PUBLISHED, _current(Publication, Document))
        .order_by(col(ValidityChangeRecord.recorded_at).desc(), col(ValidityChangeRecord.id).desc())
        .limit(limit)
    )
    return published, changes


def feed_items(*, session: Session, limit: int = 50) -> list[FeedItem]:
    """The newest publications, validity changes and withdrawals, newest first."""
    published_statement, changes_statement = feed_statements(limit)
    items = [
        FeedItem(
            id=f"publication:{entry.index_number}",
            kind="published",
            index_number=entry.index_number,
            title=entry.title,
            summary=f"{entry.marking_text} · {entry.organ} · {entry.summary}",
            updated=entry.published_at,
        )
        for entry in map(_entry, session.execute(published_statement).all())
    ]
    for change, index_number, title, by_number, by_title, by_index in session.execute(
        changes_statement
    ).all():
        note = _note(change, by_number or by_title, by_index)
        items.append(
            FeedItem(
                id=f"validity:{note.id}:{index_number}",
                kind="validity",
                index_number=index_number,
                title=f"【{note.validity.label}】{title}",
                summary=f"{note.text}。{note.reason}",
                updated=note.recorded_at,
            )
        )
    withdrawn = session.exec(
        select(Withdrawal, Publication.index_number, Document.title)
        .join(Publication, col(Publication.id) == col(Withdrawal.publication_id))
        .join(Document, col(Document.id) == col(Withdrawal.document_id))
        .order_by(col(Withdrawal.withdrawn_at).desc(), col(Withdrawal.id).desc())
        .limit(limit)
    ).all()
    items.extend(
        FeedItem(
            id=f"publication:{index_number}",  # the entry it removes (RFC 6721 ref)
            kind="withdrawn",
            index_number=index_number,
            title=f"【已撤回】{title}",
            summary=withdrawal_notice(withdrawal, title),
            updated=withdrawal.withdrawn_at,
        )
        for withdrawal, index_number, title in withdrawn
    )
    items.sort(key=lambda item: (item.updated, item.id), reverse=True)
    return items[:limit]
