"""Test-made documents with Chinese text, in every format the engine reads: DOCX (python-docx),
text-layer PDF (reportlab's STSong-Light CID font, no font file needed), scanned image-only PDF
(Pillow draws the text with WenQuanYi Zen Hei from `make ocr`, at 300 dpi), OFD (GB/T 33190,
written by hand: OFD.xml, Document.xml, one Content.xml per page) and the bad files of issue 23
(zip-bomb DOCX, many-page PDF, 1,000 text operations per page, encrypted PDF)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import docx

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")  # Debian fonts-wqy-zenhei


def docx_bytes(lines: list[str], *, header: Sequence[str] = ()) -> bytes:
    """A DOCX with one paragraph per line and the given 版头 lines in its page header."""
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header[0]
        for line in header[1:]:
            document.sections[0].header.add_paragraph(line)
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_pdf_bytes(pages: list[list[str]]) -> bytes:
    """A PDF with a Chinese text layer: one list of lines per page (STSong-Light)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for lines in pages:
        pdf.setFont("STSong-Light", 16)
        for i, line in enumerate(lines):
            pdf.drawString(72, 760 - 30 * i, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def scanned_pdf_bytes(lines: list[str], *, dpi: int = 300) -> bytes:
    """An image-only A4 PDF page (no text layer): the lines drawn in black at 300 dpi."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(CJK_FONT), size=round(dpi / 6))  # about 12 pt
    for i, line in enumerate(lines):
        draw.text((dpi, dpi + i * round(dpi / 3.5)), line, fill=0, font=font)
    buffer = io.BytesIO()
    page.save(buffer, format="PDF", resolution=dpi)
    return buffer.getvalue()


def blank_scan_pdf_bytes() -> bytes:
    """An image-only page with nothing OCR can read (grey noise-free blank)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (850, 1100), 255).save(buffer, format="PDF", resolution=100)
    return buffer.getvalue()


_OFD_NS = "http://www.ofdspec.org/2016"


def ofd_bytes(pages: list[list[str]]) -> bytes:
    """An OFD package (GB/T 33190-2016 §7): one TextObject per line, 4.2 mm characters."""
    files: dict[str, str] = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" '
            'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>test</ofd:DocID>'
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
    }
    page_refs = []
    for n, lines in enumerate(pages):
        page_refs.append(f'<ofd:Page ID="{n + 10}" BaseLoc="Pages/Page_{n}/Content.xml"/>')
        objects = "".join(
            f'<ofd:TextObject ID="{100 * (n + 1) + i}" Boundary="20 {20 + 8 * i} 170 6" '
            f'Font="2" Size="4.2"><ofd:TextCode X="0" Y="4.2">{escape(line)}</ofd:TextCode>'
            "</ofd:TextObject>"
            for i, line in enumerate(lines)
        )
        files[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}">'
            f'<ofd:Content><ofd:Layer ID="{n + 50}">{objects}</ofd:Layer></ofd:Content>'
            "</ofd:Page>"
        )
    files["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}">'
        "<ofd:CommonData><ofd:MaxUnitID>1000</ofd:MaxUnitID><ofd:PageArea>"
        "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
        f"<ofd:Pages>{''.join(page_refs)}</ofd:Pages></ofd:Document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8"))
    return buffer.getvalue()


def zip_bomb_docx_bytes(expanded_bytes: int) -> bytes:
    """A real DOCX whose document.xml expands to about `expanded_bytes` (spaces compress
    about 1000:1): the zip bomb of issue 23."""
    base = zipfile.ZipFile(io.BytesIO(docx_bytes(["炸弹"])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in base.infolist():
            data = base.read(item.filename)
            if item.filename != "word/document.xml":
                archive.writestr(item, data)
                continue
            head, _, tail = data.decode().partition("<w:body>")
            with archive.open("word/document.xml", "w", force_zip64=True) as out:
                out.write((head + "<w:body>").encode())
                chunk = b" " * (1024 * 1024)
                for _ in range(expanded_bytes // len(chunk)):
                    out.write(chunk)
                out.write(tail.encode())
    return buffer.getvalue()


def _raw_pdf(objects: list[bytes], *, trailer_extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, trailer_extra, xref)
    )
    return out.getvalue()


def many_pages_pdf_bytes(pages: int, *, operations_per_page: int = 1) -> bytes:
    """A PDF of many pages sharing one content stream of `operations_per_page` text-showing
    operations: tiny on disk, costly to read (issue 23's 90,000 pages x 1,000 operations)."""
    ops = b"BT /F1 1 Tf " + b"(x) Tj " * operations_per_page + b"ET"
    leaves_per_node = 1000
    nodes = -(-pages // leaves_per_node)
    # 1 catalog, 2 root pages, 3 font, 4 content, 5 one page, 6.. intermediate nodes
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (6 + i) for i in range(nodes)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
        b"<< /Type /Page /Parent 6 0 R /MediaBox [0 0 10 10] /Contents 4 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>",
    ]
    for i in range(nodes):
        count = min(leaves_per_node, pages - i * leaves_per_node)
        objects.append(
            b"<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>"
            % (b" ".join([b"5 0 R"] * count), count)
        )
    return _raw_pdf(objects)


def encrypted_pdf_bytes(text: str) -> bytes:
    """A text-layer PDF that opens only with a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf_bytes([[text]]))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
