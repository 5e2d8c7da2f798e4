"""Applications for government information (依申请公开, 条例 arts. 27–45; domain §7.1): who
applies, how an application arrives and when it counts as received, what it must contain, what
it costs, and when repeated applications propose a conversion to 主动公开 (domain §10 rule 17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.findings import Finding, Severity

SOURCE_CONTENTS = "条例 art. 29 (申请内容)"
SOURCE_RECEIPT = "条例 art. 31 (收到申请之日的确定)"
SOURCE_FEES = "条例 art. 42; 国办函〔2020〕109号 (按件计收，申请人一个自然月内累计申请件数)"
SOURCE_CONVERSION = "条例 art. 44; domain §10 rule 17"
# 条例 art. 44 ¶2: an applicant may propose that the information be disclosed proactively; if the
# agency's review finds it within the proactive scope, it "应当及时主动公开".
SOURCE_PROPOSAL = "条例 art. 44 ¶2 (申请人建议纳入主动公开); domain §10 rule 17"


class ApplicantType(StrEnum):
    """The applicant as the annual report's table 三 counts it (国办公开办函〔2019〕60号 [R])."""

    NATURAL_PERSON = "natural_person"
    COMMERCIAL = "commercial"
    RESEARCH = "research"
    PUBLIC_INTEREST = "public_interest"
    LEGAL_SERVICE = "legal_service"
    OTHER_ORGANISATION = "other_organisation"

    @property
    def column(self) -> str:
        """The column of table 三 (申请人情况) this applicant is counted in."""
        return _COLUMNS[self]

    @property
    def is_organisation(self) -> bool:
        """Whether the applicant is a legal person or other organisation (法人或其他组织)."""
        return self is not ApplicantType.NATURAL_PERSON


_COLUMNS: dict[ApplicantType, str] = {
    ApplicantType.NATURAL_PERSON: "自然人",
    ApplicantType.COMMERCIAL: "商业企业",
    ApplicantType.RESEARCH: "科研机构",
    ApplicantType.PUBLIC_INTEREST: "社会公益组织",
    ApplicantType.LEGAL_SERVICE: "法律服务机构",
    ApplicantType.OTHER_ORGANISATION: "其他",
}


class Channel(StrEnum):
    """How an application arrived, each with its receipt rule (条例 art. 31)."""

    IN_PERSON = "in_person"  # art. 31(一): 当面提交 — the day it is handed in
    REGISTERED_POST = "registered_post"  # art. 31(二): 邮寄 — the day the office signs for it
    ORDINARY_MAIL = "ordinary_mail"  # art. 31(二): 平常信函 — the day confirmed with the applicant
    FAX = "fax"  # art. 31(三): 传真 — the day both sides confirm
    ONLINE = "online"  # art. 31(三): 互联网 — the day both sides confirm

    @property
    def label(self) -> str:
        """The channel as the office reads it."""
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS: dict[Channel, str] = {
    Channel.IN_PERSON: "当面提交",
    Channel.REGISTERED_POST: "邮寄（需签收）",
    Channel.ORDINARY_MAIL: "平常信函",
    Channel.FAX: "传真",
    Channel.ONLINE: "互联网",
}

# Which date of the channel's arrival counts as receipt, and the field that carries it.
_RECEIPT_FIELD: dict[Channel, tuple[str, str]] = {
    Channel.IN_PERSON: ("submitted_on", "当面提交的，以提交之日为收到申请之日"),
    Channel.REGISTERED_POST: ("signed_on", "邮寄的，以行政机关签收之日为收到申请之日"),
    Channel.ORDINARY_MAIL: ("confirmed_on", "平常信函的，以与申请人确认之日为收到申请之日"),
    Channel.FAX: ("confirmed_on", "传真提交的，以双方确认之日为收到申请之日"),
    Channel.ONLINE: ("confirmed_on", "互联网提交的，以双方确认之日为收到申请之日"),
}


def receipt_date(
    channel: Channel,
    *,
    submitted_on: date | None = None,
    signed_on: date | None = None,
    confirmed_on: date | None = None,
) -> date | Finding:
    """The day an application counts as received (条例 art. 31), or what is missing."""
    field, rule = _RECEIPT_FIELD[channel]
    value = {"submitted_on": submitted_on, "signed_on": signed_on, "confirmed_on": confirmed_on}[
        field
    ]
    if value is None:
        message = f"{channel.label}：{rule}，请填写 {field}。"
        return Finding("application.receipt", Severity.BLOCKING, message, SOURCE_RECEIPT, field)
    return value


# 条例 art. 29 ¶2: (一) 申请人的姓名或者名称、身份证明、联系方式; (二) 申请公开的政府信息的名称、
# 文号或者便于行政机关查询的其他特征性描述; (三) 申请公开的政府信息的形式要求，包括获取信息的
# 方式、途径.
REQUIRED_FIELDS: tuple[tuple[str, str], ...] = (
    ("applicant_name", "申请人姓名或者名称（条例第二十九条第二款第一项）"),
    ("applicant_id_number", "身份证明（证件号码，条例第二十九条第二款第一项）"),
    ("contact", "联系方式（条例第二十九条第二款第一项）"),
    ("description", "申请公开的政府信息的名称、文号或者特征性描述（条例第二十九条第二款第二项）"),
    ("requested_form", "获取信息的方式、途径（条例第二十九条第二款第三项）"),
)


def check_contents(values: Mapping[str, str | None]) -> list[Finding]:
    """Every field art. 29 requires that the application leaves empty, each named in Chinese."""
    return [
        Finding(
            "application.contents",
            Severity.BLOCKING,
            f"缺少{label}，请填写后重新提交。",
            SOURCE_CONTENTS,
            field,
        )
        for field, label in REQUIRED_FIELDS
        if not (values.get(field) or "").strip()
    ]


FREE_PER_MONTH = 10  # 109号: 申请人一个自然月内累计申请10件以下（含10件）的，不收费
FIRST_BAND_LAST = 30  # 109号: 11—30件（含30件）的部分，按100元/件收费
BAND_RATE_YUAN = 100  # 109号: 100元/件 …
BAND_SIZE = 10  # 109号: 31件以上的部分，以10件为一档，每增加一档，收费标准提高100元/件


def fee_yuan(nth_in_month: int) -> int:
    """The 信息处理费 for an applicant's nth application of a natural month (条例 art. 42;
    国办函〔2020〕109号): 1–10 free, 11–30 ¥100, 31–40 ¥200, 41–50 ¥300, …"""
    if nth_in_month < 1:
        raise ValueError(f"the nth application of a month starts at 1, got {nth_in_month}")
    if nth_in_month <= FREE_PER_MONTH:
        return 0
    if nth_in_month <= FIRST_BAND_LAST:
        return BAND_RATE_YUAN
    steps = (nth_in_month - FIRST_BAND_LAST - 1) // BAND_SIZE + 1
    return BAND_RATE_YUAN * (1 + steps)


def month_of(day: date) -> tuple[int, int]:
    """The natural month (自然月) a receipt date falls in: fees count per applicant per month."""
    return day.year, day.month


@dataclass(frozen=True, slots=True)
class ConversionThreshold:
    """How many distinct applicants for one document, in a calendar year, propose a conversion
    to 主动公开 (domain §10 rule 17), and where the number comes from."""

    applicants: int
    source: str


def conversion_due(distinct_applicants: int, threshold: ConversionThreshold) -> bool:
    """Whether a document released to this many distinct applicants this year should be proposed
    for conversion to 主动公开 (条例 art. 44; domain §10 rule 17)."""
    return distinct_applicants >= threshold.applicants


# How long the link delivering released files to an applicant works. No source sets one: a local
# choice, long enough for the applicant to fetch the files after the reply letter arrives by post
# (条例 art. 40 leaves the form of provision to the agency).
DELIVERY_LINK_DAYS = 30
