"""What a reviewer reads before deciding (issue 21): the document's current version, each file
with its extracted text and the pre-screen evidence at its location — for the people who decide
its steps, within their organs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from models.db import id_of
from models.documents import Document
from models.files import StoredFile
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import Version
from policies.prescreen import Evidence
from policies.roles import Role
from services.accounts import decides_for_organ
from services.documents import NamedFile, VersionRecord, get_document, version_record
from services.errors import NotFound
from services.reading.detectors import prescreen
from services.reading.store import file_text
from services.review.checks import DEFAULT_TERMS
from services.review.materials import is_pending

# Who reads documents under review: those who decide its steps (and administrators).
READERS = (Role.SECRECY_REVIEWER, Role.SIGNER, Role.DISCLOSURE_OFFICE, Role.ADMIN)


@dataclass
class FileReading:
    """One file of the version: its text (or why none) and the evidence found in it."""

    kind: str  # "main" or the attachment's kind
    file: StoredFile
    name: str  # as this version's upload named it (issue 23), never another upload's name
    text: str = ""
    unreadable: str = ""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Reading:
    """The document under review, as its reviewer reads it."""

    document: Document
    record: VersionRecord
    files: list[FileReading]


def readable_document(*, session: Session, user: User, document_id: int) -> Document:
    """The document, if this person may read it for review (role, and organ for secrecy reviewers
    and signers); NotFound otherwise (existence is not disclosed)."""
    document = get_document(session=session, document_id=document_id)
    if user.role not in READERS or not decides_for_organ(
        session=session, user=user, organ_id=document.organ_id
    ):
        raise NotFound(f"document {document_id} does not exist")
    return document


def reviewer_reading(*, session: Session, user: User, document_id: int, files_dir: Path) -> Reading:
    """The current version's files, and the material sent after intake that awaits its secrecy
    review, with their text and pre-screen evidence."""
    document = readable_document(session=session, user=user, document_id=document_id)
    record = version_record(session, _current_version(session, document))
    sent = [record.main_file, *record.attachments, *_materials_awaiting(session, document)]
    files = [FileReading(f.kind, f.stored, f.name) for f in sent]
    for reading in files:
        # The text kept from the review's own reading (read now, not kept, if it has none yet).
        read = file_text(session=session, file_id=id_of(reading.file), files_dir=files_dir, at=None)
        reading.text = read.text
        reading.unreadable = "; ".join(f.message for f in read.findings if f.is_blocking)
        reading.evidence = prescreen(reading.text, terms=DEFAULT_TERMS)
    return Reading(document, record, files)


def reviewer_file(*, session: Session, user: User, document_id: int, file_id: int) -> NamedFile:
    """One file of the document's current version, or of material awaiting its secrecy review,
    as it was sent, for its reviewer; NotFound otherwise."""
    document = readable_document(session=session, user=user, document_id=document_id)
    record = version_record(session, _current_version(session, document))
    for sent in (record.main_file, *record.attachments, *_materials_awaiting(session, document)):
        if sent.stored.id == file_id:
            return sent
    raise NotFound(f"file {file_id} is not a file of document {document_id}")


def _materials_awaiting(session: Session, document: Document) -> list[NamedFile]:
    """Material sent after intake that awaits the secrecy reviewer (先审查、后公开: the reviewer
    reads exactly the content the portal would show once it is approved), oldest first."""
    rows = session.exec(
        select(InterpretationMaterial, StoredFile)
        .join(StoredFile, col(StoredFile.id) == col(InterpretationMaterial.file_id))
        .where(
            col(InterpretationMaterial.document_id) == document.id,
            col(InterpretationMaterial.review_decision_id).is_(None),
            col(InterpretationMaterial.cleared_at).is_(None),
        )
        .order_by(col(InterpretationMaterial.received_at), col(InterpretationMaterial.id))
    ).all()
    return [
        NamedFile(f"{material.kind}（补充材料，待保密审查）", material.file_name, stored)
        for material, stored in rows
        if is_pending(session, material)
    ]


def _current_version(session: Session, document: Document) -> Version:
    version = session.get(Version, document.current_version_id)
    if version is None:
        raise NotFound(f"document {document.id} has no current version")
    return version
