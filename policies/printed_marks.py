"""What the file itself prints, checked against what was declared (domain §10 rules 2, 3, 9(d)):
the disclosure marking (此件公开发布 …) and the classification mark in the 版头 (秘密★5年 …).

Sources:
- Rule 2 and 3: seed 001 §二(四)1 ("严格按照'此件公开发布'、'此件依申请公开'、'此件删减后公开'和
  '此件不公开'分类标识", "不得另行创新"; "签文稿纸、审查登记、正式发文、网上公开全统一").
- Rule 9(d): 保密法 2024 art. 22 (国家秘密的载体应当作出国家秘密标志; 不属于国家秘密的，不应当作出
  国家秘密标志); 实施条例 2024 art. 21; the mark's place, GB/T 9704-2012 §7.2.2 (版头: 份号, then
  密级和保密期限 at the top left, before the 发文机关标志).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.attributes import Attribute
from policies.findings import Finding, Severity
from policies.prescreen import MARK_PATTERNS
from policies.secrecy_levels import SecrecyLevel

MARKING_SOURCE = "domain §10 rules 2-3; seed 001 §二(四)1 (分类标识, 不得另行创新; 全统一)"
CLASSIFICATION_SOURCE = (
    "domain §10 rule 9(d); 保密法 2024 art. 22; 实施条例 2024 art. 21; GB/T 9704-2012 §7.2.2"
)
# GB/T 9704-2012 §7.2: the 版头 holds at most 份号, 密级和保密期限, 紧急程度, 发文机关标志 and
# 发文字号 before the 标题; a mark within the first lines of text stands in the header.
HEADER_LINES = 6

# "此件…" in brackets or not, with any spacing, up to the end of the clause.
_MARKING = re.compile(
    r"[（(【\[]?[ \t\u3000]*此[ \t\u3000]*件[ \t\u3000]*"
    r"(?P<words>[^\s（）()【】\[\]，。；;,.、]{1,8})[ \t\u3000]*[）)】\]]?"
)
_SPACES = re.compile(r"[ \t\u3000]")


@dataclass(frozen=True, slots=True)
class PrintedMarking:
    """The disclosure marking as printed: its wording (spacing removed), the attribute it says,
    and where it is (1-based line)."""

    text: str
    attribute: Attribute | None  # None: "此件…" words that name no attribute
    line: int

    @property
    def is_canonical(self) -> bool:
        """Whether the wording is one of the four canonical markings (rule 2)."""
        return self.attribute is not None and self.text == self.attribute.marking


def _attribute_of(words: str) -> Attribute | None:
    """The attribute a drafter's wording means: 删减 before 依申请 before 不 before 公开."""
    if "删减" in words:
        return Attribute.REDACTED
    if "依申请" in words:
        return Attribute.ON_REQUEST
    if "不" in words and "公开" in words:
        return Attribute.WITHHELD
    return Attribute.PROACTIVE if "公开" in words else None


def find_printed_marking(text: str) -> PrintedMarking | None:
    """The last "此件…" marking in the text (it is printed after the body, at the 附注)."""
    found = None
    for m in _MARKING.finditer(text):
        words = _SPACES.sub("", m["words"])
        attribute = _attribute_of(words)
        if attribute is not None:
            found = PrintedMarking("此件" + words, attribute, text.count("\n", 0, m.start()) + 1)
    return found


def check_printed_marking(printed: PrintedMarking | None, declared: Attribute) -> list[Finding]:
    """The printed marking must be the declared attribute's canonical text (rules 2 and 3)."""
    canonical = declared.marking
    if printed is None:
        return [
            Finding(
                "printed.marking_missing",
                Severity.WARNING,
                f"文件中未找到公开属性标识；请在附注处标注“（{canonical}）”。",
                MARKING_SOURCE,
            )
        ]
    findings = []
    if printed.attribute is not declared:
        said = printed.attribute.label if printed.attribute else "无法识别的属性"
        findings.append(
            Finding(
                "printed.marking_disagrees",
                Severity.BLOCKING,
                f"文件第{printed.line}行印有“{printed.text}”（{said}），与申报的公开属性"
                f"“{declared.label}”不一致；稿纸、登记、正式文件和网上公开须全统一，"
                f"请改为“{canonical}”或更正申报的属性。",
                MARKING_SOURCE,
                "attribute",
            )
        )
    elif not printed.is_canonical:
        findings.append(
            Finding(
                "printed.marking_not_canonical",
                Severity.BLOCKING,
                f"文件第{printed.line}行的“{printed.text}”不是规范标识，不得另行创新；"
                f"请改为“{canonical}”。",
                MARKING_SOURCE,
            )
        )
    return findings


@dataclass(frozen=True, slots=True)
class PrintedClassification:
    """A classification mark printed in the 版头: level, period as printed, 1-based line."""

    level: SecrecyLevel
    period: str | None
    line: int
    text: str


_LEVELS = {level.label: level for level in SecrecyLevel if level.is_classified}


def find_header_classification(text: str) -> PrintedClassification | None:
    """The classification mark in the 版头: at the start of one of the first HEADER_LINES
    non-blank lines (GB/T 9704: top left). A mark elsewhere is body text, evidence only."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
    for number, line in [(n, line) for n, line in lines if line][:HEADER_LINES]:
        for pattern in MARK_PATTERNS:
            m = pattern.match(line)
            if m is not None:
                period = m.groupdict().get("period")
                period = _SPACES.sub("", period) if period else None
                return PrintedClassification(_LEVELS[m["level"]], period, number, m.group().strip())
    return None


def _declared_period(years: int | None) -> str | None:
    return f"{years}年" if years is not None else None


def check_printed_classification(
    printed: PrintedClassification | None, level: SecrecyLevel, period_years: int | None
) -> list[Finding]:
    """The 版头's classification mark must agree with the declared 密级 and 保密期限 (rule 9(d));
    a classified mark on a document declared unclassified blocks it (保密法 2024 art. 22)."""
    if printed is None:
        return []
    declared = f"{level.label}★{period_years}年" if period_years else level.label
    if printed.level is not level:
        what = "未定密级" if not level.is_classified else f"申报的密级“{declared}”"
        return [
            Finding(
                "printed.classification_contradicts",
                Severity.BLOCKING,
                f"文件版头第{printed.line}行印有密级标志“{printed.text}”，与{what}矛盾；"
                "涉密文件不得公开，请确认密级并更正申报（不予公开，理由 NS-1）或删除不应有的标志。",
                CLASSIFICATION_SOURCE,
                "secrecy_level",
            )
        ]
    wanted = _declared_period(period_years)
    if printed.period is not None and wanted is not None and printed.period != wanted:
        return [
            Finding(
                "printed.classification_period_differs",
                Severity.BLOCKING,
                f"文件版头第{printed.line}行印有“{printed.text}”，与申报的保密期限"
                f"“{wanted}”不一致；请统一。",
                CLASSIFICATION_SOURCE,
                "secrecy_period_years",
            )
        ]
    return []
