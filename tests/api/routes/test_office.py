"""The office monitor over HTTP (SQLite and PostgreSQL): /office/stuck, /office/overdue, roles,
errors in the one shape, and the browser sign-in (token form → HttpOnly cookie for /office)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from models.db import session_scope
from models.deadlines import Deadline
from models.users import ApiToken, BrowserSession, User
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.statuses import Status
from policies.steps import Step
from services.accounts import (
    ensure_organ,
    hash_token,
    open_browser_session,
    revoke_browser_session,
    revoke_browser_sessions_of,
    revoke_token,
)
from services.review import open_step
from tests.api.conftest import Person, TestClient, browser_sign_in
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


def test_browser_sign_in_sets_a_strict_httponly_session_cookie_for_office_only(
    client: TestClient, people: dict[str, Person], docs: Docs, app: FastAPI
) -> None:
    page = client.get("/office/dashboard")
    assert page.status_code == 303
    assert page.headers["location"] == "/office/login"

    refused = browser_sign_in(client, "/office", people["drafter"].token)
    assert refused.status_code == 403
    assert "gongkai_office=" not in refused.headers.get("set-cookie", "")
    assert browser_sign_in(client, "/office", "wrong").status_code == 401

    signed_in = browser_sign_in(client, "/office", people["office"].token)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/office" in cookie
    session_id = client.cookies["gongkai_office"]
    # Issue 23 item 7: the cookie holds a random session id, never the bearer token, and the
    # database keeps only its hash.
    assert session_id != people["office"].token
    with Session(app.state.engine) as session:
        stored = session.exec(select(BrowserSession)).one()
    assert stored.id_hash == hash_token(session_id)
    assert stored.expires_at - stored.created_at == timedelta(hours=12)
    jar = {"Cookie": f"gongkai_office={session_id}"}

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
    # The token itself in the cookie opens nothing.
    token_jar = {"Cookie": f"gongkai_office={people['office'].token}"}
    client.cookies.clear()
    assert client.get("/office/dashboard/board", headers=token_jar).status_code == 401

    out = client.post("/office/logout", headers=jar)
    assert out.status_code == 303
    assert "gongkai_office=" in out.headers["set-cookie"]
    # Signing out revokes the session: the old cookie no longer opens anything.
    client.cookies.clear()
    assert client.get("/office/dashboard/board", headers=jar).status_code == 401


def test_the_sign_in_form_refuses_cross_site_posts_login_csrf_issue_23(
    client: TestClient, people: dict[str, Person]
) -> None:
    token = people["office"].token
    # No CSRF token (a foreign page's form cannot read ours), or one that is not the cookie's.
    bare = client.post("/office/login", data={"token": token})
    assert bare.status_code == 403
    client.get("/office/login")
    forged = client.post("/office/login", data={"token": token, "csrf_token": "forged"})
    assert forged.status_code == 403
    # A valid token pair sent from another origin, or marked cross-site by the browser.
    evil = browser_sign_in(client, "/office", token, origin="http://evil.example")
    assert evil.status_code == 403
    assert "http://evil.example" in evil.text
    assert (
        browser_sign_in(client, "/office", token, **{"sec-fetch-site": "cross-site"}).status_code
        == 403
    )
    assert "gongkai_office" not in client.cookies
    same_site = browser_sign_in(client, "/office", token, origin="http://gongkai.test")
    assert same_site.status_code == 303


def test_an_expired_or_revoked_browser_session_is_refused(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        user = session.get(User, people["office"].user.id)
        assert user is not None
        _, expired = open_browser_session(
            session=session,
            user=user,
            at=datetime.now(UTC) - timedelta(hours=13),
            lifetime=timedelta(hours=12),
        )
        _, revoked = open_browser_session(
            session=session, user=user, at=datetime.now(UTC), lifetime=timedelta(hours=12)
        )
        _, lost = open_browser_session(
            session=session, user=user, at=datetime.now(UTC), lifetime=timedelta(hours=12)
        )
        assert revoke_browser_session(session=session, session_id=revoked, at=datetime.now(UTC))
        session.commit()

    def board(session_id: str) -> Any:
        return client.get(
            "/office/dashboard/board", headers={"Cookie": f"gongkai_office={session_id}"}
        )

    assert board(lost).status_code == 200
    for session_id, reason in ((expired, "expired"), (revoked, "sign in again")):
        assert board(session_id).status_code == 401
        assert reason in board(session_id).json()["detail"]
    with Session(app.state.engine) as session:  # a lost laptop: every session of the person
        assert revoke_browser_sessions_of(session=session, user=user, at=datetime.now(UTC)) == 2
        session.commit()
    assert board(lost).status_code == 401


def test_revoking_a_token_ends_the_browser_sessions_opened_with_it(
    client: TestClient, people: dict[str, Person], app: FastAPI
) -> None:
    """A token revoked because others may hold it must not leave them a signed-in browser
    (the office pages show applicants' personal data) for the rest of the session's 12 hours."""
    assert browser_sign_in(client, "/office", people["office"].token).status_code == 303
    assert client.get("/office/dashboard/board").status_code == 200
    with Session(app.state.engine) as session:
        token_id = session.exec(
            select(ApiToken.id).where(col(ApiToken.user_id) == people["office"].user.id)
        ).one()
        revoke_token(session=session, token_id=token_id or 0, at=datetime.now(UTC))
        session.commit()
    refused = client.get("/office/dashboard/board")
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["detail"]
