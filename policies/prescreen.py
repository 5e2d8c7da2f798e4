"""Automatic pre-screen of extracted text for the secrecy reviewer (保密审查, 条例 art. 17): its
vocabulary (what each kind of evidence is, its source, whether it is shown masked) and the
printed marks it looks for. The detectors that validate numbers with field libraries are
services.reading.detectors.

Detectors find personal numbers, classification and circulation marks and configured terms,
and return each as `Evidence` with its location. Evidence is shown to the reviewer; it never
decides alone (a 秘密 in a quotation is not a classified document, a valid check digit is not
proof that a number belongs to a person).

Sources of the formats:
- 居民身份证号: GB 11643-1999 §4-§8, check character by ISO 7064:1983 MOD 11-2.
- 统一社会信用代码: GB 32100-2015 §4-§5, check character over the 31-character set.
- Bank card numbers: ISO/IEC 7812-1 (major industry identifier 3-6, Luhn check digit).
- Mobile and landline numbers: the numbering plan (工信部 电信网编号计划), as kept in
  libphonenumber's metadata.
- E-mail addresses: RFC 5322 addr-spec (the common dot-atom form).
- Classification marks: 保密法 2024 art. 22, 实施条例 2024 art. 21; layout "秘密★1年" per
  GB/T 9704-2012 §7.2.2 (密级和保密期限 separated by ★).
- 内部 / 征求意见稿: 条例 art. 16 (内部事务信息; 过程性信息 such as drafts for comment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from policies.findings import Finding, Severity


class EvidenceKind(StrEnum):
    """What a detector found."""

    ID_NUMBER = "id_number"  # 居民身份证号
    CREDIT_CODE = "credit_code"  # 统一社会信用代码
    BANK_CARD = "bank_card"  # 银行卡号
    MOBILE = "mobile"  # 手机号码
    LANDLINE = "landline"  # 固定电话号码
    EMAIL = "email"  # 电子邮箱
    CLASSIFICATION_MARK = "classification_mark"  # 密级标志
    INTERNAL_MARK = "internal_mark"  # 内部
    CONSULTATION_DRAFT = "consultation_draft"  # 征求意见稿
    TERM = "term"  # a term from the configured list

    @property
    def label(self) -> str:
        """The kind's Chinese name, for the reviewer."""
        return _KIND_INFO[self][0]

    @property
    def source(self) -> str:
        """The standard or provision behind the detector."""
        return _KIND_INFO[self][1]

    @property
    def is_personal(self) -> bool:
        """Whether matches are personal information and are shown masked (条例 art. 15)."""
        return self in _PERSONAL


_PERSONAL = frozenset(("id_number", "bank_card", "mobile", "landline", "email"))
_KIND_INFO: dict[EvidenceKind, tuple[str, str]] = {
    EvidenceKind.ID_NUMBER: ("居民身份证号", "GB 11643-1999; 条例 art. 15; 个人信息保护法 art. 28"),
    EvidenceKind.CREDIT_CODE: ("统一社会信用代码", "GB 32100-2015"),
    EvidenceKind.BANK_CARD: ("银行卡号", "ISO/IEC 7812-1; 个人信息保护法 art. 28"),
    EvidenceKind.MOBILE: ("手机号码", "条例 art. 15; 个人信息保护法 art. 4"),
    EvidenceKind.LANDLINE: ("固定电话号码", "条例 art. 15; 个人信息保护法 art. 4"),
    EvidenceKind.EMAIL: ("电子邮箱", "条例 art. 15; 个人信息保护法 art. 4"),
    EvidenceKind.CLASSIFICATION_MARK: ("密级标志", "保密法 2024 art. 22; GB/T 9704-2012 §7.2.2"),
    EvidenceKind.INTERNAL_MARK: ("内部标志", "条例 art. 16 ¶1 (内部事务信息)"),
    EvidenceKind.CONSULTATION_DRAFT: ("征求意见稿", "条例 art. 16 ¶2 (过程性信息)"),
    EvidenceKind.TERM: ("关注词", "configured term list"),
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One match: what, where (0-based offset, 1-based line and column) and the text, masked
    when it is personal."""

    kind: EvidenceKind
    offset: int
    length: int
    line: int
    column: int
    text: str
    detail: str = ""

    def to_finding(self) -> Finding:
        """The match as a warning finding: evidence for the reviewer, never a decision."""
        extra = f" ({self.detail})" if self.detail else ""
        return Finding(
            rule=f"prescreen.{self.kind.value}",
            severity=Severity.WARNING,
            message=f"{self.kind.label} 「{self.text}」{extra} at line {self.line}, "
            f"column {self.column}: check before publication.",
            source=self.kind.source,
        )


# Full-width digits and Latin letters map one-to-one to ASCII, so offsets stay valid.
_FULLWIDTH = str.maketrans(
    {chr(0xFF10 + i): chr(0x30 + i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
)
_ANY_FULLWIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")

_LEVEL = r"绝密|机密|秘密"
_PERIOD = r"\d{1,3}\s*(?:年|个月)|[一二三四五六七八九十]{1,3}\s*(?:年|个月)|长期"
# The classification mark, 保密法 2024 art. 22; printed "秘密★1年" per GB/T 9704-2012 §7.2.2.
MARK_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?P<level>{_LEVEL})\s*[★☆＊*]\s*(?P<period>{_PERIOD})?"),  # 秘密★1年
    re.compile(rf"密\s*级\s*[:：]\s*(?P<level>{_LEVEL})"),  # 密级：机密
    re.compile(rf"^[ \t\u3000]*[（(【\[]?(?P<level>{_LEVEL})[）)】\]]?[ \t\u3000]*$", re.M),
)
INTERNAL_MARK_PATTERN = re.compile(
    r"内部(?:资料|文件|使用|发行|传阅|参考|刊物|材料|事务|明电)"
    r"|[（(【\[]\s*内部\s*[）)】\]]|^[ \t\u3000]*内部[ \t\u3000]*$",
    re.M,
)
CONSULTATION_DRAFT_PATTERN = re.compile(r"征求意见稿")


def normalise_fullwidth(text: str) -> str:
    """The text with full-width digits and Latin letters as ASCII (same length and offsets)."""
    return text.translate(_FULLWIDTH) if _ANY_FULLWIDTH.search(text) else text


def mask(value: str, keep_head: int, keep_tail: int) -> str:
    """A personal number shown with only its head and tail (条例 art. 15)."""
    digits = [c for c in value if c.isalnum()]
    hidden = len(digits) - keep_head - keep_tail
    return "".join(digits[:keep_head]) + "*" * hidden + "".join(digits[len(digits) - keep_tail :])
