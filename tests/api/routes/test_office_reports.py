"""Statistics and the annual report over HTTP: roles, JSON and CSV, imports, strict mode, the
HTML page, marks and tasks (条例 arts. 49–50; 国办公开办函〔2019〕60号 [R]; issue 5)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi import FastAPI

from models.db import session_scope
from tests.api.conftest import Person, TestClient, browser_sign_in
from tests.services.office.test_statistics import build_dataset

YEAR = 2098
ENDPOINTS = [
    "/office/statistics?year=2026",
    "/office/statistics.csv?year=2026",
    "/office/annual-report/2026",
    "/office/annual-report/2026.html",
    "/office/annual-report/2026/imports",
    "/office/annual-report/tasks?year=2026",
]


def _csv(rows: list[tuple[str, str, str, int]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "row", "column", "value"))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _applications(new: int, carried: int, done: int, left: int) -> bytes:
    rows = []
    for row, value in (
        ("一", new),
        ("二", carried),
        ("三(一)", done),
        ("三(七)", done),
        ("四", left),
    ):
        rows += [("三", row, "自然人", "", value), ("三", row, "总计", "", value)]
    return _csv([(s, r, c, v) for s, r, c, _, v in rows])


@pytest.mark.parametrize("path", ENDPOINTS)
def test_only_the_office_and_admins_see_reports(
    client: TestClient, people: dict[str, Person], path: str
) -> None:
    assert client.get(path).status_code == 401
    refused = client.get(path, headers=people["drafter"].headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert client.get(path, headers=people["reviewer"].headers).status_code == 403
    assert client.get(path, headers=people["office"].headers).status_code == 200
    assert client.get(path, headers=people["admin"].headers).status_code == 200


def test_imports_and_marks_are_refused_to_drafters(
    client: TestClient, people: dict[str, Person]
) -> None:
    body = _applications(1, 0, 1, 0)
    headers = people["drafter"].headers | {"Content-Type": "text/csv"}
    assert (
        client.post("/office/annual-report/2026/imports", content=body, headers=headers).status_code
        == 403
    )
    mark = client.post(
        "/office/annual-report/2026/marks",
        json={"kind": "published"},
        headers=people["drafter"].headers,
    )
    assert mark.status_code == 403


def test_statistics_json_and_csv_carry_the_same_numbers_seed_003(
    app: FastAPI, client: TestClient, people: dict[str, Person], tmp_path: Path
) -> None:
    with session_scope(app.state.engine) as session:
        data = build_dataset(session, tmp_path / "portal")
        organ_id = data.organ.id
    office = people["office"].headers
    answer = client.get(f"/office/statistics?year=2026&organ_id={organ_id}", headers=office)
    assert answer.status_code == 200
    stats = answer.json()
    assert stats["documents_issued"] == 3
    assert stats["proactive_share"] == 0.6667
    assert stats["returns"] == 2
    assert stats["return_reasons"]["NS-4"] == 1
    assert stats["decisions_by_reason"] == {"NS-4": 1}
    assert stats["stage_times"]["secrecy_review"] == {"stays": 4, "median_hours": 18.0}
    exported = client.get(f"/office/statistics.csv?year=2026&organ_id={organ_id}", headers=office)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    by_metric = {(r["metric"], r["key"]): r["value"] for r in rows}
    assert int(by_metric[("documents_issued", "")]) == stats["documents_issued"]
    assert float(by_metric[("proactive_share", "")]) == stats["proactive_share"]
    assert int(by_metric[("returns", "")]) == stats["returns"]
    assert int(by_metric[("return_reasons", "NS-4")]) == 1
    assert float(by_metric[("stage_median_hours", "secrecy_review")]) == 18.0
    assert int(by_metric[("withholding_reasons", "NS-5")]) == 1
    assert by_metric[("period_from", "")] == "2026-01-01"
    ranged = client.get(
        f"/office/statistics?from=2026-03-01&to=2026-03-31&organ_id={organ_id}", headers=office
    )
    assert ranged.json()["documents_issued"] == 0
    assert ranged.json()["returns"] == 2


@pytest.mark.parametrize(
    "query",
    [
        "",
        "year=2026&from=2026-01-01&to=2026-02-01",
        "from=2026-03-01",
        "from=2026-03-02&to=2026-03-01",
    ],
)
def test_a_period_must_be_a_year_or_from_to(
    client: TestClient, people: dict[str, Person], query: str
) -> None:
    answer = client.get(f"/office/statistics?{query}", headers=people["office"].headers)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"


def test_imports_validate_supersede_and_strict_mode_refuses_60号(
    client: TestClient, people: dict[str, Person]
) -> None:
    office = people["office"].headers
    url = "/office/annual-report/2026"
    balanced = client.post(
        f"{url}/imports",
        content=_applications(12, 3, 13, 2),
        headers=office | {"Content-Type": "text/csv"},
    )
    assert balanced.status_code == 201
    assert balanced.json()["valid"] is True
    assert client.get(f"{url}?strict=true", headers=office).status_code == 200
    cells = [
        {"section": "三", "row": r, "column": c, "value": v}
        for r, v in (("一", 12), ("二", 3), ("三(一)", 14), ("三(七)", 14), ("四", 2))
        for c in ("自然人", "总计")
    ]
    unbalanced = client.post(f"{url}/imports?note=第二版", json={"cells": cells}, headers=office)
    assert unbalanced.status_code == 201
    report = unbalanced.json()
    assert report["valid"] is False
    messages = [f["message"] for f in report["failures"]]
    assert (
        "表三“总计”列: 本年新收 12 + 上年结转 3 = 15 ≠ 办理结果 14 + 结转下年度 2 = 16" in messages
    )
    three = next(s for s in report["sections"] if s["number"] == "三")["tables"][0]
    row_one = next(r for r in three["rows"] if r["key"] == "一")
    assert row_one["cells"]["总计"] == {"value": 12, "origin": "imported"}
    two = next(s for s in report["sections"] if s["number"] == "二")["tables"][0]
    issued = next(r for r in two["rows"] if r["key"] == "行政规范性文件")["cells"]["本年制发件数"]
    assert issued == {"value": 0, "origin": "computed"}
    assert [(i["version"], i["current"], i["media"]) for i in report["imports"]] == [
        (2, True, "json"),
        (1, False, "csv"),
    ]
    strict = client.get(f"{url}?strict=true", headers=office)
    assert strict.status_code == 422
    assert any("≠" in f["message"] for f in strict.json()["findings"])
    assert client.get(url, headers=office).json()["valid"] is False
    versions = client.get(f"{url}/imports", headers=office).json()
    assert [(v["version"], v["note"]) for v in versions] == [(2, "第二版"), (1, None)]


def test_a_bad_import_is_refused_and_nothing_is_stored(
    client: TestClient, people: dict[str, Person]
) -> None:
    office = people["office"].headers
    url = "/office/annual-report/2026/imports"
    computed = [{"section": "二（一）", "row": "规章", "column": "本年制发件数", "value": 5}]
    refused = client.post(url, json=computed, headers=office)
    assert refused.status_code == 422
    assert refused.json()["findings"][0]["field"] == "二（一）/规章/本年制发件数"
    wrong_type = client.post(url, content=b"x", headers=office | {"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    layout = client.post(url, content=b"a,b\n", headers=office | {"Content-Type": "text/csv"})
    assert layout.status_code == 422
    assert client.get(url, headers=office).json() == []


def test_the_html_page_has_the_official_layout_and_shows_failures_60号(
    client: TestClient, people: dict[str, Person]
) -> None:
    office = people["office"].headers
    page = client.get("/office/annual-report/2026.html", headers=office)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for heading in (
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
        "第二十条第（一）项",
        "本年制发件数",
        "申请人情况",
        "法人或其他组织",
        "（七）总计",
        "未经复议直接起诉",
    ):
        assert heading in html
    assert "validation-failures" not in html
    body = _applications(12, 3, 14, 2)
    client.post(
        "/office/annual-report/2026/imports",
        content=body,
        headers=office | {"Content-Type": "text/csv"},
    )
    failed = client.get("/office/annual-report/2026.html", headers=office).text
    assert 'id="validation-failures"' in failed
    assert "本年新收 12 + 上年结转 3 = 15 ≠ 办理结果 14 + 结转下年度 2 = 16" in failed


def test_marks_need_a_valid_report_and_complete_the_tasks_条例_art_49(
    client: TestClient, people: dict[str, Person]
) -> None:
    office = people["office"].headers
    url = f"/office/annual-report/{YEAR}"  # due dates ahead of any real clock
    client.post(
        f"{url}/imports",
        content=_applications(5, 0, 4, 0),
        headers=office | {"Content-Type": "text/csv"},
    )
    refused = client.post(f"{url}/marks", json={"kind": "submitted"}, headers=office)
    assert refused.status_code == 422
    assert refused.json()["findings"]
    client.post(
        f"{url}/imports",
        content=_applications(5, 0, 4, 1),
        headers=office | {"Content-Type": "text/csv"},
    )
    marked = client.post(
        f"{url}/marks", json={"kind": "submitted", "note": "已报送"}, headers=office
    )
    assert marked.status_code == 201
    submitted = next(t for t in marked.json() if t["kind"] == "submitted")
    assert submitted["due_on"] == f"{YEAR + 1}-01-31"
    assert submitted["status"] == "done"
    assert submitted["source"] == "条例 art. 49 ¶1 (每年1月31日前)"
    again = client.post(f"{url}/marks", json={"kind": "submitted"}, headers=office)
    assert again.status_code == 409
    listed = client.get(f"/office/annual-report/tasks?year={YEAR}", headers=office).json()
    assert [(t["kind"], t["due_on"]) for t in listed] == [
        ("submitted", f"{YEAR + 1}-01-31"),
        ("published", f"{YEAR + 1}-03-31"),
    ]
    assert listed[1]["status"] == "open"
    bad = client.post(f"{url}/marks", json={"kind": "archived"}, headers=office)
    assert bad.status_code == 422
    assert json.loads(bad.text)["error"] == "invalid_request"


def test_the_printable_report_opens_with_the_office_cookie_but_imports_need_the_token(
    client: TestClient, people: dict[str, Person]
) -> None:
    assert browser_sign_in(client, "/office", people["office"].token).status_code == 303
    cookie = {"Cookie": f"gongkai_office={client.cookies['gongkai_office']}"}
    page = client.get("/office/annual-report/2026.html", headers=cookie)
    assert page.status_code == 200
    assert "一、总体情况" in page.text
    # A drafter cannot sign in there at all.
    assert browser_sign_in(client, "/office", people["drafter"].token).status_code == 403
    body = _applications(1, 0, 1, 0)
    posted = client.post(
        "/office/annual-report/2026/imports",
        content=body,
        headers=cookie | {"Content-Type": "text/csv"},
    )
    assert posted.status_code == 401


def test_the_openapi_schema_lists_the_report_routes_and_both_import_media(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/office/statistics",
        "/office/statistics.csv",
        "/office/annual-report/tasks",
        "/office/annual-report/{year}",
        "/office/annual-report/{year}.html",
        "/office/annual-report/{year}/imports",
        "/office/annual-report/{year}/marks",
    } <= set(paths)
    content = paths["/office/annual-report/{year}/imports"]["post"]["requestBody"]["content"]
    assert set(content) == {"text/csv", "application/json"}
