"""The office overview (issue 5): overdue publication and interpretation windows per organ, 退文
history, open re-reviews and escalations, and everything the office dashboard shows at once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.documents import Document
from models.office import WINDOW_TERM
from models.organs import Organ
from models.rereviews import Rereview
from policies.deadlines import DeadlineKind
from policies.roles import Role
from policies.statuses import Status
from policies.stuck import (
    DEFAULT_NEAR_SHARE,
    age_in_working_days,
)
from services.applications.office import OpenApplication, open_application_deadlines
from services.audit import STATUS_CHANGED
from services.calendar import calendar_for, calendar_warning
from services.office.stuck import CountRow, StuckReport, stuck_documents
from services.review import count_overdue_rereviews, list_rereviews
from services.timestamps import require_aware

# --- Overdue publication and interpretation windows (domain §11 #1-#4) -----------------------


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """One unmet publication or interpretation deadline that has passed."""

    deadline_id: int
    document_id: int
    title: str
    organ_code: str
    kind: str
    due_at: datetime
    basis: str
    provisional: bool  # counted into a year whose arrangement is not loaded


@dataclass(frozen=True, slots=True)
class OverdueReport:
    """Overdue window deadlines per organ (publication and interpretation), and the oldest."""

    as_of: datetime
    publication: int
    interpretation: int
    by_organ: list[CountRow]  # overdue = publication, near = interpretation (see labels)
    oldest: list[OverdueItem]


_PUBLICATION_KINDS = (DeadlineKind.PUBLICATION_LOCAL.value, DeadlineKind.PUBLICATION_CEILING.value)


def _window_open(as_of: datetime) -> list[ColumnElement[bool]]:
    # Same predicate as ix_deadlines_window_open, written literally, so PostgreSQL can use the
    # partial index.
    return [
        sa.literal_column(f"({WINDOW_TERM})", sa.Boolean),
        col(Deadline.due_at) < as_of,
        col(Deadline.closed_at).is_(None),  # filed instead of published: no longer due
    ]


def overdue_deadlines(session: Session, *, as_of: datetime, oldest: int = 20) -> OverdueReport:
    """Unmet publication (条例 art. 26; seed 000 §三(二十二)) and interpretation (seeds 002, 004)
    deadlines past due at as_of, counted per organ, with the `oldest` most overdue."""
    require_aware(as_of)
    rows = session.exec(
        select(col(Document.organ_id), col(Deadline.kind), func.count())
        .join(Document, col(Document.id) == col(Deadline.document_id))
        .where(*_window_open(as_of))
        .group_by(col(Document.organ_id), col(Deadline.kind))
    ).all()
    per_organ: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for organ_id, kind, count in rows:
        per_organ[organ_id][0 if kind in _PUBLICATION_KINDS else 1] += int(count)
    organs = (
        {o.id: o for o in session.exec(select(Organ).where(col(Organ.id).in_(list(per_organ))))}
        if per_organ
        else {}
    )
    by_organ = sorted(
        (
            CountRow(organs[oid].code, organs[oid].name, pub, interp)
            for oid, (pub, interp) in per_organ.items()
        ),
        key=lambda row: (-row.total, row.key),
    )
    late = session.exec(
        select(Deadline, Document.title, Organ.code)
        .join(Document, col(Document.id) == col(Deadline.document_id))
        .join(Organ, col(Organ.id) == col(Document.organ_id))
        .where(*_window_open(as_of))
        .order_by(col(Deadline.due_at), col(Deadline.id))
        .limit(oldest)
    ).all()
    return OverdueReport(
        as_of=as_of,
        publication=sum(row.overdue for row in by_organ),
        interpretation=sum(row.near for row in by_organ),
        by_organ=by_organ,
        oldest=[
            OverdueItem(
                d.id or 0, d.document_id or 0, title, code, d.kind, d.due_at, d.basis, d.provisional
            )
            for d, title, code in late
        ],
    )


# --- 退文 history, re-reviews, escalations ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnedEvent:
    """One 退文: the document went back to its drafter (at intake or by a reviewer)."""

    document_id: int
    title: str
    occurred_at: datetime
    actor: str
    role: Role
    channel: str
    reason: str | None


def returned_history(session: Session, *, limit: int = 20) -> list[ReturnedEvent]:
    """The latest 退文 from the audit log (every status change to 'returned'), newest first."""
    rows = session.exec(
        select(AuditEvent, Document.title)
        .join(Document, col(Document.id) == col(AuditEvent.document_id))
        .where(
            col(AuditEvent.action) == STATUS_CHANGED,
            col(AuditEvent.after)["status"].as_string() == Status.RETURNED.value,
        )
        .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    return [
        ReturnedEvent(
            e.document_id or 0, title, e.occurred_at, e.actor, e.role, e.channel, e.reason
        )
        for e, title in rows
    ]


@dataclass(frozen=True, slots=True)
class RereviewItem:
    """An open re-review (条例 art. 18; 保密法 2024 arts. 20, 24), the end of its decision period
    and whether it is overdue (domain §10 rules 10, 16)."""

    rereview_id: int
    document_id: int
    title: str
    kind: str
    due_at: datetime
    decide_by: datetime
    overdue: bool


@dataclass(frozen=True, slots=True)
class PendingRereviews:
    """How many re-reviews are open, how many of them are overdue, and the first ones due."""

    open: int
    overdue: int
    items: list[RereviewItem]


def pending_rereviews(session: Session, *, as_of: datetime, limit: int = 20) -> PendingRereviews:
    """How many re-reviews are open and overdue at as_of, and the `limit` due first."""
    require_aware(as_of)
    total = session.exec(
        select(func.count()).select_from(Rereview).where(col(Rereview.status) == "open")
    ).one()
    items = [
        RereviewItem(
            task.rereview.id or 0,
            task.rereview.document_id,
            task.document_title,
            task.rereview.kind,
            task.rereview.due_at,
            task.decide_by,
            task.overdue,
        )
        for task in list_rereviews(session, as_of=as_of, limit=limit)
    ]
    return PendingRereviews(int(total), count_overdue_rereviews(session, as_of=as_of), items)


@dataclass(frozen=True, slots=True)
class EscalationItem:
    """A document escalated to the competent department (domain §10 rule 8), waiting."""

    document_id: int
    title: str
    organ_code: str
    since: datetime
    age_working_days: int
    provisional: bool  # the age counted days of a year whose arrangement is not loaded


def escalations(
    session: Session, *, as_of: datetime, limit: int = 20
) -> tuple[int, list[EscalationItem]]:
    """How many documents wait in 'escalated', and the `limit` waiting longest."""
    require_aware(as_of)
    waiting = col(Document.status) == Status.ESCALATED
    total = session.exec(select(func.count()).select_from(Document).where(waiting)).one()
    rows = (
        session.connection()
        .execute(
            sa.select(
                col(Document.id),
                col(Document.title),
                col(Organ.code),
                col(Document.status_changed_at),
            )
            .join(Organ, col(Organ.id) == col(Document.organ_id))
            .where(waiting)
            .order_by(col(Document.status_changed_at), col(Document.id))
            .limit(limit)
        )
        .all()
    )
    calendar = calendar_for("national", session=session)
    return int(total), [
        EscalationItem(
            doc_id or 0, title, code, since, *age_in_working_days(since, as_of, calendar)
        )
        for doc_id, title, code, since in rows
    ]


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the office page shows, at one instant."""

    stuck: StuckReport
    overdue: OverdueReport
    returned: list[ReturnedEvent]
    rereviews: PendingRereviews
    escalated: int
    escalations: list[EscalationItem] = field(default_factory=list)
    calendar_warning: str | None = None  # next year's holiday arrangement not loaded yet
    applications: list[OpenApplication] = field(default_factory=list)  # 条例 arts. 30, 33


def dashboard(
    session: Session,
    *,
    as_of: datetime,
    near_share: float = DEFAULT_NEAR_SHARE,
    limit: int = 50,
    flow_run_ui: str | None = None,
    calendar_warn_from: str = "11-01",
) -> Dashboard:
    """The office dashboard's data: stuck list and counts, overdue windows, 退文, re-reviews,
    escalations."""
    stuck = stuck_documents(
        session, as_of=as_of, near_share=near_share, limit=limit, flow_run_ui=flow_run_ui
    )
    rereviews = pending_rereviews(session, as_of=as_of)
    escalated, escalated_items = escalations(session, as_of=as_of)
    return Dashboard(
        stuck=stuck,
        overdue=overdue_deadlines(session, as_of=as_of),
        returned=returned_history(session),
        rereviews=rereviews,
        escalated=escalated,
        escalations=escalated_items,
        calendar_warning=calendar_warning(session, as_of=as_of, warn_from=calendar_warn_from),
        applications=open_application_deadlines(session, as_of=as_of, limit=limit),
    )
