"""The disclosure attribute (公开属性) fixed when a document is drafted (源头认定).

Sources: 国办发〔2016〕80号 一(一); seed 001 §二(四)1 (four labels, "不得另行创新");
seed 002 §三(三); seed 004 §二(二); 条例 art. 13 ¶2 (two modes of disclosure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Attribute(StrEnum):
    """One disclosure attribute; the value is the stable code stored and exchanged."""

    PROACTIVE = "proactive"  # 主动公开
    ON_REQUEST = "on_request"  # 依申请公开
    REDACTED = "redacted"  # 删减后公开 (seed 001 only)
    WITHHELD = "withheld"  # 不予公开

    @property
    def label(self) -> str:
        """The attribute's Chinese name, e.g. 主动公开."""
        return LABELS[self].name

    @property
    def marking(self) -> str:
        """The canonical printed marking (seed 001 §二(四)1: no other wording)."""
        return LABELS[self].marking

    @property
    def is_published(self) -> bool:
        """Whether documents with this attribute go to the public portal."""
        return LABELS[self].published

    @property
    def publishes_redacted_version(self) -> bool:
        """Whether what is published is a redacted version sent with the draft (删减后公开)."""
        return LABELS[self].redacted


@dataclass(frozen=True, slots=True)
class Label:
    """What an attribute is called, how it is printed on the document, whether a document with
    it is published on the portal, and whether as a redacted version of it."""

    name: str
    marking: str
    published: bool
    redacted: bool = False


# seed 001 §二(四)1:
# "严格按照'此件公开发布'、'此件依申请公开'、'此件删减后公开'和'此件不公开'分类标识".
LABELS: Mapping[Attribute, Label] = MappingProxyType(
    {
        Attribute.PROACTIVE: Label("主动公开", "此件公开发布", published=True),
        Attribute.ON_REQUEST: Label("依申请公开", "此件依申请公开", published=False),
        Attribute.REDACTED: Label("删减后公开", "此件删减后公开", published=True, redacted=True),
        Attribute.WITHHELD: Label("不予公开", "此件不公开", published=False),
    }
)
