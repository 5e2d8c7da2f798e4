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
