"""Delivering alerts: the task every scheduled check ends with (services/office/alerts.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.settings import get_settings
from services.office.alerts import deliver_pending, make_notifier
from workflows.runtime import unit_of_work


@task(cache_policy=NO_CACHE, persist_result=False)
def deliver_alerts(at: datetime) -> dict[str, Any]:
    """Send the undelivered alerts as one batch with the configured notifier (webhook, or log);
    on failure they stay undelivered, with the error, for the next run."""
    settings = get_settings()
    notifier = make_notifier(
        settings.alert_webhook_url, timeout=settings.alert_webhook_timeout_seconds
    )
    with unit_of_work() as session:
        delivery = deliver_pending(session, notifier, at=at)
    return {"delivered": delivery.delivered, "failed": delivery.failed, "error": delivery.error}
