"""Alerts are raised once per key and delivered by a notifier; a failing notifier loses nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.alerts import Alert
from services.office.alerts import (
    AlertSpec,
    LogNotifier,
    WebhookNotifier,
    deliver_pending,
    make_notifier,
    raise_alert,
    raise_alerts,
)
from tests.browser_support import serve_app

AT = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)


def _spec(key: str = "deadline:1:50%") -> AlertSpec:
    return AlertSpec(
        key=key,
        kind="deadline.share",
        threshold="50%",
        message="publication window 50% elapsed (条例 art. 26)",
        payload={"due_at": AT.isoformat()},
    )


def test_an_alert_is_raised_once_per_key(session: Session) -> None:
    first = raise_alert(session, _spec(), at=AT)
    again = raise_alert(session, _spec(), at=AT + timedelta(hours=1))
    other = raise_alert(session, _spec("deadline:1:overdue"), at=AT)
    session.commit()

    assert first is not None
    assert other is not None
    assert again is None
    assert len(session.exec(select(Alert)).all()) == 2


def test_a_batch_raises_each_new_key_once_in_one_statement(session: Session) -> None:
    raise_alert(session, _spec("known"), at=AT)
    batch = [_spec("a"), _spec("known"), _spec("b"), _spec("a")]
    raised = raise_alerts(session, batch, at=AT + timedelta(hours=1))
    session.commit()

    assert raised == ["a", "b"]
    stored = {a.key: a for a in session.exec(select(Alert)).all()}
    assert sorted(stored) == ["a", "b", "known"]
    assert stored["known"].raised_at == AT  # the first raise stands
    assert stored["a"].payload == {"due_at": AT.isoformat()}
    assert stored["a"].notified_at is None
    assert raise_alerts(session, batch, at=AT) == []
    assert raise_alerts(session, [], at=AT) == []


def test_a_concurrent_raiser_of_the_same_key_wins_and_the_batch_steps_back(
    engine: Engine,
) -> None:
    # The first raiser holds its uncommitted row; the batch waits on the key, then skips it.
    first = Session(engine)
    raise_alerts(first, [_spec("shared")], at=AT)
    result: list[list[str]] = []

    def second() -> None:
        with Session(engine) as other:
            result.append(raise_alerts(other, [_spec("shared"), _spec("own")], at=AT))
            other.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waiting for the first raiser's key (or SQLite's write lock)
    first.commit()
    first.close()
    thread.join(10)
    assert result == [["own"]]
    with Session(engine) as check:
        assert sorted(a.key for a in check.exec(select(Alert)).all()) == ["own", "shared"]


def test_delivery_marks_alerts_sent_and_sends_each_once(session: Session) -> None:
    raise_alert(session, _spec("a"), at=AT)
    raise_alert(session, _spec("b"), at=AT + timedelta(seconds=1))
    session.commit()

    received: list[list[str]] = []

    class Recording:
        name = "recording"

        def send(self, alerts: Any) -> None:
            received.append([alert.key for alert in alerts])

    assert deliver_pending(session, Recording(), at=AT).delivered == 2
    session.commit()
    assert deliver_pending(session, Recording(), at=AT).delivered == 0
    assert received == [["a", "b"]]
    rows = session.exec(select(Alert)).all()
    assert {row.notifier for row in rows} == {"recording"}
    assert all(row.notified_at == AT for row in rows)


def test_a_failing_webhook_keeps_alerts_for_the_next_pass(session: Session) -> None:
    bodies: list[dict[str, Any]] = []
    answers = iter([503, 204])
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        bodies.append(await request.json())
        return Response(status_code=next(answers))

    raise_alert(session, _spec(), at=AT)
    session.commit()
    with serve_app(receiver) as base:
        notifier = make_notifier(f"{base}/hook", timeout=5)
        assert isinstance(notifier, WebhookNotifier)
        failed = deliver_pending(session, notifier, at=AT)
        session.commit()
        row = session.exec(select(Alert)).one()
        session.refresh(row)
        assert failed.failed == 1
        assert "503" in (failed.error or "")
        assert row.notified_at is None
        assert row.attempts == 1
        assert "503" in (row.last_error or "")

        assert deliver_pending(session, notifier, at=AT).delivered == 1
        session.commit()
    session.refresh(row)
    assert row.notified_at == AT
    assert row.last_error is None
    assert row.attempts == 2
    assert bodies[1]["alerts"][0]["message"] == "publication window 50% elapsed (条例 art. 26)"


def test_the_default_notifier_logs(session: Session, caplog: Any) -> None:
    assert isinstance(make_notifier(None), LogNotifier)
    raise_alert(session, _spec(), at=AT)
    deliver_pending(session, LogNotifier(), at=AT)
    assert "deadline:1:50%" in caplog.text
