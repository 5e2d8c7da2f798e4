"""Scanned pages (issue 25): a page without a text layer is OCR'd with Tesseract's Simplified
Chinese data; the finding names the pages and their confidence; a page OCR cannot read, or
every such page where OCR is missing, is a blocking finding. Skipped locally without `make ocr`,
failed under CI=true."""

from __future__ import annotations

import io
import os

import pytesseract
import pytest

from policies.findings import Severity
from policies.prescreen import EvidenceKind
from services.reading.detectors import prescreen
from services.reading.formats import read_bytes
from services.reading.limits import ReadingLimits
from services.reading.ocr import ocr_available
from tests.documents import CJK_FONT, blank_scan_pdf_bytes, scanned_pdf_bytes, text_pdf_bytes

SCANNED = ["秘密★5年", "关于加强政务公开工作的通知", "申请人身份证号：11010519491231002X"]


@pytest.fixture(autouse=True)
def _ocr_installed() -> None:
    missing = ocr_available() or (None if CJK_FONT.exists() else f"{CJK_FONT} is missing")
    if missing is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the OCR tests: {missing}")
        pytest.skip(missing)


def test_a_scanned_page_is_ocrd_and_its_evidence_found() -> None:
    reading = read_bytes("scan.pdf", scanned_pdf_bytes(SCANNED), ReadingLimits())
    assert reading.ocr_pages == [1]
    (finding,) = reading.findings
    assert finding.rule == "reading.ocr"
    assert finding.severity is Severity.WARNING
    assert "page(s) 1" in finding.message
    assert "confidence page 1:" in finding.message
    kinds = {(e.kind, e.text) for e in prescreen(reading.text)}
    assert (EvidenceKind.ID_NUMBER, "110105********002X") in kinds
    assert (EvidenceKind.CLASSIFICATION_MARK, "秘密★5年") in kinds


def test_only_pages_without_a_text_layer_are_ocrd() -> None:
    reading = read_bytes("p.pdf", text_pdf_bytes([["关于"]]), ReadingLimits())
    assert (reading.ocr_pages, reading.findings) == ([], [])


def test_a_page_ocr_cannot_read_is_a_blocking_finding_naming_it() -> None:
    reading = read_bytes("blank.pdf", blank_scan_pdf_bytes(), ReadingLimits())
    (finding,) = reading.findings
    assert (finding.rule, finding.severity) == ("reading.pages_unread", Severity.BLOCKING)
    assert "page(s) 1" in finding.message
    assert "read these pages themselves" in finding.message


def test_without_tesseract_the_pages_are_a_blocking_finding_never_silence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    reading = read_bytes("scan.pdf", scanned_pdf_bytes(SCANNED), ReadingLimits())
    (finding,) = reading.findings
    assert (finding.rule, finding.severity) == ("reading.pages_unread", Severity.BLOCKING)
    assert "OCR is not installed" in finding.message
    assert reading.text.strip() == ""


def test_pages_beyond_the_ocr_limit_are_named_for_the_reviewer() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for _ in range(2):
        writer.append(PdfReader(io.BytesIO(scanned_pdf_bytes(SCANNED[:1]))))
    buffer = io.BytesIO()
    writer.write(buffer)
    reading = read_bytes("two.pdf", buffer.getvalue(), ReadingLimits(max_ocr_pages=1))
    rules = [f.rule for f in reading.findings]
    assert rules == ["reading.limit", "reading.pages_unread", "reading.ocr"]
    assert "page(s) 2" in reading.findings[1].message
    assert reading.ocr_pages == [1]
