"""The Prefect form of an application's human steps: one flat RunInput for every step (the
description says which actions the step offers) and its Markdown description. The applicant's
personal data never appears here: the Prefect UI has no per-user identity (issue 26)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from prefect.input import RunInput
from pydantic import Field

from policies.application_clock import ConsultedParty
from policies.application_replies import CANNOT_PROVIDE, NOT_PROCESSED, ReplyType
from policies.application_steps import STEPS, Action, ApplicationStep
from policies.calendar import deadline_text
from services.applications import ApplicationAction, ApplicationView

ActionChoice = Literal[tuple(a.value for a in Action)]  # type: ignore[valid-type]
ReplyChoice = Literal[("", *(t.value for t in ReplyType))]  # type: ignore[valid-type]
PartyChoice = Literal[("", *(p.value for p in ConsultedParty))]  # type: ignore[valid-type]


class ApplicationDecision(RunInput):
    """An action at an application's step, by the person the one-time code proves."""

    action: ActionChoice  # type: ignore[valid-type]
    reviewer: str = Field(description="Your login (gongkai create-user printed it)")
    code: str = Field(default="", description="The 6-digit one-time code shown now")
    on: str = Field(default="", description="The day it happened, YYYY-MM-DD (default today)")
    until: str = Field(default="", description="补正: the time given, YYYY-MM-DD")
    days: int = Field(default=0, description="Extension: working days (at most 20)")
    party: PartyChoice = ""  # type: ignore[valid-type]
    consultation: str = ""
    document_ids: list[int] = Field(default_factory=list)
    reply_type: ReplyChoice = ""  # type: ignore[valid-type]
    sub_reason: str = ""
    reason_codes: list[str] = Field(default_factory=list)
    explanation: str = ""
    comment: str = ""


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{field}: 请按 YYYY-MM-DD 填写日期，收到 {text!r}") from None


def action_of(response: dict[str, Any]) -> ApplicationAction:
    """The form's answer as the service's action (a bad date is a ValueError naming it)."""
    return ApplicationAction(
        Action(response["action"]),
        on=_day(str(response.get("on") or ""), "on"),
        until=_day(str(response.get("until") or ""), "until"),
        days=int(response.get("days") or 0) or None,
        party=ConsultedParty(response["party"]) if response.get("party") else None,
        consultation=str(response.get("consultation") or "") or None,
        document_ids=tuple(int(i) for i in response.get("document_ids") or ()),
        reply_type=ReplyType(response["reply_type"]) if response.get("reply_type") else None,
        sub_reason=str(response.get("sub_reason") or "") or None,
        reason_codes=tuple(response.get("reason_codes") or ()),
        explanation=str(response.get("explanation") or "") or None,
        comment=str(response.get("comment") or "") or None,
    )


def describe_application(
    view: ApplicationView,
    step: ApplicationStep,
    *,
    url: str,
    releases: list[tuple[str, str, str]] | None = None,
) -> str:
    """The Markdown above the form: the application (no personal data), its clock and step,
    and at the release review exactly the files proposed (name, attribute, reviewer's page)."""
    row = STEPS[step]
    due = (
        deadline_text(view.reply_due_at, provisional=False)
        if view.reply_due_at is not None
        else "（补正期间不计算）"
    )
    lines = [
        f"## {row.title}",
        "",
        f"- **申请编号**: {view.number}",
        f"- **收到申请日期**: {view.received_on.isoformat()}（{view.channel.label}）",
        f"- **申请人类型**: {view.applicant_type.column}",
        f"- **所需信息**: {view.description}",
        f"- **获取方式**: {view.requested_form}",
        *(
            ["- **申请人建议**: 纳入主动公开（条例第四十四条第二款；答复后关联公文进入转换审查）"]
            if view.proposes_proactive
            else []
        ),
        f"- **答复期限**: {due} — 依据 {view.reply_basis}",
        f"- **已关联公文**: {', '.join(f'#{i}' for i in view.document_ids) or '（无）'}",
        f"- **办理页面**: [{url}]({url})",
        "",
        f"**可选操作** ({row.decided_by.label}): {', '.join(a.value for a in row.leads_to)}",
    ]
    if step is ApplicationStep.RELEASE:
        lines += ["", "### 拟提供的文件 (exactly what would be sent; 先审查、后公开)"]
        lines += [
            f"- {name}（{attribute}）: [{page}]({page})" for name, attribute, page in releases or []
        ]
    if step is ApplicationStep.REPLY:
        subs = "; ".join(f"{s.code} {s.label}" for s in (*CANNOT_PROVIDE, *NOT_PROCESSED))
        lines += [
            "",
            f"答复类型 reply_type: {', '.join(t.value for t in ReplyType)}; 具体情形 {subs}",
        ]
    return "\n".join(lines)
