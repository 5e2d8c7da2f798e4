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

# Roles whose decisions are bound to organs: "机关、单位应当…明确审查机构" (保密法实施条例 2024
# art. 42, domain.md §5.1) — a unit's review is made by its own reviewers and signers, or by
# those expressly assigned to it, never by another unit's.
ORGAN_SCOPED_ROLES: frozenset[Role] = frozenset({Role.SECRECY_REVIEWER, Role.SIGNER})
