"""Scheduled expiry: a published document whose validity end date has passed becomes 已失效.

Idempotent: a document is expired once; running again for the same instant changes nothing
(domain §10 rule 15; seed 004 §二(二)).
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from services.validity import expire_due
from workflows.runtime import now, unit_of_work


def _instant(as_of: str | None) -> datetime:
    if not as_of:
        return now()
    moment = datetime.fromisoformat(as_of)
    if moment.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} needs a time zone, e.g. 2026-11-22T08:00:00+08:00")
    return moment


@flow(name="validity-expiry")
def expire_validity(as_of: str | None = None) -> list[int]:
    """Mark every published document past its validity end date 已失效; returns their ids."""
    at = _instant(as_of)
    with unit_of_work() as session:
        expired = expire_due(session=session, at=at)
    get_run_logger().info("expired %d document(s) as of %s: %s", len(expired), at, expired)
    return expired
