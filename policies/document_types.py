"""Kinds of document the engine reviews.

The fifteen 公文种类 of 《党政机关公文处理工作条例》 (2012) art. 8 [U: primary text not read,
domain §3.1], plus 规章 and 行政规范性文件, which 条例 art. 20(一) names for 主动公开 and which the
2021 annual-report template counts separately (domain §7.2).
"""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    """A document type; the value is the stable code stored and exchanged."""

    RESOLUTION = "resolution"  # 决议
    DECISION = "decision"  # 决定
    ORDER = "order"  # 命令（令）
    COMMUNIQUE = "communique"  # 公报
    ANNOUNCEMENT = "announcement"  # 公告
    PUBLIC_NOTICE = "public_notice"  # 通告
    OPINION = "opinion"  # 意见
    NOTICE = "notice"  # 通知
    CIRCULAR = "circular"  # 通报
    REPORT = "report"  # 报告
    REQUEST = "request"  # 请示
    REPLY = "reply"  # 批复
    MOTION = "motion"  # 议案
    LETTER = "letter"  # 函
    MINUTES = "minutes"  # 纪要
    RULES = "rules"  # 规章 (条例 art. 20(一))
    NORMATIVE = "normative"  # 行政规范性文件 (条例 art. 20(一))
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        """The type's Chinese name."""
        return _LABELS[self]

    @property
    def must_be_proactive(self) -> bool:
        """Whether 条例 art. 20(一) lists this type for 主动公开 (规章 and 规范性文件)."""
        return self in (DocumentType.RULES, DocumentType.NORMATIVE)


_LABELS: dict[DocumentType, str] = {
    DocumentType.RESOLUTION: "决议",
    DocumentType.DECISION: "决定",
    DocumentType.ORDER: "命令（令）",
    DocumentType.COMMUNIQUE: "公报",
    DocumentType.ANNOUNCEMENT: "公告",
    DocumentType.PUBLIC_NOTICE: "通告",
    DocumentType.OPINION: "意见",
    DocumentType.NOTICE: "通知",
    DocumentType.CIRCULAR: "通报",
    DocumentType.REPORT: "报告",
    DocumentType.REQUEST: "请示",
    DocumentType.REPLY: "批复",
    DocumentType.MOTION: "议案",
    DocumentType.LETTER: "函",
    DocumentType.MINUTES: "纪要",
    DocumentType.RULES: "规章",
    DocumentType.NORMATIVE: "行政规范性文件",
    DocumentType.OTHER: "其他",
}
