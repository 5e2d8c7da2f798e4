"""Each stored file is read once (issue 23): the first step that needs its text reads it within
the limits and keeps the result, later steps and publication take the kept row.

Reading takes seconds (a bounded subprocess, OCR perhaps), so a writer that must not hold its
transaction meanwhile (a flow run on SQLite holds the write lock for its whole unit of work)
splits it in three: `files_to_read` (quick, in a unit of work), `read_unkept` (no session), and
`keep_reading` (quick, in a unit of work of its own). `file_text` still does all three at once
for callers that hold no lock worth sparing (the API's read-only pages)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.db import id_of
from models.files import StoredFile
from models.readings import FileReading
from policies.findings import Finding
from services.errors import NotFound
from services.reading.bounded import read_file
from services.reading.formats import Reading
from services.reading.limits import (
    ReadingLimits,
    finding_as_dict,
    finding_from_dict,
    unreadable,
)
from services.stored_content import Recorded, RecordedContent, check_path


@dataclass(frozen=True, slots=True)
class FileText:
    """A stored file's name and what was read of it."""

    file_id: int
    name: str
    text: str
    findings: tuple[Finding, ...]
    ocr_pages: tuple[int, ...]


def _of(stored: StoredFile, row: FileReading) -> FileText:
    findings = tuple(finding_from_dict(f) for f in row.findings)
    return FileText(id_of(stored), stored.original_name, row.text, findings, tuple(row.ocr_pages))


@dataclass(frozen=True, slots=True)
class UnkeptFile:
    """A stored file with no kept reading: where its bytes are, the name it was sent as, and
    its record (the bytes must still hash to it)."""

    file_id: int
    path: Path
    name: str
    recorded: RecordedContent


def _read(path: Path, name: str, recorded: Recorded, limits: ReadingLimits) -> Reading:
    """The file's reading, only of the bytes recorded when it was received: checked before and
    after it is read (StoredContentAltered otherwise, and nothing is kept), so the text a
    reviewer and the portal read is that of the reviewed content (services.stored_content)."""
    if not path.is_file():
        return Reading(findings=[unreadable(name, "the stored file is missing")])
    check_path(path, recorded)
    reading = read_file(path, name=name, limits=limits)
    check_path(path, recorded)
    return reading


def files_to_read(
    *, session: Session, file_ids: Sequence[int], files_dir: Path
) -> list[UnkeptFile]:
    """Those of the stored files that have no kept reading yet, in the order given, each once
    (ids of no stored file are left out: the step that reads them says so)."""
    wanted = list(dict.fromkeys(file_ids))
    if not wanted:
        return []
    kept = set(
        session.exec(select(FileReading.file_id).where(col(FileReading.file_id).in_(wanted))).all()
    )
    stored = {
        id_of(s): s
        for s in session.exec(select(StoredFile).where(col(StoredFile.id).in_(wanted))).all()
    }
    return [
        UnkeptFile(
            file_id,
            files_dir / stored[file_id].storage_path,
            stored[file_id].original_name,
            RecordedContent.of(stored[file_id]),
        )
        for file_id in wanted
        if file_id in stored and file_id not in kept
    ]


def read_unkept(unkept: UnkeptFile, limits: ReadingLimits | None = None) -> Reading:
    """Read the file within the limits; no session, no transaction (it may take seconds)."""
    return _read(unkept.path, unkept.name, unkept.recorded, limits or ReadingLimits())


def keep_reading(*, session: Session, file_id: int, reading: Reading, at: datetime) -> FileReading:
    """Keep the file's reading as read `at`; the first kept wins (another run may have kept one
    meanwhile: that row is returned and this reading dropped)."""
    row = FileReading(
        file_id=file_id,
        text=reading.text.replace("\x00", ""),  # PostgreSQL text holds no NUL
        findings=[finding_as_dict(f) for f in reading.findings],
        ocr_pages=reading.ocr_pages,
        read_at=at,
    )
    try:
        with session.begin_nested():  # another run may have kept it meanwhile
            session.add(row)
    except IntegrityError:
        return session.exec(select(FileReading).where(col(FileReading.file_id) == file_id)).one()
    return row


def file_text(
    *,
    session: Session,
    file_id: int,
    files_dir: Path,
    at: datetime | None,
    limits: ReadingLimits | None = None,
) -> FileText:
    """The stored file's text: kept from its first reading, else read now and kept as read `at`
    (None: a read-only caller, the reading is returned and not kept)."""
    stored = session.get(StoredFile, file_id)
    if stored is None:
        raise NotFound(f"stored file {file_id} does not exist")
    kept = session.exec(select(FileReading).where(col(FileReading.file_id) == file_id)).first()
    if kept is not None:
        return _of(stored, kept)
    path = files_dir / stored.storage_path
    reading = _read(path, stored.original_name, stored, limits or ReadingLimits())
    if at is None:
        name, found = stored.original_name, tuple(reading.findings)
        return FileText(file_id, name, reading.text, found, tuple(reading.ocr_pages))
    return _of(stored, keep_reading(session=session, file_id=file_id, reading=reading, at=at))
