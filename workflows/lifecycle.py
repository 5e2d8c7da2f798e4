"""Scheduled lifecycle flows (issue 4): window alerts, periodic re-reviews and secrecy expiry.

Each is a deployment with an interval schedule (workflows/schedules.py), visible in the Prefect
UI, and runnable by hand for any instant through `as_of` (ISO 8601; without an offset it is read
as Asia/Shanghai time; empty = now). Each is idempotent: alerts are raised once per key and
re-reviews once per document, kind and cycle, so a rerun for the same instant changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import get_settings
from services.applications.alerts import check_application_windows
from services.publication.windows import check_windows
from services.review import create_due_rereviews, create_expiry_rereviews
from workflows.alerts import deliver_alerts
from workflows.runtime import as_of_instant, unit_of_work

WINDOWS_FLOW = "check-windows"
REREVIEWS_FLOW = "create-rereviews"


@task(cache_policy=NO_CACHE, persist_result=False)
def raise_window_alerts(at: datetime, shares: tuple[float, ...]) -> dict[str, Any]:
    """Alert every open window at each share crossed and when overdue (once per key)."""
    with unit_of_work() as session:
        report = check_windows(session, at=at, shares=shares)
        applications = check_application_windows(session, at=at, shares=shares)
    return {
        "checked": report.checked,
        "raised": list(report.raised),
        "application_alerts": applications,
    }


@flow(name=WINDOWS_FLOW, persist_result=False)
def check_windows_flow(as_of: str | None = None) -> dict[str, Any]:
    """Publication and interpretation windows (domain §10 rules 12, 13) and applications' 补正
    and reply deadlines (rule 20): alert at the configured shares and when overdue, then
    deliver the pending alerts."""
    at = as_of_instant(as_of)
    alerts = raise_window_alerts(at, tuple(get_settings().alert_shares))
    delivery = deliver_alerts(at)
    return {"as_of": at.isoformat(), **alerts, **delivery}


@task(cache_policy=NO_CACHE, persist_result=False)
def periodic_rereviews(at: datetime) -> list[int]:
    """条例 art. 18: a re-review for each filed document whose last review is older than the
    profile's interval."""
    with unit_of_work() as session:
        return [row.id for row in create_due_rereviews(session, at=at) if row.id is not None]


@task(cache_policy=NO_CACHE, persist_result=False)
def secrecy_expiry_rereviews(at: datetime) -> list[int]:
    """保密法 2024 arts. 20, 24: a re-review when a secrecy period has ended (never publication)."""
    with unit_of_work() as session:
        return [row.id for row in create_expiry_rereviews(session, at=at) if row.id is not None]


@flow(name=REREVIEWS_FLOW, persist_result=False)
def create_rereviews_flow(as_of: str | None = None) -> dict[str, Any]:
    """Create the re-reviews due at `as_of`: periodic (条例 art. 18) and secrecy expiry."""
    at = as_of_instant(as_of)
    return {
        "as_of": at.isoformat(),
        "periodic": periodic_rereviews(at),
        "secrecy_expiry": secrecy_expiry_rereviews(at),
    }
