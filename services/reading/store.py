"""Each stored file is read once (issue 23): the first step that needs its text reads it within
the limits and keeps the result, later steps and publication take the kept row."""

from __future__ import annotations

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


def _read(path: Path, name: str, limits: ReadingLimits) -> Reading:
    if not path.is_file():
        return Reading(findings=[unreadable(name, "the stored file is missing")])
    return read_file(path, name=name, limits=limits)


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
    reading = _read(
        files_dir / stored.storage_path, stored.original_name, limits or ReadingLimits()
    )
    if at is None:
        name, found = stored.original_name, tuple(reading.findings)
        return FileText(file_id, name, reading.text, found, tuple(reading.ocr_pages))
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
        kept = session.exec(select(FileReading).where(col(FileReading.file_id) == file_id)).one()
        return _of(stored, kept)
    return _of(stored, row)
