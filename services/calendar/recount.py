"""Healing stored deadlines when a year is loaded or corrected (issue 20): every stored
working-day deadline whose count touched the year is counted again on the calendar now loaded;
each change is audited (old and new due time), and the alerts raised on the old due time (a
publication window's, an application's) are withdrawn (a notice is raised for those already
delivered). The window checks raise the right ones again (services.publication.windows,
services.applications.alerts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.alerts import Alert
from models.deadlines import Deadline
from models.documents import Document
from policies.calendar import SHANGHAI, deadline_text, end_of_day
from services.audit import record_event
from services.calendar.years import profile_calendars
from services.office.alerts import AlertSpec, raise_alerts

DEADLINE_RECOUNTED = "deadline.recounted"
ALERT_WITHDRAWN = "window.withdrawn"


@dataclass(frozen=True)
class Recount:
    """One stored deadline counted again: its old and new due time and provisional flag."""

    deadline_id: int
    document_id: int
    kind: str
    old_due: datetime
    new_due: datetime
    old_provisional: bool
    new_provisional: bool


@dataclass(frozen=True)
class RecountReport:
    """What a recount did: deadlines looked at, those changed, alerts withdrawn (their keys)."""

    checked: int
    changed: tuple[Recount, ...]
    withdrawn: tuple[str, ...]


def _depends_on(years: set[int] | None) -> sa.ColumnElement[bool]:
    counted = col(Deadline.working_days).is_not(None)
    if years is None:  # the sweep: every open deadline still counted provisionally
        return sa.and_(counted, col(Deadline.met_at).is_(None))
    # A count touched a year iff its day zero is before the year's end and its last day is in
    # or after the year (the last day ends at 24:00, i.e. due_at is after 00:00 of 1 Jan).
    return sa.and_(
        counted,
        sa.or_(
            *(
                sa.and_(
                    col(Deadline.counted_from) < date(year + 1, 1, 1),
                    col(Deadline.due_at) > end_of_day(date(year - 1, 12, 31)),
                )
                for year in years
            )
        ),
    )


def recount_deadlines(
    session: Session, *, at: datetime, years: Iterable[int] | None = None
) -> RecountReport:
    """Count again every stored working-day deadline that touched one of `years` (met ones
    too: their due time is history the statistics read), or with years None every open one;
    audit each change and withdraw the window alerts raised on its old due time."""
    wanted = None if years is None else set(years)
    rows = session.exec(
        select(Deadline, Document.policy_profile)
        .join(Document, col(Document.id) == col(Deadline.document_id))
        .where(_depends_on(wanted))
        .order_by(col(Deadline.id))
    ).all()
    calendars = profile_calendars(session)
    changed: list[Recount] = []
    withdrawn: list[str] = []
    for row, profile_name in rows:
        if row.counted_from is None or row.working_days is None or profile_name not in calendars:
            continue
        due, provisional = calendars[profile_name].deadline_end(row.counted_from, row.working_days)
        if (due, provisional) == (row.due_at, row.provisional):
            continue
        assert row.id is not None
        assert row.document_id is not None  # joined with its document
        change = Recount(
            row.id, row.document_id, row.kind, row.due_at, due, row.provisional, provisional
        )
        changed.append(change)
        row.due_at, row.provisional = due, provisional
        session.add(row)
        record_event(
            session=session,
            action=DEADLINE_RECOUNTED,
            at=at,
            document_id=row.document_id,
            version_id=row.version_id,
            before={
                "kind": row.kind,
                "due_at": _iso(change.old_due),
                "provisional": change.old_provisional,
            },
            after={"kind": row.kind, "due_at": _iso(due), "provisional": provisional},
            reason=f"working-day calendar loaded or corrected; {row.working_days} WD from "
            f"{row.counted_from} ({row.basis})",
        )
        if due != change.old_due:
            withdrawn += _withdraw_alerts(session, f"window:{row.id}:", due, provisional, at=at)
    session.flush()
    recounted, withdrawn_there = _recount_applications(session, wanted, at)
    withdrawn += withdrawn_there
    return RecountReport(len(rows) + recounted, tuple(changed), tuple(withdrawn))


def _recount_applications(
    session: Session, years: set[int] | None, at: datetime
) -> tuple[int, list[str]]:
    """Count the clocks of the applications whose open deadlines touched the years again from
    their events (a consultation's working days depend on the calendar too), and withdraw the
    alerts raised on a due time a deadline no longer has: their number, the alerts' keys."""
    from services.applications.clock import refresh_deadlines
    from services.applications.views import get_application

    ids = session.exec(
        select(Deadline.application_id)
        .where(
            col(Deadline.application_id).is_not(None),
            col(Deadline.met_at).is_(None),
            _depends_on(years),
        )
        .distinct()
    ).all()
    calendars = profile_calendars(session)
    withdrawn: list[str] = []
    for application_id in ids:
        assert application_id is not None
        application = get_application(session, application_id)
        calendar = calendars[application.policy_profile]
        before = {row.id: row.due_at for row in _deadlines_of(session, application_id)}
        refresh_deadlines(session=session, application=application, calendar=calendar, at=at)
        for row in _deadlines_of(session, application_id):
            if row.id in before and row.due_at != before[row.id]:
                prefix = f"application:{row.id}:"
                withdrawn += _withdraw_alerts(session, prefix, row.due_at, row.provisional, at=at)
    return len(ids), withdrawn


def _deadlines_of(session: Session, application_id: int) -> list[Deadline]:
    return list(
        session.exec(select(Deadline).where(col(Deadline.application_id) == application_id)).all()
    )


def _withdraw_alerts(
    session: Session, prefix: str, due: datetime, provisional: bool, *, at: datetime
) -> list[str]:
    """Withdraw the alerts of one deadline (their keys start with `prefix`, then the due time
    they were raised on) raised on a due time it no longer has."""
    new_due = due.astimezone(SHANGHAI).strftime("%Y%m%dT%H%M")
    alerts = session.exec(
        select(Alert).where(
            col(Alert.key).startswith(prefix),
            ~col(Alert.key).startswith(f"{prefix}{new_due}:"),
            col(Alert.withdrawn_at).is_(None),
        )
    ).all()
    notices = []
    for alert in alerts:
        alert.withdrawn_at = at
        session.add(alert)
        if alert.notified_at is not None:  # whoever received it is told it no longer holds
            notices.append(
                AlertSpec(
                    key=f"withdrawn:{alert.key}",
                    kind=ALERT_WITHDRAWN,
                    threshold=alert.threshold,
                    message=f"撤回提醒：{alert.message}——期限已按录入的节假日安排重新计算，"
                    f"新期限 {deadline_text(due, provisional=provisional)}",
                    document_id=alert.document_id,
                    organ_id=alert.organ_id,
                    payload={"withdrawn_key": alert.key, "due_at": _iso(due)},
                )
            )
    raise_alerts(session, notices, at=at)
    return [alert.key for alert in alerts]


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()
