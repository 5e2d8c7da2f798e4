"""Human decisions on a review step: the one use-case both doors end in (Prefect UI, REST).

Checks the role, that the drafter does not review their own document, and that the step is the
one the document waits at; records the decision once per (document, version, step, attempt);
moves the status through change_status; appends the audit event.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models.decisions import Channel, Decision
from models.documents import Document
from models.rereviews import Rereview
from models.users import User
from models.versions import Version
from policies.attributes import Attribute
from policies.calendar import local_date
from policies.deadlines import publication_deadlines, secret_report_deadline
from policies.legal_reasons import REASONS
from policies.profiles import get_profile
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Choice, Step
from services.accounts import decides_for_organ
from services.audit import SYSTEM, record_event
from services.calendar import calendar_for
from services.documents import get_marking
from services.errors import Conflict, DomainError
from services.review.checks import has_interpretation_material, needs_interpretation
from services.review.status import change_status
from services.review.steps import require_current_version, store_deadline

DECISION_RECORDED = "decision.recorded"
ATTRIBUTE_CHANGED = "attribute.changed"


class DecisionInvalid(DomainError):
    """The decision cannot be accepted as given (wrong choice for the step, missing reasons)."""


class NotAllowed(DomainError):
    """The person may not make this decision (role, or the drafter reviewing their own draft)."""


def current_attempt(*, session: Session, document_id: int, version_id: int, step: Step) -> int:
    """The attempt number the next decision at this step gets (1 + decisions already made)."""
    made = session.exec(
        select(func.count())
        .select_from(Decision)
        .where(
            col(Decision.document_id) == document_id,
            col(Decision.version_id) == version_id,
            col(Decision.step) == step.value,
        )
    ).one()
    return int(made) + 1


def find_decision(
    *, session: Session, document_id: int, version_id: int, step: Step, attempt: int
) -> Decision | None:
    """The decision recorded for this attempt of the step, if any."""
    return session.exec(
        select(Decision).where(
            col(Decision.document_id) == document_id,
            col(Decision.version_id) == version_id,
            col(Decision.step) == step.value,
            col(Decision.attempt) == attempt,
        )
    ).first()


def _check_step_open(session: Session, document: Document, version_id: int, step: Step) -> None:
    if document.status is not step.status:
        raise Conflict(
            f"document {document.id} is at '{document.status}', not waiting for '{step}': "
            "the decision is for a step that is over"
        )
    decided = session.exec(
        select(Decision.id).where(
            col(Decision.document_id) == document.id,
            col(Decision.version_id) == version_id,
            col(Decision.step) == step.value,
            col(Decision.decided_at) >= document.status_changed_at,
        )
    ).first()
    if decided is not None:
        raise Conflict(f"step '{step}' of document {document.id} has already been decided")


def _check_person(
    session: Session, document: Document, version_id: int, step: Step, user: User | None, role: Role
) -> None:
    if role is not step.role and role is not Role.SYSTEM:
        raise NotAllowed(f"step '{step}' is decided by role '{step.role}', not '{role}'")
    if user is not None and user.role is not role:
        raise NotAllowed(f"{user.name} holds role '{user.role}', not '{role}'")
    if user is None:
        return
    if not decides_for_organ(session=session, user=user, organ_id=document.organ_id):
        raise NotAllowed(
            f"{user.login} ({user.role}) is not assigned to the organ of document {document.id}; "
            "an administrator assigns organs with `gongkai assign-organ`"
        )
    if step is Step.INTERPRETATION:
        return
    version = session.get(Version, version_id)
    if user.id in (document.created_by, version.submitted_by if version else None):
        raise NotAllowed(f"{user.name} drafted this document and may not review it (回避)")


def _check_choice(
    step: Step,
    decision: str,
    reason_codes: list[str],
    comment: str,
    new_attribute: Attribute | None,
) -> None:
    if not step.rule.offers(decision):
        choices = ", ".join(sorted(step.rule.choices))
        raise DecisionInvalid(
            f"'{decision}' is not a decision at '{step}'; choose one of {choices}"
        )
    unknown = [c for c in reason_codes if c not in REASONS]
    if unknown:
        raise DecisionInvalid(f"unknown reason codes {unknown}; use codes from the catalogue")
    if decision == "return" and not (reason_codes or comment.strip()):
        raise DecisionInvalid("a return (退文) needs reasons: give reason codes or a comment")
    if decision == "change_attribute":
        if new_attribute is None:
            raise DecisionInvalid("changing the attribute needs the new attribute")
        if new_attribute is not Attribute.PROACTIVE and not reason_codes:
            raise DecisionInvalid(
                "a change to a non-public attribute needs a coded reason (rule 4)"
            )
        if not comment.strip():
            raise DecisionInvalid("changing the attribute needs a written justification (rule 21)")


def _after_clearance(session: Session, document: Document, attribute: Attribute) -> Status:
    if not attribute.is_published:
        return Status.FILED  # 依申请公开 / 不予公开: kept and reviewed periodically (条例 art. 18)
    if needs_interpretation(session=session, document=document, attribute=attribute):
        return Status.AWAITING_INTERPRETATION
    return Status.AWAITING_SIGNOFF


def record_decision(
    *,
    session: Session,
    document_id: int,
    version_id: int,
    step: Step,
    decision: str,
    actor: User | None,
    actor_name: str,
    role: Role,
    channel: Channel,
    at: datetime,
    reason_codes: list[str] | None = None,
    comment: str = "",
    new_attribute: Attribute | None = None,
) -> Decision:
    """Record one human decision and carry out its consequence on the document's status."""
    codes = list(reason_codes or [])
    document = require_current_version(
        session=session, document_id=document_id, version_id=version_id
    )
    _check_step_open(session, document, version_id, step)
    _check_person(session, document, version_id, step, actor, role)
    _check_choice(step, decision, codes, comment, new_attribute)
    marking = get_marking(session=session, version_id=version_id)
    before = marking.attribute
    attempt = current_attempt(
        session=session, document_id=document_id, version_id=version_id, step=step
    )
    row = Decision(
        document_id=document_id,
        version_id=version_id,
        step=step.value,
        attempt=attempt,
        kind=step.rule.recorded_as(Choice(decision)),
        reason_codes=codes,
        comment=comment or None,
        decided_by=actor.id if actor else None,
        role=role,
        channel=channel,
        attribute_before=before,
        attribute_after=new_attribute or before,
        decided_at=at,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent decision took this attempt
        raise Conflict(f"step '{step}' of document {document_id} was decided concurrently") from exc
    record_event(
        session=session,
        actor=actor_name,
        role=role,
        channel=channel,
        action=DECISION_RECORDED,
        document_id=document_id,
        version_id=version_id,
        after={"step": step.value, "attempt": attempt, "decision": row.kind, "reason_codes": codes},
        reason=comment or None,
        at=at,
    )
    _consequence(
        session, document, row, step, decision, actor_name, role, channel, at, new_attribute
    )
    return row


def _consequence(
    session: Session,
    document: Document,
    row: Decision,
    step: Step,
    decision: str,
    actor: str,
    role: Role,
    channel: Channel,
    at: datetime,
    new_attribute: Attribute | None,
) -> None:
    doc_id, version_id = row.document_id, row.version_id
    reason = row.comment or ", ".join(row.reason_codes) or None

    def move(target: Status, *, by_engine: bool = False) -> None:
        door: Channel = "system" if by_engine else channel
        change_status(
            session=session,
            document_id=doc_id,
            target=target,
            reason=reason,
            at=at,
            actor=SYSTEM if by_engine else actor,
            role=Role.SYSTEM if by_engine else role,
            channel=door,
        )

    if decision == "return":
        move(Status.RETURNED)
    elif decision == "file":
        move(Status.FILED)
    elif decision == "escalate":
        move(Status.ESCALATED)
        # Working days count in Asia/Shanghai: after 16:00 UTC it is already the next day there.
        value = secret_report_deadline(
            local_date(at), calendar_for(document.policy_profile, session=session)
        )
        store_deadline(
            session=session, document_id=doc_id, version_id=version_id, value=value, at=at
        )
    elif step is Step.SIGN_OFF:
        profile = get_profile(document.policy_profile)
        for value in publication_deadlines(
            at,
            profile,
            calendar_for(profile.name, session=session),
            formed_on=_formed_on(session, document, version_id),
        ):
            store_deadline(
                session=session, document_id=doc_id, version_id=version_id, value=value, at=at
            )
    elif step.rule.approved_to is not None:  # e.g. office pre-review, interpretation
        if step is Step.INTERPRETATION and not has_interpretation_material(
            session=session, document_id=doc_id, version_id=version_id
        ):
            raise DecisionInvalid("the 解读材料 has not arrived yet; upload it, then confirm")
        move(step.rule.approved_to)
    else:  # secrecy review cleared (approve / change_attribute) or determination approved
        marking = get_marking(session=session, version_id=version_id)
        if new_attribute is not None and new_attribute is not marking.attribute:
            old = marking.attribute
            marking.attribute = new_attribute
            marking.marking_text = new_attribute.marking
            marking.reason_codes = list(row.reason_codes)
            marking.reason_explanation = row.comment
            session.add(marking)
            record_event(
                session=session,
                actor=actor,
                role=role,
                channel=channel,
                action=ATTRIBUTE_CHANGED,
                document_id=doc_id,
                version_id=version_id,
                before={"attribute": old.value},
                after={"attribute": new_attribute.value},
                reason=row.comment,
                at=at,
            )
        by_engine = step is Step.DETERMINATION
        if by_engine:
            move(Status.SECRECY_REVIEW)  # the determination, then the engine's clearance
        move(_after_clearance(session, document, marking.attribute), by_engine=by_engine)


def _formed_on(session: Session, document: Document, version_id: int) -> date:
    """条例 art. 26 counts 20 WD "自形成或者变更之日": a version converted to publication after a
    re-review (条例 art. 18) counts from the conversion, not from the old 成文日期."""
    converted_at = session.exec(
        select(Rereview.decided_at).where(col(Rereview.converted_version_id) == version_id)
    ).first()
    return local_date(converted_at) if converted_at is not None else document.written_on


def find_user(*, session: Session, login: str) -> User | None:
    """The active user who signs in with this login (the Prefect UI form names the reviewer by
    login, unique across organs)."""
    return session.exec(
        select(User).where(col(User.login) == login.strip(), col(User.active).is_(True))
    ).first()
