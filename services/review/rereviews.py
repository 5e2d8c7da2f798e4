"""Re-review tasks of documents kept from the public: created once per document, kind and cycle
(条例 art. 18 定期评估审查; seeds 000 §三(二十一), 002 §三(三); domain §10 rule 16), listed for the
office with the date by which each must be decided and whether it is overdue (domain §10 rules 10,
16: the profile's allowance after the task fell due, policies.deadlines
`rereview_decision_deadline`). Deciding them is services/review/rereview_decisions.py.

A filed 依申请公开/不予公开 document whose last review (its filing, or the last re-review decision)
is older than the profile's interval gets one periodic re-review per cycle; services/
secrecy_expiry.py adds those due at the end of a secrecy period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from models.audit import AuditEvent
from models.chain import note_written
from models.db import insert_skipping_known, table_of
from models.documents import Document
from models.rereviews import Rereview
from models.versions import Marking
from policies.attributes import Attribute
from policies.calendar import WorkingDayCalendar, local_date
from policies.deadlines import rereview_decision_deadline
from policies.profiles import PROFILES, get_profile
from policies.roles import Role
from policies.statuses import Status
from policies.stuck import overdue_before
from policies.windows import periodic_rereview_due
from services.audit import SYSTEM
from services.calendar import calendar_for, profile_calendars
from services.documents import get_row
from services.errors import NotFound
from services.timestamps import require_aware

REREVIEW_CREATED = "rereview.created"
KEPT_FROM_PUBLIC = tuple(attribute for attribute in Attribute if not attribute.is_published)
_BATCH = 1000


def add_rereviews(session: Session, rows: list[Rereview], *, at: datetime) -> list[Rereview]:
    """Record the re-reviews whose document has none of that kind and cycle yet, with one audit
    event each; returns those recorded (with their ids). The unique key decides "once": a batch
    per INSERT … ON CONFLICT DO NOTHING, so a task recorded before, or by a concurrent run, is
    skipped by the database without a look-up or a savepoint, and a first sweep over a backlog
    of thousands writes them in a few statements."""
    table = table_of(Rereview)
    statement = insert_skipping_known(session, Rereview, "document_id", "kind", "cycle").returning(
        table.c.id, table.c.document_id, table.c.kind, table.c.cycle
    )
    unique = list({(r.document_id, r.kind, r.cycle): r for r in rows}.values())
    columns = [column for column in table.c if column.key != "id"]
    connection = session.connection()
    recorded: dict[tuple[int, str, str], int] = {}
    for i in range(0, len(unique), _BATCH):
        values = [
            {column.key: getattr(row, column.key) for column in columns}
            for row in unique[i : i + _BATCH]
        ]
        for rereview_id, document_id, kind, cycle in connection.execute(statement, values):
            recorded[(document_id, kind, cycle)] = rereview_id
    fresh = []
    for row in unique:  # new objects, not in the session: give them the ids just written
        rereview_id = recorded.get((row.document_id, row.kind, row.cycle))
        if rereview_id is not None:
            row.id = rereview_id
            fresh.append(row)
    if fresh:
        events = [_created_event(row, at) for row in fresh]
        table = table_of(AuditEvent)
        written = connection.execute(sa.insert(table).returning(table.c.id), events)
        note_written(session, "audit_events", sorted(row[0] for row in written))
    return fresh


def _created_event(row: Rereview, at: datetime) -> dict[str, object]:
    return {
        "occurred_at": at,
        "actor": SYSTEM,
        "role": Role.SYSTEM,
        "channel": "system",
        "action": REREVIEW_CREATED,
        "document_id": row.document_id,
        "version_id": row.version_id,
        "before": None,
        "after": {"rereview_id": row.id, "kind": row.kind, "cycle": row.cycle},
        "reason": row.basis,
    }


def new_rereview(
    *,
    document_id: int,
    version_id: int,
    kind: str,
    cycle: str,
    due_at: datetime,
    basis: str,
    at: datetime,
) -> Rereview:
    """An open re-review task (not yet added to the session)."""
    return Rereview(
        document_id=document_id,
        version_id=version_id,
        kind=kind,
        cycle=cycle,
        basis=basis,
        due_at=due_at,
        created_at=at,
    )


def create_due_rereviews(session: Session, *, at: datetime) -> list[Rereview]:
    """One periodic re-review per filed 依申请公开/不予公开 document whose last review is older
    than its profile's interval (条例 art. 18); a rerun creates nothing new."""
    require_aware(at)
    shortest = min(p.nondisclosure_review_interval.months for p in PROFILES.values())
    # A document filed more recently than the shortest interval cannot be due (ix_documents_
    # status_changed); a later re-review decision is taken into account below.
    filed_before = at - timedelta(days=28 * shortest)
    last_decided = (
        select(Rereview.document_id, func.max(Rereview.decided_at).label("last"))
        .where(col(Rereview.decided_at).is_not(None))
        .group_by(col(Rereview.document_id))
        .subquery()
    )
    open_periodic = (
        select(Rereview.id)
        .where(
            col(Rereview.document_id) == col(Document.id),
            col(Rereview.status) == "open",
            col(Rereview.kind) == "periodic",
        )
        .exists()
    )
    rows = session.execute(
        sa.select(
            col(Document.id),
            col(Document.current_version_id),
            col(Document.status_changed_at),
            col(Document.policy_profile),
            last_decided.c.last,
        )
        .join(Marking, col(Marking.version_id) == col(Document.current_version_id))
        .outerjoin(last_decided, last_decided.c.document_id == col(Document.id))
        .where(
            col(Document.status) == Status.FILED,
            col(Document.status_changed_at) <= filed_before,
            col(Marking.attribute).in_(KEPT_FROM_PUBLIC),
            ~open_periodic,  # the previous cycle is still open: no second task
        )
        .order_by(col(Document.id))
    ).all()
    due_now: list[Rereview] = []
    for document_id, version_id, filed_at, profile_name, last in rows:
        if document_id is None or version_id is None:
            continue
        reviewed = max(filed_at, last or filed_at)
        due = periodic_rereview_due(local_date(reviewed), get_profile(profile_name))
        if due.due_at <= at:
            due_now.append(
                new_rereview(
                    document_id=document_id,
                    version_id=version_id,
                    kind="periodic",
                    cycle=due.cycle,
                    due_at=due.due_at,
                    basis=due.source,
                    at=at,
                )
            )
    return add_rereviews(session, due_now, at=at)


@dataclass(frozen=True, slots=True)
class RereviewTask:
    """A re-review, the end of the period within which it must be decided (under its document's
    profile), whether that end is a guess beyond the calendar's years, and whether it is overdue:
    still open after that end."""

    rereview: Rereview
    document_title: str
    decide_by: datetime
    decide_by_provisional: bool
    overdue: bool


def _task(
    rereview: Rereview,
    title: str,
    profile_name: str,
    as_of: datetime,
    calendar: WorkingDayCalendar,
) -> RereviewTask:
    require_aware(as_of)
    profile = get_profile(profile_name)
    deadline = rereview_decision_deadline(rereview.due_at, profile, calendar)
    overdue = rereview.status == "open" and deadline.due_at < as_of
    return RereviewTask(rereview, title, deadline.due_at, deadline.provisional, overdue)


def task_of(session: Session, rereview: Rereview, *, as_of: datetime) -> RereviewTask:
    """The task view of one re-review at as_of, under its document's profile."""
    document = session.get(Document, rereview.document_id)
    if document is None:
        raise NotFound(f"document {rereview.document_id} does not exist")
    calendar = calendar_for(document.policy_profile, session=session)
    return _task(rereview, document.title, document.policy_profile, as_of, calendar)


def list_rereviews(
    session: Session,
    *,
    as_of: datetime,
    status: str | None = "open",
    limit: int = 100,
    offset: int = 0,
) -> list[RereviewTask]:
    """Re-reviews, oldest due first (ix_rereviews_status_due), as tasks at as_of."""
    statement = select(Rereview, Document.title, Document.policy_profile).join(
        Document, col(Document.id) == col(Rereview.document_id)
    )
    if status is not None:
        statement = statement.where(col(Rereview.status) == status)
    statement = statement.order_by(col(Rereview.due_at), col(Rereview.id))
    rows = session.exec(statement.offset(offset).limit(limit)).all()
    calendars = profile_calendars(session)
    return [_task(row, title, name, as_of, calendars[name]) for row, title, name in rows]


def _overdue(as_of: datetime, calendars: dict[str, WorkingDayCalendar]) -> ColumnElement[bool]:
    """The condition on Rereview joined with its Document that holds for an open re-review that
    is overdue at as_of, as `_task` finds it: for each profile, due before the instant
    from which a task would not yet be overdue (policies.stuck.overdue_before, the same
    working-day counting)."""
    require_aware(as_of)
    per_profile = [
        sa.and_(
            col(Document.policy_profile) == name,
            col(Rereview.due_at)
            < overdue_before(as_of, profile.rereview_decision_allowance, calendars[name]),
        )
        for name, profile in PROFILES.items()
    ]
    return sa.and_(col(Rereview.status) == "open", sa.or_(*per_profile))


def count_overdue_rereviews(session: Session, *, as_of: datetime) -> int:
    """How many open re-reviews are overdue at as_of."""
    statement = (
        select(func.count())
        .select_from(Rereview)
        .join(Document, col(Document.id) == col(Rereview.document_id))
        .where(_overdue(as_of, profile_calendars(session)))
    )
    return int(session.exec(statement).one())


def get_rereview(session: Session, rereview_id: int, *, for_update: bool = False) -> Rereview:
    """The re-review with this id (row-locked with for_update), or NotFound."""
    return get_row(session, Rereview, rereview_id, "re-review", for_update=for_update)
