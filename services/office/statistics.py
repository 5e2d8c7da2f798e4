"""Office statistics for a period: documents issued, the share published proactively, 退文 and
their reasons, decisions by reason code, median time per stage, publications, interpretations
and validity changes (issue 5; seed 003 "主动公开文件数约占制发文件数的比例达40%").

Definitions (decided here, shown in the API docs):
- A period is a range of Asia/Shanghai calendar days, both ends included (domain §11 row 15:
  the annual report's period is 1 Jan–31 Dec).
- A document is *issued* (制发) when its review is concluded — status 已发布 (published) or
  filed (依申请公开 / 不予公开, kept) — and it is counted in the period of its 成文日期
  (`written_on`), the date the document itself carries and the catalogue lists (条例 art. 12 ¶3).
- *Proactive* means an attribute that goes to the portal: 主动公开, and 删减后公开 (published as
  its redacted version). The share is proactive ÷ issued.
- A 退文 is one return of one version: at intake (`submission.returned`) or a status change into
  `returned`, in the period. Its reasons are the blocking findings' rule codes when the engine
  returned it, or the reason codes of the reviewer's return decision (`uncoded` if it gave only a
  comment).
- Time per stage is the elapsed time of each stay in a stage (consecutive statuses of one stage
  are one stay), from the status-change audit trail; a stay counts in the period it ended in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any

from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.decisions import Decision
from models.documents import Document
from models.publications import InterpretationMaterial, Publication
from models.validity import ValidityChangeRecord
from models.versions import Marking, RecordedFinding
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.findings import Severity
from policies.roles import Role
from policies.statuses import Stage, Status
from services.audit import STATUS_CHANGED, SUBMISSION_RETURNED
from services.errors import RequestInvalid

ISSUED_STATUSES = (Status.PUBLISHED, Status.FILED)
UNCODED = "uncoded"


@dataclass(frozen=True, slots=True)
class Period:
    """Asia/Shanghai calendar days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise RequestInvalid(f"period: 'to' {self.end} is before 'from' {self.start}")

    @classmethod
    def year(cls, year: int) -> Period:
        """1 January to 31 December of a year (domain §11 row 15)."""
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def instants(self) -> tuple[datetime, datetime]:
        """The UTC instants [from, until) the period covers."""
        start = datetime.combine(self.start, time(0), SHANGHAI).astimezone(UTC)
        until = datetime.combine(self.end + timedelta(days=1), time(0), SHANGHAI)
        return start, until.astimezone(UTC)

    def contains(self, moment: datetime) -> bool:
        """Whether an instant falls within the period."""
        start, until = self.instants
        return start <= moment < until


@dataclass(slots=True)
class StageTimes:
    """Durations of completed stays in one stage, in hours."""

    hours: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        """The median stay, or None when no stay ended in the period."""
        return round(median(self.hours), 2) if self.hours else None


@dataclass(slots=True)
class Statistics:
    """The office's figures for one period (and optionally one organ)."""

    period: Period
    organ_id: int | None
    documents_issued: int = 0
    by_attribute: dict[str, int] = field(default_factory=dict)
    proactive: int = 0
    returns: int = 0
    return_reasons: dict[str, int] = field(default_factory=dict)
    decisions_by_kind: dict[str, int] = field(default_factory=dict)
    decisions_by_reason: dict[str, int] = field(default_factory=dict)
    withholding_reasons: dict[str, int] = field(default_factory=dict)
    stage_times: dict[str, StageTimes] = field(default_factory=dict)
    publications: int = 0
    interpretations_published: int = 0
    validity_changes: dict[str, int] = field(default_factory=dict)

    @property
    def proactive_share(self) -> float | None:
        """Proactive ÷ issued (seed 003 §一: "约占制发文件数的40%"), None when nothing issued."""
        if not self.documents_issued:
            return None
        return round(self.proactive / self.documents_issued, 4)

    def metrics(self) -> list[tuple[str, str, float | int | None]]:
        """One (metric, key, value) per figure, in a stable order (the CSV's rows)."""
        rows: list[tuple[str, str, float | int | None]] = [
            ("documents_issued", "", self.documents_issued),
            ("proactive", "", self.proactive),
            ("proactive_share", "", self.proactive_share),
        ]
        rows += [("by_attribute", k, v) for k, v in self.by_attribute.items()]
        rows += [("returns", "", self.returns)]
        rows += [("return_reasons", k, v) for k, v in sorted(self.return_reasons.items())]
        rows += [("decisions_by_kind", k, v) for k, v in sorted(self.decisions_by_kind.items())]
        rows += [("decisions_by_reason", k, v) for k, v in sorted(self.decisions_by_reason.items())]
        rows += [("withholding_reasons", k, v) for k, v in sorted(self.withholding_reasons.items())]
        for stage, times in self.stage_times.items():
            rows += [("stage_median_hours", stage, times.median_hours)]
            rows += [("stage_stays", stage, len(times.hours))]
        rows += [("publications", "", self.publications)]
        rows += [("interpretations_published", "", self.interpretations_published)]
        rows += [("validity_changes", k, v) for k, v in sorted(self.validity_changes.items())]
        return rows


def _organ_filter(query: Any, organ_id: int | None) -> Any:
    if organ_id is None:
        return query
    return query.where(col(Document.organ_id) == organ_id)


def _issued(session: Session, period: Period, organ_id: int | None, stats: Statistics) -> None:
    query = (
        select(Marking.attribute, Marking.reason_codes)
        .join(Document, col(Marking.version_id) == col(Document.current_version_id))
        .where(
            col(Document.status).in_(ISSUED_STATUSES),
            col(Document.written_on) >= period.start,
            col(Document.written_on) <= period.end,
        )
    )
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for attribute, codes in session.exec(_organ_filter(query, organ_id)).all():
        counts[Attribute(attribute).value] += 1
        if not Attribute(attribute).is_published:
            reasons.update(codes or [])
    stats.by_attribute = {a.value: counts.get(a.value, 0) for a in Attribute}
    stats.documents_issued = sum(counts.values())
    stats.proactive = sum(counts[a.value] for a in Attribute if a.is_published)
    stats.withholding_reasons = dict(reasons)


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """The columns of an audit event the statistics read (no ORM object per event)."""

    document_id: int
    version_id: int | None
    occurred_at: datetime
    role: Role
    before: dict[str, Any] | None
    after: dict[str, Any] | None


_EVENT_COLUMNS: tuple[Any, ...] = (
    AuditEvent.document_id,
    AuditEvent.version_id,
    AuditEvent.occurred_at,
    AuditEvent.role,
    AuditEvent.before,
    AuditEvent.after,
)


def _events(session: Session, query: Any) -> list[StatusEvent]:
    return [StatusEvent(*row) for row in session.exec(query).all()]


def _status_events(session: Session, period: Period, organ_id: int | None) -> list[StatusEvent]:
    """Every status change, up to the period's end, of the documents that moved in the period
    (a stay that ends in the period may have begun before it)."""
    start, until = period.instants
    moved = select(AuditEvent.document_id).where(
        col(AuditEvent.action) == STATUS_CHANGED,
        col(AuditEvent.occurred_at) >= start,
        col(AuditEvent.occurred_at) < until,
    )
    query = (
        select(*_EVENT_COLUMNS)
        .join(Document, col(Document.id) == col(AuditEvent.document_id))
        .where(
            col(AuditEvent.action) == STATUS_CHANGED,
            col(AuditEvent.occurred_at) < until,
            col(AuditEvent.document_id).in_(moved),
        )
        .order_by(col(AuditEvent.document_id), col(AuditEvent.occurred_at), col(AuditEvent.id))
    )
    return _events(session, _organ_filter(query, organ_id))


def _returned_versions(
    session: Session, period: Period, organ_id: int | None, events: Iterable[StatusEvent]
) -> list[StatusEvent]:
    start, until = period.instants
    returned = [
        e
        for e in events
        if start <= e.occurred_at < until and (e.after or {}).get("status") == Status.RETURNED
    ]
    intake = (
        select(*_EVENT_COLUMNS)
        .join(Document, col(Document.id) == col(AuditEvent.document_id))
        .where(
            col(AuditEvent.action) == SUBMISSION_RETURNED,
            col(AuditEvent.occurred_at) >= start,
            col(AuditEvent.occurred_at) < until,
        )
    )
    return returned + _events(session, _organ_filter(intake, organ_id))


def _return_reasons(session: Session, returns: list[StatusEvent]) -> dict[str, int]:
    """Blocking findings' rules when the engine returned the version, else the reviewer's codes
    (the latest return decision on that version); two queries in all."""
    by_engine = {e.version_id for e in returns if e.role is Role.SYSTEM}
    by_people = {e.version_id for e in returns if e.role is not Role.SYSTEM}
    rules: dict[int | None, set[str]] = defaultdict(set)
    for version_id, rule in session.exec(
        select(RecordedFinding.version_id, RecordedFinding.rule).where(
            col(RecordedFinding.version_id).in_([v for v in by_engine if v is not None]),
            col(RecordedFinding.severity) == Severity.BLOCKING,
        )
    ).all():
        rules[version_id].add(rule)
    codes: dict[int | None, list[str]] = {}
    for version_id, reason_codes in session.exec(
        select(Decision.version_id, Decision.reason_codes)
        .where(
            col(Decision.version_id).in_([v for v in by_people if v is not None]),
            col(Decision.kind) == "return",
        )
        .order_by(col(Decision.decided_at))
    ).all():
        codes[version_id] = list(reason_codes or [])  # the latest wins
    reasons: Counter[str] = Counter()
    for event in returns:
        if event.role is Role.SYSTEM:
            reasons.update(rules.get(event.version_id) or {UNCODED})
        else:
            reasons.update(codes.get(event.version_id) or [UNCODED])
    return dict(reasons)


def _decisions(session: Session, period: Period, organ_id: int | None, stats: Statistics) -> None:
    start, until = period.instants
    query = (
        select(Decision.kind, Decision.reason_codes)
        .join(Document, col(Document.id) == col(Decision.document_id))
        .where(col(Decision.decided_at) >= start, col(Decision.decided_at) < until)
    )
    kinds: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for kind, codes in session.exec(_organ_filter(query, organ_id)).all():
        kinds[kind] += 1
        reasons.update(codes or [])
    stats.decisions_by_kind = dict(kinds)
    stats.decisions_by_reason = dict(reasons)


def stage_stays(
    created_at: datetime, events: Sequence[StatusEvent]
) -> list[tuple[Stage, datetime, datetime]]:
    """A document's completed stays per stage (stage, entered, left) from its status changes."""
    if not events:
        return []
    stays: list[tuple[Stage, datetime, datetime]] = []
    first = (events[0].before or {}).get("stage", Stage.INTAKE)
    stage, entered = Stage(first), created_at
    for event in events:
        target = Stage((event.after or {}).get("stage", stage))
        if target is not stage:
            stays.append((stage, entered, event.occurred_at))
            stage, entered = target, event.occurred_at
    return stays


def _stage_times(
    session: Session, period: Period, events: Sequence[StatusEvent], stats: Statistics
) -> None:
    by_document: dict[int, list[StatusEvent]] = defaultdict(list)
    for event in events:
        by_document[event.document_id].append(event)
    created = dict(
        session.exec(
            select(Document.id, Document.created_at).where(col(Document.id).in_(list(by_document)))
        ).all()
    )
    times = {s.value: StageTimes() for s in Stage if s is not Stage.DONE}
    for document_id, document_events in by_document.items():
        for stage, entered, left in stage_stays(created[document_id], document_events):
            if stage is not Stage.DONE and period.contains(left):
                times[stage.value].hours.append((left - entered).total_seconds() / 3600)
    stats.stage_times = times


def _counts(session: Session, period: Period, organ_id: int | None, stats: Statistics) -> None:
    start, until = period.instants
    publications = (
        select(Publication.id)
        .join(Document, col(Document.id) == col(Publication.document_id))
        .where(col(Publication.published_at) >= start, col(Publication.published_at) < until)
    )
    stats.publications = len(session.exec(_organ_filter(publications, organ_id)).all())
    materials = (
        select(InterpretationMaterial.id)
        .join(Document, col(Document.id) == col(InterpretationMaterial.document_id))
        .where(
            col(InterpretationMaterial.kind) == "interpretation_material",
            col(InterpretationMaterial.published_at) >= start,
            col(InterpretationMaterial.published_at) < until,
        )
    )
    stats.interpretations_published = len(session.exec(_organ_filter(materials, organ_id)).all())
    changes = (
        select(ValidityChangeRecord.to_validity)
        .join(Document, col(Document.id) == col(ValidityChangeRecord.document_id))
        .where(
            col(ValidityChangeRecord.effective_on) >= period.start,
            col(ValidityChangeRecord.effective_on) <= period.end,
        )
    )
    stats.validity_changes = dict(
        Counter(str(v) for v in session.exec(_organ_filter(changes, organ_id)).all())
    )


def office_statistics(
    *, session: Session, period: Period, organ_id: int | None = None
) -> Statistics:
    """The office's figures for a period (and organ): see the module docstring for definitions."""
    stats = Statistics(period, organ_id)
    _issued(session, period, organ_id, stats)
    events = _status_events(session, period, organ_id)
    returns = _returned_versions(session, period, organ_id, events)
    stats.returns = len(returns)
    stats.return_reasons = _return_reasons(session, returns)
    _decisions(session, period, organ_id, stats)
    _stage_times(session, period, events, stats)
    _counts(session, period, organ_id, stats)
    return stats


def issued_figures(*, session: Session, period: Period, organ_id: int | None = None) -> Statistics:
    """Only the issued, per-attribute and publication figures (the annual report's 总体情况),
    without the audit-trail work of 退文 and stage times."""
    stats = Statistics(period, organ_id)
    _issued(session, period, organ_id, stats)
    _counts(session, period, organ_id, stats)
    return stats
