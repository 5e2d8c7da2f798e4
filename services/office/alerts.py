"""Alerts: raised once per key into the database, then delivered by a notifier (log or webhook).

Raising and delivering are separate steps, so a notifier that is down loses nothing: an alert
stays undelivered (with its last error) and the next delivery tries again. Raising the same key
twice is a no-op, which makes every scheduled check idempotent (issue 4 and issue 5: "each
alert once per threshold").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.alerts import Alert
from models.db import insert_skipping_known, table_of
from services.timestamps import require_aware

logger = logging.getLogger("gongkai.alerts")


@dataclass(frozen=True)
class AlertSpec:
    """What to raise: `key` decides "once" (e.g. f"deadline:{deadline_id}:50%")."""

    key: str
    kind: str
    threshold: str
    message: str
    document_id: int | None = None
    organ_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def raise_alert(session: Session, spec: AlertSpec, *, at: datetime) -> Alert | None:
    """Record the alert unless its key was raised before; the new Alert, or None if not new
    (one alert of `raise_alerts`)."""
    if not raise_alerts(session, [spec], at=at):
        return None
    return session.exec(select(Alert).where(Alert.key == spec.key)).one()


RAISE_BATCH = 500  # alerts per INSERT statement


def raise_alerts(session: Session, specs: Sequence[AlertSpec], *, at: datetime) -> list[str]:
    """Record every alert whose key was never raised, a batch per INSERT … ON CONFLICT (key) DO
    NOTHING: a key raised before, by a concurrent raiser or twice in `specs` is skipped by the
    database itself, with no look-up and no savepoint per alert (a first check over a backlog
    raises thousands). Returns the keys newly raised, in the order given."""
    require_aware(at)
    statement = insert_skipping_known(session, Alert, "key").returning(table_of(Alert).c.key)
    new: set[str] = set()
    for start in range(0, len(specs), RAISE_BATCH):
        rows = [_row(spec, at) for spec in specs[start : start + RAISE_BATCH]]
        new.update(session.connection().execute(statement, rows).scalars())
    raised = []
    for spec in specs:  # a key given twice is raised once
        if spec.key in new:
            new.discard(spec.key)
            raised.append(spec.key)
    return raised


def _row(spec: AlertSpec, at: datetime) -> dict[str, Any]:
    return {
        "key": spec.key,
        "kind": spec.kind,
        "threshold": spec.threshold,
        "message": spec.message,
        "document_id": spec.document_id,
        "organ_id": spec.organ_id,
        "payload": spec.payload,
        "raised_at": at,
        "attempts": 0,
    }


class Notifier(Protocol):
    """Where alerts go. `send` raises on failure; the alerts then stay undelivered."""

    name: str

    def send(self, alerts: Sequence[Alert]) -> None: ...


class LogNotifier:
    """The default: one log line per alert (the database row is the durable record)."""

    name = "log"

    def send(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            logger.warning(
                "alert %s [%s %s] %s", alert.key, alert.kind, alert.threshold, alert.message
            )


class WebhookNotifier:
    """POSTs a JSON batch `{"alerts": [...]}` to a URL; any non-2xx answer is a failure."""

    name = "webhook"

    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(self, alerts: Sequence[Alert]) -> None:
        body = {"alerts": [alert_payload(alert) for alert in alerts]}
        response = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
        response.raise_for_status()


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON shape of an alert for notifiers and the API."""
    return {
        "key": alert.key,
        "kind": alert.kind,
        "threshold": alert.threshold,
        "message": alert.message,
        "document_id": alert.document_id,
        "organ_id": alert.organ_id,
        "payload": json.loads(json.dumps(alert.payload, ensure_ascii=False, default=str)),
        "raised_at": alert.raised_at.isoformat(),
    }


def make_notifier(webhook_url: str | None = None, *, timeout: float = 10.0) -> Notifier:
    """The webhook notifier when a URL is configured, else the log notifier."""
    return WebhookNotifier(webhook_url, timeout=timeout) if webhook_url else LogNotifier()


@dataclass(frozen=True)
class Delivery:
    """What one delivery pass did."""

    delivered: int
    failed: int
    error: str | None = None


def deliver_pending(
    session: Session, notifier: Notifier, *, at: datetime, limit: int = 500
) -> Delivery:
    """Send undelivered alerts (oldest first) in one batch; mark them delivered or record why not.

    The caller commits. On failure every alert of the batch keeps `notified_at` NULL, its
    `attempts` grows and `last_error` says why, so the next pass retries it.
    """
    require_aware(at)
    pending = list(
        session.exec(
            select(Alert)
            .where(col(Alert.notified_at).is_(None), col(Alert.withdrawn_at).is_(None))
            .order_by(col(Alert.raised_at), col(Alert.id))
            .limit(limit)
        )
    )
    if not pending:
        return Delivery(delivered=0, failed=0)
    try:
        notifier.send(pending)
    except Exception as error:  # any notifier failure is recorded, never lost
        message = f"{type(error).__name__}: {error}"[:1000]
        session.execute(
            sa.update(Alert)
            .where(col(Alert.id).in_([alert.id for alert in pending]))
            .values(attempts=Alert.attempts + 1, last_error=message)
        )
        return Delivery(delivered=0, failed=len(pending), error=message)
    for alert in pending:
        alert.notified_at = at
        alert.notifier = notifier.name
        alert.attempts += 1
        alert.last_error = None
        session.add(alert)
    session.flush()
    return Delivery(delivered=len(pending), failed=0)
