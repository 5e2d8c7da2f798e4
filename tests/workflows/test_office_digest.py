"""The office digest's tasks on a real database and a real local webhook: a stuck document is
alerted once, a rerun for the same instant sends nothing (the flow itself only chains them)."""

from __future__ import annotations

from datetime import datetime

from models.db import session_scope
from policies.calendar import SHANGHAI
from policies.statuses import Status
from tests.factories import make_document
from workflows import runtime
from workflows.alerts import deliver_alerts
from workflows.office_digest import raise_stuck
from workflows.runtime import as_of_instant


def test_the_digest_alerts_a_stuck_document_once(configured: list[str]) -> None:
    with session_scope(runtime.engine()) as session:
        document = make_document(
            session,
            status=Status.SECRECY_REVIEW,
            status_changed_at=datetime(2026, 9, 29, 10, tzinfo=SHANGHAI),
        )
        document_id = document.id
    at = as_of_instant("2026-10-16T10:00:00")  # naive: read as Asia/Shanghai
    assert at == datetime(2026, 10, 16, 10, tzinfo=SHANGHAI)
    for _ in range(2):
        raise_stuck.fn(at)
        delivery = deliver_alerts.fn(at)
        assert delivery["failed"] == 0
    assert configured == [f"stuck:{document_id}:secrecy_review:20260929T020000000000Z:overdue"]
