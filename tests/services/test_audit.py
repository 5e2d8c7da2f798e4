"""The audit log is append-only: the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import session_scope
from policies.roles import Role
from services.audit import record_event
from tests.factories import make_document

AT = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def audited(engine: Engine) -> int:
    """The id of one recorded audit event."""
    with session_scope(engine) as session:
        document = make_document(session)
        event = record_event(
            session=session,
            actor="office-1",
            role=Role.DISCLOSURE_OFFICE,
            channel="ui",
            action="attribute.changed",
            document_id=document.id,
            before={"attribute": "withheld"},
            after={"attribute": "proactive"},
            reason="条例 art. 44",
            at=AT,
        )
    assert event.id is not None
    return event.id


def test_recorded_event_reads_back_as_written(engine: Engine, audited: int) -> None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT actor, role, channel, action FROM audit_events WHERE id = :id"),
            {"id": audited},
        ).one()
    assert tuple(row) == ("office-1", "disclosure_office", "ui", "attribute.changed")


def test_database_refuses_to_update_an_audit_event(engine: Engine, audited: int) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET reason = 'rewritten' WHERE id = :id"), {"id": audited}
        )


def test_database_refuses_to_delete_an_audit_event(engine: Engine, audited: int) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": audited})
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM audit_events")).scalar() == 1


def test_naive_time_is_refused(session: Session) -> None:
    record_event(
        session=session,
        actor="system",
        role=Role.SYSTEM,
        channel="system",
        action="noop",
        at=datetime(2025, 3, 4, 10, 0),  # noqa: DTZ001  (the point of the test)
    )
    with pytest.raises(sa.exc.StatementError, match="naive"):
        session.flush()  # the event is written with the unit of work
