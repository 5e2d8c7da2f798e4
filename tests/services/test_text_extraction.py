"""Text extraction for the pre-screen: TXT in UTF-8/GB18030, DOCX, PDF, and clear refusals."""

from __future__ import annotations

import io

import docx
import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from services.text_extraction import TextNotExtractable, decode_plain_text, extract_text

TEXT = "关于印发实施方案的通知\n秘密★1年\n（此件公开发布）"


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("关于印发实施方案的通知")
    document.sections[0].header.paragraphs[0].text = "秘密★1年"
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "联系人"
    table.rows[0].cells[1].text = "13812345678"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_bytes(text: str) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


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
    assert extract_text(data, filename="通知.txt") == TEXT


def test_text_in_neither_encoding_is_refused_with_a_clear_message() -> None:
    # 0x80 alone is invalid in UTF-8 and in GB18030 (lead bytes are 0x81-0xFE).
    with pytest.raises(TextNotExtractable, match="neither UTF-8 nor GB18030"):
        decode_plain_text(b"\x80\x80 abc")


def test_docx_text_includes_paragraphs_tables_and_headers() -> None:
    text = extract_text(_docx_bytes(), filename="draft.docx")
    assert "关于印发实施方案的通知" in text
    assert "联系人\t13812345678" in text
    assert "秘密★1年" in text


def test_pdf_text_is_extracted_with_pypdf() -> None:
    data = _pdf_bytes("ID 11010519491231002X")
    assert "11010519491231002X" in extract_text(data, filename="scan.bin.pdf")
    assert "11010519491231002X" in extract_text(data, filename="no-suffix")  # by magic bytes


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        pytest.param(b"PK\x03\x04broken", "draft.docx", "DOCX file cannot be opened", id="docx"),
        pytest.param(b"%PDF-1.7 broken", "draft.pdf", "PDF file cannot be read", id="pdf"),
        pytest.param(b"\xd0\xcf\x11\xe0", "draft.doc", "type '.doc'", id="legacy .doc"),
    ],
)
def test_damaged_or_unsupported_files_are_refused(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(TextNotExtractable, match=message):
        extract_text(data, filename=filename)
