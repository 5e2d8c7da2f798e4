"""Who takes part in the review of a document."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A role held by a user or by the engine itself."""

    DRAFTER = "drafter"  # 拟稿人
    SECRECY_REVIEWER = "secrecy_reviewer"  # 保密审查人
    DISCLOSURE_OFFICE = "disclosure_office"  # 政务公开工作机构 (条例 art. 4)
    SIGNER = "signer"  # 签发人
    ADMIN = "admin"
    SYSTEM = "system"  # the engine's own automatic steps

    @property
    def label(self) -> str:
        """The role's name, e.g. 保密审查人."""
        return _LABELS[self]


_LABELS: dict[Role, str] = {
    Role.DRAFTER: "拟稿人",
    Role.SECRECY_REVIEWER: "保密审查人",
    Role.DISCLOSURE_OFFICE: "政务公开工作机构",
    Role.SIGNER: "签发人",
    Role.ADMIN: "管理员",
    Role.SYSTEM: "系统（引擎的自动步骤）",
}
