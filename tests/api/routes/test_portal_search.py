"""The portal's search over HTTP on both databases (issue 27): 名称, 文号, 发布机构 and the reviewed
text, one to four Chinese characters, 文号 fragments, wildcards and FTS5 syntax taken as text,
cursor pages, totals said as counted, bad input refused with 422 naming the field.

Sources: 条例 art. 12 ¶3 (the catalogue's fields); seed 001 §二(四)1 (删减后公开: only the
redacted version is public, so only its text is searched); domain §10 rule 21 (a withdrawn
document is gone).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from config.settings import Settings
from models.publications import Publication
from services.publication import search
from tests.api.conftest import Person, TestClient
from tests.factories import T0
from tests.publication_helpers import publish

MISTAKE = {
    "reason_code": "WD-MISTAKE",
    "new_attribute": "withheld",
    "justification": "误将内部事务信息公开，经审查撤回",
}


@dataclass(frozen=True)
class Published:
    """A document of the corpus: its 索引号 and every field a citizen may search."""

    index_number: str
    searched: str  # title, 文号, organ and text, one per line, as the search holds them


# (title, 文号, organ, published text, redacted text or None): oldest first.
CORPUS = (
    (
        "关于做好政务公开工作的通知",
        "麻政发〔2025〕1号",
        "麻江县人民政府办公室",
        "各乡镇人民政府：现将政务公开工作要点印发给你们。",
        None,
    ),
    (
        "关于征地补偿标准的公告",
        "麻政发〔2025〕12号",
        "麻江县自然资源局",
        "征地补偿按照片区综合地价执行，涉及个人的信息依法保护。",
        None,
    ),
    (
        "关于调整车船税征收事项的通知",
        "麻财发〔2025〕3号",
        "麻江县财政局",
        "车船税按年申报缴纳，税额见附表（增长 100%_以内）。",
        None,
    ),
    (
        "关于征收补偿安置的公告",
        "麻政办发〔2025〕7号",
        "麻江县自然资源局",
        "原文：涉及张三的安置房号为 3 栋 2 单元（内部）。",
        "删减后：安置房源按照公开摇号分配。",
    ),
    (
        'FTS5 测试 "AND" OR NEAR(a b) * ^ col:值',
        "麻政发〔2024〕99号",
        "麻江县人民政府办公室",
        '正文含有 星号* 和 引号" 以及 50% 的比例。',
        None,
    ),
)


@pytest.fixture
def corpus(app: FastAPI, settings: Settings) -> list[Published]:
    """The documents above, published one hour apart (the last is the newest)."""
    published = []
    for n, (title, doc_number, organ, text, redacted) in enumerate(CORPUS):
        extra: dict[str, Any] = {}
        if redacted is not None:
            extra = {"attribute": "redacted", "redacted_text": redacted}
        pub = publish(
            app.state.engine,
            settings,
            at=T0 + timedelta(hours=1 + n),
            title=title,
            doc_number=doc_number,
            organ_name=organ,
            text=text,
            written_on=date(2025, 1, 1 + n),
            **extra,
        )
        shown = redacted if redacted is not None else text
        published.append(Published(pub.index_number, "\n".join((title, doc_number, organ, shown))))
    return published


def found(client: TestClient, **params: str) -> list[str]:
    """The 索引号 a search answers, in the order shown (one page of 100)."""
    answer = client.get("/portal/catalogue.json", params={"per_page": "100", **params})
    assert answer.status_code == 200, answer.text
    return [item["index_number"] for item in answer.json()["items"]]


def expected(corpus: list[Published], term: str) -> list[str]:
    """What the search must find: every document whose searched text holds the term, newest
    first."""
    term = unicodedata.normalize("NFC", term).strip()
    return [p.index_number for p in reversed(corpus) if term in p.searched]


@pytest.mark.parametrize(
    "term",
    [
        pytest.param("税", id="one character: 税 in a title and the text"),
        pytest.param("征地", id="two characters: 征地 (title and text)"),
        pytest.param("公开", id="two characters: 公开 (title, text, the redacted text)"),
        pytest.param("补偿安", id="three characters: the trigram path"),
        pytest.param("政务公开", id="four characters: 政务公开"),
        pytest.param("自然资源局", id="发布机构 by name"),
        pytest.param("〔2025〕1", id="文号 fragment: 〔2025〕1 (1号 and 12号)"),
        pytest.param("12号", id="文号 fragment: 12号"),
        pytest.param("片区综合地价", id="full text: words of the text only"),
        pytest.param("安置房源", id="删减后公开: the redacted version's text (seed 001)"),
        pytest.param("张三", id="删减后公开: the withheld original's text is not searched"),
        pytest.param("%", id="wildcard % as text"),
        pytest.param("100%_", id="wildcards %_ as text"),
        pytest.param("_", id="wildcard _ as text"),
        pytest.param("2025〕1%号", id="wildcard % in an indexed term (would match 12号)"),
        pytest.param("2025〕1_号", id="wildcard _ in an indexed term (would match 12号)"),
        pytest.param('"AND"', id="FTS5 quotes and operator as text"),
        pytest.param("NEAR(a b) *", id="FTS5 NEAR and star as text"),
        pytest.param("col:值", id="FTS5 column filter syntax as text"),
        pytest.param("^", id="FTS5 caret as text"),
        pytest.param("星号*", id="a star after Chinese"),
        pytest.param("没有这样的词", id="nothing matches"),
    ],
)
def test_a_search_finds_exactly_the_documents_holding_the_term_newest_first(
    client: TestClient, corpus: list[Published], term: str
) -> None:
    want = expected(corpus, term)
    assert found(client, q=term) == want
    if term == "张三":
        assert want == []  # the original of 删减后公开 is never public (seed 001 §二(四)1)


def test_title_and_doc_number_search_their_own_field_only(
    client: TestClient, corpus: list[Published]
) -> None:
    newest_first = [p.index_number for p in reversed(corpus)]
    assert found(client, title="征地") == [newest_first[3]]  # not the text that says 征地
    assert found(client, title="公告") == [newest_first[1], newest_first[3]]
    assert found(client, doc_number="麻政发") == [newest_first[0], newest_first[3], newest_first[4]]
    assert found(client, doc_number="〔2025〕1") == [newest_first[3], newest_first[4]]
    assert found(client, doc_number="号", title="公告") == [newest_first[1], newest_first[3]]
    assert found(client, organ="自然资源局") == [newest_first[1], newest_first[3]]
    assert found(client, organ="没有这个机关") == []


def test_a_withdrawn_document_is_no_longer_found_rule_21(
    client: TestClient, corpus: list[Published], people: dict[str, Person], app: FastAPI
) -> None:
    assert corpus[1].index_number in found(client, q="征地")
    with Session(app.state.engine) as session:
        publication = session.exec(
            select(Publication).where(col(Publication.index_number) == corpus[1].index_number)
        ).one()
    answer = client.post(
        f"/documents/{publication.document_id}/withdrawal",
        json=MISTAKE,
        headers=people["office"].headers,
    )
    assert answer.status_code == 201, answer.text
    assert corpus[1].index_number not in found(client, q="征地")
    assert corpus[1].index_number not in found(client, q="征地补偿标准")
    assert corpus[1].index_number not in found(client)


def test_the_search_form_sent_with_its_empty_fields_searches_without_javascript(
    client: TestClient, corpus: list[Published]
) -> None:
    form = {
        "q": "征地",
        "title": "",
        "doc_number": "",
        "organ": "",
        "written_from": "",
        "written_to": "",
    }
    answer = client.get("/portal", params=form)
    assert answer.status_code == 200, answer.text
    assert "关于征地补偿标准的公告" in answer.text
    assert "关于做好政务公开工作的通知" not in answer.text


def test_pages_follow_the_cursor_and_the_total_is_said(
    client: TestClient, corpus: list[Published]
) -> None:
    seen: list[str] = []
    params = {"per_page": "2", "q": "麻"}
    while True:
        body = client.get("/portal/catalogue.json", params=params).json()
        seen += [item["index_number"] for item in body["items"]]
        assert body["total"] == {
            "count": 5,
            "at_least": False,
            "counted_within_newest": None,
            "text": "共 5 件",
        }
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == [p.index_number for p in reversed(corpus)]


def test_a_short_term_scan_stops_at_its_bound_says_so_and_continues(
    client: TestClient, corpus: list[Published], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHORT_TERM_SCAN_ROWS", 2)
    monkeypatch.setattr(search, "RECENT_ROWS", 2)
    want = expected(corpus, "公开")
    seen: list[str] = []
    params = {"q": "公开", "per_page": "10"}
    stops = 0
    for _ in range(10):
        body = client.get("/portal/catalogue.json", params=params).json()
        seen += [item["index_number"] for item in body["items"]]
        assert body["total"]["counted_within_newest"] == 2
        assert body["total"]["at_least"] is True
        if body["next_cursor"] is None:
            break
        stops += body["scan_stopped"]
        params["cursor"] = body["next_cursor"]
    assert seen == want  # nothing missed: each page continues where the scan stopped
    assert stops >= 2
    html = client.get("/portal", params={"q": "公开"}).text
    assert "继续检索更早的文件" in html
    assert "最近发布的 2 件中有" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"q": "征" * (search.MAX_TERM_CHARS + 1)}, "q", id="over-long q"),
        pytest.param({"title": "征" * (search.MAX_TERM_CHARS + 1)}, "title", id="over-long title"),
        pytest.param({"q": "征\x00地"}, "q", id="NUL in q"),
        pytest.param({"q": "征\x1b地"}, "q", id="escape character in q"),
        pytest.param({"cursor": "bm90LWEtY3Vyc29y"}, "cursor", id="a cursor not ours"),
        pytest.param({"cursor": "%%%"}, "cursor", id="a cursor with other characters"),
        pytest.param({"per_page": "0"}, "per_page", id="per_page 0"),
    ],
)
def test_bad_search_input_is_a_422_naming_the_field(
    client: TestClient, corpus: list[Published], params: dict[str, str], field: str
) -> None:
    for path in ("/portal/catalogue.json", "/portal"):
        answer = client.get(path, params=params)
        assert answer.status_code == 422, answer.text
        assert answer.json()["findings"][0]["field"] == field


QUERY_ALPHABET = st.sampled_from(
    list("政务公开征地补偿税号〔〕麻江县局发办财12390 %_\\\"'*^:()-+.NEARANDOR\t\x00\x7f")
)


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(term=st.one_of(st.text(QUERY_ALPHABET, max_size=8), st.text(max_size=12)))
def test_any_search_string_is_text_or_a_422_never_an_error_property(
    client: TestClient, corpus: list[Published], term: str
) -> None:
    answer = client.get("/portal/catalogue.json", params={"q": term, "per_page": "100"})
    refused = any(unicodedata.category(c) == "Cc" for c in term) or any(
        c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in term
    )
    if refused:
        assert answer.status_code == 422, answer.text
        assert answer.json()["findings"][0]["field"] == "q"
        return
    assert answer.status_code == 200, answer.text
    assert [item["index_number"] for item in answer.json()["items"]] == expected(corpus, term)


DOC_NUMBERS = (  # oldest first
    "黔府发〔2024〕5号",
    "黔府发〔2024〕50号",
    "黔府发〔2023〕50号",
    "黔府〔2024〕〔补〕50号",  # two 〕: its serial number is not after the first
    "黔〕府发〔2024〕5号",  # a stray 〕 before the year
    "黔府发〔2024〕150号",
    "黔府发[2024]50号",  # square brackets: no 〕 at all
    "黔府发〔2024〕9号〔2024〕50号",  # two serial numbers: the index holds the first only
)


@pytest.mark.parametrize(
    "fragment",
    [
        pytest.param("〔2024〕5", id="year and the start of a serial number"),
        pytest.param("〔2024〕50号", id="year and a whole serial number"),
        pytest.param("〕50", id="a serial number's start"),
        pytest.param("〕5号", id="a whole serial number"),
        pytest.param("〕15", id="a serial number's start (150)"),
        pytest.param("补〕50", id="the serial number after a second 〕"),
        pytest.param("〕府发〔2024〕5", id="a fragment holding two 〕"),
        pytest.param("〕0", id="no serial number starts with 0"),
        pytest.param("2024〕50", id="digits before the 〕"),
    ],
)
def test_a_doc_number_fragment_with_a_serial_number_finds_every_doc_number_holding_it(
    app: FastAPI, settings: Settings, client: TestClient, fragment: str
) -> None:
    """On PostgreSQL through the serial number's index (migration 0011p), on SQLite through
    FTS5: the same answers, every 文号 holding the fragment, however many 〕 it has."""
    published = [
        publish(
            app.state.engine,
            settings,
            at=T0 + timedelta(hours=1 + n),
            title=f"关于第{n}项工作的通知",
            doc_number=doc_number,
        ).index_number
        for n, doc_number in enumerate(DOC_NUMBERS)
    ]
    want = [
        index_number
        for index_number, doc_number in reversed(list(zip(published, DOC_NUMBERS, strict=True)))
        if fragment in doc_number
    ]
    assert found(client, doc_number=fragment) == want
    assert found(client, q=fragment) == want  # the 文号 is among the fields q searches
