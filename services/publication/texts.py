"""The text a portal page shows of a public file: the reading kept when the review read the file
(file_readings, issue 23), never a new extraction — so a citizen reads exactly the text the
secrecy reviewer's pre-screen and the publication check read (先审查、后公开: 保密法实施条例 2024
art. 42). A file no review has read has no text on the portal; its download stays."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models.files import StoredFile
from models.readings import FileReading
from policies.findings import Severity

# What one page carries of a file's text (a reading keeps up to 2,000,000 characters): about
# 600 KB of HTML; the rest is in the download, and the page says so.
SHOWN_CHARS = 200_000
PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class PublishedText:
    """A public file's kept text, as much of it as one page shows."""

    file_id: int
    text: str
    is_pdf: bool  # lines as the PDF laid them out, not paragraphs: the download is the original
    cut: bool  # the page shows the first SHOWN_CHARS characters only
    incomplete: bool  # the reading stopped at a limit or could not read some pages
    ocr_pages: tuple[int, ...]  # pages read by OCR (no text layer)


def reading_columns() -> tuple[Any, Any, Any]:
    """What a page reads of a kept reading (FileReading): the shown part of its text (one more
    character, to tell whether it was cut), its findings, its OCR pages."""
    return (
        sa.func.substr(col(FileReading.text), 1, SHOWN_CHARS + 1),
        col(FileReading.findings),
        col(FileReading.ocr_pages),
    )


def published_text(
    file_id: int, text: str, findings: list[Any], ocr_pages: list[int], media_type: str
) -> PublishedText:
    """A public file's text as one page shows it, from its reading_columns() and media type."""
    blocking = any(f.get("severity") == Severity.BLOCKING.value for f in findings)
    return PublishedText(
        file_id=file_id,
        text=text[:SHOWN_CHARS],
        is_pdf=media_type.split(";")[0].strip() == PDF,
        cut=len(text) > SHOWN_CHARS,
        incomplete=blocking,
        ocr_pages=tuple(ocr_pages),
    )


def published_texts(session: Session, file_ids: Iterable[int]) -> dict[int, PublishedText]:
    """The kept text of each of these files that was read, by file id (one query, bounded)."""
    wanted = sorted(set(file_ids))
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(col(FileReading.file_id), *reading_columns(), col(StoredFile.media_type))
        .join(StoredFile, col(StoredFile.id) == col(FileReading.file_id))
        .where(col(FileReading.file_id).in_(wanted))
    ).all()
    return {row[0]: published_text(*row) for row in rows}
