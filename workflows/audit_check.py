"""The daily verification of the audit record's hash chain (issue 21): an alert on a break, else
the chain's head (count, hash) in the day's digest, delivered by the configured notifier.

A scheduled deployment (workflows/schedules.py), runnable by hand for any instant (`as_of`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from services.audit_chain import check_chain_daily
from workflows.alerts import deliver_alerts
from workflows.runtime import as_of_instant, unit_of_work

AUDIT_CHECK_FLOW = "audit-verification"


@task(cache_policy=NO_CACHE, persist_result=False)
def verify_audit_record(at: datetime) -> dict[str, Any]:
    """Re-compute the chain; alert on the first break, or record today's head for the digest."""
    with unit_of_work() as session:
        return check_chain_daily(session=session, at=at).as_json()


@flow(name=AUDIT_CHECK_FLOW, persist_result=False)
def verify_audit(as_of: str | None = None) -> dict[str, Any]:
    """Verify the audit record at `as_of` → one alert (break, or the head) → deliver."""
    at = as_of_instant(as_of)
    report = verify_audit_record(at)
    delivery = deliver_alerts(at)
    return {"as_of": at.isoformat(), **report, **delivery}
