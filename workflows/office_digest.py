"""The office digest (issue 5): raise an alert for each newly stuck document (near, then
overdue; once per document, stage entry and threshold) and deliver every pending alert in one
batch to the configured notifier (webhook, or log + database).

A scheduled deployment (workflows/schedules.py), runnable by hand for any instant through
`as_of` (ISO 8601; without an offset it is read as Asia/Shanghai time; empty = now). A rerun for
the same instant raises nothing new and delivers nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import get_settings
from policies.calendar import SHANGHAI
from services.alerts import deliver_pending, make_notifier
from services.office_monitor import raise_stuck_alerts
from workflows.runtime import now, unit_of_work

DIGEST_FLOW = "office-digest"


def instant(as_of: str | None) -> datetime:
    """The instant a run checks: `as_of` (naive = Asia/Shanghai), or now."""
    if not as_of or not as_of.strip():
        return now()
    moment = datetime.fromisoformat(as_of.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def _prefect_ui() -> str:
    settings = get_settings()
    return (settings.prefect_ui_url or settings.prefect_api_url).rstrip("/").removesuffix("/api")


@task(cache_policy=NO_CACHE, persist_result=False)
def raise_stuck(at: datetime) -> int:
    """Alert every document past or near its stage allowance (once per threshold)."""
    with unit_of_work() as session:
        return raise_stuck_alerts(
            session, as_of=at, near_share=get_settings().stuck_near_share, flow_run_ui=_prefect_ui()
        )


@task(cache_policy=NO_CACHE, persist_result=False)
def deliver_digest(at: datetime) -> dict[str, Any]:
    """Send the undelivered alerts as one batch with the configured notifier."""
    settings = get_settings()
    notifier = make_notifier(
        settings.alert_webhook_url, timeout=settings.alert_webhook_timeout_seconds
    )
    with unit_of_work() as session:
        delivery = deliver_pending(session, notifier, at=at)
    return {"delivered": delivery.delivered, "failed": delivery.failed, "error": delivery.error}


@flow(name=DIGEST_FLOW, persist_result=False)
def office_digest(as_of: str | None = None) -> dict[str, Any]:
    """Stuck documents at `as_of` → alerts (once per threshold) → one digest to the notifier."""
    at = instant(as_of)
    raised = raise_stuck(at)
    delivery = deliver_digest(at)
    return {"as_of": at.isoformat(), "raised": raised, **delivery}
