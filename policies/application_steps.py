"""The human steps of handling an application, as one table (条例 arts. 30–37, 45; domain §10
rule 20): the step an application waits in, who decides it, the actions it offers and the step
each leads to. The flow's stages, the Prefect form and the REST door derive from this table.

Stages (issue 26): register → 补正 (completeness; supplement) → search and identify →
consultations → reply decision (with the extension, decided by the disclosure-office head) →
release review (the secrecy reviewer, on exactly the files released).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from policies.findings import Finding, Severity
from policies.roles import Role

SOURCE_STEPS = "条例 arts. 30–37, 45 (登记、审核、办理、答复、归档); domain §10 rule 20"


class ApplicationStep(StrEnum):
    """A step an application waits in."""

    COMPLETENESS = "completeness"  # 条例 art. 30: is it clear, or is a 补正 needed?
    SUPPLEMENT = "supplement"  # 条例 art. 30: waiting for the applicant's supplement
    IDENTIFY = "identify"  # 条例 art. 45 办理: search and identify the documents
    CONSULTATION = "consultation"  # 条例 arts. 32, 34
    REPLY = "reply"  # 条例 arts. 33, 36, 37
    EXTENSION = "extension"  # 条例 art. 33 ¶2: the head's consent
    RELEASE = "release"  # 条例 art. 17 先审查、后公开: the files to be released
    DONE = "done"  # replied, or abandoned (art. 30)


class Action(StrEnum):
    """What a person may do at a step."""

    COMPLETE = "complete"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT_RECEIVED = "supplement_received"
    ABANDONED = "abandoned"
    IDENTIFIED = "identified"
    CONSULT = "consult"
    CONSULTATION_ANSWERED = "consultation_answered"
    CONSULTATIONS_DONE = "consultations_done"
    REPLY = "reply"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    APPROVE_RELEASE = "approve_release"
    REFUSE_RELEASE = "refuse_release"


@dataclass(frozen=True, slots=True)
class StepRow:
    """One step: its title, who decides it, and where each action leads (None: decided by the
    service, e.g. a reply that releases files goes to the release review)."""

    step: ApplicationStep
    title: str
    decided_by: Role
    leads_to: Mapping[Action, ApplicationStep | None]
    source: str
    head_only: bool = False  # the disclosure office's head (负责人), not any of its clerks


_OFFICE, _REVIEWER = Role.DISCLOSURE_OFFICE, Role.SECRECY_REVIEWER
S, A = ApplicationStep, Action
STEPS: Mapping[ApplicationStep, StepRow] = MappingProxyType(
    {
        row.step: row
        for row in (
            StepRow(
                S.COMPLETENESS,
                "审核申请内容是否明确 (补正)",
                _OFFICE,
                {A.COMPLETE: S.IDENTIFY, A.REQUEST_SUPPLEMENT: S.SUPPLEMENT},
                "条例 art. 30",
            ),
            StepRow(
                S.SUPPLEMENT,
                "等待申请人补正",
                _OFFICE,
                {A.SUPPLEMENT_RECEIVED: S.IDENTIFY, A.ABANDONED: S.DONE},
                "条例 art. 30",
            ),
            StepRow(
                S.IDENTIFY,
                "检索并确定所申请的政府信息",
                _OFFICE,
                {A.IDENTIFIED: S.CONSULTATION},
                "条例 arts. 36(四)(五), 45",
            ),
            StepRow(
                S.CONSULTATION,
                "征求第三方或共同制作机关意见",
                _OFFICE,
                {
                    A.CONSULT: S.CONSULTATION,
                    A.CONSULTATION_ANSWERED: S.CONSULTATION,
                    A.CONSULTATIONS_DONE: S.REPLY,
                },
                "条例 arts. 32, 34",
            ),
            StepRow(
                S.REPLY,
                "作出答复决定",
                _OFFICE,
                {A.REPLY: None, A.REQUEST_EXTENSION: S.EXTENSION},
                "条例 arts. 33, 36, 37",
            ),
            StepRow(
                S.EXTENSION,
                "延长答复期限（政府信息公开工作机构负责人同意）",
                _OFFICE,
                {A.APPROVE_EXTENSION: S.REPLY, A.REFUSE_EXTENSION: S.REPLY},
                "条例 art. 33 ¶2",
                head_only=True,
            ),
            StepRow(
                S.RELEASE,
                "对拟提供的文件进行保密审查（先审查、后公开）",
                _REVIEWER,
                {A.APPROVE_RELEASE: S.DONE, A.REFUSE_RELEASE: S.REPLY},
                "条例 art. 17; design.md: a release has a recorded review of exactly that content",
            ),
        )
    }
)


def check_action(
    step: ApplicationStep, action: Action, role: Role, *, office_head: bool = False
) -> list[Finding]:
    """Whether the role (and, where the step needs it, the office head) may take the action at
    the step (the step's row), with the rule."""
    row = STEPS.get(step)
    if row is None:
        message = "该申请已办结，不再受理操作。"
        return [Finding("application.step.done", Severity.BLOCKING, message, SOURCE_STEPS)]
    findings = []
    if action not in row.leads_to:
        offered = ", ".join(a.value for a in row.leads_to)
        message = f"当前环节「{row.title}」不接受 {action.value}；可选: {offered}"
        findings.append(
            Finding("application.step.action", Severity.BLOCKING, message, row.source, "action")
        )
    if role is not row.decided_by:
        message = f"「{row.title}」由{row.decided_by.label}决定，不是{role.label}。"
        findings.append(Finding("application.step.role", Severity.BLOCKING, message, row.source))
    elif row.head_only and not office_head:
        message = f"「{row.title}」须由政府信息公开工作机构负责人决定。"
        findings.append(Finding("application.step.head", Severity.BLOCKING, message, row.source))
    return findings
