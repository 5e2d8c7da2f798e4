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
from services.office.digest import raise_calendar_alert, raise_stuck_alerts
from workflows.alerts import deliver_alerts
from workflows.runtime import as_of_instant, unit_of_work

DIGEST_FLOW = "office-digest"


@task(cache_policy=NO_CACHE, persist_result=False)
def raise_stuck(at: datetime) -> int:
    """Alert every document past or near its stage allowance (once per threshold)."""
    with unit_of_work() as session:
        return raise_stuck_alerts(
            session,
            as_of=at,
            near_share=get_settings().stuck_near_share,
            flow_run_ui=get_settings().prefect_ui_base,
        )


@task(cache_policy=NO_CACHE, persist_result=False)
def warn_calendar(at: datetime) -> str | None:
    """From 1 November (a setting), alert once while next year's calendar is not loaded."""
    with unit_of_work() as session:
        return raise_calendar_alert(session, as_of=at, warn_from=get_settings().calendar_warn_from)


@flow(name=DIGEST_FLOW, persist_result=False)
def office_digest(as_of: str | None = None) -> dict[str, Any]:
    """Stuck documents at `as_of` → alerts (once per threshold), and the calendar warning →
    one digest to the notifier."""
    at = as_of_instant(as_of)
    raised = raise_stuck(at)
    calendar = warn_calendar(at)
    delivery = deliver_alerts(at)
    return {"as_of": at.isoformat(), "raised": raised, "calendar_warning": calendar, **delivery}
