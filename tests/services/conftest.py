"""Fixtures of the audit record's tests: entries recorded through the services, and the
database as an attacker with the engine's own credentials sees it (triggers dropped)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from models.db import session_scope
from models.decisions import Decision
from policies.roles import Role
from services.audit import record_event
from tests.factories import make_document, make_user
from tests.services.chain_support import set_triggers

RECORDED_AT = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def attacker(engine: Engine) -> Iterator[Engine]:
    """The database with its append-only triggers dropped; put back afterwards."""
    set_triggers(engine, create=False)
    yield engine
    set_triggers(engine, create=True)


@pytest.fixture
def recorded(engine: Engine) -> dict[str, int]:
    """Three audit events and one decision, recorded through the services' unit of work."""
    with session_scope(engine) as session:
        document = make_document(session)
        reviewer = make_user(session, role=Role.SECRECY_REVIEWER)
        events = [
            record_event(
                session=session,
                action=f"test.step{n}",
                document_id=document.id,
                after={"n": n, "文": "公开"},
                at=RECORDED_AT,
            )
            for n in range(3)
        ]
        decision = Decision(
            document_id=document.id,
            version_id=document.current_version_id,
            step="secrecy_review",
            kind="approve",
            decided_by=reviewer.id,
            role=Role.SECRECY_REVIEWER,
            channel="api",
            decided_at=RECORDED_AT,
        )
        session.add(decision)
    assert all(e.id for e in events)
    assert decision.id
    return {"event": events[1].id or 0, "decision": decision.id}
