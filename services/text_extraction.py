"""Text extraction for the pre-screen (design.md "Files": maintained libraries for PDF and DOCX;
plain text decoded with a clear error when it is neither UTF-8 nor GB18030)."""

from __future__ import annotations

import io
from pathlib import PurePath

from services.errors import DomainError


class TextNotExtractable(DomainError):
    """The file's text cannot be read: unknown type, undecodable text, or a damaged file."""


_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"


def decode_plain_text(data: bytes) -> str:
    """Decode plain text as UTF-8 (with or without BOM), else GB18030, else refuse."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TextNotExtractable(
        "The text file is neither UTF-8 nor GB18030; save it in one of these encodings."
    )


def _docx_text(data: bytes) -> str:
    import docx  # python-docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise TextNotExtractable(f"The DOCX file cannot be opened: {exc}") from exc
    parts = [str(p.text) for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(str(cell.text) for cell in row.cells))
    for section in document.sections:
        for block in (section.header, section.footer):
            parts.extend(str(p.text) for p in block.paragraphs)
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # pypdf raises its own errors and also ValueError/KeyError
        raise TextNotExtractable(f"The PDF file cannot be read: {exc}") from exc


def extract_text(data: bytes, *, filename: str) -> str:
    """The file's text: TXT (UTF-8/GB18030), DOCX (python-docx) or PDF (pypdf), by content."""
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(_PDF_MAGIC) or suffix == ".pdf":
        return _pdf_text(data)
    if suffix == ".docx" or (data.startswith(_ZIP_MAGIC) and suffix != ".txt"):
        return _docx_text(data)
    if suffix in {".txt", ".text", ""}:
        return decode_plain_text(data)
    raise TextNotExtractable(
        f"Files of type '{suffix}' cannot be pre-screened; upload TXT, DOCX or PDF."
    )
