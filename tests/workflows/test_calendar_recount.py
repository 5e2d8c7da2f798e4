"""The recount flow's task on a real database (issue 20): a year stored without its recount (as
if the import's own recount had not happened) is healed by the sweep, audited, and a second run
changes nothing. The 2027 file is a TEST FIXTURE, not the official schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from config.settings import get_settings
from models.audit import AuditEvent
from models.db import session_scope
from models.deadlines import Deadline
from policies.calendar import SHANGHAI
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.calendar import import_year, read_calendar_file
from services.calendar.recount import DEADLINE_RECOUNTED
from services.review import open_step
from tests.factories import id_of, make_document, make_user
from workflows import runtime
from workflows.calendar import recount

FIXTURE_2027 = (
    Path(__file__).parents[1] / "services/calendar/calendar_2027_TEST_FIXTURE_not_official.csv"
)


@pytest.fixture
def configured(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("GONGKAI_DATABASE_URL", database_url)
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    try:
        yield
    finally:
        runtime.engine().dispose()
        runtime.engine.cache_clear()
        get_settings.cache_clear()


def test_the_sweep_heals_a_provisional_deadline_once(configured: None) -> None:
    entered = datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
    with session_scope(runtime.engine()) as session:
        document = make_document(session, status=Status.SECRECY_REVIEW, status_changed_at=entered)
        open_step(
            session=session,
            document_id=id_of(document),
            version_id=document.current_version_id or 0,
            step=Step.SECRECY_REVIEW,
            at=entered,
        )
        value = read_calendar_file(2027, FIXTURE_2027.read_bytes())
        admin = make_user(session, role=Role.ADMIN)
        import_year(session=session, person=admin, value=value, at=entered)  # no recount
    at = datetime(2026, 12, 29, 9, tzinfo=SHANGHAI)
    first = recount.fn(at, None)
    assert [(r["old_due_at"], r["new_due_at"]) for r in first["recounted"]] == [
        ("2027-01-08T00:00:00+08:00", "2027-01-07T00:00:00+08:00")
    ]
    assert recount.fn(at, None)["recounted"] == []
    with session_scope(runtime.engine()) as session:
        row = session.exec(select(Deadline)).one()
        assert (row.due_at, row.provisional) == (datetime(2027, 1, 7, tzinfo=SHANGHAI), False)
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == DEADLINE_RECOUNTED)
        ).all()
        assert len(events) == 1
