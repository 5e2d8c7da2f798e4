"""Periodic re-review of documents kept from the public, and the decision on a re-review
(条例 arts. 18, 44; seeds 000 §三(二十一), 002 §三(三); domain §10 rule 16).

A filed 依申请公开/不予公开 document whose last review (its filing, or the last re-review decision)
is older than the profile's interval gets one re-review per cycle. The reviewer keeps it, or
converts it: a conversion to 主动公开/删减后公开 adds a NEW version (same stored file, the new
marking) and sends the document back to SUBMITTED without a flow run, so its review runs like a
new document's — marking re-check, secrecy review (先审查、后公开), interpretation, sign-off,
publication — never straight to the portal. The caller starts that review (the API's starter, or
its reconciler, which finds every SUBMITTED version without a run). A conversion to 依申请公开
only changes the marking: nothing is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.decisions import Channel, Decision
from models.documents import Document
from models.rereviews import Rereview
from models.users import User
from models.versions import Marking, Version, VersionAttachment
from policies.attributes import Attribute
from policies.calendar import local_date
from policies.deadlines import DeadlineKind, publication_deadlines
from policies.findings import Finding, Severity
from policies.legal_reasons import REASONS
from policies.profiles import PROFILES, get_profile
from policies.roles import Role
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from policies.submission_checks import check_submission
from policies.windows import periodic_rereview_due
from services.audit import record_event
from services.clock import require_aware
from services.documents import get_document, get_marking
from services.errors import Conflict, DomainError, Forbidden, NotFound
from services.review import SYSTEM, calendar_for, store_deadline, submission_of
from services.review_start import ReviewToStart
from services.status import change_status

REREVIEW_CREATED = "rereview.created"
REREVIEW_KEPT = "rereview.kept"
REREVIEW_CONVERTED = "rereview.converted"
DECIDERS = frozenset({Role.DISCLOSURE_OFFICE, Role.SECRECY_REVIEWER})  # 条例 arts. 4, 17, 18
KEPT_FROM_PUBLIC = (Attribute.ON_REQUEST, Attribute.WITHHELD)
# Checked later by the interpretation stage (domain §10 rule 12), as for a resubmitted draft.
_LATER = frozenset({"interpretation.material_required"})
_SOURCE = "条例 arts. 18, 44; seeds 000 §三(二十一), 002 §三(三)"
_BATCH = 1000

RereviewChoice = Literal["keep", "convert"]


class ConversionRefused(DomainError):
    """The re-review decision cannot be recorded as given (findings say which field and why)."""


@dataclass(frozen=True)
class RereviewOutcome:
    """The decided re-review and, for a conversion to publication, the review to start."""

    rereview: Rereview
    review: ReviewToStart | None


def add_rereviews(session: Session, rows: list[Rereview], *, at: datetime) -> list[Rereview]:
    """Record the re-reviews whose document has none of that kind and cycle yet (the unique key
    decides "once"), with one audit event each; returns those recorded."""
    wanted = {(r.document_id, r.kind, r.cycle): r for r in rows}
    ids = sorted({r.document_id for r in rows})
    for i in range(0, len(ids), _BATCH):
        for known in session.execute(
            sa.select(col(Rereview.document_id), col(Rereview.kind), col(Rereview.cycle)).where(
                col(Rereview.document_id).in_(ids[i : i + _BATCH])
            )
        ).all():
            wanted.pop((known[0], known[1], known[2]), None)
    fresh = list(wanted.values())
    if not fresh:
        return []
    try:
        with session.begin_nested():  # one batch; a concurrent run may have added some
            session.add_all(fresh)
    except IntegrityError:
        fresh = [row for row in (_add_one(session, row) for row in fresh) if row is not None]
    session.add_all(
        AuditEvent(
            occurred_at=at,
            actor=SYSTEM,
            role=Role.SYSTEM,
            channel="system",
            action=REREVIEW_CREATED,
            document_id=row.document_id,
            version_id=row.version_id,
            after={"rereview_id": row.id, "kind": row.kind, "cycle": row.cycle},
            reason=row.basis,
        )
        for row in fresh
    )
    session.flush()
    return fresh


def _add_one(session: Session, row: Rereview) -> Rereview | None:
    fresh = Rereview.model_validate(row.model_dump(exclude={"id"}))
    try:
        with session.begin_nested():
            session.add(fresh)
    except IntegrityError:
        return None
    return fresh


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


def list_rereviews(
    session: Session, *, status: str | None = "open", limit: int = 100, offset: int = 0
) -> list[Rereview]:
    """Re-reviews, oldest due first (ix_rereviews_status_due)."""
    statement = select(Rereview)
    if status is not None:
        statement = statement.where(col(Rereview.status) == status)
    statement = statement.order_by(col(Rereview.due_at), col(Rereview.id))
    return list(session.exec(statement.offset(offset).limit(limit)).all())


def get_rereview(session: Session, rereview_id: int, *, for_update: bool = False) -> Rereview:
    """The re-review with this id, or NotFound."""
    statement = select(Rereview).where(col(Rereview.id) == rereview_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    row = session.exec(statement).first()
    if row is None:
        raise NotFound(f"re-review {rereview_id} does not exist")
    return row


def _refuse(rule: str, message: str, field: str) -> ConversionRefused:
    finding = Finding(rule, Severity.BLOCKING, message, _SOURCE, field)
    return ConversionRefused(message, [finding])


def _check_request(
    decision: str, to_attribute: Attribute | None, reason_codes: list[str], explanation: str
) -> None:
    if decision not in ("keep", "convert"):
        raise _refuse(
            "rereview.decision", f"decision must be keep or convert: {decision}", "decision"
        )
    if not explanation.strip():
        raise _refuse(
            "rereview.explanation_required",
            "说明理由：评估审查结论须写明理由（条例第十八条）；请填写 explanation。",
            "explanation",
        )
    unknown = [code for code in reason_codes if code not in REASONS]
    if unknown:
        raise _refuse(
            "rereview.reason_unknown", f"unknown reason codes: {', '.join(unknown)}", "reason_codes"
        )
    if decision == "keep" and to_attribute is not None:
        raise _refuse(
            "rereview.keep_has_no_attribute", "keep takes no to_attribute", "to_attribute"
        )
    if decision == "convert" and to_attribute not in (
        Attribute.PROACTIVE,
        Attribute.REDACTED,
        Attribute.ON_REQUEST,
    ):
        raise _refuse(
            "rereview.to_attribute",
            "convert needs to_attribute 主动公开 (proactive), 删减后公开 (redacted) or 依申请公开 "
            "(on_request)",
            "to_attribute",
        )


def decide_rereview(
    session: Session,
    *,
    rereview_id: int,
    decision: RereviewChoice,
    to_attribute: Attribute | None,
    reason_codes: list[str],
    explanation: str,
    actor: User,
    channel: Channel,
    at: datetime,
) -> RereviewOutcome:
    """Keep the document as it is, or convert it (a new version on the review path); audited."""
    require_aware(at)
    if actor.role not in DECIDERS:
        raise Forbidden(
            f"role '{actor.role}' may not decide a re-review; needs disclosure_office or "
            "secrecy_reviewer (条例 arts. 17, 18)"
        )
    _check_request(decision, to_attribute, reason_codes, explanation)
    rereview = get_rereview(session, rereview_id, for_update=True)
    if rereview.status != "open":
        raise Conflict(f"re-review {rereview_id} was already decided ({rereview.status})")
    document = get_document(session=session, document_id=rereview.document_id, for_update=True)
    if document.status is not Status.FILED:
        raise Conflict(
            f"document {document.id} is '{document.status}', not filed: nothing to re-review"
        )
    rereview.decided_by, rereview.decided_at = actor.id, at
    rereview.reason_codes, rereview.explanation = list(reason_codes), explanation
    review: ReviewToStart | None = None
    if decision == "keep":
        rereview.status = "kept"
        _audit(session, actor, channel, REREVIEW_KEPT, rereview, {"status": "kept"}, at)
    else:
        assert to_attribute is not None
        review = _convert(session, document, rereview, to_attribute, actor, channel, at)
    session.add(rereview)
    session.flush()
    return RereviewOutcome(rereview, review)


def _audit(
    session: Session,
    actor: User,
    channel: Channel,
    action: str,
    rereview: Rereview,
    after: dict[str, object],
    at: datetime,
) -> None:
    record_event(
        session=session,
        actor=actor.name,
        role=actor.role,
        channel=channel,
        action=action,
        document_id=rereview.document_id,
        version_id=rereview.version_id,
        before={"rereview_id": rereview.id, "kind": rereview.kind, "status": "open"},
        after={**after, "reason_codes": rereview.reason_codes},
        reason=rereview.explanation,
        at=at,
    )


def _new_version(
    session: Session,
    document: Document,
    to: Attribute,
    rereview: Rereview,
    actor: User,
    at: datetime,
) -> tuple[Version, Marking, Marking]:
    assert document.current_version_id is not None
    assert actor.id is not None
    old = session.get(Version, document.current_version_id)
    if old is None:
        raise NotFound(f"version {document.current_version_id} does not exist")
    old_marking = get_marking(session=session, version_id=old.id or 0)
    number = session.exec(
        select(func.max(Version.number)).where(col(Version.document_id) == document.id)
    ).one()
    version = Version(
        document_id=old.document_id,
        number=(number or 0) + 1,
        submitted_by=actor.id,
        submitted_at=at,
        main_file_id=old.main_file_id,  # the same stored file: only the marking changes
        note=f"conversion after re-review {rereview.id} ({rereview.kind}): "
        f"{old_marking.attribute.label} → {to.label}",
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    for kind, file_id in session.exec(
        select(VersionAttachment.kind, VersionAttachment.file_id).where(
            col(VersionAttachment.version_id) == old.id
        )
    ).all():
        session.add(VersionAttachment(version_id=version.id, file_id=file_id, kind=kind))
    # A conversion is a disclosure decision on unclassified information; a secret is declassified
    # first (保密法 2024 art. 20 ¶4: 正式公布时即视为解密) and checked again in the secrecy review.
    marking = Marking(
        version_id=version.id,
        attribute=to,
        secrecy_level=SecrecyLevel.NONE,
        marking_text=to.marking,
        reason_codes=list(rereview.reason_codes),
        reason_explanation=rereview.explanation,
    )
    session.add(marking)
    session.flush()
    return version, marking, old_marking


def _convert(
    session: Session,
    document: Document,
    rereview: Rereview,
    to: Attribute,
    actor: User,
    channel: Channel,
    at: datetime,
) -> ReviewToStart | None:
    version, marking, old_marking = _new_version(session, document, to, rereview, actor, at)
    assert document.id is not None
    assert version.id is not None
    profile = get_profile(document.policy_profile)
    findings = check_submission(
        submission_of(session=session, document=document, marking=marking), profile
    )
    blocking = [f for f in findings if f.is_blocking and f.rule not in _LATER]
    if blocking:
        raise ConversionRefused(
            f"the converted marking fails the intake checks: "
            f"{'; '.join(f.message for f in blocking)}",
            blocking,
        )
    document.current_version_id = version.id
    document.flow_run_id = None  # a new version needs its own review run
    session.add(document)
    rereview.status, rereview.converted_to = "converted", to.value
    rereview.converted_version_id = version.id
    attempt = session.exec(
        select(func.count())
        .select_from(Decision)
        .where(
            col(Decision.document_id) == document.id,
            col(Decision.version_id) == rereview.version_id,
            col(Decision.step) == "rereview",
        )
    ).one()
    session.add(
        Decision(
            document_id=document.id,
            version_id=rereview.version_id,
            step="rereview",
            attempt=attempt + 1,
            kind="convert",
            reason_codes=list(rereview.reason_codes),
            comment=rereview.explanation,
            decided_by=actor.id,
            role=actor.role,
            channel=channel,
            attribute_before=old_marking.attribute,
            attribute_after=to,
            decided_at=at,
        )
    )
    after: dict[str, object] = {
        "status": "converted",
        "attribute": to.value,
        "attribute_before": old_marking.attribute.value,
        "version_id": version.id,
        "version_number": version.number,
    }
    _audit(session, actor, channel, REREVIEW_CONVERTED, rereview, after, at)
    if not to.is_published:
        return None  # 依申请公开: a marking change; released only on application
    change_status(
        session=session,
        document_id=document.id,
        target=Status.SUBMITTED,
        actor=actor.name,
        role=actor.role,
        channel=channel,
        reason=f"converted to {to.label} after re-review {rereview.id}: the new version "
        "goes through secrecy review before publication (条例 arts. 18, 44; 先审查、后公开)",
        at=at,
    )
    # 条例 art. 26: 自形成或者变更之日起20个工作日内 — the change is the conversion.
    for value in publication_deadlines(
        at, profile, calendar_for(profile.name), formed_on=local_date(at)
    ):
        if value.kind is DeadlineKind.PUBLICATION_CEILING:
            row: Deadline = store_deadline(
                session=session, document_id=document.id, version_id=version.id, value=value, at=at
            )
            row.met_at = None
            session.add(row)
    return ReviewToStart(document.id, version.id, version.number)
