"""The disclosure attribute (公开属性) fixed when a document is drafted (源头认定).

Sources: 国办发〔2016〕80号 一(一); seed 001 §二(四)1 (four labels, "不得另行创新");
seed 002 §三(三); seed 004 §二(二); 条例 art. 13 ¶2 (two modes of disclosure).
"""

from __future__ import annotations

from enum import StrEnum


class Attribute(StrEnum):
    """One disclosure attribute; the value is the stable code stored and exchanged."""

    PROACTIVE = "proactive"  # 主动公开
    ON_REQUEST = "on_request"  # 依申请公开
    REDACTED = "redacted"  # 删减后公开 (seed 001 only)
    WITHHELD = "withheld"  # 不予公开

    @property
    def label(self) -> str:
        """The attribute's Chinese name, e.g. 主动公开."""
        return _LABELS[self]

    @property
    def marking(self) -> str:
        """The canonical printed marking (seed 001 §二(四)1: no other wording)."""
        return _MARKINGS[self]

    @property
    def is_published(self) -> bool:
        """Whether documents with this attribute go to the public portal."""
        return self in (Attribute.PROACTIVE, Attribute.REDACTED)


_LABELS: dict[Attribute, str] = {
    Attribute.PROACTIVE: "主动公开",
    Attribute.ON_REQUEST: "依申请公开",
    Attribute.REDACTED: "删减后公开",
    Attribute.WITHHELD: "不予公开",
}

# seed 001 §二(四)1:
# "严格按照'此件公开发布'、'此件依申请公开'、'此件删减后公开'和'此件不公开'分类标识".
_MARKINGS: dict[Attribute, str] = {
    Attribute.PROACTIVE: "此件公开发布",
    Attribute.ON_REQUEST: "此件依申请公开",
    Attribute.REDACTED: "此件删减后公开",
    Attribute.WITHHELD: "此件不公开",
}
