"""The decision on a re-review: keep the document, or convert it (条例 arts. 18, 44; seed 002
§三(三) 转化机制; domain §10 rule 16).

A conversion to 主动公开/删减后公开 adds a NEW version (same stored file, the new marking, checked
like a submission) and sends the document back to SUBMITTED without a flow run, so its review
runs like a new document's — marking re-check, secrecy review (先审查、后公开), interpretation,
sign-off, publication — never straight to the portal. The caller starts that review (the API's
starter, or its sweep of unstarted reviews, which finds every SUBMITTED version without a run).
A conversion to 依申请公开 only changes the marking: nothing is published. Every decision is
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, func, select

from models.deadlines import Deadline
from models.decisions import Channel, Decision
from models.documents import Document
from models.rereviews import CONVERTIBLE, Rereview
from models.users import User
from models.versions import Marking, Version, VersionAttachment
from policies.attributes import Attribute
from policies.calendar import local_date
from policies.deadlines import DeadlineKind, publication_deadlines
from policies.findings import Finding, Severity
from policies.legal_reasons import REASONS
from policies.profiles import get_profile
from policies.roles import Role
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from policies.submission_checks import check_submission
from services.audit import record_event
from services.calendar import calendar_for
from services.documents import get_document, get_marking
from services.errors import Conflict, DomainError, Forbidden, NotFound
from services.review.checks import submission_of
from services.review.rereviews import get_rereview
from services.review.starts import ReviewToStart
from services.review.status import change_status
from services.review.steps import store_deadline
from services.timestamps import require_aware

REREVIEW_KEPT = "rereview.kept"
REREVIEW_CONVERTED = "rereview.converted"
DECIDERS = frozenset({Role.DISCLOSURE_OFFICE, Role.SECRECY_REVIEWER})  # 条例 arts. 4, 17, 18
# Checked later by the interpretation stage (domain §10 rule 12), as for a resubmitted draft.
_LATER = frozenset({"interpretation.material_required"})
_SOURCE = "条例 arts. 18, 44; seeds 000 §三(二十一), 002 §三(三)"

RereviewChoice = Literal["keep", "convert"]


class ConversionRefused(DomainError):
    """The re-review decision cannot be recorded as given (findings say which field and why)."""


@dataclass(frozen=True)
class RereviewOutcome:
    """The decided re-review and, for a conversion to publication, the review to start."""

    rereview: Rereview
    review: ReviewToStart | None


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
    if decision == "convert" and to_attribute not in CONVERTIBLE:
        choices = ", ".join(f"{a.label} ({a.value})" for a in CONVERTIBLE)
        raise _refuse(
            "rereview.to_attribute", f"convert needs to_attribute, one of {choices}", "to_attribute"
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
        actor=actor.login,
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
        main_file_name=old.main_file_name,
        note=f"conversion after re-review {rereview.id} ({rereview.kind}): "
        f"{old_marking.attribute.label} → {to.label}",
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    for attachment in session.exec(
        select(VersionAttachment).where(col(VersionAttachment.version_id) == old.id)
    ).all():
        session.add(
            VersionAttachment(
                version_id=version.id,
                file_id=attachment.file_id,
                kind=attachment.kind,
                file_name=attachment.file_name,
            )
        )
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
        actor=actor.login,
        role=actor.role,
        channel=channel,
        reason=f"converted to {to.label} after re-review {rereview.id}: the new version "
        "goes through secrecy review before publication (条例 arts. 18, 44; 先审查、后公开)",
        at=at,
    )
    # 条例 art. 26: 自形成或者变更之日起20个工作日内 — the change is the conversion.
    for value in publication_deadlines(
        at, profile, calendar_for(profile.name, session=session), formed_on=local_date(at)
    ):
        if value.kind is DeadlineKind.PUBLICATION_CEILING:
            row: Deadline = store_deadline(
                session=session, document_id=document.id, version_id=version.id, value=value, at=at
            )
            row.met_at = None
            session.add(row)
    return ReviewToStart(document.id, version.id, version.number)
