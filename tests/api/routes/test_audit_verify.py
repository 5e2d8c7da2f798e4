"""Issue 21: GET /office/audit/verify re-computes the hash chain (office and admin only)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import FastAPI

from models.db import session_scope
from services.audit import record_event
from tests.api.conftest import Person, TestClient


def test_office_and_admin_see_a_valid_chain_with_its_head(
    client: TestClient, people: dict[str, Person]
) -> None:
    for who in ("office", "admin"):
        answer = client.get("/office/audit/verify", headers=people[who].headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["valid"] is True
        assert body["first_break"] is None
        assert body["count"] >= 0
        assert len(body["head_hash"]) == 64


def test_other_roles_and_strangers_are_refused(
    client: TestClient, people: dict[str, Person]
) -> None:
    assert client.get("/office/audit/verify").status_code == 401
    for who in ("drafter", "reviewer"):
        assert client.get("/office/audit/verify", headers=people[who].headers).status_code == 403


def test_a_forged_audit_event_makes_the_answer_invalid_naming_it(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    engine = app.state.engine
    at = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    with engine.begin() as connection:
        forged = connection.execute(
            sa.text(
                "INSERT INTO audit_events (occurred_at, actor, role, channel, action) "
                "VALUES (:at, 'sun', 'signer', 'ui', 'decision.recorded') RETURNING id"
            ),
            {"at": at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at},
        ).scalar_one()
    body = client.get("/office/audit/verify", headers=people["office"].headers).json()
    assert body["valid"] is False
    assert body["first_break"]["entry_table"] == "audit_events"
    assert body["first_break"]["entry_id"] == forged
    assert "inserted behind the chain" in body["first_break"]["problem"]


def test_a_kept_head_the_chain_still_carries_holds_and_a_rewritten_one_is_named(
    app: FastAPI, client: TestClient, people: dict[str, Person]
) -> None:
    with session_scope(app.state.engine) as session:
        record_event(session=session, action="test.kept", at=datetime(2026, 3, 3, tzinfo=UTC))
    office = people["office"].headers
    now = client.get("/office/audit/verify", headers=office).json()
    assert now["valid"] is True
    assert now["count"] > 0
    kept = f"{now['count']}:{now['head_hash']}"
    body = client.get("/office/audit/verify", params={"kept": kept}, headers=office).json()
    assert body["valid"] is True
    assert body["heads_checked"] == 1
    forged = f"{now['count']}:{'0' * 64}"
    body = client.get("/office/audit/verify", params={"kept": [kept, forged]}, headers=office)
    assert body.json()["valid"] is False
    assert body.json()["first_break"]["seq"] == now["count"]
    assert "rewritten" in body.json()["first_break"]["problem"]
    beyond = f"{now['count'] + 5}:{now['head_hash']}"
    body = client.get("/office/audit/verify", params={"kept": beyond}, headers=office).json()
    assert body["valid"] is False
    assert "fewer than" in body["first_break"]["problem"]


def test_a_kept_head_that_is_no_count_and_hash_is_refused(
    client: TestClient, people: dict[str, Person]
) -> None:
    for kept in ("12", "12:abc", f"12:{'G' * 64}", f"-1:{'0' * 64}"):
        answer = client.get(
            "/office/audit/verify", params={"kept": kept}, headers=people["office"].headers
        )
        assert answer.status_code == 422, (kept, answer.text)
