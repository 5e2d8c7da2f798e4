"""The portal's HTML pages and feeds, rendered with the standard library (html.escape, ElementTree).

No JavaScript: every page is plain HTML a screen reader and a crawler can read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from api.cursors import encode_position
from api.pages import TEMPLATES, escape
from policies.calendar import SHANGHAI, local_date
from services.publication.portal import (
    REDACTED_NOTE,
    CatalogueEntry,
    CataloguePage,
    FeedItem,
    PortalDocument,
    PortalFile,
)
from services.publication.search import (
    MAX_TERM_CHARS,
    SHORT_TERM_SCAN_ROWS,
    CatalogueFilters,
    Cursor,
    Total,
)
from services.publication.texts import SHOWN_CHARS, PublishedText
from services.validation import shown_safely

TITLE = "政府信息公开目录"
ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
STYLESHEET = (TEMPLATES / "portal.css").read_bytes()
# The stylesheet's address carries its hash, so a browser may keep it for a year.
STYLESHEET_PATH = f"/portal/style.css?v={hashlib.sha256(STYLESHEET).hexdigest()[:12]}"


def document_path(index_number: str) -> str:
    """The page of a published document, addressed by its 索引号."""
    return f"/portal/documents/{quote(index_number, safe='')}"


def file_path(index_number: str, file_id: int) -> str:
    """The download of one public file of a published document."""
    return f"{document_path(index_number)}/files/{file_id}"


def interpretation_path(index_number: str, file_id: int) -> str:
    """The page of one 政策解读 of a published document."""
    return f"{document_path(index_number)}/interpretations/{file_id}"


def _page(title: str, body: str, *, crumbs: Sequence[tuple[str, str | None]] = ()) -> str:
    """The portal's one layout: skip link, banner, breadcrumb, main, footer (landmarks)."""
    trail = ""
    if crumbs:
        items = "".join(
            f'<li><a href="{href}">{escape(label)}</a></li>'
            if href
            else f'<li aria-current="page">{escape(label)}</li>'
            for label, href in crumbs
        )
        trail = f'<nav class="breadcrumb" aria-label="当前位置"><ol>{items}</ol></nav>'
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title if title == TITLE else f'{title} - {TITLE}')}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">'
        '<link rel="alternate" type="application/atom+xml" href="/portal/feed.atom" title="Atom">'
        '<link rel="alternate" type="application/feed+json" href="/portal/feed.json" title="JSON">'
        '</head><body><a class="skip-link" href="#main">跳到主要内容</a>'
        f'<header class="site-header"><div class="bar"><p class="site-name">'
        f'<a href="/portal">{TITLE}</a></p></div></header>'
        f'<main id="main" tabindex="-1">{trail}{body}</main>'
        '<footer class="site-footer"><div class="bar"><p>订阅更新：'
        '<a href="/portal/feed.atom">Atom</a> · <a href="/portal/feed.json">JSON Feed</a></p>'
        "</div></footer></body></html>"
    )


def catalogue_link(filters: CatalogueFilters, per_page: int, cursor: Cursor | None = None) -> str:
    """The catalogue's address for these filters, from the start or after `cursor`."""
    values: dict[str, Any] = {
        "q": filters.q,
        "title": filters.title,
        "doc_number": filters.doc_number,
        "organ": filters.organ,
        "written_from": filters.written_from.isoformat() if filters.written_from else None,
        "written_to": filters.written_to.isoformat() if filters.written_to else None,
        "cursor": _token(cursor),
        "per_page": per_page,
    }
    return "/portal?" + urlencode({k: v for k, v in values.items() if v})


def _token(cursor: Cursor | None) -> str | None:
    return None if cursor is None else encode_position(cursor.published_at, cursor.publication_id)


def total_text(total: Total) -> str:
    """The total as the page says it: exact, capped (以上) or counted among the newest rows."""
    if total.within is not None:
        return f"最近发布的 {total.within:,} 件中有 {total.count:,} 件符合条件"
    return f"共 {total.count:,} 件以上" if total.at_least else f"共 {total.count:,} 件"


def _search_form(filters: CatalogueFilters) -> str:
    """A GET form: it works without JavaScript, and its answer is a page that can be linked."""

    def field(name: str, label: str, value: object, kind: str = "text") -> str:
        shown = escape(str(value)) if value else ""
        return (
            f'<label for="q-{name}">{label}'
            f'<input id="q-{name}" type="{kind}" name="{name}" value="{shown}"></label>'
        )

    return (
        '<form class="search" method="get" action="/portal" role="search" aria-label="检索文件">'
        + field("q", "关键词", filters.q, "search")
        + field("title", "名称", filters.title)
        + field("doc_number", "文号", filters.doc_number)
        + field("organ", "发布机构", filters.organ)
        + field("written_from", "成文日期自", filters.written_from, "date")
        + field("written_to", "成文日期至", filters.written_to, "date")
        + '<button type="submit">检索</button></form>'
    )


def _class(css: str) -> str:
    return f' class="{css}"' if css else ""


def _section(key: str, heading: str, content: str) -> str:
    """A titled part of a page (a region named by its heading)."""
    return (
        f'<section aria-labelledby="{key}-heading"><h2 id="{key}-heading">{heading}</h2>'
        f"{content}</section>"
    )


COLUMNS = ("索引号", "名称", "内容概述", "成文日期", "发布机构", "公开属性", "有效性")


def _catalogue_row(e: CatalogueEntry) -> str:
    number = f'<span class="doc-number">{escape(e.doc_number)}</span>' if e.doc_number else ""
    cells = (
        ("nowrap", escape(e.index_number)),
        ("", f'<a href="{document_path(e.index_number)}">{escape(e.title)}</a>{number}'),
        ("", escape(e.summary)),
        ("nowrap", e.written_on.isoformat()),
        ("", escape(e.organ)),
        ("marking nowrap", escape(e.marking_text)),
        ("validity nowrap", escape(e.validity.label)),
    )
    return (
        "<tr>"
        + "".join(
            f'<td data-label="{label}"{_class(css)}>{content}</td>'
            for label, (css, content) in zip(COLUMNS, cells, strict=True)
        )
        + "</tr>"
    )


def catalogue_html(
    page: CataloguePage, filters: CatalogueFilters, *, per_page: int, first: bool
) -> str:
    """The catalogue with the fields of 条例 art. 12 ¶3, marking and 有效性."""
    entries = page.entries
    rows = "".join(_catalogue_row(e) for e in entries)
    links = []
    if not first:
        links.append(
            f'<a rel="first" href="{escape(catalogue_link(filters, per_page))}">第一页</a>'
        )
    if page.next_cursor is not None:
        href = escape(catalogue_link(filters, per_page, page.next_cursor))
        label = "继续检索更早的文件" if page.scan_stopped else "下一页"
        links.append(f'<a rel="next" href="{href}">{label}</a>')
    stopped = ""
    if page.scan_stopped and page.next_cursor is not None:
        day = _beijing_date(page.next_cursor.published_at)
        stopped = (
            f'<p class="scan-stopped">一至两个字的检索每页最多查看 {SHORT_TERM_SCAN_ROWS:,} 件：'
            f"已查到 {day} 发布的文件，更早的请点“继续检索更早的文件”，或输入更多的字。</p>"
        )
    searched = any(getattr(filters, f) for f in CatalogueFilters.__slots__)
    caption = "检索结果" if searched else "最新公开的文件"
    listing = (
        '<table class="results">'
        f"<caption>{caption}</caption><thead><tr>"
        + "".join(f'<th scope="col">{c}</th>' for c in COLUMNS)
        + f"</tr></thead><tbody>{rows}</tbody></table>"
        if entries
        else ("" if page.scan_stopped else '<p class="empty">没有符合条件的文件。</p>')
    )
    body = (
        f"<h1>{TITLE}</h1>{_search_form(filters)}"
        f'<p class="total">{escape(total_text(page.total))}</p>{listing}{stopped}'
        f'<nav class="pages" aria-label="分页">{" ".join(links)}</nav>'
    )
    return _page(TITLE, body)


def catalogue_json(page: CataloguePage, filters: CatalogueFilters, *, per_page: int) -> Any:
    """The page as the catalogue's JSON variant: items, the next page's cursor and link, and
    the total with how it was counted."""
    following = page.next_cursor
    return {
        "per_page": per_page,
        "items": [e.as_json() | {"url": document_path(e.index_number)} for e in page.entries],
        "has_next": following is not None,
        "next_cursor": _token(following),
        "next": catalogue_link(filters, per_page, following) if following else None,
        "scan_stopped": page.scan_stopped,
        "total": {
            "count": page.total.count,
            "at_least": page.total.at_least,
            "counted_within_newest": page.total.within,
            "text": total_text(page.total),
        },
    }


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B"


def _download(index_number: str, file: PortalFile) -> str:
    return (
        f'<a class="download" href="{file_path(index_number, file.id)}">'
        f"下载：{escape(file.name)}</a>（{_size(file.size_bytes)}）"
    )


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs: each non-blank line, without the indent the page adds itself."""
    return [line.strip(" \t\u3000") for line in text.splitlines() if line.strip(" \t\u3000")]


def _text_html(text: PublishedText | None) -> str:
    """The kept text of a public file: paragraphs (TXT, DOCX, OFD) or the PDF's lines, with
    notes where the page cannot show it all."""
    if text is None or not text.text.strip():
        return '<p class="reading-note">本文件暂无可显示的文字，请下载文件查看。</p>'
    notes = []
    if text.ocr_pages:
        pages = "、".join(str(n) for n in text.ocr_pages)
        notes.append(f"第 {pages} 页的文字由图像识别（OCR）得到，可能有误，以下载的文件为准。")
    if text.incomplete:
        notes.append("部分内容未能提取，以下载的文件为准。")
    if text.cut:
        notes.append(f"正文较长，本页只显示前 {SHOWN_CHARS:,} 字，全文请下载。")
    note = "".join(f'<p class="reading-note">{n}</p>' for n in notes)
    if text.is_pdf:
        shown = f'<p class="pdf-lines">{escape(text.text.strip())}</p>'
        note = f'<p class="reading-note">以下文字由 PDF 文件提取，以下载的文件为准。</p>{note}'
    else:
        shown = "".join(f"<p>{escape(p)}</p>" for p in paragraphs(text.text))
    return f"{note}{shown}"


def _validity_cell(page: PortalDocument) -> str:
    latest = page.validity_notes[-1] if page.validity_notes else None
    if not page.annotation:
        return escape(page.entry.validity.label)
    link = ""
    if latest is not None and latest.linked_index_number:
        link = (
            f' <a class="amended-by" href="{document_path(latest.linked_index_number)}">'
            "查看相关文件</a>"
        )
    return f'<span class="validity-annotation">{escape(page.annotation)}</span>{link}'


def _metadata(page: PortalDocument) -> str:
    """The official metadata table (条例 art. 12 ¶3; seed 000 §三(二十二); seed 004 §二(二))."""
    e = page.entry
    rows = (
        ("索引号", escape(e.index_number), ""),
        ("发布机构", escape(e.organ), ""),
        ("成文日期", e.written_on.isoformat(), ""),
        ("发布日期", _beijing_date(e.published_at), ""),
        ("文号", escape(e.doc_number or "无"), ""),
        ("公开属性", escape(e.marking_text), "marking"),
        ("有效性", _validity_cell(page), "validity"),
    )
    return (
        '<table class="metadata"><caption>文件信息</caption><tbody>'
        + "".join(
            f'<tr><th scope="row">{label}</th><td{_class(css)}>{value}</td></tr>'
            for label, value, css in rows
        )
        + "</tbody></table>"
    )


def document_html(page: PortalDocument) -> str:
    """One published document: metadata, then its text (the kept reading of the published file),
    then its files and its 政策解读, each of which links back here."""
    e = page.entry
    redacted = f'<p class="redacted-note">{REDACTED_NOTE}</p>' if e.is_redacted else ""
    files = "<p>暂无可下载的文件。</p>"
    if page.file is not None:
        files = f'<ul class="files"><li>{_download(e.index_number, page.file)}</li></ul>'
    interpretation = "".join(
        f'<li><a href="{interpretation_path(e.index_number, f.id)}">{escape(f.name)}</a>'
        f' · <a class="download" href="{file_path(e.index_number, f.id)}">下载原文件</a>'
        f"（{_size(f.size_bytes)}）</li>"
        for f in page.interpretation
    )
    history = "".join(
        f"<li>{_beijing_date(n.recorded_at)} {escape(n.text)}：{escape(n.reason)}</li>"
        for n in page.validity_notes
    )
    body = (
        f"<h1>{escape(e.title)}</h1>{_metadata(page)}{redacted}"
        + _section("text", "正文", f'<div class="document-text">{_text_html(page.text)}</div>')
        + _section("files", "文件下载", files)
        + (
            _section("interpretation", "政策解读", f'<ul class="files">{interpretation}</ul>')
            if interpretation
            else ""
        )
        + (_section("history", "有效性变更", f"<ul>{history}</ul>") if history else "")
    )
    return _page(e.title, body, crumbs=[("首页", "/portal"), (e.title, None)])


def interpretation_html(page: PortalDocument, file_id: int) -> str:
    """One 政策解读 of a published document: its kept text, linked back to the document."""
    e = page.entry
    material = page.interpretation_file(file_id)
    back = f'<a class="interpreted" href="{document_path(e.index_number)}">{escape(e.title)}</a>'
    text = _text_html(page.texts.get(file_id))
    body = (
        f"<h1>{escape(material.name)}</h1>"
        f'<p class="interprets">解读的文件：《{back}》</p>'
        + _section("text", "解读内容", f'<div class="document-text">{text}</div>')
        + _section(
            "files",
            "文件下载",
            f'<ul class="files"><li>{_download(e.index_number, material)}</li></ul>',
        )
    )
    crumbs = [("首页", "/portal"), (e.title, document_path(e.index_number)), ("政策解读", None)]
    return _page(material.name, body, crumbs=crumbs)


def withdrawn_html(notice: str) -> str:
    """The page of a withdrawn document (410): the notice only, nothing of its content."""
    body = f'<h1>该文件已撤回</h1><p class="notice">{escape(notice)}</p>{_back_to_catalogue()}'
    return _page("已撤回", body)


def not_found_html() -> str:
    """The page of an unknown 索引号 (404): unknown and unpublished look the same."""
    body = (
        "<h1>未找到该文件</h1><p>没有以此索引号公开的文件。请检查地址，或在目录中检索。</p>"
        f"{_search_form(CatalogueFilters())}{_back_to_catalogue()}"
    )
    return _page("未找到", body)


# What each field of a portal address takes, told to a citizen whose request was refused (422).
SEARCH_FIELDS = {
    "q": ("关键词", f"最多 {MAX_TERM_CHARS} 个字，不含控制字符"),
    "title": ("名称", f"最多 {MAX_TERM_CHARS} 个字，不含控制字符"),
    "doc_number": ("文号", "最多 100 个字，不含控制字符"),
    "organ": ("发布机构", f"机构名称或代码，最多 {MAX_TERM_CHARS} 个字"),
    "written_from": ("成文日期自", "请按“年-月-日”填写，如 2025-03-01"),
    "written_to": ("成文日期至", "请按“年-月-日”填写，如 2025-03-01"),
    "cursor": ("翻页位置", "请使用上一页“下一页”链接，或从第一页开始，最多 200 个字"),
    "per_page": ("每页条数", "1 至 100 的整数"),
    "index_number": ("索引号", "最多 100 个字，不含控制字符"),
    "file_id": ("文件编号", "正整数"),
}


def invalid_search_html(fields: Sequence[str]) -> str:
    """The page of a refused search or address (422): each field named as the page names it,
    and what it takes; nothing was searched."""
    items = "".join(
        f"<li>{label}：{hint}</li>"
        for label, hint in (
            SEARCH_FIELDS.get(name, (escape(name), "填写有误，请修改")) for name in fields
        )
    )
    body = (
        f"<h1>检索条件有误</h1><p>以下检索条件无法使用，请修改后重新检索：</p>"
        f'<ul class="refusals">{items}</ul>{_search_form(CatalogueFilters())}{_back_to_catalogue()}'
    )
    return _page("检索条件有误", body)


def _back_to_catalogue() -> str:
    return '<p><a href="/portal">返回政府信息公开目录</a></p>'


def _rfc3339(moment: datetime) -> str:
    """A feed timestamp: Beijing time with its offset (RFC 3339, e.g. 2026-12-06T06:35:00+08:00)."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _beijing_date(moment: datetime) -> str:
    """The Beijing calendar date of an instant (a publication at 06:35 Beijing time on 12-06 is
    dated 12-06, not the UTC 12-05)."""
    return local_date(moment).isoformat()


def _entry_id(item: FeedItem) -> str:
    return f"tag:gongkai-review,2026:{quote(item.id, safe=':')}"


def _tombstone(feed: ET.Element, item: FeedItem, base_url: str) -> None:
    """RFC 6721: `at:deleted-entry` naming the withdrawn publication's entry, with the notice."""
    deleted = ET.SubElement(
        feed,
        f"{{{TOMBSTONES}}}deleted-entry",
        {"ref": _entry_id(item), "when": _rfc3339(item.updated)},
    )
    ET.SubElement(
        deleted,
        f"{{{ATOM}}}link",
        {"rel": "alternate", "href": f"{base_url}{document_path(item.index_number)}"},
    )
    ET.SubElement(deleted, f"{{{TOMBSTONES}}}comment").text = item.summary


def atom_feed(items: Iterable[FeedItem], *, base_url: str) -> bytes:
    """Atom 1.0 (RFC 4287): one entry per publication and per validity change, and an RFC 6721
    tombstone per withdrawal."""
    items = list(items)
    ET.register_namespace("", ATOM)
    ET.register_namespace("at", TOMBSTONES)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = None if text is None else shown_safely(text)
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", "tag:gongkai-review,2026:portal")
    sub(feed, "title", TITLE)
    updated = max((i.updated for i in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    sub(feed, "updated", _rfc3339(updated))
    sub(feed, "link", rel="self", href=f"{base_url}/portal/feed.atom")
    sub(feed, "link", rel="alternate", href=f"{base_url}/portal")
    author = sub(feed, "author")
    sub(author, "name", "政务公开工作机构")
    for item in items:
        if item.kind == "withdrawn":
            _tombstone(feed, item, base_url)
            continue
        entry = sub(feed, "entry")
        sub(entry, "id", _entry_id(item))
        sub(entry, "title", item.title)
        sub(entry, "updated", _rfc3339(item.updated))
        sub(entry, "link", rel="alternate", href=f"{base_url}{document_path(item.index_number)}")
        sub(entry, "category", term=item.kind)
        sub(entry, "summary", item.summary)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data


def json_feed(items: Iterable[FeedItem], *, base_url: str) -> dict[str, Any]:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": TITLE,
        "home_page_url": f"{base_url}/portal",
        "feed_url": f"{base_url}/portal/feed.json",
        "language": "zh-CN",
        "items": [
            {
                "id": _entry_id(item),
                "url": f"{base_url}{document_path(item.index_number)}",
                "title": shown_safely(item.title),
                "content_text": shown_safely(item.summary),
                "date_modified": _rfc3339(item.updated),
                "tags": [item.kind],
                **({"_gongkai": {"withdrawn": True}} if item.kind == "withdrawn" else {}),
            }
            for item in items
        ],
    }


def dumps(data: Any) -> bytes:
    """JSON as UTF-8 without escaping Chinese."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
