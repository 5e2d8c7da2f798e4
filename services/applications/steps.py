"""The human steps of an application (policies.application_steps): one service takes an action
from either door — the Prefect form (proved by a one-time code) or REST (bearer token) — checks
the step, the role and the organ, records it through the clock, link and reply services, and
moves the application to its next step, with one audit event. The flow waits on the count of
actions recorded, so a decision taken at one door ends the wait at the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from models.applications import Application
from models.base import id_of
from models.decisions import Channel
from models.users import User
from policies.application_clock import (
    ClockEvent,
    ClockEventKind,
    ClockState,
    ConsultedParty,
)
from policies.application_replies import ReplyType
from policies.application_steps import STEPS, Action, ApplicationStep, check_action
from policies.calendar import local_date
from policies.deadlines import DeadlineKind
from policies.findings import Finding, Severity
from services.applications.clock import clock_of, end_deadline, record_clock_event
from services.applications.links import link_document
from services.applications.releases import decide_release, propose_release
from services.applications.replies import ReplyRequest, record_reply
from services.audit import record_act
from services.errors import Forbidden, RequestInvalid
from services.timestamps import require_aware

APPLICATION_ACTION = "application.action"


@dataclass(frozen=True, slots=True)
class ApplicationAction:
    """One action at a step, with what it carries (unused fields stay empty)."""

    action: Action
    on: date | None = None  # the day it happened (default: today in Asia/Shanghai)
    until: date | None = None  # 补正: the time given to the applicant
    days: int | None = None  # extension: working days requested
    party: ConsultedParty | None = None
    consultation: str | None = None
    document_ids: tuple[int, ...] = ()
    reply_type: ReplyType | None = None
    sub_reason: str | None = None
    reason_codes: tuple[str, ...] = ()
    explanation: str | None = None
    comment: str | None = None


def _refuse(rule: str, message: str, source: str, where: str | None = None) -> RequestInvalid:
    finding = Finding(rule, Severity.BLOCKING, message, source, where)
    return RequestInvalid(message, [finding])


def take_action(
    *,
    session: Session,
    application: Application,
    act: ApplicationAction,
    person: User,
    at: datetime,
    channel: Channel = "api",
) -> Application:
    """Take the action at the application's current step, as person (their role, their organ,
    the head for an extension); the application moves to the step the action leads to."""
    require_aware(at)
    step = application.step
    findings = check_action(step, act.action, person.role, office_head=person.office_head)
    if findings:
        if any(f.rule in ("application.step.role", "application.step.head") for f in findings):
            raise Forbidden(findings[0].message, findings)
        raise RequestInvalid("; ".join(f.message for f in findings), findings)
    if person.organ_id != application.organ_id:
        raise Forbidden(f"{person.name} 不属于受理该申请的机关，不能办理。")
    on = act.on or local_date(at)
    target = STEPS[step].leads_to[act.action]
    target = _apply(session, application, act, person, at, on, target)
    application.step = target
    application.actions += 1
    session.add(application)
    record_act(
        session=session,
        person=person,
        action=APPLICATION_ACTION,
        at=at,
        channel=channel,
        before={"application_id": id_of(application), "step": step.value},
        after={"step": target.value, "action": act.action.value},
        reason=act.comment or STEPS[step].source,
    )
    session.flush()
    return application


def _apply(
    session: Session,
    application: Application,
    act: ApplicationAction,
    person: User,
    at: datetime,
    on: date,
    target: ApplicationStep | None,
) -> ApplicationStep:
    def clock(event: ClockEvent) -> None:
        record_clock_event(
            session=session, application=application, event=event, person=person, at=at
        )

    a = act.action
    if a is Action.COMPLETE:  # no 补正 needed: the notice window is met (条例 art. 30)
        end_deadline(session, id_of(application), DeadlineKind.APPLICATION_SUPPLEMENT, at)
    elif a is Action.REQUEST_SUPPLEMENT:
        clock(ClockEvent(ClockEventKind.SUPPLEMENT_REQUESTED, on, until=act.until))
    elif a is Action.SUPPLEMENT_RECEIVED:
        clock(ClockEvent(ClockEventKind.SUPPLEMENT_RECEIVED, on))
    elif a is Action.ABANDONED:
        if clock_of(session, application, at).state is not ClockState.ABANDONED:
            raise _refuse(
                "application.abandoned",
                "补正期限尚未届满，不能视为放弃申请。",
                "条例 art. 30",
            )
        application.abandoned_on = on
        # No reply type of art. 36: counted in table 三 as 其他处理 (三(六)).
        application.report_row = "三(六)"
    elif a is Action.IDENTIFIED:
        for document_id in act.document_ids:
            link_document(
                session=session,
                application=application,
                document_id=document_id,
                person=person,
                at=at,
            )
    elif a is Action.CONSULT:
        name = act.consultation or f"{act.party or ''}-{application.actions + 1}"
        clock(
            ClockEvent(
                ClockEventKind.CONSULTATION_REQUESTED, on, party=act.party, consultation=name
            )
        )
    elif a is Action.CONSULTATION_ANSWERED:
        clock(ClockEvent(ClockEventKind.CONSULTATION_ANSWERED, on, consultation=act.consultation))
    elif a is Action.CONSULTATIONS_DONE:
        if clock_of(session, application, at).state is ClockState.PAUSED:
            raise _refuse(
                "application.consultation.open",
                "仍有征求意见未答复：请先登记答复（共同制作机关逾期未答复视为同意，条例第三十四条）。",
                "条例 arts. 32, 34",
            )
    elif a is Action.REQUEST_EXTENSION:
        if not act.days:
            raise _refuse(
                "application.extension.days", "请填写拟延长的工作日数。", "条例 art. 33 ¶2", "days"
            )
        application.extension_requested_days = act.days
    elif a is Action.APPROVE_EXTENSION:
        days = application.extension_requested_days
        clock(ClockEvent(ClockEventKind.EXTENDED, on, days=days, approved_by_head=True))
        application.extension_requested_days = None
    elif a is Action.REFUSE_EXTENSION:
        application.extension_requested_days = None
    elif a is Action.REPLY:
        return _reply(session, application, act, person, at)
    elif a in (Action.APPROVE_RELEASE, Action.REFUSE_RELEASE):
        return decide_release(
            session=session,
            application=application,
            approve=a is Action.APPROVE_RELEASE,
            reviewer=person,
            reason_codes=list(act.reason_codes),
            comment=act.comment,
            at=at,
        )
    assert target is not None
    return target


def _reply(
    session: Session, application: Application, act: ApplicationAction, person: User, at: datetime
) -> ApplicationStep:
    if act.reply_type is None:
        raise _refuse(
            "reply.type", "请选择答复类型（条例第三十六条）。", "条例 art. 36", "reply_type"
        )
    reply = ReplyRequest(act.reply_type, act.sub_reason, act.reason_codes, act.explanation)
    if propose_release(session=session, application=application, reply=reply, at=at, by=person):
        return ApplicationStep.RELEASE  # the files are reviewed before anything is sent
    record_reply(session=session, application=application, reply=reply, person=person, at=at)
    return ApplicationStep.DONE
