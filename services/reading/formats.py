"""Text of one file, by its content (not its name): PDF (pypdf, image-only pages OCR'd), DOCX
(python-docx), OFD (GB/T 33190, ofdkit) and plain text (UTF-8 or GB18030). Runs inside the
reading process (services.reading.child), under its memory and time limits; each format also
checks the limits it can see itself (pages, decompressed size, characters)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from policies.findings import Finding
from services.reading.limits import ReadingLimits, limit_reached, unreadable

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .wps (Compound File Binary)


@dataclass(slots=True)
class Reading:
    """What was read of one file: its text and what a reviewer must know about the reading."""

    text: str = ""
    findings: list[Finding] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # 1-based


def kind_of(data: bytes) -> str:
    """The file's kind by content: pdf, docx, ofd, legacy (.doc/.wps), zip, empty or text."""
    if not data:
        return "empty"
    if data.startswith(PDF_MAGIC):
        return "pdf"
    if data.startswith(OLE2_MAGIC):
        return "legacy"
    if data.startswith(ZIP_MAGIC):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        return "ofd" if "OFD.xml" in names else "zip"
    return "text"


def decode_plain_text(data: bytes) -> str | None:
    """Plain text as UTF-8 (with or without BOM), else GB18030; None when it is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _bounded_chars(name: str, reading: Reading, limits: ReadingLimits) -> Reading:
    if len(reading.text) > limits.max_chars:
        reading.text = reading.text[: limits.max_chars]
        reading.findings.append(
            limit_reached(name, f"{limits.max_chars:,} characters", "the text is longer")
        )
    return reading


def _zip_within(name: str, data: bytes, limits: ReadingLimits) -> Finding | None:
    """A package whose parts expand beyond the limit is not opened (a zip bomb)."""
    total = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    if total > limits.max_decompressed_bytes:
        return limit_reached(
            name,
            f"{limits.max_decompressed_bytes:,} bytes decompressed",
            f"its parts expand to {total:,} bytes",
        )
    return None


def _docx(name: str, data: bytes, limits: ReadingLimits) -> Reading:
    import docx  # python-docx

    too_big = _zip_within(name, data, limits)
    if too_big is not None:
        return Reading(findings=[too_big])
    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # the memory limit: the parent reports it
    except Exception as exc:  # python-docx raises several types for damaged packages
        return Reading(findings=[unreadable(name, f"the DOCX file cannot be opened: {exc}")])
    parts: list[str] = []
    for section in document.sections:  # the 版头 (header) first: GB/T 9704 marks sit there
        parts.extend(str(p.text) for p in section.header.paragraphs if p.text.strip())
    parts += [str(p.text) for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(str(cell.text) for cell in row.cells))
    for section in document.sections:
        parts.extend(str(p.text) for p in section.footer.paragraphs if p.text.strip())
    return Reading("\n".join(parts))


def _ofd(name: str, data: bytes, limits: ReadingLimits) -> Reading:
    import ofdkit

    too_big = _zip_within(name, data, limits)
    if too_big is not None:
        return Reading(findings=[too_big])
    try:
        with ofdkit.open(data) as document:
            pages = document.pages
            reading = Reading()
            if len(pages) > limits.max_pages:
                reading.findings.append(
                    limit_reached(name, f"{limits.max_pages} pages", f"it has {len(pages)} pages")
                )
            reading.text = "\n\n".join(page.text() for page in pages[: limits.max_pages])
            return reading
    except ofdkit.OFDError as exc:
        return Reading(findings=[unreadable(name, f"the OFD file cannot be read: {exc}")])


def _pdf(name: str, data: bytes, limits: ReadingLimits) -> Reading:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from services.reading.ocr import ocr_pages

    reading = Reading()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return Reading(findings=[unreadable(name, "the PDF is encrypted with a password")])
        count = len(reader.pages)
        if count > limits.max_pages:
            reading.findings.append(
                limit_reached(name, f"{limits.max_pages} pages", f"it has {count:,} pages")
            )
        texts: list[str] = []
        chars = 0
        for page in reader.pages[: limits.max_pages]:
            text = page.extract_text() or ""
            texts.append(text)
            chars += len(text)
            if chars > limits.max_chars:
                break
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        return Reading(findings=[unreadable(name, f"the PDF file cannot be read: {exc}")])
    blank = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if blank:
        ocr = ocr_pages(name, data, blank, limits)
        for number, text in ocr.texts.items():
            texts[number - 1] = text
        reading.findings.extend(ocr.findings)
        reading.ocr_pages = sorted(ocr.texts)
    reading.text = "\n".join(texts)
    return reading


def read_bytes(name: str, data: bytes, limits: ReadingLimits) -> Reading:
    """The file's text and findings, by its content, within the limits."""
    kind = kind_of(data)
    if kind == "empty":
        return Reading(findings=[unreadable(name, "the file is empty (0 bytes)")])
    if kind == "legacy":
        return Reading(findings=[unreadable(name, "a legacy .doc/.wps file; save it as DOCX")])
    if kind == "zip":
        return Reading(findings=[unreadable(name, "a zip archive that is neither DOCX nor OFD")])
    if kind == "text":
        text = decode_plain_text(data)
        if text is None:
            why = "the text is neither UTF-8 nor GB18030; save it in one of these encodings"
            return Reading(findings=[unreadable(name, why)])
        return _bounded_chars(name, Reading(text), limits)
    reader = {"pdf": _pdf, "docx": _docx, "ofd": _ofd}[kind]
    return _bounded_chars(name, reader(name, data, limits), limits)
