"""Healing stored deadlines on the working-day calendar (issue 20).

Entering a year (`gongkai calendar import`, POST /office/calendar/{year}) recounts the deadlines
that touched it in the import's own unit of work, so that the calendar and the stored deadlines
never disagree. This flow runs the same recount as a daily sweep of every open deadline, and by
hand from the Prefect UI for chosen years: it recounts (audited: old and new due time), withdraws
the window alerts raised on a due time a deadline no longer has, checks the windows again and
delivers. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import get_settings
from policies.calendar import SHANGHAI
from services.calendar.recount import recount_deadlines
from services.publication.windows import check_windows
from workflows.alerts import deliver_alerts
from workflows.runtime import as_of_instant, unit_of_work

RECOUNT_FLOW = "recount-deadlines"


@task(cache_policy=NO_CACHE, persist_result=False)
def recount(at: datetime, years: list[int] | None) -> dict[str, Any]:
    """Count stored deadlines again on the loaded calendar; alerts on old due times withdrawn."""
    with unit_of_work() as session:
        report = recount_deadlines(session, at=at, years=years)
        windows = check_windows(session, at=at, shares=tuple(get_settings().alert_shares))
    return {
        "checked": report.checked,
        "recounted": [
            {
                "deadline_id": r.deadline_id,
                "old_due_at": r.old_due.astimezone(SHANGHAI).isoformat(),
                "new_due_at": r.new_due.astimezone(SHANGHAI).isoformat(),
                "provisional": r.new_provisional,
            }
            for r in report.changed
        ],
        "withdrawn": list(report.withdrawn),
        "raised": list(windows.raised),
    }


@flow(name=RECOUNT_FLOW, persist_result=False)
def recount_deadlines_flow(
    years: list[int] | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """Recount the stored deadlines that touched `years` (empty: every open deadline), then
    re-evaluate and deliver the window alerts."""
    at = as_of_instant(as_of)
    result = recount(at, years or None)
    return {"as_of": at.isoformat(), **result, **deliver_alerts(at)}
