"""Reading each format by its content: TXT (UTF-8/GB18030), DOCX, text-layer PDF and OFD with
Chinese text, and the files that cannot be read, each as a finding (never an exception)."""

from __future__ import annotations

import pytest

from policies.findings import Severity
from services.reading.formats import kind_of, read_bytes
from services.reading.limits import ReadingLimits
from tests.documents import (
    docx_bytes,
    encrypted_pdf_bytes,
    ofd_bytes,
    text_pdf_bytes,
)

TEXT = "关于印发实施方案的通知\n秘密★1年\n（此件公开发布）"
LIMITS = ReadingLimits()


def _rules(data: bytes, limits: ReadingLimits = LIMITS) -> list[tuple[str, Severity]]:
    return [(f.rule, f.severity) for f in read_bytes("f", data, limits).findings]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(TEXT.encode("utf-8"), id="UTF-8"),
        pytest.param(TEXT.encode("utf-8-sig"), id="UTF-8 with BOM (Windows Notepad)"),
        pytest.param(TEXT.encode("gb18030"), id="GB18030"),
        pytest.param(TEXT.encode("gbk"), id="GBK is a subset of GB18030"),
    ],
)
def test_plain_text_is_decoded_as_utf8_or_gb18030(data: bytes) -> None:
    reading = read_bytes("通知.txt", data, LIMITS)
    assert (reading.text, reading.findings) == (TEXT, [])


def test_docx_text_has_the_header_first_then_paragraphs_and_tables() -> None:
    text = read_bytes(
        "d",
        docx_bytes(["关于印发实施方案的通知", "联系人：13812345678"], header=["秘密★1年"]),
        LIMITS,
    ).text
    assert text.splitlines()[:3] == ["秘密★1年", "关于印发实施方案的通知", "联系人：13812345678"]


def test_a_chinese_text_layer_pdf_is_read_with_pypdf() -> None:
    data = text_pdf_bytes([["关于加强政务公开工作的通知", "联系电话：0745-5833778"], ["第二页"]])
    reading = read_bytes("p", data, LIMITS)
    assert "关于加强政务公开工作的通知" in reading.text
    assert "0745-5833778" in reading.text
    assert "第二页" in reading.text
    assert (reading.findings, reading.ocr_pages) == ([], [])


def test_an_ofd_is_read_with_ofdkit_page_by_page() -> None:
    data = ofd_bytes([["秘密★5年", "身份证号：11010519491231002X"], ["（此件公开发布）"]])
    assert kind_of(data) == "ofd"
    reading = read_bytes("o.ofd", data, LIMITS)
    assert reading.text == "秘密★5年\n身份证号：11010519491231002X\n\n（此件公开发布）"


def test_an_ofd_beyond_the_page_limit_is_read_up_to_it_with_a_finding() -> None:
    data = ofd_bytes([[f"第{n}页"] for n in range(1, 6)])
    reading = read_bytes("o.ofd", data, ReadingLimits(max_pages=3))
    assert "第3页" in reading.text
    assert "第4页" not in reading.text
    assert [f.rule for f in reading.findings] == ["reading.limit"]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param(b"%PDF-1.7 ...", "pdf", id="PDF by magic"),
        pytest.param(docx_bytes(["x"]), "docx", id="DOCX: a zip with word/document.xml"),
        pytest.param(ofd_bytes([["x"]]), "ofd", id="OFD: a zip with OFD.xml (GB/T 33190 §7.4)"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "legacy", id=".doc/.wps"),
        pytest.param(b"", "empty", id="0 bytes"),
        pytest.param("正文".encode(), "text", id="anything else is text"),
    ],
)
def test_the_kind_is_told_by_content(data: bytes, kind: str) -> None:
    assert kind_of(data) == kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "the file is empty (0 bytes)", id="0-byte file"),
        pytest.param(b"\x80\x80 abc", "neither UTF-8 nor GB18030", id="invalid UTF-8 text"),
        pytest.param(b"PK\x03\x04broken", "DOCX", id="damaged zip"),
        pytest.param(b"%PDF-1.7 broken", "PDF file cannot be read", id="damaged PDF"),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "save it as DOCX", id="legacy .doc"
        ),
    ],
)
def test_unreadable_files_become_a_blocking_finding_that_says_why(
    data: bytes, message: str
) -> None:
    reading = read_bytes("草稿", data, LIMITS)
    (finding,) = reading.findings
    assert reading.text == ""
    assert finding.rule == "reading.unreadable"
    assert finding.severity is Severity.BLOCKING
    assert message in finding.message or (message == "DOCX" and "neither DOCX" in finding.message)
    assert "the reviewer must read the whole file" in finding.message


def test_an_encrypted_pdf_is_a_finding_not_a_crash() -> None:
    reading = read_bytes("enc.pdf", encrypted_pdf_bytes("关于"), LIMITS)
    assert reading.text == ""
    assert "encrypted" in reading.findings[0].message


def test_text_beyond_the_character_limit_is_cut_with_a_finding() -> None:
    reading = read_bytes("long.txt", ("正文" * 600).encode(), ReadingLimits(max_chars=1000))
    assert len(reading.text) == 1000
    assert [f.rule for f in reading.findings] == ["reading.limit"]
    assert "1,000 characters" in reading.findings[0].message
