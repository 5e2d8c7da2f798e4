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
