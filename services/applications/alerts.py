"""Alerts on applications' deadlines, raised like those of the publication windows (domain §10
rules 13, 20): at each configured share of the window, in working days, and when overdue; once
per deadline, due instant and threshold (a recount that moves the date alerts again)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from models.applications import Application
from models.deadlines import Deadline
from policies.calendar import SHANGHAI, deadline_text, end_of_day
from policies.deadlines import DeadlineKind
from policies.windows import (
    DEFAULT_SHARES,
    OVERDUE,
    WindowUnit,
    threshold_label,
    thresholds_crossed,
)
from services.calendar import profile_calendars
from services.office.alerts import AlertSpec, raise_alerts
from services.timestamps import require_aware

ALERT_SHARE = "application.share"
ALERT_OVERDUE = "application.overdue"
_WHAT = {
    DeadlineKind.APPLICATION_SUPPLEMENT.value: "补正告知（条例第三十条，7个工作日）",
    DeadlineKind.APPLICATION_REPLY.value: "答复（条例第三十三条）",
}


def check_application_windows(
    session: Session, *, at: datetime, shares: Iterable[float] = DEFAULT_SHARES
) -> list[str]:
    """Raise one alert per open application deadline and threshold crossed at `at`; the keys
    newly raised."""
    require_aware(at)
    wanted = tuple(shares)
    rows = session.exec(
        select(Deadline, Application)
        .join(Application, col(Application.id) == col(Deadline.application_id))
        .where(col(Deadline.met_at).is_(None), col(Deadline.closed_at).is_(None))
        .order_by(col(Deadline.due_at), col(Deadline.id))
    ).all()
    calendars = profile_calendars(session)
    specs = []
    for deadline, application in rows:
        calendar = calendars[application.policy_profile]
        start = end_of_day(deadline.counted_from or application.received_on)
        crossed = thresholds_crossed(
            start, deadline.due_at, at, WindowUnit.WORKING_DAYS, calendar, wanted
        )
        due = deadline.due_at.astimezone(SHANGHAI).strftime("%Y%m%dT%H%M")
        for share in crossed:
            state = "已逾期" if share >= OVERDUE else f"时限已过{threshold_label(share)}"
            when = deadline_text(deadline.due_at, provisional=deadline.provisional)
            specs.append(
                AlertSpec(
                    key=f"application:{deadline.id}:{due}:{threshold_label(share)}",
                    kind=ALERT_OVERDUE if share >= OVERDUE else ALERT_SHARE,
                    threshold=threshold_label(share),
                    message=f"申请 {application.number} {_WHAT[deadline.kind]}{state}："
                    f"应于 {when}前完成；依据 {deadline.basis}",
                    organ_id=application.organ_id,
                    payload={
                        "application_id": application.id,
                        "deadline_id": deadline.id,
                        "deadline_kind": deadline.kind,
                        "due_at": deadline.due_at.isoformat(),
                        "share": share,
                    },
                )
            )
    return raise_alerts(session, specs, at=at)
