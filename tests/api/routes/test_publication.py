"""The public portal over HTTP (SQLite and PostgreSQL): catalogue, pages, files, feeds.

Sources: 条例 art. 12 ¶3 (catalogue fields); seed 000 §三(二十二) (有效性 on every document);
seed 001 §二(四)1 (markings, 删减后公开); seed 004 §二(二) (annotation of amendment/repeal).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from xml.etree import ElementTree as ET

from fastapi import FastAPI
from sqlmodel import Session, col, select

from config.settings import Settings
from models.publications import Publication
from models.versions import Version
from policies.calendar import SHANGHAI
from policies.statuses import Status
from tests.api.conftest import Person, TestClient
from tests.publication_helpers import publish, unpublished

ATOM = "{http://www.w3.org/2005/Atom}"


def test_a_published_document_is_in_the_catalogue_with_marking_and_validity_art_12(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish(
        app.state.engine,
        settings,
        title="关于做好春耕工作的通知",
        doc_number="麻政发〔2025〕3号",
        organ_name="麻江县人民政府办公室",
    )
    page = client.get("/portal")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for shown in (
        pub.index_number,
        "关于做好春耕工作的通知",
        "麻政发〔2025〕3号",
        "麻江县人民政府办公室",
        "此件公开发布",
        "有效",
        "2025-03-01",
        "各乡镇人民政府：现将有关事项通知如下",  # 内容概述 from the published text
    ):
        assert shown in html
    as_json = client.get("/portal", headers={"Accept": "application/json"}).json()
    assert client.get("/portal/catalogue.json").json() == as_json
    (item,) = as_json["items"]
    assert item["index_number"] == pub.index_number
    assert item["marking"] == "此件公开发布"
    assert (item["validity"], item["validity_label"]) == ("valid", "有效")
    assert item["organ"] == "麻江县人民政府办公室"
    assert item["written_on"] == "2025-03-01"


def test_nothing_unpublished_is_reachable_catalogue_page_feed_or_file(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    published = publish(app.state.engine, settings, title="公开的通知")
    hidden = [
        unpublished(app.state.engine, settings, title="不予公开的请示"),
        unpublished(app.state.engine, settings, title="依申请公开的函", attribute="on_request"),
        unpublished(
            app.state.engine,
            settings,
            title="待签发的通知",
            attribute="proactive",
            status=Status.AWAITING_SIGNOFF,
        ),
    ]
    texts = [
        client.get("/portal").text,
        client.get("/portal/catalogue.json").text,
        client.get("/portal/feed.atom").text,
        client.get("/portal/feed.json").text,
    ]
    for document in hidden:
        for text in texts:
            assert document.title not in text
        # the index number it would have had, if it were published
        guess = published.index_number.rsplit("-", 2)[0] + f"-{document.id:06d}-1"
        assert client.get(f"/portal/documents/{guess}").status_code == 404
        with Session(app.state.engine) as session:
            version = session.get(Version, document.current_version_id)
            assert version is not None
        for index in (published.index_number, guess):
            response = client.get(f"/portal/documents/{index}/files/{version.main_file_id}")
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"
    assert "公开的通知" in texts[0]
    assert client.get("/portal/documents/no-such-index").status_code == 404


def test_a_redacted_document_offers_only_the_redacted_file_and_says_so_seed_001(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish(
        app.state.engine,
        settings,
        attribute="redacted",
        title="关于征收补偿的通知",
        text="原文：张三 身份证 11010519491231002X 补偿款 10 万元",
        redacted_text="删减后：补偿标准见附件",
    )
    with Session(app.state.engine) as session:
        version = session.get(Version, pub.version_id)
        assert version is not None
        main_file = version.main_file_id
    page = client.get(f"/portal/documents/{pub.index_number}")
    assert page.status_code == 200
    assert "此件删减后公开" in page.text
    assert "本文件依法删减后公开" in page.text
    assert "11010519491231002X" not in page.text  # summary comes from the redacted version
    assert f"/files/{pub.file_id}" in page.text
    assert f"/files/{main_file}" not in page.text
    download = client.get(f"/portal/documents/{pub.index_number}/files/{pub.file_id}")
    assert download.status_code == 200
    assert download.content == "删减后：补偿标准见附件".encode()
    assert client.get(f"/portal/documents/{pub.index_number}/files/{main_file}").status_code == 404


def test_a_document_page_links_its_interpretation_material_seed_000(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    pub = publish(
        app.state.engine,
        settings,
        title="关于印发扶持办法的通知",
        interpretation_text="《扶持办法》政策解读",
    )
    page = client.get(f"/portal/documents/{pub.index_number}").text
    assert "政策解读" in page
    assert "interpretation_material.txt" in page
    main = client.get(f"/portal/documents/{pub.index_number}/files/{pub.file_id}")
    assert main.status_code == 200
    assert main.content.decode().startswith("关于做好春耕工作的通知")


def test_search_by_title_doc_number_organ_and_date_with_stable_pages(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    engine = app.state.engine
    a = publish(
        engine,
        settings,
        title="关于春耕的通知",
        doc_number="麻政发〔2025〕1号",
        organ_name="麻江县农业农村局",
        written_on=date(2025, 1, 10),
    )
    b = publish(
        engine,
        settings,
        title="关于防汛的通知",
        doc_number="麻政发〔2025〕2号",
        organ_name="麻江县水务局",
        written_on=date(2025, 2, 10),
    )
    c = publish(
        engine,
        settings,
        title="关于防汛演练的通知",
        doc_number="麻政办发〔2025〕9号",
        organ_name="麻江县应急管理局",
        written_on=date(2025, 3, 10),
    )

    def found(**params: str) -> list[str]:
        body = client.get("/portal/catalogue.json", params=params).json()
        return sorted(item["index_number"] for item in body["items"])

    assert found(title="防汛") == sorted([b.index_number, c.index_number])
    assert found(doc_number="麻政发") == sorted([a.index_number, b.index_number])
    assert found(organ="水务局") == [b.index_number]
    assert found(written_from="2025-02-01", written_to="2025-02-28") == [b.index_number]
    assert found(title="100%_") == []  # LIKE wildcards are taken literally
    first = client.get("/portal/catalogue.json", params={"per_page": 2}).json()
    second = client.get(
        "/portal/catalogue.json", params={"per_page": 2, "cursor": first["next_cursor"]}
    ).json()
    assert first["has_next"] is True
    assert second["has_next"] is False
    assert first["total"] == second["total"]
    assert (first["total"]["count"], first["total"]["at_least"]) == (3, False)
    paged = [i["index_number"] for i in first["items"] + second["items"]]
    assert paged == [c.index_number, b.index_number, a.index_number]  # newest first
    html_first = client.get("/portal", params={"per_page": 2, "title": "通知"}).text
    cursor = client.get("/portal/catalogue.json", params={"per_page": 2, "title": "通知"}).json()[
        "next_cursor"
    ]
    assert (
        f'rel="next" href="/portal?title=%E9%80%9A%E7%9F%A5&amp;cursor={cursor}&amp;per_page=2"'
        in html_first
    )
    assert "共 3 件" in html_first
    html_second = client.get(
        "/portal", params={"per_page": 2, "cursor": cursor, "title": "通知"}
    ).text
    assert 'rel="first"' in html_second
    assert 'rel="next"' not in html_second
    assert (
        client.get("/portal", params={"title": "没有这样的文件"}).text.count("没有符合条件的文件")
        == 1
    )
    bad = client.get("/portal/catalogue.json", params={"written_from": "not-a-date"})
    assert bad.status_code == 422
    assert bad.json()["findings"][0]["field"] == "written_from"


def test_amend_and_repeal_show_on_the_page_in_both_feeds_and_in_the_audit_log_seed_004(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    engine = app.state.engine
    old = publish(engine, settings, title="关于印发旧办法的通知", doc_number="麻政发〔2025〕7号")
    new = publish(engine, settings, title="关于印发新办法的通知", doc_number="麻政发〔2025〕8号")
    office = people["office"]
    amended = client.post(
        f"/documents/{old.document_id}/validity",
        json={
            "to": "amended",
            "reason": "第三条已修改",
            "amended_by_reference": "麻政发〔2025〕8号",
        },
        headers=office.headers,
    )
    assert amended.status_code == 201, amended.text
    repealed = client.post(
        f"/documents/{old.document_id}/validity",
        json={
            "to": "repealed",
            "reason": "被新办法废止",
            "amended_by_document_id": new.document_id,
            "effective_on": "2025-04-01",
        },
        headers=office.headers,
    )
    assert repealed.status_code == 201, repealed.text
    assert repealed.json()["from_validity"] == "amended"

    page = client.get(f"/portal/documents/{old.index_number}").text
    assert "已废止（被《麻政发〔2025〕8号》废止，自 2025-04-01 起）" in page
    assert f'href="/portal/documents/{new.index_number}"' in page  # link to the repealing one
    assert "第三条已修改" in page  # history
    catalogue = client.get("/portal/catalogue.json").json()["items"]
    assert {i["index_number"]: i["validity"] for i in catalogue}[old.index_number] == "repealed"
    with Session(engine) as session:
        row = session.exec(select(Publication).where(col(Publication.id) == old.id)).one()
        assert row.validity == "repealed"

    atom = ET.fromstring(client.get("/portal/feed.atom").content)
    entries = atom.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "【已废止】关于印发旧办法的通知" in titles
    assert "【已修改】关于印发旧办法的通知" in titles
    assert "关于印发新办法的通知" in titles
    assert all(e.findtext(f"{ATOM}updated") for e in entries)
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == len(entries)
    assert atom.findtext(f"{ATOM}updated")
    feed = client.get("/portal/feed.json")
    assert feed.headers["content-type"].startswith("application/feed+json")
    body = json.loads(feed.content)
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    repeal_items = [i for i in body["items"] if i["title"] == "【已废止】关于印发旧办法的通知"]
    assert "被新办法废止" in repeal_items[0]["content_text"]
    assert repeal_items[0]["url"].endswith(f"/portal/documents/{old.index_number}")

    audit = client.get(f"/documents/{old.document_id}", headers=people["admin"].headers)
    assert audit.status_code == 200
    from models.audit import AuditEvent

    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.document_id) == old.document_id)
            .where(col(AuditEvent.action) == "validity.changed")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(e.actor, e.channel, e.reason, (e.after or {})["validity"]) for e in events] == [
        ("office", "api", "第三条已修改", "amended"),
        ("office", "api", "被新办法废止", "repealed"),
    ]


HOSTILE = "通知\x00\x1b\x7f\x85\u202e\u2066<script>&\u2069"  # C0, DEL, C1, bidi, markup


def test_issue_23_both_feeds_parse_after_publishing_a_hostile_title(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    # Intake refuses every one of these characters (tests/api/test_bad_input.py); a title recorded
    # before that (or by another way in) must still leave both feeds well-formed.
    # PostgreSQL cannot hold NUL in text at all, so there the title arrives without it.
    hostile = HOSTILE if app.state.engine.dialect.name == "sqlite" else HOSTILE.replace("\x00", "")
    published = publish(app.state.engine, settings, title=hostile, doc_number="麻政发〔2025〕9号")
    atom = ET.fromstring(client.get("/portal/feed.atom").content)  # a real XML parser
    (title,) = [e.findtext(f"{ATOM}title") for e in atom.findall(f"{ATOM}entry")]
    refused = len(hostile) - len("通知<script>&")
    assert title == "通知" + "\ufffd" * (refused - 1) + "<script>&\ufffd"
    feed = json.loads(client.get("/portal/feed.json").content)
    assert feed["items"][0]["title"] == title
    page = client.get(f"/portal/documents/{published.index_number}").text
    assert "\x00" not in page
    assert "\u202e" not in page
    assert "<script>" not in page
    assert "&lt;script&gt;&amp;" in page


def test_issue_20_a_publication_at_06_35_beijing_is_dated_in_beijing_on_the_portal_and_feeds(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    # 2026-12-06 06:35 Beijing time is 2026-12-05 22:35 UTC: the page showed 2026-12-05.
    published = datetime(2026, 12, 6, 6, 35, tzinfo=SHANGHAI)
    pub = publish(app.state.engine, settings, at=published, title="关于冬季防火的通知")
    page = client.get(f"/portal/documents/{pub.index_number}").text
    assert '<tr><th scope="row">发布日期</th><td>2026-12-06</td></tr>' in page
    atom = ET.fromstring(client.get("/portal/feed.atom").content)
    updated = [e.findtext(f"{ATOM}updated") for e in atom.iter(f"{ATOM}entry")]
    assert updated == ["2026-12-06T06:35:00+08:00"]
    assert atom.findtext(f"{ATOM}updated") == "2026-12-06T06:35:00+08:00"
    feed = json.loads(client.get("/portal/feed.json").content)
    assert [i["date_modified"] for i in feed["items"]] == ["2026-12-06T06:35:00+08:00"]
