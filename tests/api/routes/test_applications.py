"""Applications over HTTP (issue 26): office registration (idempotent), the step actions under
the same rules as the form, personal data for the office only, the reply letter (HTML, PDF)
with its number and remedy channels (条例 art. 51), the portal's online form (CSRF, 422 in
Chinese naming the art. 29 fields, rate limit). SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.api.conftest import Person, TestClient

BODY: dict[str, Any] = {
    "applicant_type": "natural_person",
    "applicant_name": "钱七",
    "applicant_id_number": "110101197001011234",
    "contact": "13900000000",
    "description": "2026年本县政府信息公开工作年度报告的编制说明",
    "requested_form": "纸质邮寄",
    "channel": "registered_post",
    "signed_on": "2026-09-25",
}


def _register(client: TestClient, office: Person) -> dict[str, Any]:
    answer = client.post("/applications", json=BODY, headers=office.headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_the_office_registers_once_and_sees_the_due_date_条例_arts_31_33(
    client: TestClient, people: dict[str, Person]
) -> None:
    created = _register(client, people["office"])
    assert created["received_on"] == "2026-09-25"
    assert created["reply_due_on"] == "2026-10-29"
    assert created["applicant"]["id_number"] == BODY["applicant_id_number"]
    again = client.post("/applications", json=BODY, headers=people["office"].headers)
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    seen = client.get(f"/applications/{created['id']}", headers=people["reviewer"].headers)
    assert seen.status_code == 200
    assert seen.json()["applicant"] is None
    assert BODY["applicant_id_number"] not in seen.text
    drafted = client.post("/applications", json=BODY, headers=people["drafter"].headers)
    assert drafted.status_code == 403
    assert client.post("/applications", json=BODY).status_code == 401


def test_a_refusal_letter_has_its_number_reason_and_remedy_channels_条例_arts_36_51(
    client: TestClient, people: dict[str, Person]
) -> None:
    office = people["office"]
    created = _register(client, office)
    url = f"/applications/{created['id']}/actions"
    for action in (
        {"action": "complete"},
        {"action": "identified"},
        {"action": "consultations_done"},
    ):
        assert client.post(url, json=action, headers=office.headers).status_code == 200
    refused = client.post(
        url, json={"action": "reply", "reply_type": "withheld"}, headers=office.headers
    )
    assert refused.status_code == 422
    assert "不予公开须说明一项理由" in refused.text
    replied = client.post(
        url,
        json={
            "action": "reply",
            "reply_type": "withheld",
            "reason_codes": ["NS-6"],
            "explanation": "讨论稿",
        },
        headers=office.headers,
    )
    assert replied.status_code == 200, replied.text
    number = replied.json()["reply_number"]
    page = client.get(f"/office/applications/{created['id']}/letter", headers=office.headers)
    assert page.status_code == 200
    assert number in page.text
    assert "属于四类过程性信息" in page.text
    for text in ("行政复议", "行政诉讼", "六十日内", "六个月内"):
        assert text in page.text
    pdf = client.get(f"/office/applications/{created['id']}/letter.pdf", headers=office.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    reviewer = client.get(
        f"/office/applications/{created['id']}/letter", headers=people["reviewer"].headers
    )
    assert reviewer.status_code == 403


def _csrf(client: TestClient) -> str:
    form = client.get("/portal/applications/new")
    assert form.status_code == 200
    assert "<script" not in form.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None
    return found.group(1)


ONLINE = {
    "organ": "wm",
    "applicant_type": "commercial",
    "applicant_name": "某某科技有限公司",
    "applicant_id_number": "91520000MA6XXXXX0X",
    "contact": "office@example.cn",
    "description": "2026年度政府采购意向公开目录",
    "requested_form": "电子邮件",
}


def test_the_online_form_checks_csrf_and_names_missing_fields_in_chinese_条例_art_29(
    client: TestClient, people: dict[str, Person]
) -> None:
    token = _csrf(client)
    missing = client.post("/portal/applications", data={"organ": "wm", "csrf_token": token})
    assert missing.status_code == 422
    for label in ("申请人姓名或者名称", "身份证明", "联系方式", "特征性描述", "获取信息的方式"):
        assert label in missing.text
    token = _csrf(client)
    made = client.post("/portal/applications", data=ONLINE | {"csrf_token": token})
    assert made.status_code == 201, made.text
    assert "申请编号" in made.text
    assert ONLINE["applicant_id_number"] not in made.text
    forged = client.post("/portal/applications", data=ONLINE | {"csrf_token": "forged"})
    assert forged.status_code == 403
    foreign = client.post(
        "/portal/applications",
        data=ONLINE | {"csrf_token": _csrf(client)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403


def test_an_applicant_may_propose_proactive_disclosure_online_or_at_the_office_条例_art_44_2(
    client: TestClient, people: dict[str, Person]
) -> None:
    form = client.get("/portal/applications/new").text
    assert 'type="checkbox" name="proposes_proactive"' in form
    assert "条例第四十四条第二款" in form
    proposing = ONLINE | {"proposes_proactive": "1", "csrf_token": _csrf(client)}
    made = client.post("/portal/applications", data=proposing)
    assert made.status_code == 201, made.text
    quiet = ONLINE | {"description": "2026年度部门预算", "csrf_token": _csrf(client)}
    assert client.post("/portal/applications", data=quiet).status_code == 201
    office = people["office"].headers
    listed = {
        a["description"]: a["proposes_proactive"]
        for a in (client.get(f"/applications/{n}", headers=office).json() for n in (1, 2))
    }
    assert listed == {ONLINE["description"]: True, "2026年度部门预算": False}
    registered = client.post(
        "/applications", json=BODY | {"proposes_proactive": True}, headers=office
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["proposes_proactive"] is True


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Settings:
    from tests.api.conftest import closed_port

    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        prefect_api_url=f"http://127.0.0.1:{closed_port()}/api",
        review_start_timeout_seconds=3,
        review_sweep_seconds=0,
        application_rate_per_applicant=2,
    )


def test_online_applications_are_rate_limited_per_applicant(
    client: TestClient, app: FastAPI, people: dict[str, Person]
) -> None:
    codes = []
    for n in range(3):
        token = _csrf(client)
        answer = client.post(
            "/portal/applications", data=ONLINE | {"description": f"信息 {n}", "csrf_token": token}
        )
        codes.append(answer.status_code)
    assert codes == [201, 201, 429]
