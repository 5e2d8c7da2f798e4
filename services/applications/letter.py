"""The reply letter (答复告知书, 条例 arts. 36–37, 51; domain §10 rule 20): its number, the
decision with its article, the reasons (code, ground, article), the fee (art. 42), what is
released, and the remedy channels with their bodies and time limits from the profile. Seed 003
criticises letters "缺少编号、未注明救济渠道": neither is optional here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from models.applications import Application
from models.base import id_of
from models.organs import Organ
from policies.application_replies import SUB_REASONS, RemedyChannel, ReplyType
from policies.legal_reasons import get_reason
from policies.profiles import get_profile
from services.applications.releases import released_files
from services.errors import Conflict

# What each reply type tells the applicant, and on which article (条例 arts. 36–38).
DECISION_TEXT: dict[ReplyType, tuple[str, str]] = {
    ReplyType.DISCLOSED: (
        "经审查，您申请的政府信息予以公开，现向您提供。",
        "条例第三十六条第（二）项",
    ),
    ReplyType.PARTIAL: (
        "经审查，您申请的政府信息中含有不应当公开的内容，经区分处理，向您提供可以公开的部分，"
        "对不予公开的内容说明理由如下。",
        "条例第三十七条",
    ),
    ReplyType.WITHHELD: (
        "经审查，您申请的政府信息不予公开，理由如下。",
        "条例第三十六条第（三）项",
    ),
    ReplyType.CANNOT_PROVIDE: ("经审查，本机关无法提供您申请的政府信息。", "条例第三十六条"),
    ReplyType.NOT_PROCESSED: ("经审查，本机关对您的申请不予处理。", "条例第三十六条"),
    ReplyType.OTHER: ("经审查，本机关对您的申请作如下处理。", "条例第三十六条"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason on the letter: its code, the ground, and its legal basis."""

    code: str
    ground: str
    basis: str


@dataclass(frozen=True, slots=True)
class ReplyLetter:
    """Everything the letter prints."""

    number: str
    application_number: str
    organ_name: str
    applicant_name: str
    received_on: date
    replied_on: date
    description: str
    decision: str
    decision_label: str
    decision_basis: str
    reasons: tuple[Reason, ...]
    explanation: str | None
    fee_yuan: int
    nth_in_month: int
    released_files: tuple[str, ...]
    remedies: tuple[RemedyChannel, ...]
    # Where the applicant fetches the released files, and until when (the API adds it: the
    # address depends on where it is served).
    delivery_url: str | None = None
    delivery_expires_at: datetime | None = None


def reply_letter(session: Session, application: Application) -> ReplyLetter:
    """The letter of a replied application (409 before the reply)."""
    if application.reply_type is None or application.replied_on is None:
        raise Conflict(f"application {application.number} has no reply yet")
    reply_type = ReplyType(application.reply_type)
    reasons = [
        Reason(code, get_reason(code).summary, get_reason(code).article)
        for code in application.reason_codes
    ]
    if application.sub_reason:
        sub = SUB_REASONS[application.sub_reason]
        reasons.append(Reason(sub.code, sub.label, sub.article))
    organ = session.get(Organ, application.organ_id)
    text, basis = DECISION_TEXT[reply_type]
    return ReplyLetter(
        number=application.reply_number or application.number,
        application_number=application.number,
        organ_name=organ.name if organ else "",
        applicant_name=application.applicant_name,
        received_on=application.received_on,
        replied_on=application.replied_on,
        description=application.description,
        decision=text,
        decision_label=reply_type.label,
        decision_basis=basis,
        reasons=tuple(reasons),
        explanation=application.reply_explanation,
        fee_yuan=application.fee_yuan,
        nth_in_month=application.nth_in_month,
        released_files=tuple(r.file_name for r in released_files(session, id_of(application))),
        remedies=get_profile(application.policy_profile).remedies,
    )
