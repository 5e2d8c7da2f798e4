"""OCR of the pages of a PDF that have no text layer: PDFium (pypdfium2) renders each at 300 dpi
and Tesseract (Debian's tesseract-ocr with its Simplified Chinese data, `make ocr`) reads it.
The finding says which pages were OCR'd and with what mean word confidence; a page that OCR
cannot read, or every page when OCR is not installed, gets a blocking finding: a person reads
those pages (never silence)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from policies.findings import Finding, Severity
from services.reading.limits import SOURCE, ReadingLimits, limit_reached

LANGUAGE = "chi_sim"
DPI = 300
MIN_CONFIDENCE = 60.0  # below this mean word confidence a page counts as unread
MIN_CHARS = 2  # fewer recognised characters than this: nothing was read


@dataclass(slots=True)
class OcrResult:
    """The text of each page OCR read (1-based page numbers) and the findings."""

    texts: dict[int, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def pages_list(pages: list[int]) -> str:
    """Page numbers for a message, e.g. "1, 3, 4"."""
    return ", ".join(str(p) for p in pages)


def unread_pages(name: str, pages: list[int], why: str) -> Finding:
    """Pages no text was read from: the reviewer reads them."""
    return Finding(
        "reading.pages_unread",
        Severity.BLOCKING,
        f"{name}: page(s) {pages_list(pages)} have no text layer and {why}; "
        "the reviewer must read these pages themselves.",
        SOURCE,
    )


def ocr_available() -> str | None:
    """None when Tesseract and its chi_sim data are installed, else why not."""
    import pytesseract

    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, OSError):
        return "OCR is not installed on this server (make ocr)"
    if LANGUAGE not in languages:
        return f"Tesseract's {LANGUAGE} data is not installed (make ocr)"
    return None


# chi_sim has no ★: at the start of a line, a level, one other glyph and a period is the
# GB/T 9704-2012 §7.2.2 mark "秘密★5年" as printed in the 版头.
_MARK_STAR = re.compile(r"^(绝密|机密|秘密)[^\s\d★](\d{1,3}(?:年|个月))")


def _read_page(image: object) -> tuple[str, float]:
    import pytesseract

    data = pytesseract.image_to_data(
        image, lang=LANGUAGE, output_type=pytesseract.Output.DICT, config="--psm 6"
    )
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        if word.strip():
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(word.strip())
            confidences.append(float(data["conf"][i]))
    text = "\n".join(_MARK_STAR.sub(r"\1★\2", "".join(words)) for words in lines.values())
    confidence = statistics.fmean(confidences) if confidences else 0.0
    return text, confidence


def ocr_pages(name: str, data: bytes, pages: list[int], limits: ReadingLimits) -> OcrResult:
    """OCR the given pages (1-based) of a PDF, at most limits.max_ocr_pages of them."""
    result = OcrResult()
    missing = ocr_available()
    if missing is not None:
        result.findings.append(unread_pages(name, pages, f"were not OCR'd: {missing}"))
        return result
    import pypdfium2

    todo, skipped = pages[: limits.max_ocr_pages], pages[limits.max_ocr_pages :]
    if skipped:
        result.findings.append(
            limit_reached(name, f"{limits.max_ocr_pages} OCR'd pages", f"{len(pages)} image pages")
        )
        result.findings.append(unread_pages(name, skipped, "were beyond the OCR limit"))
    document = pypdfium2.PdfDocument(data)
    read: list[tuple[int, float]] = []
    failed: list[int] = []
    try:
        for number in todo:
            bitmap = document[number - 1].render(scale=DPI / 72, grayscale=True)
            text, confidence = _read_page(bitmap.to_pil())
            if len(text) < MIN_CHARS or confidence < MIN_CONFIDENCE:
                failed.append(number)
            else:
                result.texts[number] = text
                read.append((number, confidence))
    finally:
        document.close()
    if read:
        shown = ", ".join(f"page {n}: {c:.0f}%" for n, c in read)
        result.findings.append(
            Finding(
                "reading.ocr",
                Severity.WARNING,
                f"{name}: page(s) {pages_list([n for n, _ in read])} have no text layer and were "
                f"read by OCR (Tesseract {LANGUAGE}; mean word confidence {shown}); "
                "check the evidence against the page images.",
                SOURCE,
            )
        )
    if failed:
        result.findings.append(
            unread_pages(
                name, failed, f"OCR could not read them (confidence < {MIN_CONFIDENCE:.0f}%)"
            )
        )
    return result
