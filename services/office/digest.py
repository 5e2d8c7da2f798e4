"""Stuck-document alerts for the office digest (issue 5): one alert per document, stage entry and
threshold reached (near, overdue), raised in the shared alerts table (services.office.alerts) and
delivered by its notifier."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from models.alerts import Alert
from models.base import json_value
from policies.calendar import SHANGHAI, local_date
from policies.stuck import DEFAULT_NEAR_SHARE, StuckLevel
from services.calendar import calendar_warning
from services.office.alerts import AlertSpec, raise_alerts
from services.office.stuck import MAX_LIMIT, StuckDocument, stuck_list

STUCK_ALERT_KIND = "stuck"


def stuck_alert_key(item: StuckDocument) -> str:
    """Once per document, stage entry and threshold: a rerun finds the same key; re-entering the
    stage later (a new status_changed_at) gives new keys."""
    entered = item.entered_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"stuck:{item.document_id}:{item.status.value}:{entered}:{item.level.value}"


def _alert_spec(item: StuckDocument) -> AlertSpec:
    local_due = item.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    local_in = item.entered_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    holder = item.held_by_name or (item.held_by_role.value if item.held_by_role else "?")
    what = "past" if item.level is StuckLevel.OVERDUE else "near"
    message = (
        f"《{item.title}》{' ' + item.doc_number if item.doc_number else ''} is {what} its "
        f"{item.status.value} allowance ({item.allowance}, local choice of profile "
        f"{item.policy_profile}; no national limit): in the stage since {local_in}, due "
        f"{local_due} Asia/Shanghai, {item.age_working_days} working days; held by {holder}."
    )
    payload = {k: json_value(v) for k, v in asdict(item).items() if v is not None}
    return AlertSpec(
        key=stuck_alert_key(item),
        kind=STUCK_ALERT_KIND,
        threshold=item.level.value,
        message=message[:2000],
        document_id=item.document_id,
        organ_id=item.organ_id,
        payload=payload,
    )


def raise_stuck_alerts(
    session: Session,
    *,
    as_of: datetime,
    near_share: float = DEFAULT_NEAR_SHARE,
    flow_run_ui: str | None = None,
    batch: int = MAX_LIMIT,
) -> int:
    """Raise one alert per stuck document, stage entry and threshold reached (near, overdue);
    a document already overdue when first seen gets the overdue alert only. Returns how many
    were new. The caller commits and delivers (services.office.alerts.deliver_pending)."""
    raised, offset = 0, 0
    while True:
        page = stuck_list(  # the list alone: the digest needs no counts
            session,
            as_of=as_of,
            near_share=near_share,
            limit=batch,
            offset=offset,
            flow_run_ui=flow_run_ui,
        )
        keys = [stuck_alert_key(item) for item in page]
        known = set(session.exec(select(Alert.key).where(col(Alert.key).in_(keys))).all())
        specs = [
            _alert_spec(item) for item, key in zip(page, keys, strict=True) if key not in known
        ]
        raised += len(raise_alerts(session, specs, at=as_of))
        if not page:  # not `len(page) < batch`: a page may hold fewer items than rows read
            return raised
        offset += batch


CALENDAR_MISSING = "calendar.missing"


def raise_calendar_alert(session: Session, *, as_of: datetime, warn_from: str) -> str | None:
    """Alert once per day while a year the office needs is not loaded (next year from
    warn_from, this year always); the warning's text, or None when nothing is missing."""
    warning = calendar_warning(session, as_of=as_of, warn_from=warn_from)
    if warning is None:
        return None
    day = local_date(as_of).isoformat()
    spec = AlertSpec(
        key=f"calendar:missing:{day}", kind=CALENDAR_MISSING, threshold="missing", message=warning
    )
    raise_alerts(session, [spec], at=as_of)
    return warning
