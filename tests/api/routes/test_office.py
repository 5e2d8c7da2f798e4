"""The office monitor over HTTP (SQLite and PostgreSQL): /office/stuck, /office/overdue, roles,
errors in the one shape, and the browser sign-in (token form → HttpOnly cookie for /office)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi import FastAPI

from models.db import session_scope
from models.deadlines import Deadline
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.statuses import Status
from policies.steps import Step
from services.accounts import ensure_organ
from services.review import open_step
from tests.api.conftest import Person, TestClient
from tests.factories import id_of, make_document, make_user

AS_OF = "2026-10-16T10:00:00+08:00"


def at(m: int, d: int, hh: int = 0) -> datetime:
    return datetime(2026, m, d, hh, tzinfo=SHANGHAI)


@dataclass
class Docs:
    late: int  # secrecy review since Tue 09-29: overdue, 9 WD at 10-16 10:00
    fresh: int  # secrecy review since 10-09: inside the allowance
    near: int  # sign-off since 10-13 09:00: 84 % of 3 WD
    withheld: int  # organ zw, office pre-review since 09-28: overdue


@pytest.fixture
def docs(app: FastAPI, people: dict[str, Person]) -> Docs:
    made: dict[str, int] = {}
    with session_scope(app.state.engine) as session:
        wm = ensure_organ(session=session, code="wm", name=None, at=at(9, 1))
        zw = ensure_organ(session=session, code="zw", name=None, at=at(9, 1))
        drafter_wm = make_user(session, organ=wm)
        drafter_zw = make_user(session, organ=zw)
        spec = {
            "late": (Status.SECRECY_REVIEW, at(9, 29, 10), Step.SECRECY_REVIEW, drafter_wm, {}),
            "fresh": (Status.SECRECY_REVIEW, at(10, 9, 10), Step.SECRECY_REVIEW, drafter_wm, {}),
            "near": (Status.AWAITING_SIGNOFF, at(10, 13, 9), Step.SIGN_OFF, drafter_wm, {}),
            "withheld": (
                Status.OFFICE_PREREVIEW,
                at(9, 28, 10),
                Step.OFFICE_PREREVIEW,
                drafter_zw,
                {"attribute": Attribute.WITHHELD, "reason_codes": ["state_secret"]},
            ),
        }
        for name, (status, entered, step, drafter, marking) in spec.items():
            document = make_document(
                session,
                drafter=drafter,
                status=status,
                status_changed_at=entered,
                marking=marking,
                title=f"关于{name}的通知",
                flow_run_id=f"00000000-0000-4000-8000-00000000000{len(made)}",
            )
            open_step(
                session=session,
                document_id=id_of(document),
                version_id=document.current_version_id or 0,
                step=step,
                at=entered,
            )
            made[name] = id_of(document)
        session.add(
            Deadline(
                document_id=made["late"],
                kind="publication_ceiling",
                due_at=at(10, 12),
                basis="条例 art. 26: 20 WD",
                created_at=at(9, 1),
            )
        )
    return Docs(**made)


def test_the_office_sees_stuck_documents_with_age_deadline_and_links(
    client: TestClient, people: dict[str, Person], docs: Docs, settings: object
) -> None:
    response = client.get(
        "/office/stuck", params={"as_of": AS_OF}, headers=people["office"].headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [item["document_id"] for item in body["items"]]
    assert ids == [docs.withheld, docs.late, docs.near]  # oldest entry first; fresh not listed
    late = body["items"][1]
    # 7 WD from Tue 09-29 over National Day (10-01..07 off, Sat 10-10 worked): due 10-14 24:00;
    # age at Fri 10-16: 09-30, 10-08, 10-09, 10-10, 10-12, 10-13, 10-14, 10-15, 10-16 = 9.
    assert late["age_working_days"] == 9
    assert datetime.fromisoformat(late["due_at"]) == at(10, 15)
    assert late["level"] == "overdue"
    assert late["held_by_role"] == "secrecy_reviewer"
    assert late["deadline_id"] is not None
    # Prefect is configured at http://127.0.0.1:<port>/api: the UI link drops /api.
    assert late["flow_run_url"].endswith("/runs/flow-run/00000000-0000-4000-8000-000000000000")
    assert "/api/" not in late["flow_run_url"]
    assert body["items"][2]["level"] == "near"
    assert (body["total"], body["overdue"], body["near"]) == (3, 2, 1)
    stages = {row["key"]: (row["overdue"], row["near"]) for row in body["by_stage"]}
    assert stages == {"marking": (1, 0), "secrecy_review": (1, 0), "publication": (0, 1)}
    organs = {row["key"]: (row["overdue"], row["near"]) for row in body["by_organ"]}
    assert organs == {"wm": (1, 1), "zw": (1, 0)}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "secrecy_review"}, "late"),
        ({"organ": "zw"}, "withheld"),
        ({"attribute": "withheld"}, "withheld"),
        ({"level": "near"}, "near"),
        ({"near": "0.9", "stage": "publication"}, None),
        ({"limit": "1", "offset": "1"}, "late"),
    ],
)
def test_filters(
    client: TestClient,
    people: dict[str, Person],
    docs: Docs,
    params: dict[str, str],
    expected: str | None,
) -> None:
    response = client.get(
        "/office/stuck", params={"as_of": AS_OF, **params}, headers=people["admin"].headers
    )
    assert response.status_code == 200, response.text
    ids = [item["document_id"] for item in response.json()["items"]]
    assert ids == ([getattr(docs, expected)] if expected else [])


def test_overdue_windows_per_organ(
    client: TestClient, people: dict[str, Person], docs: Docs
) -> None:
    response = client.get(
        "/office/overdue", params={"as_of": AS_OF}, headers=people["office"].headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["publication"] == 1
    assert body["interpretation"] == 0
    assert [row["key"] for row in body["by_organ"]] == ["wm"]
    assert body["oldest"][0]["document_id"] == docs.late


def test_roles_and_errors(client: TestClient, people: dict[str, Person], docs: Docs) -> None:
    no_token = client.get("/office/stuck")
    assert no_token.status_code == 401
    assert no_token.json()["error"] == "unauthenticated"
    drafter = client.get("/office/stuck", headers=people["drafter"].headers)
    assert drafter.status_code == 403
    assert drafter.json()["error"] == "forbidden"
    assert client.get("/office/overdue", headers=people["reviewer"].headers).status_code == 403
    naive = client.get(
        "/office/stuck", params={"as_of": "2026-10-16T10:00:00"}, headers=people["office"].headers
    )
    assert naive.status_code == 422
    assert "as_of" in naive.json()["detail"]
    share = client.get("/office/stuck", params={"near": "1.5"}, headers=people["office"].headers)
    assert share.status_code == 422
    assert share.json()["findings"][0]["field"] == "near"
    organ = client.get("/office/stuck", params={"organ": "nope"}, headers=people["office"].headers)
    assert organ.status_code == 422
    assert "organ" in organ.json()["detail"]
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/office/stuck", "/office/overdue", "/office/dashboard"} <= set(paths)


def test_browser_sign_in_sets_a_strict_httponly_cookie_for_office_only(
    client: TestClient, people: dict[str, Person], docs: Docs
) -> None:
    page = client.get("/office/dashboard")
    assert page.status_code == 303
    assert page.headers["location"] == "/office/login"

    refused = client.post("/office/login", data={"token": people["drafter"].token})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    assert client.post("/office/login", data={"token": "wrong"}).status_code == 401

    signed_in = client.post("/office/login", data={"token": people["office"].token})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/office" in cookie
    token = people["office"].token
    jar = {"Cookie": f"gongkai_office={token}"}

    board = client.get("/office/dashboard", params={"as_of": AS_OF}, headers=jar)
    assert board.status_code == 200
    assert "script-src 'self'" in board.headers["content-security-policy"]
    assert f'href="/office/documents/{docs.late}"' in board.text
    assert "关于late的通知" in board.text
    assert "关于fresh的通知" not in board.text
    fragment = client.get("/office/dashboard/board", params={"as_of": AS_OF}, headers=jar)
    assert fragment.status_code == 200
    assert 'id="stuck"' in fragment.text
    document = client.get(f"/office/documents/{docs.late}", headers=jar)
    assert document.status_code == 200
    assert document.json()["document"]["id"] == docs.late
    # The cookie opens /office only: the rest of the API still wants the bearer header.
    assert client.get(f"/documents/{docs.late}", headers=jar).status_code == 401

    out = client.post("/office/logout")
    assert out.status_code == 303
    assert "gongkai_office=" in out.headers["set-cookie"]
