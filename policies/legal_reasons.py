"""Legal reasons for not publishing a document (domain §4.2): codes that feed the annual report.

NS-1..NS-8 are the rows of the annual-report table 三(三) 不予公开 (国办公开办函〔2019〕60号 [R]).
`justifies` says which attributes a reason may support:
- 不予公开 may rest on any reason.
- 删减后公开 (seed 001) removes parts, so only reasons that can apply to part of a document:
  mandatory exemptions other than state secrets (NS-2, NS-3), third-party rights (NS-4), 工作秘密.
  NS-1 never: a document with a 密级 is withheld whole (实施条例 2024 art. 5; 条例 art. 14).
- 依申请公开 (where a profile wants a reason) fits the discretionary and consent-based grounds:
  NS-4 (released with the third party's consent, 条例 arts. 15, 32), NS-5..NS-7 (条例 art. 16
  "可以不予公开"), NS-8 (special statutory access route, 条例 art. 36(七)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from policies.attributes import Attribute

W, D, A = Attribute.WITHHELD, Attribute.REDACTED, Attribute.ON_REQUEST


class ReasonUnknown(LookupError):
    """No reason in the catalogue has the given code."""


@dataclass(frozen=True, slots=True)
class LegalReason:
    """One ground for not publishing, with the article it rests on and its annual-report row."""

    code: str
    article: str
    summary: str
    justifies: frozenset[Attribute]
    annual_report_row: str | None  # row of table 三 in the 2019 template; None if it has none
    parent: str | None = None  # for local sub-codes: the NS code they specialise

    def can_justify(self, attribute: Attribute) -> bool:
        """Whether this reason may be given for a document with that attribute."""
        return attribute in self.justifies


def _ns(code: str, article: str, summary: str, justifies: set[Attribute], row: str) -> LegalReason:
    return LegalReason(code, article, summary, frozenset(justifies), row)


STATUTORY: tuple[LegalReason, ...] = (
    _ns("NS-1", "条例 art. 14; 保密法 2024 art. 14", "属于国家秘密", {W}, "三(三)1"),
    _ns("NS-2", "条例 art. 14", "其他法律行政法规禁止公开", {W, D}, "三(三)2"),
    _ns("NS-3", "条例 art. 14", "危及国家安全、公共安全、经济安全、社会稳定", {W, D}, "三(三)3"),
    _ns("NS-4", "条例 art. 15", "保护第三方合法权益（商业秘密、个人隐私等）", {W, D, A}, "三(三)4"),
    _ns("NS-5", "条例 art. 16 ¶1", "属于三类内部事务信息", {W, A}, "三(三)5"),
    _ns("NS-6", "条例 art. 16 ¶2", "属于四类过程性信息", {W, A}, "三(三)6"),
    _ns("NS-7", "条例 art. 16 ¶2", "属于行政执法案卷", {W, A}, "三(三)7"),
    _ns("NS-8", "条例 art. 36(七)", "属于行政查询事项", {W, A}, "三(三)8"),
)

# 工作秘密 is not a state secret (保密法 2024 art. 64); the 2019 template has no row for it, so it
# maps to none and the annual-report generator must ask the office where to count it.
WORK_SECRET = LegalReason(
    "WS-1", "保密法 2024 art. 64", "属于工作秘密（非国家秘密）", frozenset({W, D}), None
)


def _nl(number: int, summary: str, parent: str) -> LegalReason:
    base = _STATUTORY_BY_CODE[parent]
    article = f"seed 002 §二(十九); {base.article}"
    return LegalReason(f"NL-{number}", article, summary, base.justifies, None, parent)


_STATUTORY_BY_CODE = {r.code: r for r in STATUTORY}

# Seed 002 §二(十九) 负面清单: the text lists seven categories (the brief expected six); each is
# kept as a sub-code of the statutory ground it falls under (domain §4.2 "Local supplements").
NEGATIVE_LIST: tuple[LegalReason, ...] = (
    _nl(1, "公开后危及国防、外交、国家安全、领土完整、民族团结的事项", "NS-3"),
    _nl(2, "公开后危及经济金融安全的事项", "NS-3"),
    # Criminal, administrative and disciplinary investigations: public security and stability.
    _nl(3, "公开后影响刑事侦查、行政调查、纪律审查的事项", "NS-3"),
    _nl(4, "公开后可能不当损害相关公民、法人或其他组织合法权益的事项", "NS-4"),
    _nl(5, "涉及知识产权保护的事项", "NS-4"),  # third-party commercial rights (条例 art. 15)
    _nl(6, "行政决策过程未定事项", "NS-6"),
    _nl(7, "行政机关内部事项", "NS-5"),
)

REASONS: Mapping[str, LegalReason] = MappingProxyType(
    {r.code: r for r in (*STATUTORY, WORK_SECRET, *NEGATIVE_LIST)}
)


def get_reason(code: str) -> LegalReason:
    """The catalogue entry for a reason code; an unknown code is missing policy data."""
    try:
        return REASONS[code]
    except KeyError:
        raise ReasonUnknown(
            f"Unknown reason code {code!r}; the catalogue has: {', '.join(REASONS)}."
        ) from None


def annual_report_row(code: str) -> str | None:
    """The row of annual-report table 三(三) a reason is counted in (sub-codes via their parent)."""
    reason = get_reason(code)
    if reason.parent is not None:
        return get_reason(reason.parent).annual_report_row
    return reason.annual_report_row
