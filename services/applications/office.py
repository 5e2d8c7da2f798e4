"""The office's list of open applications with their stored deadlines (条例 arts. 30, 33),
oldest due first, for the dashboard beside stuck documents. No personal data: the number, the
organ, the dates and the basis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models.applications import Application
from models.deadlines import Deadline
from models.organs import Organ
from policies.deadlines import DeadlineKind


@dataclass(frozen=True, slots=True)
class OpenApplication:
    """One open deadline of an application: what is due, when, on which basis, overdue?"""

    application_id: int
    number: str
    organ_code: str
    received_on: date
    kind: DeadlineKind
    due_at: datetime
    basis: str
    provisional: bool
    overdue: bool


def open_application_deadlines(
    session: Session, *, as_of: datetime, limit: int = 50
) -> list[OpenApplication]:
    """Open (neither met nor closed) deadlines of applications, earliest due first."""
    rows = session.exec(
        select(Deadline, Application, Organ.code)
        .join(Application, col(Application.id) == col(Deadline.application_id))
        .join(Organ, col(Organ.id) == col(Application.organ_id))
        .where(col(Deadline.met_at).is_(None), col(Deadline.closed_at).is_(None))
        .order_by(col(Deadline.due_at), col(Deadline.id))
        .limit(limit)
    ).all()
    return [
        OpenApplication(
            application_id=application.id or 0,
            number=application.number,
            organ_code=code,
            received_on=application.received_on,
            kind=DeadlineKind(deadline.kind),
            due_at=deadline.due_at,
            basis=deadline.basis,
            provisional=deadline.provisional,
            overdue=deadline.due_at <= as_of,
        )
        for deadline, application, code in rows
    ]
