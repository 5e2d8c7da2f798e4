"""The reply to an application (条例 arts. 36–37): its type and reasons checked, its number
(文号), the fee shown (art. 42), the reply deadline met, table 三's row fixed by the reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models.applications import Application
from models.base import id_of
from models.users import User
from policies.application_clock import ClockEvent, ClockEventKind, ClockState
from policies.application_replies import ReplyType, check_reply, report_row
from policies.calendar import local_date
from policies.deadlines import DeadlineKind
from services.applications.clock import clock_of, end_deadline, record_clock_event
from services.applications.links import propose_conversions
from services.audit import record_act
from services.errors import Conflict, RequestInvalid
from services.timestamps import require_aware

APPLICATION_REPLIED = "application.replied"


@dataclass(frozen=True, slots=True)
class ReplyRequest:
    """The reply the office decides: its type (art. 36), sub-reason, reasons and explanation."""

    reply_type: ReplyType
    sub_reason: str | None = None
    reason_codes: tuple[str, ...] = ()
    explanation: str | None = None


def record_reply(
    *,
    session: Session,
    application: Application,
    reply: ReplyRequest,
    person: User,
    at: datetime,
) -> Application:
    """Record the reply: refused outside art. 36, a refusal or partial reply without reasons,
    or a second reply; the reply deadline is met and the letter gets its number."""
    require_aware(at)
    if application.reply_type is not None:
        raise Conflict(f"application {application.number} has been replied to already")
    findings = check_reply(reply.reply_type, reply.sub_reason, list(reply.reason_codes))
    if findings:
        raise RequestInvalid("; ".join(f.message for f in findings), findings)
    clock = clock_of(session, application, at)
    if clock.state is ClockState.ABANDONED:
        raise Conflict("申请人未在补正期限内补正，视为放弃申请（条例第三十条），不再答复。")
    replied_on = local_date(at)
    record_clock_event(
        session=session,
        application=application,
        event=ClockEvent(ClockEventKind.REPLIED, replied_on),
        person=person,
        at=at,
    )
    application_id = id_of(application)
    application.reply_type = reply.reply_type.value
    application.sub_reason = reply.sub_reason
    application.reason_codes = list(reply.reason_codes)
    application.reply_explanation = reply.explanation
    application.replied_on = replied_on
    application.report_row = report_row(
        reply.reply_type, reply.sub_reason, list(reply.reason_codes)
    )
    application.replied_by = person.id
    application.reply_number = f"{application.number}-答复"
    session.add(application)
    end_deadline(session, application_id, DeadlineKind.APPLICATION_REPLY, at)
    end_deadline(session, application_id, DeadlineKind.APPLICATION_SUPPLEMENT, at)
    record_act(
        session=session,
        person=person,
        action=APPLICATION_REPLIED,
        at=at,
        after={
            "application_id": application_id,
            "reply_type": reply.reply_type.value,
            "sub_reason": reply.sub_reason,
            "reason_codes": list(reply.reason_codes),
            "reply_number": application.reply_number,
        },
        reason="条例 arts. 36, 37",
    )
    session.flush()
    propose_conversions(session=session, application=application, at=at)
    return application
