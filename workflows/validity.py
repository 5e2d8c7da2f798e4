"""Scheduled expiry: a published document whose validity end date has passed becomes 已失效.

Idempotent: a document is expired once; running again for the same instant changes nothing
(domain §10 rule 15; seed 004 §二(二)).
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from services.publication.validity import expire_due
from workflows.publication import default_publisher
from workflows.runtime import as_of_instant, unit_of_work


@flow(name="validity-expiry")
def expire_validity(as_of: str | None = None) -> list[int]:
    """Mark every published document past its validity end date 已失效; returns their ids."""
    at = as_of_instant(as_of)
    with unit_of_work() as session:
        expired = expire_due(session=session, at=at, publisher=default_publisher())
    get_run_logger().info("expired %d document(s) as of %s: %s", len(expired), at, expired)
    return expired
