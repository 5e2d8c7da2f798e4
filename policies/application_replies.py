"""Replies to applications (条例 arts. 36–37) with their sub-reasons, exactly as the annual
report's table 三 rows 三(一)–(六) count them (国办公开办函〔2019〕60号 [R]; domain §7.2), and the
remedy channels a reply letter states (条例 art. 51).

- 予以公开 三(一): art. 36(一) already public, told where; art. 36(二) provided.
- 部分公开 三(二): art. 37 区分处理; the withheld parts carry their legal reasons.
- 不予公开 三(三)1–8: art. 36(三), one reason from the legal-reason catalogue (NS-1…NS-8 or a
  local sub-code of one of them; 工作秘密 has no row and is refused here).
- 无法提供 三(四)1–3: art. 36(四)(五), art. 38, art. 30.
- 不予处理 三(五)1–5: art. 36(六), art. 35, arts. 39–40 and the 2019 format's rows.
- 其他处理 三(六).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from policies.annual_report import OUTCOME_PARTS
from policies.findings import Finding, Severity
from policies.legal_reasons import REASONS, annual_report_row

SOURCE_REPLY_TYPES = "条例 art. 36; 国办公开办函〔2019〕60号 [R] 表三 三(一)–(六)"
SOURCE_REASONS = "条例 art. 36(三) (告知不予公开并说明理由), art. 37 (对不予公开的内容说明理由)"


class ReplyType(StrEnum):
    """The kinds of reply (条例 art. 36), as table 三 groups them."""

    DISCLOSED = "disclosed"  # 予以公开
    PARTIAL = "partial"  # 部分公开 (区分处理, art. 37)
    WITHHELD = "withheld"  # 不予公开
    CANNOT_PROVIDE = "cannot_provide"  # 无法提供
    NOT_PROCESSED = "not_processed"  # 不予处理
    OTHER = "other"  # 其他处理

    @property
    def label(self) -> str:
        """The reply type as printed on the letter and in table 三."""
        return _LABELS[self]


_LABELS: dict[ReplyType, str] = {
    ReplyType.DISCLOSED: "予以公开",
    ReplyType.PARTIAL: "部分公开",
    ReplyType.WITHHELD: "不予公开",
    ReplyType.CANNOT_PROVIDE: "无法提供",
    ReplyType.NOT_PROCESSED: "不予处理",
    ReplyType.OTHER: "其他处理",
}


@dataclass(frozen=True, slots=True)
class SubReason:
    """A sub-reason of 无法提供 or 不予处理: its code, its table-三 row, its wording, its basis."""

    code: str
    row: str
    label: str
    article: str


CANNOT_PROVIDE: tuple[SubReason, ...] = (
    SubReason("CP-1", "三(四)1", "本机关不掌握相关政府信息", "条例 art. 36(四)(五)"),
    SubReason("CP-2", "三(四)2", "没有现成信息需要另行制作", "条例 art. 38"),
    SubReason("CP-3", "三(四)3", "补正后申请内容仍不明确", "条例 art. 30"),
)
NOT_PROCESSED: tuple[SubReason, ...] = (
    SubReason("NP-1", "三(五)1", "信访举报投诉类申请", "条例 art. 39 ¶1"),
    SubReason("NP-2", "三(五)2", "重复申请", "条例 art. 36(六)"),
    SubReason("NP-3", "三(五)3", "要求提供公开出版物", "条例 art. 39 ¶2"),
    SubReason("NP-4", "三(五)4", "无正当理由大量反复申请", "条例 art. 35"),
    SubReason("NP-5", "三(五)5", "要求行政机关确认或重新出具已获取信息", "条例 art. 39 ¶2"),
)
SUB_REASONS: dict[str, SubReason] = {s.code: s for s in (*CANNOT_PROVIDE, *NOT_PROCESSED)}
_SUB_REASONS_OF: dict[ReplyType, tuple[SubReason, ...]] = {
    ReplyType.CANNOT_PROVIDE: CANNOT_PROVIDE,
    ReplyType.NOT_PROCESSED: NOT_PROCESSED,
}
# The reason codes a 不予公开 reply may give: those counted in a row of 三(三).
WITHHOLDING_CODES: tuple[str, ...] = tuple(c for c in REASONS if annual_report_row(c) is not None)
_ROWS = frozenset(p.key for p in OUTCOME_PARTS)


def _refused(rule: str, message: str, source: str, field: str) -> Finding:
    return Finding(f"reply.{rule}", Severity.BLOCKING, message, source, field)


def check_reply(reply_type: ReplyType, sub_reason: str | None, reasons: list[str]) -> list[Finding]:
    """Every problem with a reply: a 不予公开 needs exactly one reason with a table-三 row, a
    部分公开 at least one for its withheld parts, 无法提供/不予处理 one of their sub-reasons, and
    other types carry neither."""
    findings: list[Finding] = []
    unknown = [c for c in reasons if c not in WITHHOLDING_CODES]
    if unknown:
        message = f"理由代码 {', '.join(unknown)} 无效；可用: {', '.join(WITHHOLDING_CODES)}"
        findings.append(_refused("reason.unknown", message, SOURCE_REASONS, "reason_codes"))
    if reply_type is ReplyType.WITHHELD and len(reasons) != 1:
        message = (
            "不予公开须说明一项理由（表三 三(三) 的一行），收到 " + str(len(reasons)) + " 项。"
        )
        findings.append(_refused("reason.withheld", message, SOURCE_REASONS, "reason_codes"))
    if reply_type is ReplyType.PARTIAL and not reasons:
        message = "部分公开须对不予公开的内容说明理由（条例第三十七条）。"
        findings.append(_refused("reason.partial", message, SOURCE_REASONS, "reason_codes"))
    if reply_type not in (ReplyType.WITHHELD, ReplyType.PARTIAL) and reasons:
        message = f"{reply_type.label}不附不予公开的理由代码。"
        findings.append(_refused("reason.extra", message, SOURCE_REPLY_TYPES, "reason_codes"))
    allowed = _SUB_REASONS_OF.get(reply_type, ())
    if allowed and sub_reason not in {s.code for s in allowed}:
        options = "; ".join(f"{s.code} {s.label}" for s in allowed)
        message = f"{reply_type.label}须选择一项具体情形：{options}"
        findings.append(_refused("sub_reason", message, SOURCE_REPLY_TYPES, "sub_reason"))
    if not allowed and sub_reason is not None:
        message = f"{reply_type.label}没有具体情形，请不填 sub_reason。"
        findings.append(_refused("sub_reason.extra", message, SOURCE_REPLY_TYPES, "sub_reason"))
    return findings


def report_row(reply_type: ReplyType, sub_reason: str | None, reasons: list[str]) -> str:
    """The row of table 三 a (checked) reply is counted in: 部分公开 only in 三(二) (the format:
    "区分处理的，只计这一情形，不计其他情形"), 不予公开 by its reason's row."""
    if reply_type is ReplyType.DISCLOSED:
        return "三(一)"
    if reply_type is ReplyType.PARTIAL:
        return "三(二)"
    if reply_type is ReplyType.WITHHELD:
        row = annual_report_row(reasons[0])
        assert row in _ROWS, "checked by check_reply"
        assert row is not None
        return row
    if reply_type is ReplyType.OTHER:
        return "三(六)"
    assert sub_reason is not None, "checked by check_reply"
    return SUB_REASONS[sub_reason].row


@dataclass(frozen=True, slots=True)
class RemedyChannel:
    """A remedy the reply letter names (条例 art. 51): what, before which body, within when."""

    name: str  # 行政复议 / 行政诉讼
    body: str
    time_limit: str
    source: str


# National default (the profile may name its own bodies): 行政复议法 (2023) art. 20 ¶1 (知道该
# 行政行为之日起六十日内), art. 24 (县级以上地方各级人民政府管辖对本级人民政府工作部门…的复议);
# 行政诉讼法 art. 46 ¶1 (知道作出行政行为之日起六个月内).
NATIONAL_REMEDIES: tuple[RemedyChannel, ...] = (
    RemedyChannel(
        "行政复议",
        "本机关所属的县级以上地方人民政府（对县级以上地方人民政府的答复不服的，向上一级人民政府）",
        "自收到本告知书之日起六十日内",
        "条例 art. 51; 行政复议法 (2023) arts. 20, 24",
    ),
    RemedyChannel(
        "行政诉讼",
        "有管辖权的人民法院",
        "自收到本告知书之日起六个月内",
        "条例 art. 51; 行政诉讼法 art. 46",
    ),
)
