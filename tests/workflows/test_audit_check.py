"""Issue 21: the daily verification of the audit record, on a real database and a real local
webhook: while the chain holds, its head (count, hash) leaves with the day's digest once; a
forged entry raises an alert naming it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import select

from models.alerts import Alert
from models.db import session_scope
from services.audit import record_event
from services.audit_chain import CHAIN_BROKEN_ALERT, CHAIN_HEAD_ALERT
from tests.factories import make_document
from workflows import runtime
from workflows.alerts import deliver_alerts
from workflows.audit_check import verify_audit_record
from workflows.runtime import as_of_instant


def test_the_daily_check_sends_the_head_once_and_alerts_a_forged_entry(
    configured: list[str],
) -> None:
    engine = runtime.engine()
    with session_scope(engine) as session:
        document = make_document(session)
        record_event(
            session=session,
            action="test.recorded",
            document_id=document.id,
            at=datetime(2026, 10, 15, tzinfo=UTC),
        )
    day = as_of_instant("2026-10-16T08:00:00")
    for _ in range(2):
        report = verify_audit_record.fn(day)
        deliver_alerts.fn(day)
    assert report["valid"] is True
    assert configured == [f"{CHAIN_HEAD_ALERT}:2026-10-16"]
    with session_scope(engine) as session:
        head = session.exec(select(Alert).where(Alert.kind == CHAIN_HEAD_ALERT)).one()
    assert head.payload["head_hash"] == report["head_hash"]
    assert report["head_hash"] in head.message
    assert f"{report['count']} entries" in head.message

    with engine.begin() as connection:
        forged = connection.execute(
            sa.insert(Alert.metadata.tables["audit_events"]).returning(sa.column("id")),
            {
                "occurred_at": day,
                "actor": "sun",
                "role": "signer",
                "channel": "ui",
                "action": "decision.recorded",
            },
        ).scalar_one()
    next_day = as_of_instant("2026-10-17T08:00:00")
    report = verify_audit_record.fn(next_day)
    deliver_alerts.fn(next_day)
    assert report["valid"] is False
    assert report["first_break"]["entry_id"] == forged
    assert configured[-1] == f"{CHAIN_BROKEN_ALERT}:None:audit_events:{forged}"
