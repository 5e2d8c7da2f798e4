"""The reviewer's page: the document under review, each file with its extracted text, the
pre-screen evidence listed and highlighted where it was found. Every value is escaped here."""

from __future__ import annotations

from html import escape

from policies.prescreen import Evidence
from services.review.reading import FileReading, Reading

_STYLE = (
    "body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; } "
    "pre { white-space: pre-wrap; background: #f6f6f6; padding: 1rem; } "
    "mark { background: #ffd54f; } .meta { color: #555; }"
)


def _highlighted(text: str, evidence: list[Evidence], prefix: str) -> str:
    """The text, escaped, with each piece of evidence marked (<mark id=…>) where it was found."""
    parts: list[str] = []
    position = 0
    for number, item in enumerate(sorted(evidence, key=lambda e: e.offset), start=1):
        if item.offset < position:  # overlapping matches: the first one is marked
            continue
        end = item.offset + item.length
        parts.append(escape(text[position : item.offset]))
        parts.append(
            f'<mark id="{prefix}-{number}" title="{escape(item.kind.label)}">'
            f"{escape(text[item.offset : end])}</mark>"
        )
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def _file_section(document_id: int, index: int, reading: FileReading) -> str:
    stored = reading.file
    prefix = f"f{index}"
    link = f"/review/documents/{document_id}/files/{stored.id}"
    head = (
        f'<h2>{escape(reading.kind)}: <a href="{escape(link)}">{escape(stored.original_name)}</a>'
        f'</h2><p class="meta">{stored.size_bytes} bytes · {escape(stored.media_type)} · '
        f"sha256 {escape(stored.sha256)}</p>"
    )
    if reading.unreadable:
        return head + f'<p class="error">{escape(reading.unreadable)}</p>'
    listed = "".join(
        f'<li><a href="#{prefix}-{n}">{escape(e.kind.label)}</a> — line {e.line}, column '
        f"{e.column}: {escape(e.text)}{escape(' (' + e.detail + ')' if e.detail else '')}</li>"
        for n, e in enumerate(sorted(reading.evidence, key=lambda e: e.offset), start=1)
    )
    evidence = (
        f"<h3>预审发现 (pre-screen evidence, never a decision)</h3><ol>{listed}</ol>"
        if listed
        else "<h3>预审发现</h3><p>（无）</p>"
    )
    text = _highlighted(reading.text, reading.evidence, prefix)
    return head + evidence + f'<h3>全文 (extracted text)</h3><pre id="{prefix}-text">{text}</pre>'


def review_page(reading: Reading, *, user_name: str) -> str:
    """The whole page."""
    document, record = reading.document, reading.record
    marking = record.marking
    attribute = (
        f"{escape(marking.attribute.label)} ({escape(marking.attribute.value)})" if marking else ""
    )
    reasons = escape(", ".join(marking.reason_codes)) if marking else ""
    sections = "".join(
        _file_section(document.id or 0, index, file)
        for index, file in enumerate(reading.files, start=1)
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>审阅 · {escape(document.title)}</title><style>{_STYLE}</style></head><body>"
        f'<p class="meta">Signed in as {escape(user_name)} · '
        '<form method="post" action="/review/logout" style="display:inline">'
        '<button type="submit">Sign out</button></form></p>'
        f"<h1>{escape(document.title)}</h1>"
        f"<ul><li>文号: {escape(document.doc_number or '（无）')}</li>"
        f"<li>状态: {escape(document.status.value)}</li>"
        f"<li>公开属性: {attribute} {reasons}</li>"
        f"<li>Version {record.version.number} (id {record.version.id})</li></ul>"
        f"{sections}</body></html>"
    )
