"""State-secret classification levels (密级).

Source: 保密法 2024 art. 14 (2010 art. 10): 绝密、机密、秘密.
"""

from __future__ import annotations

from enum import StrEnum


class SecrecyLevel(StrEnum):
    """A classification level; NONE for documents that carry no 密级."""

    NONE = "none"
    SECRET = "mimi"  # 秘密
    CONFIDENTIAL = "jimi"  # 机密
    TOP_SECRET = "juemi"  # 绝密

    @property
    def label(self) -> str:
        """The level's Chinese name as printed on the document."""
        return _LABELS[self]

    @property
    def is_classified(self) -> bool:
        """Whether the level makes the document a state secret."""
        return self is not SecrecyLevel.NONE


_LABELS: dict[SecrecyLevel, str] = {
    SecrecyLevel.NONE: "无",
    SecrecyLevel.SECRET: "秘密",
    SecrecyLevel.CONFIDENTIAL: "机密",
    SecrecyLevel.TOP_SECRET: "绝密",
}
