"""The pre-screen's detectors on maintained field libraries (issue 25): 居民身份证号 and
统一社会信用代码 by `python-stdnum` (stdnum.cn.ric, stdnum.cn.uscc), bank cards by its Luhn check,
mobile and landline numbers by `phonenumbers` (Google's libphonenumber metadata), e-mail
addresses, and the marks of policies.prescreen.

One compiled scanner finds every candidate in a single pass over the text; only the candidates
are validated by the libraries, so the cost stays close to one regular-expression pass
(bench/bench_prescreen.py). The vocabulary, masking and the meaning of each kind are in
policies.prescreen; this module only finds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from policies.prescreen import (
    CONSULTATION_DRAFT_PATTERN,
    INTERNAL_MARK_PATTERN,
    MARK_PATTERNS,
    Evidence,
    EvidenceKind,
    mask,
    normalise_fullwidth,
)

K = EvidenceKind
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_CC = "0-9A-HJ-NPQRTUWXY"  # GB 32100-2015 §4: no I, O, S, V, Z

# Alternatives in precedence order: at each position the first that matches claims the span
# (a valid 身份证号 that also passes Luhn is an ID number, not a card). No alternative starts
# with a look-behind, so the engine's first-character prefilter stays on; the "no letter or
# digit before" boundary is checked on the candidate instead.
_SCANNER = re.compile(
    r"(?P<id>[1-8]\d{5}(?:18|19|20)\d{9}[0-9Xx])(?![0-9A-Za-z])"
    rf"|(?P<cc>[{_CC}]{{2}}\d{{6}}[{_CC}]{{10}})(?![0-9A-Za-z])"
    r"|(?P<card>[3-6]\d{15,18}"
    r"|[3-6]\d{3}(?P<cs>[ -])\d{4}(?P=cs)\d{4}(?P=cs)\d{4}(?:(?P=cs)?\d{1,3})?)(?![0-9A-Za-z])"
    r"|(?P<mobile>(?:(?:\+|00)86[ -]?)?1[3-9]\d(?P<ms>[ -]?)\d{4}(?P=ms)\d{4})(?![0-9A-Za-z])"
    r"|(?P<landline>(?:[(（]0\d{2,3}[)）][ -]?|0\d{2,3}[ -]?)[2-9]\d{6,7})(?![0-9A-Za-z])"
    r"|(?P<email>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,24})(?![A-Za-z0-9])"
)
_SEPARATORS = re.compile(r"[^0-9Xx]")


def _id_number(value: str) -> bool:
    # The check character (ISO 7064 MOD 11-2) and a real birth date; not stdnum's table of
    # county codes, since a person's number stays personal after its county is renamed.
    try:
        ric.get_birth_date(value)
    except ValidationError:
        return False
    return ric.calc_check_digit(value) == value[-1].upper()


def _phone(value: str, *, mobile: bool) -> bool:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(number):
        return False
    kind = phonenumbers.number_type(number)
    fixed = phonenumbers.PhoneNumberType.FIXED_LINE
    wanted = phonenumbers.PhoneNumberType.MOBILE if mobile else fixed
    return kind in (wanted, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _validated(group: str, value: str) -> tuple[EvidenceKind, str] | None:
    """The candidate's kind and shown text when the field library accepts it."""
    digits = _SEPARATORS.sub("", value)
    if group == "id":
        return (K.ID_NUMBER, mask(value, 6, 4)) if _id_number(value) else None
    if group == "cc":
        return (K.CREDIT_CODE, value) if uscc.is_valid(value) else None
    if group == "card":
        return (K.BANK_CARD, mask(digits, 6, 4)) if luhn.is_valid(digits) else None
    if group == "mobile":
        digits = digits[-11:]  # without the country code
        return (K.MOBILE, mask(digits, 3, 4)) if _phone(digits, mobile=True) else None
    if group == "landline":
        return (K.LANDLINE, mask(digits, 4, 2)) if _phone(digits, mobile=False) else None
    return (K.EMAIL, mask_email(value)) if group == "email" else None


def mask_email(address: str) -> str:
    """An e-mail address with its local part hidden but for its first character."""
    local, _, domain = address.partition("@")
    return local[:1] + "*" * (len(local) - 1) + "@" + domain


_Hit = tuple[EvidenceKind, int, int, str, str]  # kind, start, end, shown text, detail

# Where a number can be: a run of digits long enough for one. One pass of this pattern, plus
# substring searches for "@" and the marks' key characters, are all that reads the whole text;
# the detectors then run only on the windows around what they find, so the whole pre-screen
# costs about one regular-expression pass (bench/bench_prescreen.py).
_NUMBER_RUN = re.compile(r"\d[\d ()（）-]{5,}[\dXx]")  # `\d` includes full-width digits
_MARK_KEYS = ("密", "内部", "征求意见稿")  # 绝密/机密/秘密/密级 all contain 密
_REACH = 70  # the longest candidate after its first digit run, and an e-mail's domain


def _extend(text: str, end: int) -> int:
    """The window's end moved past any letter or digit, so a boundary test at it is honest."""
    while end < len(text) and text[end] in _ALNUM:
        end += 1
    return end


def _numbers(text: str, start: int, end: int, hits: list[_Hit]) -> None:
    for m in _SCANNER.finditer(text, start, end):
        first = m.start()
        if first and text[first - 1] in _ALNUM and m.lastgroup != "email":
            continue
        group = m.lastgroup or ""  # the alternative's group closes after its separator's
        found = _validated(group, m.group(group))
        if found is not None:
            hits.append((found[0], first, m.end(), found[1], ""))


def _line(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end


def _marks(text: str, start: int, end: int, hits: list[_Hit]) -> None:
    for pattern in MARK_PATTERNS:
        for m in pattern.finditer(text, start, end):
            period = m.groupdict().get("period") or "no period"
            detail = f"{m['level']}, {period}"
            hits.append((K.CLASSIFICATION_MARK, m.start(), m.end(), m.group().strip(), detail))
    for kind, pattern in (
        (K.INTERNAL_MARK, INTERNAL_MARK_PATTERN),
        (K.CONSULTATION_DRAFT, CONSULTATION_DRAFT_PATTERN),
    ):
        hits.extend(
            (kind, m.start(), m.end(), m.group().strip(), "")
            for m in pattern.finditer(text, start, end)
        )


class _FullWidth(Exception):
    """The text writes numbers in full-width digits: scan its ASCII form instead."""


def _occurrences(text: str, key: str) -> Iterator[int]:
    at = text.find(key)
    while at >= 0:
        yield at
        at = text.find(key, at + 1)


def _scan(text: str) -> tuple[list[_Hit], list[_Hit]]:
    """The validated numbers and e-mail addresses, and the marks, each found once."""
    numbers: list[_Hit] = []
    windows = [(m.start() - 4, m.end() + 12, m.group()) for m in _NUMBER_RUN.finditer(text)]
    windows += [(at - _REACH, at + _REACH, "@") for at in _occurrences(text, "@")]
    merged: list[list[int]] = []  # overlapping windows are read as one
    for start, end, seen in sorted(windows):
        if not seen.isascii() and normalise_fullwidth(seen) != seen:
            raise _FullWidth
        start, end = max(start, 0), _extend(text, end)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        _numbers(text, start, end, numbers)
    marks: list[_Hit] = []
    lines = {_line(text, at) for key in _MARK_KEYS for at in _occurrences(text, key)}
    for start, end in sorted(lines):  # a mark is looked for on the whole of its line
        _marks(text, start, end, marks)
    return numbers, marks


def _terms(text: str, terms: Sequence[str]) -> list[_Hit]:
    hits: list[_Hit] = []
    for term in dict.fromkeys(terms):
        if not term.strip():
            raise ValueError("the pre-screen term list contains an empty term")
        hits.extend(
            (K.TERM, m.start(), m.end(), term, "") for m in re.finditer(re.escape(term), text)
        )
    return hits


def prescreen(text: str, *, terms: Sequence[str] = ()) -> list[Evidence]:
    """Every match in the text, ordered by position; configured terms are always reported, and
    a mark is not reported again inside a span an earlier detector claimed."""
    scanned = text
    try:
        hits, marks = _scan(scanned)
    except _FullWidth:
        scanned = normalise_fullwidth(text)
        hits, marks = _scan(scanned)
    claimed = sorted((h[1], h[2]) for h in hits)
    for hit in marks:
        i = bisect.bisect_right(claimed, (hit[1], len(scanned)))
        overlaps_before = i > 0 and claimed[i - 1][1] > hit[1]
        overlaps_after = i < len(claimed) and claimed[i][0] < hit[2]
        if not overlaps_before and not overlaps_after:
            bisect.insort(claimed, (hit[1], hit[2]))
            hits.append(hit)
    hits.extend(_terms(scanned, terms))
    if not hits:
        return []
    evidence = []
    line, counted_to = 1, 0
    for kind, start, end, shown, detail in sorted(hits, key=lambda h: (h[1], -h[2])):
        line += scanned.count("\n", counted_to, start)
        counted_to = start
        column = start - scanned.rfind("\n", 0, start)
        evidence.append(Evidence(kind, start, end - start, line, column, shown, detail))
    return evidence
