"""The human steps of the review, as one table: the status a document waits in during each step,
the role that decides it, the decisions it offers (what each means there), and where a plain
approval leads. The reviewer's form, the decision service, the office monitor's holders and the
API derive from this table (design.md "Human steps on Prefect"; domain §10 rules 5, 8, 11–12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from policies.roles import Role
from policies.statuses import Status


class Step(StrEnum):
    """A human step of the review; each waits in one status for one role."""

    OFFICE_PREREVIEW = "office_prereview"  # domain §10 rule 5
    SECRECY_REVIEW = "secrecy_review"  # 条例 art. 17
    DETERMINATION = "determination"  # rule 8: 无法确定 → 主管部门/保密行政管理部门
    INTERPRETATION = "interpretation"  # rules 11-12
    SIGN_OFF = "sign_off"  # 签发

    @property
    def rule(self) -> StepRule:
        """This step's row of the table."""
        return STEPS[self]

    @property
    def status(self) -> Status:
        """The status a document waits in during this step."""
        return STEPS[self].waits_in

    @property
    def role(self) -> Role:
        """Who decides this step."""
        return STEPS[self].decided_by


class Choice(StrEnum):
    """A decision a reviewer can make at a step (which ones, each step's row says)."""

    APPROVE = "approve"
    RETURN = "return"  # 退文
    CHANGE_ATTRIBUTE = "change_attribute"
    ESCALATE = "escalate"  # 无法确定
    FILE = "file"  # not published


class DecisionKind(StrEnum):
    """A decision as recorded: the choice, or what an approval is at its step."""

    APPROVE = "approve"
    RETURN = "return"  # 退文
    CHANGE_ATTRIBUTE = "change_attribute"
    ESCALATE = "escalate"  # 无法确定 → 主管部门/保密行政管理部门
    DETERMINE = "determine"  # determination recorded after escalation
    SIGN_OFF = "sign_off"  # 签发
    FILE = "file"  # not published
    CONVERT = "convert"  # conversion of a filed document (条例 arts. 18, 44)


@dataclass(frozen=True, slots=True)
class StepRule:
    """One step: its title, the status it waits in, who decides it, its choices with what each
    means here, where a plain approval leads (None: the review decides, e.g. after secrecy
    clearance), what an approval is recorded as, and the source."""

    step: Step
    title: str
    waits_in: Status
    decided_by: Role
    choices: Mapping[Choice, str]
    approved_to: Status | None
    source: str
    approval_recorded_as: DecisionKind = DecisionKind.APPROVE

    def offers(self, choice: str) -> bool:
        """Whether the choice is a decision at this step."""
        return choice in self.choices

    def recorded_as(self, choice: Choice) -> DecisionKind:
        """The kind a decision is recorded as (an approval at sign-off is the 签发)."""
        if choice is Choice.APPROVE:
            return self.approval_recorded_as
        return DecisionKind(choice.value)

    def choices_text(self) -> str:
        """The choices and their meanings, as the reviewer reads them."""
        return "; ".join(f"{choice} = {meaning}" for choice, meaning in self.choices.items())


_TABLE = (
    StepRule(
        Step.OFFICE_PREREVIEW,
        "政务公开工作机构预审 (office pre-review)",
        waits_in=Status.OFFICE_PREREVIEW,
        decided_by=Role.DISCLOSURE_OFFICE,
        choices={Choice.APPROVE: "同意", Choice.RETURN: "退文"},
        approved_to=Status.SECRECY_REVIEW,
        source="seed 002 §三(三); domain §10 rule 5",
    ),
    StepRule(
        Step.SECRECY_REVIEW,
        "保密审查 (secrecy review)",
        waits_in=Status.SECRECY_REVIEW,
        decided_by=Role.SECRECY_REVIEWER,
        choices={
            Choice.APPROVE: "可以公开",
            Choice.RETURN: "退文 (reasons)",
            Choice.CHANGE_ATTRIBUTE: "变更属性 (new_attribute, reason codes, justification in "
            "comment)",
            Choice.ESCALATE: "无法确定",
        },
        approved_to=None,  # interpretation, sign-off or filed, by the attribute (条例 art. 17)
        source="条例 art. 17; 保密法实施条例 2024 art. 42",
    ),
    StepRule(
        Step.DETERMINATION,
        "无法确定：报主管部门/保密行政管理部门确定 (determination)",
        waits_in=Status.ESCALATED,
        decided_by=Role.DISCLOSURE_OFFICE,
        choices={
            Choice.APPROVE: "确定可以公开",
            Choice.FILE: "确定不公开 (filed)",
            Choice.RETURN: "退文",
        },
        approved_to=None,  # back through the secrecy review's clearance
        source="条例 art. 17 ¶3; 保密法 2024 art. 25; domain §10 rule 8",
        approval_recorded_as=DecisionKind.DETERMINE,
    ),
    StepRule(
        Step.INTERPRETATION,
        "政策解读材料 (interpretation material)",
        waits_in=Status.AWAITING_INTERPRETATION,
        decided_by=Role.DRAFTER,
        choices={Choice.APPROVE: "解读材料已上传"},
        approved_to=Status.AWAITING_SIGNOFF,
        source="seeds 000 §三(十八), 002 §二(十三), 004 §二(五); domain §10 rules 11-12",
    ),
    StepRule(
        Step.SIGN_OFF,
        "签发 (sign-off)",
        waits_in=Status.AWAITING_SIGNOFF,
        decided_by=Role.SIGNER,
        choices={Choice.APPROVE: "签发并发布", Choice.RETURN: "退文", Choice.FILE: "不予发布"},
        approved_to=Status.PUBLISHED,  # by the publication stage, once signed off
        source="seed 000 §三(二十二); 条例 art. 26",
        approval_recorded_as=DecisionKind.SIGN_OFF,
    ),
)
STEPS: Mapping[Step, StepRule] = MappingProxyType({rule.step: rule for rule in _TABLE})
_BY_STATUS: Mapping[Status, Step] = MappingProxyType({rule.waits_in: rule.step for rule in _TABLE})


def step_waiting_in(status: Status) -> Step | None:
    """The human step a document in this status waits at, if any."""
    return _BY_STATUS.get(status)
