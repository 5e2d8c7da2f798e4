"""What the files print, checked against the version's record (domain §10 rules 2, 3, 9(d)): at
the marking stage (a contradiction is 退文) and again before publication, on the file that is
published, so that no published file carries a marking or a 密级 other than its record's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.versions import Marking, Version, VersionAttachment
from policies.findings import Finding
from policies.printed_marks import (
    check_printed_classification,
    check_printed_marking,
    find_header_classification,
    find_printed_marking,
)
from services.reading.limits import ReadingLimits
from services.reading.store import FileText, file_text


def printed_text_findings(read: FileText, marking: Marking) -> list[Finding]:
    """A read file's printed marking and 版头 classification mark against the record."""
    found = check_printed_marking(find_printed_marking(read.text), marking.attribute)
    found += check_printed_classification(
        find_header_classification(read.text), marking.secrecy_level, marking.secrecy_period_years
    )
    return [
        Finding(f.rule, f.severity, f"{read.name}: {f.message}", f.source, f.field) for f in found
    ]


def printed_files(*, session: Session, version: Version) -> list[int]:
    """The files whose printed marks the marking stage checks: the draft and its redacted
    version."""
    redacted = session.exec(
        select(VersionAttachment.file_id).where(
            col(VersionAttachment.version_id) == version.id,
            col(VersionAttachment.kind) == "redacted_version",
        )
    ).all()
    return [version.main_file_id, *redacted]


def printed_findings(
    *,
    session: Session,
    version: Version,
    marking: Marking,
    files_dir: Path,
    at: datetime,
    limits: ReadingLimits | None = None,
) -> list[Finding]:
    """The draft's and its redacted version's printed marks against the version's marking."""
    findings: list[Finding] = []
    for file_id in printed_files(session=session, version=version):
        read = file_text(
            session=session, file_id=file_id, files_dir=files_dir, at=at, limits=limits
        )
        findings += printed_text_findings(read, marking)
    return findings
