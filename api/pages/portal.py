"""The portal's HTML pages and feeds, rendered with the standard library (html.escape, ElementTree).

No JavaScript: every page is plain HTML a screen reader and a crawler can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from api.cursors import encode_position
from api.pages import escape
from policies.calendar import SHANGHAI, local_date
from services.publication.portal import (
    REDACTED_NOTE,
    CataloguePage,
    FeedItem,
    PortalDocument,
)
from services.publication.search import SHORT_TERM_SCAN_ROWS, CatalogueFilters, Cursor, Total
from services.validation import shown_safely

TITLE = "政府信息公开目录"
ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
STYLE = (
    "body{font-family:sans-serif;margin:1.5rem;max-width:72rem}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem}"
    ".marking{font-weight:bold}.validity-annotation{color:#a00;font-weight:bold}"
    ".redacted-note{background:#fff4ce;padding:.5rem}"
)


def document_path(index_number: str) -> str:
    """The page of a published document, addressed by its 索引号."""
    return f"/portal/documents/{quote(index_number, safe='')}"


def file_path(index_number: str, file_id: int) -> str:
    """The download of one public file of a published document."""
    return f"{document_path(index_number)}/files/{file_id}"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        '<link rel="alternate" type="application/atom+xml" href="/portal/feed.atom" title="Atom">'
        '<link rel="alternate" type="application/feed+json" href="/portal/feed.json" title="JSON">'
        f"</head><body>{body}</body></html>"
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
    def field(name: str, label: str, value: object, kind: str = "text") -> str:
        shown = escape(str(value)) if value else ""
        return f'<label>{label} <input type="{kind}" name="{name}" value="{shown}"></label> '

    return (
        '<form method="get" action="/portal" role="search">'
        + field("q", "关键词", filters.q, "search")
        + field("title", "名称", filters.title)
        + field("doc_number", "文号", filters.doc_number)
        + field("organ", "发布机构", filters.organ)
        + field("written_from", "成文日期自", filters.written_from, "date")
        + field("written_to", "至", filters.written_to, "date")
        + '<button type="submit">检索</button></form>'
    )


def catalogue_html(
    page: CataloguePage, filters: CatalogueFilters, *, per_page: int, first: bool
) -> str:
    """The catalogue with the fields of 条例 art. 12 ¶3, marking and 有效性."""
    entries = page.entries
    rows = "".join(
        "<tr>"
        f"<td>{escape(e.index_number)}</td>"
        f'<td><a href="{document_path(e.index_number)}">{escape(e.title)}</a>'
        f"{'<br>' + escape(e.doc_number) if e.doc_number else ''}</td>"
        f"<td>{escape(e.summary)}</td>"
        f"<td>{e.written_on.isoformat()}</td>"
        f"<td>{escape(e.organ)}</td>"
        f'<td class="marking">{escape(e.marking_text)}</td>'
        f'<td class="validity">{escape(e.validity.label)}</td>'
        "</tr>"
        for e in entries
    )
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
    empty = "" if entries or page.scan_stopped else "<p>没有符合条件的文件。</p>"
    body = (
        f"<h1>{TITLE}</h1>{_search_form(filters)}"
        f'<p class="total">{escape(total_text(page.total))}</p>'
        "<table><thead><tr><th>索引号</th><th>名称</th><th>内容概述</th><th>成文日期</th>"
        "<th>发布机构</th><th>公开属性</th><th>有效性</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{empty}{stopped}"
        f"<nav>{' '.join(links)}</nav>"
        '<p><a href="/portal/feed.atom">Atom</a> · <a href="/portal/feed.json">JSON Feed</a></p>'
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


def document_html(page: PortalDocument) -> str:
    """One published document: metadata, marking, validity annotation, files, interpretation."""
    e = page.entry
    annotation = page.annotation
    latest = page.validity_notes[-1] if page.validity_notes else None
    validity = escape(e.validity.label)
    if annotation:
        link = ""
        if latest is not None and latest.linked_index_number:
            link = (
                f' <a class="amended-by" href="{document_path(latest.linked_index_number)}">'
                "查看相关文件</a>"
            )
        validity = f'<span class="validity-annotation">{escape(annotation)}</span>{link}'
    download = "<p>暂无可下载的文件。</p>"
    if page.file is not None:
        download = (
            f'<p><a class="download" href="{file_path(e.index_number, page.file.id)}">'
            f"下载：{escape(page.file.name)}</a> ({_size(page.file.size_bytes)})</p>"
        )
    redacted = f'<p class="redacted-note">{REDACTED_NOTE}</p>' if e.is_redacted else ""
    interpretation = "".join(
        f'<li><a href="{file_path(e.index_number, f.id)}">{escape(f.name)}</a></li>'
        for f in page.interpretation
    )
    history = "".join(
        f"<li>{_beijing_date(n.recorded_at)} {escape(n.text)}：{escape(n.reason)}</li>"
        for n in page.validity_notes
    )
    body = (
        f'<p><a href="/portal">返回目录</a></p><h1>{escape(e.title)}</h1>'
        "<table>"
        f"<tr><th>索引号</th><td>{escape(e.index_number)}</td></tr>"
        f"<tr><th>文号</th><td>{escape(e.doc_number or '')}</td></tr>"
        f"<tr><th>发布机构</th><td>{escape(e.organ)}</td></tr>"
        f"<tr><th>成文日期</th><td>{e.written_on.isoformat()}</td></tr>"
        f"<tr><th>发布日期</th><td>{_beijing_date(e.published_at)}</td></tr>"
        f'<tr><th>公开属性</th><td class="marking">{escape(e.marking_text)}</td></tr>'
        f'<tr><th>有效性</th><td class="validity">{validity}</td></tr>'
        f"<tr><th>内容概述</th><td>{escape(e.summary)}</td></tr>"
        "</table>"
        f"{redacted}{download}"
        + (f"<h2>政策解读</h2><ul>{interpretation}</ul>" if interpretation else "")
        + (f"<h2>有效性变更</h2><ul>{history}</ul>" if history else "")
    )
    return _page(e.title, body)


def withdrawn_html(notice: str) -> str:
    """The page of a withdrawn document: the notice only, nothing of its content."""
    body = (
        f'<h1>已撤回</h1><p class="notice">{escape(notice)}</p>'
        '<p><a href="/portal">返回目录</a></p>'
    )
    return _page("已撤回", body)


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
