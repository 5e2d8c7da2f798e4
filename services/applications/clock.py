"""An application's clock (条例 arts. 30–34): its events recorded, its state computed by
policies.application_clock, its deadlines (补正 notice, reply) stored in the deadlines table
beside the documents' and alerted like them."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from models.applications import Application, ApplicationClockEvent
from models.base import id_of
from models.deadlines import Deadline
from models.users import User
from policies.application_clock import (
    ClockEvent,
    ReplyClock,
    application_deadlines,
    check_event,
    reply_clock,
)
from policies.calendar import WorkingDayCalendar, local_date
from policies.deadlines import DeadlineKind
from services.audit import record_act
from services.calendar import calendar_for
from services.errors import RequestInvalid
from services.timestamps import require_aware

CLOCK_EVENT_RECORDED = "application.clock_event"


def clock_events(session: Session, application_id: int) -> list[ClockEvent]:
    """The application's clock events as the policy reads them, in the order recorded."""
    rows = session.exec(
        select(ApplicationClockEvent)
        .where(col(ApplicationClockEvent.application_id) == application_id)
        .order_by(col(ApplicationClockEvent.id))
    ).all()
    return [
        ClockEvent(
            r.kind, r.occurred_on, r.days, r.until, r.party, r.consultation, r.approved_by_head
        )
        for r in rows
    ]


def clock_of(session: Session, application: Application, as_of: datetime) -> ReplyClock:
    """Where the application's clock stands at as_of (Asia/Shanghai day)."""
    calendar = calendar_for(application.policy_profile, session=session)
    events = clock_events(session, id_of(application))
    return reply_clock(calendar, events, local_date(as_of))


def refresh_deadlines(
    *,
    session: Session,
    application: Application,
    calendar: WorkingDayCalendar,
    at: datetime,
    as_of: date | None = None,
) -> ReplyClock:
    """Store the deadlines the clock sets now: upsert each; a reply deadline that can no longer
    be counted (a supplement is awaited) is closed until the supplement arrives."""
    application_id = id_of(application)
    clock = reply_clock(calendar, clock_events(session, application_id), as_of or local_date(at))
    values = {d.kind: d for d in application_deadlines(clock)}
    rows = {
        DeadlineKind(r.kind): r
        for r in session.exec(
            select(Deadline).where(col(Deadline.application_id) == application_id)
        ).all()
    }
    for kind, value in values.items():
        row = rows.get(kind) or Deadline(
            application_id=application_id,
            kind=kind.value,
            due_at=value.due_at,
            basis=value.source,
            created_at=at,
        )
        changed = (row.due_at, row.provisional) != (value.due_at, value.provisional)
        row.due_at, row.basis, row.provisional = value.due_at, value.source, value.provisional
        row.counted_from, row.working_days = value.counted_from, value.working_days
        if changed or row.closed_at is not None:
            row.closed_at = None
        session.add(row)
    reply = rows.get(DeadlineKind.APPLICATION_REPLY)
    if DeadlineKind.APPLICATION_REPLY not in values and reply is not None and reply.met_at is None:
        reply.closed_at = at
        session.add(reply)
    session.flush()
    return clock


def end_deadline(
    session: Session, application_id: int, kind: DeadlineKind, at: datetime, *, met: bool = True
) -> None:
    """Mark the application's deadline of this kind met (or closed unmet), if it is open."""
    row = session.exec(
        select(Deadline).where(
            col(Deadline.application_id) == application_id, col(Deadline.kind) == kind.value
        )
    ).first()
    if row is None or row.met_at is not None or row.closed_at is not None:
        return
    if met:
        row.met_at = at
    else:
        row.closed_at = at
    session.add(row)


def record_clock_event(
    *,
    session: Session,
    application: Application,
    event: ClockEvent,
    person: User,
    at: datetime,
    channel: str = "api",
) -> ReplyClock:
    """Record one clock event after checking it against the law (补正 once, one extension of
    at most 20 WD with the head's approval, consultations answered once); the deadlines follow."""
    require_aware(at)
    application_id = id_of(application)
    findings = check_event(clock_events(session, application_id), event)
    if findings:
        raise RequestInvalid("; ".join(f.message for f in findings), findings)
    session.add(
        ApplicationClockEvent(
            application_id=application_id,
            kind=event.kind,
            occurred_on=event.on,
            days=event.days,
            until=event.until,
            party=event.party,
            consultation=event.consultation,
            approved_by_head=event.approved_by_head,
            recorded_by=person.id,
            recorded_at=at,
        )
    )
    session.flush()
    if event.kind.value == "supplement_requested":
        end_deadline(session, application_id, DeadlineKind.APPLICATION_SUPPLEMENT, at)
    calendar = calendar_for(application.policy_profile, session=session)
    clock = refresh_deadlines(
        session=session, application=application, calendar=calendar, at=at, as_of=event.on
    )
    record_act(
        session=session,
        person=person,
        action=CLOCK_EVENT_RECORDED,
        at=at,
        channel="ui" if channel == "ui" else "api",
        after={
            "application_id": application_id,
            "kind": event.kind.value,
            "on": event.on.isoformat(),
            "days": event.days,
            "reply_due_on": clock.reply_due_on.isoformat() if clock.reply_due_on else None,
        },
        reason=clock.basis,
    )
    return clock
