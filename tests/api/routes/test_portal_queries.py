"""Issue 27: the portal's pages at a million documents take few queries (every round trip costs
more than the indexed query itself), on both databases, and still say their totals as counted.

A catalogue or search page counts its total in its own query; a document page is one query with
its validity changes (政策解读 take more). The totals of a page that finds no row
(a cursor past the last match) are counted by a query of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from api.cursors import encode_position
from config.settings import Settings
from models.publications import Publication
from tests.api.conftest import Person, TestClient
from tests.factories import T0
from tests.publication_helpers import publish


@contextmanager
def selects(app: FastAPI) -> Iterator[list[str]]:
    """The SELECT statements the app sends while the block runs (BEGIN and the like left out)."""
    sent: list[str] = []

    def record(_c: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    engine = app.state.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def three(app: FastAPI, settings: Settings) -> list[Publication]:
    """Three documents of two organs, an hour apart, oldest first; 公开 in each text."""
    return [
        publish(
            app.state.engine,
            settings,
            at=T0 + timedelta(hours=1 + n),
            title=f"关于做好第{n}批政务公开工作的通知",
            doc_number=f"麻政发〔2025〕{n + 1}号",
            organ_name="麻江县财政局" if n == 1 else "麻江县人民政府办公室",
            text=f"第{n}批事项依法公开。",
        )
        for n in range(3)
    ]


def listed(client: TestClient, **params: str) -> dict[str, Any]:
    answer = client.get("/portal/catalogue.json", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_catalogue_page_counts_its_total_in_its_own_query(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    published = three(app, settings)
    newest_first = [p.index_number for p in reversed(published)]
    for params, want, count in [
        ({}, newest_first[:2], 3),  # the catalogue
        ({"q": "公开"}, newest_first[:2], 3),  # a short term: the bounded scan
        ({"q": "政务公开"}, newest_first[:2], 3),  # common among the newest rows
    ]:
        with selects(app) as sent:
            body = listed(client, per_page="2", **params)
        assert [item["index_number"] for item in body["items"]] == want, params
        assert body["has_next"] is True
        assert body["total"]["count"] == count, params
        assert len(sent) == 1, (params, sent)
    with selects(app) as sent:  # the organ is looked up first, then one query
        body = listed(client, per_page="1", organ="人民政府办公室")
    assert [item["index_number"] for item in body["items"]] == [newest_first[0]]
    assert body["total"]["count"] == 2
    assert len(sent) == 2, sent


def test_a_page_past_the_last_match_still_says_the_total(
    app: FastAPI, settings: Settings, client: TestClient
) -> None:
    three(app, settings)
    past = encode_position(T0 - timedelta(days=1), 1)  # older than every document
    for params, total in [
        ({}, {"count": 3, "at_least": False, "counted_within_newest": None}),
        ({"q": "公开"}, {"count": 3, "at_least": False, "counted_within_newest": None}),
        ({"q": "政务公开"}, {"count": 3, "at_least": False, "counted_within_newest": None}),
        (
            {"doc_number": "〔2025〕2"},
            {"count": 1, "at_least": False, "counted_within_newest": None},
        ),
        ({"organ": "财政局"}, {"count": 1, "at_least": False, "counted_within_newest": None}),
    ]:
        body = listed(client, cursor=past, **params)
        assert body["items"] == [], params
        assert body["next_cursor"] is None
        assert {k: body["total"][k] for k in total} == total, params


def test_a_document_page_is_one_query_with_its_validity_changes(
    app: FastAPI, settings: Settings, client: TestClient, people: dict[str, Person]
) -> None:
    older, _, newer = three(app, settings)
    page = f"/portal/documents/{older.index_number}"
    with selects(app) as sent:
        answer = client.get(page)
    assert answer.status_code == 200
    assert "第0批事项依法公开。" in answer.text  # the kept text, from the same query
    assert "下载：" in answer.text  # the published file, under its upload's name
    assert len(sent) == 1, sent
    changed = client.post(
        f"/documents/{older.document_id}/validity",
        json={
            "to": "repealed",
            "reason": "被新文件废止",
            "amended_by_document_id": newer.document_id,
        },
        headers=people["office"].headers,
    )
    assert changed.status_code == 201, changed.text
    with selects(app) as sent:
        answer = client.get(page)
    assert "已废止（被《麻政发〔2025〕3号》废止" in answer.text
    assert f'href="/portal/documents/{newer.index_number}"' in answer.text
    assert len(sent) == 1, sent
