"""Review statuses and the stage of the review each belongs to (design.md: one state machine)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """The four stages of the review flow, plus intake and the end of the road."""

    INTAKE = "intake"
    MARKING = "marking"  # 属性认定
    SECRECY_REVIEW = "secrecy_review"  # 保密审查
    INTERPRETATION = "interpretation"  # 政策解读材料
    PUBLICATION = "publication"  # 签发与发布
    DONE = "done"

    @property
    def label(self) -> str:
        """The stage's name, e.g. 保密审查."""
        return _STAGE_LABELS[self]


class Status(StrEnum):
    """Where a document stands; exactly one at a time."""

    SUBMITTED = "submitted"  # received, checks passed, waiting for the review flow
    RETURNED = "returned"  # 退文: back with the drafter
    OFFICE_PREREVIEW = "office_prereview"  # domain §10 rule 5
    SECRECY_REVIEW = "secrecy_review"  # 保密审查 (条例 art. 17)
    ESCALATED = "escalated"  # 无法确定 → 主管部门/保密行政管理部门 (rule 8)
    AWAITING_INTERPRETATION = "awaiting_interpretation"  # rule 11/12
    AWAITING_SIGNOFF = "awaiting_signoff"  # 签发
    PUBLISHED = "published"
    FILED = "filed"  # 依申请公开 / 不予公开: kept, not published, reviewed periodically

    @property
    def stage(self) -> Stage:
        """The review stage a document in this status is at."""
        return _STAGES[self]

    @property
    def label(self) -> str:
        """What the status means, e.g. 退文：退回拟稿人."""
        return _STATUS_LABELS[self]

    @property
    def is_waiting_for_people(self) -> bool:
        """Whether a person (not the engine) must act next."""
        return self in _HUMAN_WAITS


_STAGES: dict[Status, Stage] = {
    Status.SUBMITTED: Stage.INTAKE,
    Status.RETURNED: Stage.INTAKE,
    Status.OFFICE_PREREVIEW: Stage.MARKING,
    Status.SECRECY_REVIEW: Stage.SECRECY_REVIEW,
    Status.ESCALATED: Stage.SECRECY_REVIEW,
    Status.AWAITING_INTERPRETATION: Stage.INTERPRETATION,
    Status.AWAITING_SIGNOFF: Stage.PUBLICATION,
    Status.PUBLISHED: Stage.DONE,
    Status.FILED: Stage.DONE,
}

_HUMAN_WAITS = frozenset(
    {
        Status.RETURNED,
        Status.OFFICE_PREREVIEW,
        Status.SECRECY_REVIEW,
        Status.ESCALATED,
        Status.AWAITING_INTERPRETATION,
        Status.AWAITING_SIGNOFF,
    }
)

_STAGE_LABELS: dict[Stage, str] = {
    Stage.INTAKE: "收文",
    Stage.MARKING: "属性认定",
    Stage.SECRECY_REVIEW: "保密审查",
    Stage.INTERPRETATION: "政策解读",
    Stage.PUBLICATION: "签发与发布",
    Stage.DONE: "办结",
}
_STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "已报送，待审查流程启动",
    Status.RETURNED: "退文：退回拟稿人修改后重新报送",
    Status.OFFICE_PREREVIEW: "政务公开工作机构预审",
    Status.SECRECY_REVIEW: "保密审查",
    Status.ESCALATED: "无法确定，报主管部门或保密行政管理部门确定",
    Status.AWAITING_INTERPRETATION: "待政策解读材料",
    Status.AWAITING_SIGNOFF: "待签发",
    Status.PUBLISHED: "已发布",
    Status.FILED: "不公开，存档（依申请公开或不予公开）并定期评估",
}
