"""Automatic pre-screen of extracted text for the secrecy reviewer (保密审查, 条例 art. 17).

Detectors find personal numbers, classification and circulation marks and configured terms,
and return each as `Evidence` with its location. Evidence is shown to the reviewer; it never
decides alone (a 秘密 in a quotation is not a classified document, a valid check digit is not
proof that a number belongs to a person).

Sources of the formats:
- 居民身份证号: GB 11643-1999 §4-§8, check character by ISO 7064:1983 MOD 11-2.
- 统一社会信用代码: GB 32100-2015 §4-§5, check character over the 31-character set.
- Bank card numbers: ISO/IEC 7812-1 (major industry identifier 3-6, Luhn check digit).
- Mobile numbers: the 1[3-9] prefixes of the numbering plan (工信部 电信网编号计划).
- Classification marks: 保密法 2024 art. 22, 实施条例 2024 art. 21; layout "秘密★1年" per
  GB/T 9704-2012 §7.2.2 (密级和保密期限 separated by ★).
- 内部 / 征求意见稿: 条例 art. 16 (内部事务信息; 过程性信息 such as drafts for comment).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.findings import Finding, Severity


class EvidenceKind(StrEnum):
    """What a detector found."""

    ID_NUMBER = "id_number"  # 居民身份证号
    CREDIT_CODE = "credit_code"  # 统一社会信用代码
    BANK_CARD = "bank_card"  # 银行卡号
    MOBILE = "mobile"  # 手机号码
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
        return self in (EvidenceKind.ID_NUMBER, EvidenceKind.BANK_CARD, EvidenceKind.MOBILE)


_KIND_INFO: dict[EvidenceKind, tuple[str, str]] = {
    EvidenceKind.ID_NUMBER: ("居民身份证号", "GB 11643-1999; 条例 art. 15; 个人信息保护法 art. 28"),
    EvidenceKind.CREDIT_CODE: ("统一社会信用代码", "GB 32100-2015"),
    EvidenceKind.BANK_CARD: ("银行卡号", "ISO/IEC 7812-1; 个人信息保护法 art. 28"),
    EvidenceKind.MOBILE: ("手机号码", "条例 art. 15; 个人信息保护法 art. 4"),
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


# Full-width digits and Latin capitals map one-to-one to ASCII, so offsets stay valid.
_FULLWIDTH = str.maketrans(
    {chr(0xFF10 + i): chr(0x30 + i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
)
_B = r"(?<![0-9A-Za-z])"  # no letter or digit before
_E = r"(?![0-9A-Za-z])"  # no letter or digit after

# GB 11643-1999 §4: 6-digit address code, 8-digit birth date, 3-digit sequence, check character.
_ID_RE = re.compile(_B + r"[1-8]\d{5}(?:18|19|20)\d{6}\d{3}[0-9Xx]" + _E)
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # ISO 7064 MOD 11-2
_ID_CHECK = "10X98765432"

# GB 32100-2015 §4: 31 characters (no I, O, S, V, Z); positions 3-8 are the 行政区划码.
_CC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_RE = re.compile(_B + rf"[{_CC_CHARS}]{{2}}\d{{6}}[{_CC_CHARS}]{{10}}" + _E)
_CC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

_CARD_RE = re.compile(
    _B + r"(?:[3-6]\d{15,18}|[3-6]\d{3}([ -])\d{4}\1\d{4}\1\d{4}(?:\1?\d{1,3})?)" + _E
)
_MOBILE_RE = re.compile(_B + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d([ -]?)\d{4}\1\d{4}" + _E)

_LEVEL = r"绝密|机密|秘密"
_PERIOD = r"\d{1,3}\s*(?:年|个月)|[一二三四五六七八九十]{1,3}\s*(?:年|个月)|长期"
_MARK_RES = (
    re.compile(rf"(?P<level>{_LEVEL})\s*[★☆＊*]\s*(?P<period>{_PERIOD})?"),  # 秘密★1年
    re.compile(rf"密\s*级\s*[:：]\s*(?P<level>{_LEVEL})"),  # 密级：机密
    re.compile(rf"^[ \t\u3000]*[（(【\[]?(?P<level>{_LEVEL})[）)】\]]?[ \t\u3000]*$", re.M),
)
_INTERNAL_RE = re.compile(
    r"内部(?:资料|文件|使用|发行|传阅|参考|刊物|材料|事务|明电)"
    r"|[（(【\[]\s*内部\s*[）)】\]]|^[ \t\u3000]*内部[ \t\u3000]*$",
    re.M,
)
_DRAFT_RE = re.compile(r"征求意见稿")


def id_number_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """Whether an 18-character 居民身份证号 has a real birth date and the right check character."""
    if _ID_RE.fullmatch(value) is None:
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_number_check_char(value[:17]) == value[17].upper()


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character: 31 - (sum of value × 3^i mod 31) mod 31."""
    total = sum(_CC_CHARS.index(c) * w for c, w in zip(first17, _CC_WEIGHTS, strict=True))
    return _CC_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    """Whether an 18-character 统一社会信用代码 has the right check character."""
    return _CC_RE.fullmatch(value) is not None and credit_code_check_char(value[:17]) == value[17]


def luhn_valid(digits: str) -> bool:
    """The Luhn (ISO/IEC 7812-1 Annex B) check over a string of digits."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _mask(value: str, keep_head: int, keep_tail: int) -> str:
    digits = [c for c in value if c.isalnum()]
    hidden = len(digits) - keep_head - keep_tail
    return "".join(digits[:keep_head]) + "*" * hidden + "".join(digits[len(digits) - keep_tail :])


_Hit = tuple[EvidenceKind, int, int, str, str]  # kind, start, end, shown text, detail
_Detector = Callable[[str], Iterator[_Hit]]


def _id_numbers(text: str) -> Iterator[_Hit]:
    for m in _ID_RE.finditer(text):
        if is_valid_id_number(m.group()):
            yield EvidenceKind.ID_NUMBER, m.start(), m.end(), _mask(m.group(), 6, 4), ""


def _credit_codes(text: str) -> Iterator[_Hit]:
    for m in _CC_RE.finditer(text):
        if is_valid_credit_code(m.group()):
            yield EvidenceKind.CREDIT_CODE, m.start(), m.end(), m.group(), ""


def _bank_cards(text: str) -> Iterator[_Hit]:
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        if luhn_valid(digits):  # the pattern admits 16-19 digits only
            yield EvidenceKind.BANK_CARD, m.start(), m.end(), _mask(digits, 6, 4), ""


def _mobiles(text: str) -> Iterator[_Hit]:
    for m in _MOBILE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())[-11:]
        yield EvidenceKind.MOBILE, m.start(), m.end(), _mask(digits, 3, 4), ""


def _marks(text: str) -> Iterator[_Hit]:
    for pattern in _MARK_RES:
        for m in pattern.finditer(text):
            period = m.groupdict().get("period") or "no period"
            detail = f"{m['level']}, {period}"
            yield EvidenceKind.CLASSIFICATION_MARK, m.start(), m.end(), m.group().strip(), detail


def _fixed(kind: EvidenceKind, pattern: re.Pattern[str]) -> _Detector:
    def detect(text: str) -> Iterator[_Hit]:
        for m in pattern.finditer(text):
            yield kind, m.start(), m.end(), m.group().strip(), ""

    return detect


# Order is precedence: a span claimed by an earlier detector is not reported again by a later
# one (a valid 身份证号 that also passes Luhn is not a bank card).
_DETECTORS: tuple[_Detector, ...] = (
    _id_numbers,
    _credit_codes,
    _bank_cards,
    _mobiles,
    _marks,
    _fixed(EvidenceKind.INTERNAL_MARK, _INTERNAL_RE),
    _fixed(EvidenceKind.CONSULTATION_DRAFT, _DRAFT_RE),
)


def _terms(text: str, terms: Sequence[str]) -> Iterator[_Hit]:
    for term in dict.fromkeys(terms):
        if not term.strip():
            raise ValueError("the pre-screen term list contains an empty term")
        for m in re.finditer(re.escape(term), text):
            yield EvidenceKind.TERM, m.start(), m.end(), term, ""


def prescreen(text: str, *, terms: Sequence[str] = ()) -> list[Evidence]:
    """Every match in the text, ordered by position; configured terms are always reported."""
    scanned = text.translate(_FULLWIDTH)
    line_starts = [0] + [m.end() for m in re.finditer("\n", scanned)]
    claimed: list[tuple[int, int]] = []
    hits: list[_Hit] = []
    for detector in _DETECTORS:
        for hit in detector(scanned):
            if not any(hit[1] < end and start < hit[2] for start, end in claimed):
                claimed.append((hit[1], hit[2]))
                hits.append(hit)
    hits.extend(_terms(scanned, terms))
    evidence = []
    for kind, start, end, shown, detail in sorted(hits, key=lambda h: (h[1], -h[2])):
        line = bisect.bisect_right(line_starts, start)
        column = start - line_starts[line - 1] + 1
        evidence.append(Evidence(kind, start, end - start, line, column, shown, detail))
    return evidence
