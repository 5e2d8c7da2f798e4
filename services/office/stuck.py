"""Stuck documents (issue 5, the office monitor): documents waiting in a stage past (overdue) or
near their local allowance (policies/profiles.py), counted on the 调休 calendar exactly as
`services.review.steps.open_step` stores the stage deadline.

The list is queried by entry time, not through the stored stage-allowance rows: those rows are
one per document, reused by the next stage and never closed when a stage ends, so at a million
documents nearly all of them are stale. Instead `policies.stuck` turns (as_of, allowance) into an
entry-time cutoff per status and profile, and the query is "status = S and entered before the
cutoff" on `ix_documents_waiting` (models/office.py). The counts per stage and organ read
`ix_documents_waiting_status` instead: overdue and near in one status are two ranges of entry
times there, so each is an index-only range scan of exactly the documents counted. Working-day
ages are computed in Python for the page of rows returned only.

The statements are built once per shape (`_Shape`); the cutoffs are written into their SQL text
when they run (`_cutoff_param`), so the text changes only when the cutoffs do and PostgreSQL
reuses one prepared plan meanwhile. The list (`stuck_list`) and the counts (`stuck_counts`) can
be asked for alone; `stuck_documents` answers both from one set of cutoffs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from models.base import UTCDateTime
from models.deadlines import Deadline
from models.documents import Document
from models.office import WAITING_STATUSES, WAITING_TERM
from models.organs import Organ
from models.users import User
from models.versions import Marking
from policies.attributes import Attribute
from policies.calendar import Age, WorkingDayCalendar
from policies.deadlines import DeadlineKind
from policies.profiles import PROFILES
from policies.roles import Role
from policies.statuses import Stage, Status
from policies.steps import step_waiting_in
from policies.stuck import (
    DEFAULT_NEAR_SHARE,
    Allowance,
    StuckLevel,
    age_in_hours,
    ages_in_working_days,
    allowance_due,
    check_near_share,
    near_before,
    overdue_before,
    stuck_level,
)
from policies.units import ClockHours
from services.calendar import profile_calendars
from services.errors import RequestInvalid
from services.office.stranded import StrandedItem, stranded_reviews
from services.timestamps import require_aware

MAX_LIMIT = 500
_Rows = sa.Select[*tuple[Any, ...]]  # a SELECT of any columns


@dataclass(frozen=True, slots=True)
class StuckFilters:
    """Optional filters of the stuck list; `level` keeps only overdue or only near documents."""

    organ_id: int | None = None
    stage: Stage | None = None
    attribute: Attribute | None = None
    level: StuckLevel | None = None


@dataclass(frozen=True, slots=True)
class StuckDocument:
    """One stuck document: where it waits, who holds it, since when, and how late it is."""

    document_id: int
    title: str
    doc_number: str | None
    organ_id: int
    organ_code: str
    organ_name: str
    stage: Stage
    status: Status
    policy_profile: str
    held_by_role: Role | None
    held_by_user_id: int | None
    held_by_name: str | None
    entered_at: datetime
    due_at: datetime
    provisional: bool
    allowance: str  # e.g. "7 WD" or "2 h"
    age_working_days: int
    age_hours: float
    level: StuckLevel
    deadline_id: int | None  # the stored stage-allowance deadline, when it is this entry's
    flow_run_id: str | None
    flow_run_url: str | None


@dataclass(frozen=True, slots=True)
class CountRow:
    """Overdue and near documents of one stage or one organ."""

    key: str
    label: str
    overdue: int
    near: int

    @property
    def total(self) -> int:
        """Overdue and near together."""
        return self.overdue + self.near


@dataclass(frozen=True, slots=True)
class StuckReport:
    """A page of stuck documents, oldest entry first, with counts over all of them."""

    as_of: datetime
    near_share: float
    total: int
    overdue: int
    near: int
    limit: int
    offset: int
    items: list[StuckDocument]
    by_stage: list[CountRow]
    by_organ: list[CountRow]
    # Waiting at a human step with a review run that has ended: restart them (issue 21).
    stranded: list[StrandedItem] = field(default_factory=list)


@lru_cache(maxsize=256)
def _allowance(profile_name: str, status: Status) -> Allowance | None:
    """The profile's allowance for status (looked up once per process)."""
    return PROFILES[profile_name].allowance_for(status)


@dataclass(frozen=True, slots=True)
class _Cutoff:
    statuses: tuple[Status, ...]
    profiles: tuple[str, ...] | None  # None: every known profile (no filter needed)
    near_before: datetime
    overdue_before: datetime


def _cutoffs(
    as_of: datetime,
    near_share: float,
    statuses: Iterable[Status],
    calendars: dict[str, WorkingDayCalendar],
) -> list[_Cutoff]:
    """Entry-time cutoffs, statuses and profiles with the same cutoffs grouped together, so the
    query has as few terms as there are distinct allowances (a short plan to make)."""
    known: dict[tuple[Any, bool], tuple[datetime, datetime]] = {}  # same allowance, same cutoffs
    groups: dict[tuple[datetime, datetime, tuple[str, ...]], list[Status]] = defaultdict(list)
    for status in statuses:
        by_cutoff: dict[tuple[datetime, datetime], list[str]] = defaultdict(list)
        for profile in PROFILES.values():
            allowance = _allowance(profile.name, status)
            if allowance is None:
                continue
            key = (allowance, profile.makeup_days_count)
            if key not in known:
                calendar = calendars[profile.name]
                known[key] = (
                    near_before(as_of, allowance, calendar, near_share),
                    overdue_before(as_of, allowance, calendar),
                )
            by_cutoff[known[key]].append(profile.name)
        for (near, overdue), names in by_cutoff.items():
            groups[(near, overdue, tuple(sorted(names)))].append(status)
    everyone = tuple(sorted(PROFILES))
    return [
        _Cutoff(tuple(group), None if names == everyone else names, near, overdue)
        for (near, overdue, names), group in groups.items()
    ]


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the statements depend on besides values: the cutoff groups (statuses, profiles),
    the level and which filters are set. The statements are built once per shape (building them
    costs more Python than PostgreSQL takes to run them) and run with the values as parameters:
    `near_<i>` / `overdue_<i>` (group i's cutoffs), `latest`, `organ_id`, `attribute`."""

    groups: tuple[tuple[tuple[Status, ...], tuple[str, ...] | None], ...]
    level: StuckLevel | None
    organ: bool
    attribute: bool


def _shape(cutoffs: Sequence[_Cutoff], filters: StuckFilters) -> tuple[_Shape, dict[str, Any]]:
    """The statements' shape and their parameter values."""
    params: dict[str, Any] = {}
    for index, c in enumerate(cutoffs):
        params[f"near_{index}"] = c.near_before
        params[f"overdue_{index}"] = c.overdue_before
    if cutoffs:
        params["latest"] = max(c.near_before for c in cutoffs)
    if filters.organ_id is not None:
        params["organ_id"] = filters.organ_id
    if filters.attribute is not None:
        params["attribute"] = filters.attribute
    shape = _Shape(
        tuple((c.statuses, c.profiles) for c in cutoffs),
        filters.level,
        filters.organ_id is not None,
        filters.attribute is not None,
    )
    return shape, params


def _cutoff_param(name: str) -> sa.BindParameter[datetime]:
    """An entry-time cutoff, written into the SQL text when the statement runs (literal_execute):
    the text then changes only when the cutoffs do (once a day for working-day allowances), so
    PostgreSQL plans it once and reuses the plan (psycopg prepares a statement it has seen a few
    times); as a parameter it would be planned again on every call, which costs more than the
    index scan itself."""
    return sa.bindparam(name, type_=UTCDateTime(), literal_execute=True)


def _entered_before(shape: _Shape, *, overdue: bool) -> ColumnElement[bool]:
    terms = []
    for index, (statuses, profiles) in enumerate(shape.groups):
        cutoff = _cutoff_param(f"overdue_{index}" if overdue else f"near_{index}")
        term = [_is_status(*statuses), col(Document.status_changed_at) < cutoff]
        if profiles is not None:
            term.append(col(Document.policy_profile).in_(profiles))
        terms.append(sa.and_(*term))
    return sa.or_(*terms) if terms else sa.false()


def _raw(sql: str) -> ColumnElement[bool]:
    """A fixed SQL condition, written literally (a partial index's predicate, repeated)."""
    return sa.literal_column(f"({sql})", sa.Boolean)


def _watched(filters: StuckFilters) -> list[Status]:
    """The statuses with an allowance, within the stage filter."""
    return [s for s in WAITING_STATUSES if filters.stage is None or s.stage is filters.stage]


def _filter_terms(shape: _Shape) -> list[ColumnElement[bool]]:
    """The organ and attribute filters (the stage and level filters pick cutoffs and ranges)."""
    terms: list[ColumnElement[bool]] = []
    if shape.organ:
        terms.append(col(Document.organ_id) == sa.bindparam("organ_id"))
    if shape.attribute:
        current_marking = (
            select(Marking.id)
            .where(
                col(Marking.version_id) == col(Document.current_version_id),
                col(Marking.attribute) == sa.bindparam("attribute"),
            )
            .exists()
        )
        terms.append(current_marking)
    return terms


def _conditions(shape: _Shape) -> list[ColumnElement[bool]]:
    """The WHERE terms of the stuck set of a shape (parameters unbound)."""
    near = _entered_before(shape, overdue=False)
    overdue = _entered_before(shape, overdue=True)
    # The partial index's own predicate and the latest cutoff: an ordered range scan of
    # ix_documents_waiting that reads the index alone.
    where: list[ColumnElement[bool]] = [_raw(WAITING_TERM), near]
    if shape.groups:
        where.insert(1, col(Document.status_changed_at) < _cutoff_param("latest"))
    if shape.level is StuckLevel.OVERDUE:
        where[-1] = overdue
    elif shape.level is StuckLevel.NEAR:
        where.append(sa.not_(overdue))
    return where + _filter_terms(shape)


def stuck_conditions(
    as_of: datetime,
    near_share: float,
    filters: StuckFilters,
    calendars: dict[str, WorkingDayCalendar],
) -> list[ColumnElement[bool]]:
    """The WHERE terms of the stuck set (after filters), with the values bound (for the
    benchmark's plain SQL; the service runs cached statements with parameters)."""
    shape, params = _shape(_cutoffs(as_of, near_share, _watched(filters), calendars), filters)
    return [sa.and_(*_conditions(shape)).params(params)]


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise RequestInvalid(
            f"limit must be 1..{MAX_LIMIT} and offset at least 0 (got limit={limit}, "
            f"offset={offset})"
        )


def _share(near_share: float) -> float:
    try:
        return check_near_share(near_share)
    except ValueError as error:
        raise RequestInvalid(str(error)) from None


def flow_run_url(ui_base: str | None, flow_run_id: str | None) -> str | None:
    """The Prefect UI page of a flow run (`<ui>/runs/flow-run/<id>`), when both are known."""
    if not ui_base or not flow_run_id:
        return None
    return f"{ui_base.rstrip('/')}/runs/flow-run/{flow_run_id}"


def _allowance_text(allowance: Any) -> str:
    if isinstance(allowance, ClockHours):
        return f"{allowance.hours} h"
    return f"{allowance.days} WD"


@lru_cache(maxsize=128)
def _page_statement(shape: _Shape) -> _Rows:
    """One query: the page's ids from an ordered scan of ix_documents_waiting that reads only
    the index and stops after one page (`limit`, `offset`), then those documents with organ,
    drafter and stored stage deadline."""
    page = (
        sa.select(col(Document.id), col(Document.status_changed_at))
        .where(*_conditions(shape))
        .order_by(col(Document.status_changed_at), col(Document.id))
        .limit(sa.bindparam("limit", type_=sa.Integer, literal_execute=True))
        .offset(sa.bindparam("offset", type_=sa.Integer, literal_execute=True))
        .subquery("page")
    )
    stage_deadline = sa.and_(
        col(Deadline.document_id) == col(Document.id),
        _raw(f"deadlines.kind = '{DeadlineKind.STAGE_ALLOWANCE.value}'"),
    )
    return (
        sa.select(
            col(Document.id),
            col(Document.title),
            col(Document.doc_number),
            col(Document.organ_id),
            col(Document.status),
            col(Document.status_changed_at),
            col(Document.policy_profile),
            col(Document.flow_run_id),
            col(Document.created_by),
            col(Organ.code),
            col(Organ.name),
            col(User.name),
            col(Deadline.id),
            col(Deadline.due_at),
        )
        .select_from(page)
        .join(Document, col(Document.id) == page.c.id)
        .join(Organ, col(Organ.id) == col(Document.organ_id))
        .join(User, col(User.id) == col(Document.created_by))
        .outerjoin(Deadline, stage_deadline)
        .order_by(page.c.status_changed_at, page.c.id)
    )


def _describe(
    rows: Sequence[Any],
    *,
    as_of: datetime,
    near_share: float,
    flow_run_ui: str | None,
    calendars: dict[str, WorkingDayCalendar],
) -> list[StuckDocument]:
    """Deadlines, ages, holders and links of a page of rows (Python, page-sized work only)."""
    by_profile: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row[6] in PROFILES:
            by_profile[row[6]].append(index)
    ages: dict[int, Age] = {}
    for profile_name, indexes in by_profile.items():
        found = ages_in_working_days([rows[i][5] for i in indexes], as_of, calendars[profile_name])
        ages.update(zip(indexes, found, strict=True))
    items = []
    for index, (
        doc_id,
        title,
        doc_number,
        organ_id,
        status,
        entered_at,
        profile_name,
        run_id,
        created_by,
        organ_code,
        organ_name,
        drafter_name,
        deadline_id,
        stored_due,
    ) in enumerate(rows):
        profile = PROFILES.get(profile_name)
        allowance = _allowance(profile_name, status) if profile is not None else None
        if profile is None or allowance is None:  # not a known profile: intake refuses those
            continue
        calendar = calendars[profile.name]
        due_at, provisional = allowance_due(entered_at, allowance, calendar)
        level = stuck_level(entered_at, due_at, as_of, near_share, allowance, calendar)
        if level is None:  # at the microsecond boundary of the cutoff
            continue
        held_by_drafter = status is Status.AWAITING_INTERPRETATION
        items.append(
            StuckDocument(
                document_id=doc_id,
                title=title,
                doc_number=doc_number,
                organ_id=organ_id,
                organ_code=organ_code,
                organ_name=organ_name,
                stage=status.stage,
                status=status,
                policy_profile=profile_name,
                held_by_role=_holder(status),
                held_by_user_id=created_by if held_by_drafter else None,
                held_by_name=drafter_name if held_by_drafter else None,
                entered_at=entered_at,
                due_at=due_at,
                provisional=provisional or ages[index].provisional,
                allowance=_allowance_text(allowance),
                age_working_days=ages[index].days,
                age_hours=round(age_in_hours(entered_at, as_of), 1),
                level=level,
                deadline_id=deadline_id if stored_due == due_at else None,
                flow_run_id=run_id,
                flow_run_url=flow_run_url(flow_run_ui, run_id),
            )
        )
    return items


def _holder(status: Status) -> Role | None:
    """Who holds a document waiting in this status: the role that decides its step."""
    step = step_waiting_in(status)
    return None if step is None else step.role


def _is_status(*statuses: Status) -> ColumnElement[bool]:
    # Written literally, as the partial index's predicate writes it: both databases then prove
    # that the term implies the predicate, in a prepared (generic) plan too; and with no
    # parameter left, a prepared statement keeps its plan (see _cutoff_param).
    if len(statuses) == 1:
        return _raw(f"documents.status = '{statuses[0].value}'")
    return _raw(f"documents.status IN ({', '.join(repr(s.value) for s in statuses)})")


def counts_statement(
    as_of: datetime,
    near_share: float,
    filters: StuckFilters,
    calendars: dict[str, WorkingDayCalendar],
) -> _Rows:
    """The counts statement with its values bound (for the benchmark's plain SQL)."""
    shape, params = _shape(_cutoffs(as_of, near_share, _watched(filters), calendars), filters)
    statement = _counts_statement(shape)
    if statement is None:
        raise ValueError("no watched status left after the stage filter: nothing to count")
    return statement.params(params)


@lru_cache(maxsize=128)
def _counts_statement(shape: _Shape) -> _Rows | None:
    """Rows (status, late: 1 overdue / 0 near, organ code, organ name, documents) of the stuck
    set after filters, or None when no watched status is left. Each status and level is one
    range of entry times (policies.stuck: overdue before the overdue cutoff, near between the two
    cutoffs), so each branch is an index-only range scan of ix_documents_waiting_status that reads
    only the documents it counts, grouped by organ (an integer), with no per-row CASE."""
    entered = col(Document.status_changed_at)
    extra = _filter_terms(shape)
    branches: list[_Rows] = []
    for index, (statuses, profiles) in enumerate(shape.groups):
        overdue = _cutoff_param(f"overdue_{index}")
        near = _cutoff_param(f"near_{index}")
        ranges: list[tuple[int, list[ColumnElement[bool]]]] = []
        if shape.level is not StuckLevel.NEAR:
            ranges.append((1, [entered < overdue]))
        if shape.level is not StuckLevel.OVERDUE:
            ranges.append((0, [entered >= overdue, entered < near]))
        in_profiles = [] if profiles is None else [col(Document.policy_profile).in_(profiles)]
        for status in statuses:
            for late, in_range in ranges:
                branches.append(
                    sa.select(
                        sa.literal_column(f"'{status.value}'", sa.String).label("status"),
                        sa.literal_column(str(late), sa.Integer).label("late"),
                        col(Document.organ_id).label("organ_id"),
                        func.count().label("documents"),
                    )
                    .where(_is_status(status), *in_range, *in_profiles, *extra)
                    .group_by(col(Document.organ_id))
                )
    if not branches:
        return None
    counted = sa.union_all(*branches).subquery("counted")
    return sa.select(
        counted.c.status, counted.c.late, col(Organ.code), col(Organ.name), counted.c.documents
    ).join(Organ, col(Organ.id) == counted.c.organ_id)


@dataclass(frozen=True, slots=True)
class StuckCounts:
    """Overdue and near documents per stage and per organ, over the whole filtered stuck set."""

    by_stage: list[CountRow]
    by_organ: list[CountRow]

    @property
    def overdue(self) -> int:
        """Overdue documents in all stages."""
        return sum(row.overdue for row in self.by_stage)

    @property
    def near(self) -> int:
        """Near documents in all stages."""
        return sum(row.near for row in self.by_stage)


@dataclass(frozen=True, slots=True)
class _Query:
    """One stuck-set question, made once and asked of the list and of the counts."""

    as_of: datetime
    near_share: float
    shape: _Shape
    params: dict[str, Any]
    calendars: dict[str, WorkingDayCalendar]


def _query(
    as_of: datetime,
    near_share: float,
    filters: StuckFilters | None,
    calendars: dict[str, WorkingDayCalendar],
) -> _Query:
    require_aware(as_of)
    share = _share(near_share)
    filters = filters or StuckFilters()
    shape, params = _shape(_cutoffs(as_of, share, _watched(filters), calendars), filters)
    return _Query(as_of, share, shape, params, calendars)


def _list(
    session: Session, query: _Query, *, limit: int, offset: int, flow_run_ui: str | None
) -> list[StuckDocument]:
    """One page of the stuck set: one statement, then page-sized Python (`_describe`)."""
    _check_page(limit, offset)
    params = {**query.params, "limit": limit, "offset": offset}
    rows = session.connection().execute(_page_statement(query.shape), params).all()
    return _describe(
        rows,
        as_of=query.as_of,
        near_share=query.near_share,
        flow_run_ui=flow_run_ui,
        calendars=query.calendars,
    )


def _counts(session: Session, query: _Query) -> StuckCounts:
    """Overdue and near counts per stage and per organ, in one statement of index range scans
    (`_counts_statement`), with the organ names joined to the groups."""
    statement = _counts_statement(query.shape)
    rows = [] if statement is None else session.connection().execute(statement, query.params).all()
    stages: dict[Stage, list[int]] = defaultdict(lambda: [0, 0])
    organs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for status, late, code, name, documents in rows:
        level = 0 if late else 1
        stages[Status(status).stage][level] += int(documents)
        organs[(code, name)][level] += int(documents)
    by_stage = [
        CountRow(stage.value, stage.value, *stages[stage]) for stage in Stage if stage in stages
    ]
    by_organ = sorted(
        (CountRow(code, name, n_late, n_near) for (code, name), (n_late, n_near) in organs.items()),
        key=lambda row: (-row.total, row.key),
    )
    return StuckCounts(by_stage, by_organ)


def stuck_list(
    session: Session,
    *,
    as_of: datetime,
    near_share: float = DEFAULT_NEAR_SHARE,
    filters: StuckFilters | None = None,
    limit: int = 50,
    offset: int = 0,
    flow_run_ui: str | None = None,
) -> list[StuckDocument]:
    """One page of documents past (or near) their stage allowance at as_of, oldest entry first
    (the list alone, without counts)."""
    query = _query(as_of, near_share, filters, profile_calendars(session))
    return _list(session, query, limit=limit, offset=offset, flow_run_ui=flow_run_ui)


def stuck_counts(
    session: Session,
    *,
    as_of: datetime,
    near_share: float = DEFAULT_NEAR_SHARE,
    filters: StuckFilters | None = None,
) -> StuckCounts:
    """Overdue and near counts per stage and per organ over the whole filtered stuck set."""
    return _counts(session, _query(as_of, near_share, filters, profile_calendars(session)))


def stuck_documents(
    session: Session,
    *,
    as_of: datetime,
    near_share: float = DEFAULT_NEAR_SHARE,
    filters: StuckFilters | None = None,
    limit: int = 50,
    offset: int = 0,
    flow_run_ui: str | None = None,
) -> StuckReport:
    """Documents past (or near) their stage allowance at as_of, oldest entry first, one page,
    with overdue/near counts per stage and per organ over the whole filtered set."""
    query = _query(as_of, near_share, filters, profile_calendars(session))
    items = _list(session, query, limit=limit, offset=offset, flow_run_ui=flow_run_ui)
    counts = _counts(session, query)
    late, near = counts.overdue, counts.near
    return StuckReport(
        as_of=as_of,
        near_share=query.near_share,
        total=late + near,
        overdue=late,
        near=near,
        limit=limit,
        offset=offset,
        items=items,
        by_stage=counts.by_stage,
        by_organ=counts.by_organ,
        stranded=stranded_reviews(session=session),
    )
