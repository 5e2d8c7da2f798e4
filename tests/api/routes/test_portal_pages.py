"""Issue 27: the portal's document page as citizens expect it, over HTTP (SQLite and PostgreSQL).

The official metadata table (条例 art. 12 ¶3; seed 000 §三(二十二) 有效性; seed 004 §二(二) the
annotation), then the text itself — the reading kept when the review read the published file
(先审查、后公开: 保密法实施条例 2024 art. 42), never a new extraction — then the files and the
政策解读 (seed 000 §三(十八)), linked both ways. 删减后公开 shows the redacted version only
(seed 001 §二(四)1); a withdrawn document answers 410 (domain §10 rule 21), an unknown one 404.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session, col, select

from api.pages.portal import SEARCH_FIELDS
from config.settings import Settings
from models.db import session_scope
from models.documents import Document
from models.files import StoredFile
from models.organs import Organ
from models.readings import FileReading
from models.users import User
from services.accounts import assign_organ
from services.publication.texts import SHOWN_CHARS
from services.review.checks import DEFAULT_TERMS
from services.review.materials import material_for_review
from tests.api.conftest import Person, TestClient
from tests.documents import docx_bytes, text_pdf_bytes
from tests.factories import T0
from tests.publication_helpers import publish, publish_reviewed, withdraw

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOTICE = [
    "关于做好春季农业生产工作的通知",
    "各乡镇人民政府，县直各部门：",
    "　　为切实抓好今年春季农业生产，现将有关事项通知如下。",
    "一、提高思想认识",
    "此件公开发布",
]


class _Page(HTMLParser):
    """What a citizen's browser would read: the metadata rows, the text's paragraphs, links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str]] = []
        self.paragraphs: list[str] = []
        self.links: dict[str, str] = {}
        self._stack: list[tuple[str, dict[str, Any]]] = []
        self._text = ""
        self._th = ""
        self._in_text = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "div" and values.get("class") == "document-text":
            self._in_text = len(self._stack) + 1
        self._stack.append((tag, values))
        if tag in {"th", "td", "p", "a"}:
            self._text = ""

    def handle_endtag(self, tag: str) -> None:
        _opened, values = self._stack.pop()
        if self._in_text and len(self._stack) < self._in_text:
            self._in_text = 0
        if tag == "th":
            self._th = self._text
        elif tag == "td" and self._th:
            self.rows.append((self._th, self._text))
            self._th = ""
        elif tag == "p" and self._in_text and "reading-note" not in (values.get("class") or ""):
            self.paragraphs.append(self._text)
        elif tag == "a":
            self.links[self._text] = values.get("href") or ""

    def handle_data(self, data: str) -> None:
        self._text += data


def read_page(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    return parser


def test_the_page_shows_the_official_metadata_in_order_then_the_docx_text_as_paragraphs_art_12(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish_reviewed(
        app.state.engine,
        settings,
        title="关于做好春季农业生产工作的通知",
        doc_number="麻府办发〔2025〕7号",
        organ_name="麻江县人民政府办公室",
        main_file=(docx_bytes(NOTICE), "通知.docx", DOCX),
    )
    answer = client.get(f"/portal/documents/{pub.index_number}")
    assert answer.status_code == 200
    page = read_page(answer.text)
    assert page.rows == [
        ("索引号", pub.index_number),
        ("发布机构", "麻江县人民政府办公室"),
        ("成文日期", "2025-03-01"),
        ("发布日期", "2025-03-03"),  # T0 + 1 h, in Beijing
        ("文号", "麻府办发〔2025〕7号"),
        ("公开属性", "此件公开发布"),
        ("有效性", "有效"),
    ]
    # The DOCX's paragraphs as the reading kept them, the printed indent left to the stylesheet.
    assert page.paragraphs == [line.strip("　") for line in NOTICE]
    assert (
        page.links["下载：通知.docx"] == f"/portal/documents/{pub.index_number}/files/{pub.file_id}"
    )
    assert '<link rel="stylesheet" href="/portal/style.css?v=' in answer.text
    # No script runs on a public page (the text is escaped; the policy is the second lock).
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy


def test_the_text_is_the_kept_reading_never_read_again_from_the_file_issue_23(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish_reviewed(
        app.state.engine, settings, text="第一段正文。\n\n第二段正文。\n此件公开发布"
    )
    with Session(app.state.engine) as session:
        kept = session.exec(
            select(FileReading).where(col(FileReading.file_id) == pub.file_id)
        ).one()
        assert kept.text == "第一段正文。\n\n第二段正文。\n此件公开发布"
        stored = session.get(StoredFile, pub.file_id)
        assert stored is not None
        # The file is gone from storage and its kept reading says something else: a page that
        # read the file again would fail or show the old words.
        (settings.files_dir / stored.storage_path).unlink()
        kept.text = "审查时读到的第一段。\n审查时读到的第二段。"
        session.add(kept)
        session.commit()
    page = read_page(client.get(f"/portal/documents/{pub.index_number}").text)
    assert page.paragraphs == ["审查时读到的第一段。", "审查时读到的第二段。"]


def test_a_pdf_shows_its_extracted_lines_with_the_file_for_download(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pdf = text_pdf_bytes([["关于开展防汛检查的通知", "各有关单位：请于五月底前完成检查。"]])
    pub = publish_reviewed(
        app.state.engine, settings, main_file=(pdf, "防汛通知.pdf", "application/pdf")
    )
    html = client.get(f"/portal/documents/{pub.index_number}").text
    page = read_page(html)
    (lines,) = page.paragraphs
    assert lines.splitlines() == ["关于开展防汛检查的通知", "各有关单位：请于五月底前完成检查。"]
    assert '<p class="pdf-lines">' in html
    assert "以下文字由 PDF 文件提取，以下载的文件为准。" in html
    assert "下载：防汛通知.pdf" in page.links


def test_a_redacted_document_shows_only_the_redacted_text_seed_001(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish_reviewed(
        app.state.engine,
        settings,
        attribute="redacted",
        text="原文：征收范围涉及张三的房屋，身份证号略。",
        redacted_text="删减后的公告：征收范围见附图。\n此件删减后公开",
    )
    html = client.get(f"/portal/documents/{pub.index_number}").text
    page = read_page(html)
    assert page.paragraphs == ["删减后的公告：征收范围见附图。", "此件删减后公开"]
    assert "张三" not in html
    assert "原文" not in html
    assert "本文件依法删减后公开" in html
    assert ("公开属性", "此件删减后公开") in page.rows


def test_interpretation_material_and_document_link_each_other_seed_000(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish_reviewed(
        app.state.engine,
        settings,
        title="关于印发农村集体土地征收补偿办法的通知",
        interpretation_text="一图读懂征收补偿办法\n补偿标准按新办法执行。",
    )
    document = f"/portal/documents/{pub.index_number}"
    page = read_page(client.get(document).text)
    to_material = page.links["interpretation_material.txt"]
    assert re.fullmatch(rf"{re.escape(document)}/interpretations/\d+", to_material)
    answer = client.get(to_material)
    assert answer.status_code == 200
    material = read_page(answer.text)
    assert material.paragraphs == ["一图读懂征收补偿办法", "补偿标准按新办法执行。"]
    assert material.links["关于印发农村集体土地征收补偿办法的通知"] == document
    # The published file itself is not an interpretation of it.
    missing = client.get(f"{document}/interpretations/{pub.file_id}")
    assert missing.status_code == 404
    assert "未找到该文件" in missing.text


def test_a_file_no_review_read_shows_no_text_but_its_download(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish(app.state.engine, settings, read=False)  # nothing read, so nothing kept
    html = client.get(f"/portal/documents/{pub.index_number}").text
    assert "本文件暂无可显示的文字，请下载文件查看。" in html
    assert read_page(html).paragraphs == []
    assert "下载：正文.txt" in read_page(html).links


def test_a_long_text_is_shown_up_to_its_bound_and_says_so(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    line = "第" + "一" * 97 + "条。"  # 100 characters, 101 with its line break
    lines = SHOWN_CHARS // 100 + 50
    pub = publish_reviewed(app.state.engine, settings, text="\n".join([line] * lines))
    html = client.get(f"/portal/documents/{pub.index_number}").text
    shown = read_page(html).paragraphs
    assert sum(len(p) for p in shown) <= SHOWN_CHARS
    assert len(shown) == SHOWN_CHARS // 101 + 1  # the last one cut at the bound
    assert shown[:-1] == [line] * (SHOWN_CHARS // 101)
    assert f"本页只显示前 {SHOWN_CHARS:,} 字，全文请下载" in html


def test_a_withdrawn_document_answers_410_as_a_page_without_its_text_rule_21(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish_reviewed(
        app.state.engine, settings, title="误发布的通知", text="不应再公开的正文。"
    )
    withdraw(client, pub, people["office"].headers)
    for path in ("", f"/interpretations/{pub.file_id}"):
        gone = client.get(f"/portal/documents/{pub.index_number}{path}")
        assert gone.status_code == 410
        assert gone.headers["content-type"].startswith("text/html")
        assert "《误发布的通知》已于" in gone.text
        assert "不应再公开的正文" not in gone.text


def test_an_unknown_index_number_is_a_404_page_with_the_search_form(client: TestClient) -> None:
    answer = client.get("/portal/documents/NO-SUCH-2025-000001-1")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "未找到该文件" in answer.text
    assert 'role="search"' in answer.text


def test_the_stylesheet_is_served_by_the_app_and_loads_nothing_from_elsewhere(
    client: TestClient,
) -> None:
    catalogue = client.get("/portal").text
    (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)"', catalogue)
    answer = client.get(href)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert "immutable" in answer.headers["cache-control"]
    css = answer.text
    for external in ("@import", "@font-face", "url(", "http:", "https:"):
        assert external not in css
    assert '"WenQuanYi Zen Hei"' in css
    assert "sans-serif" in css


def test_a_refused_search_is_a_page_naming_the_field_in_chinese_for_a_browser(
    client: TestClient,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    answer = client.get("/portal?title=公开&written_from=2025-13-01&per_page=0", headers=browser)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "<li>成文日期自：请按“年-月-日”填写，如 2025-03-01</li>" in answer.text
    assert "<li>每页条数：1 至 100 的整数</li>" in answer.text
    assert "名称：" not in answer.text  # only the refused fields
    assert 'role="search"' in answer.text
    # A script asking for JSON keeps the one JSON shape.
    refused = client.get("/portal?written_from=2025-13-01", headers={"Accept": "application/json"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_request"
    assert [f["field"] for f in refused.json()["findings"]] == ["written_from"]


def test_material_received_after_publication_shows_its_reviewed_text_once_cleared_issue_21(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    pub = publish_reviewed(
        app.state.engine,
        settings,
        title="关于印发行政规范性文件管理办法的通知",
        policy_profile="liaoning",
        document_type="normative",
    )
    with session_scope(app.state.engine) as session:
        reviewer = session.get(User, people["reviewer"].user.id)
        document_row = session.get(Document, pub.document_id)
        assert document_row is not None
        organ = session.get(Organ, document_row.organ_id)
        assert reviewer is not None
        assert organ is not None
        assign_organ(session=session, user=reviewer, organ=organ, at=T0)
    sent = client.post(
        f"/documents/{pub.document_id}/attachments",
        files={"interpretation_material": ("办法解读.txt", "办法解读\n一、制定背景".encode())},
        headers=people["admin"].headers,
    )
    assert sent.status_code == 201, sent.text
    material_id = sent.json()["id"]
    document = f"/portal/documents/{pub.index_number}"
    assert "办法解读.txt" not in client.get(document).text  # 先审查、后公开
    with session_scope(app.state.engine) as session:  # the material review run's pre-screen
        material_for_review(
            session=session,
            material_id=material_id,
            files_dir=settings.files_dir,
            terms=DEFAULT_TERMS,
            at=T0 + timedelta(days=1),
        )
    approved = client.post(
        f"/materials/{material_id}/decision",
        json={"decision": "approve"},
        headers=people["reviewer"].headers,
    )
    assert approved.status_code == 201, approved.text
    to_material = read_page(client.get(document).text).links["办法解读.txt"]
    material = read_page(client.get(to_material).text)
    assert material.paragraphs == ["办法解读", "一、制定背景"]
    assert material.links["关于印发行政规范性文件管理办法的通知"] == document


def test_the_refusal_page_names_every_catalogue_field_with_the_limit_the_api_declares(
    client: TestClient,
) -> None:
    parameters = client.get("/openapi.json").json()["paths"]["/portal"]["get"]["parameters"]
    for parameter in parameters:
        _, hint = SEARCH_FIELDS[parameter["name"]]  # every field has a Chinese name
        schema = parameter["schema"]
        bounded = next((s for s in schema.get("anyOf", [schema]) if "maxLength" in s), None)
        if bounded is not None:
            assert f"最多 {bounded['maxLength']} 个字" in hint, parameter["name"]
        maximum = next((s for s in schema.get("anyOf", [schema]) if "maximum" in s), None)
        if maximum is not None:
            assert f"{maximum['minimum']} 至 {maximum['maximum']} " in hint, parameter["name"]
