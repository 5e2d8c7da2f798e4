"""The validity lifecycle (条例 art. 12 ¶3; seed 000 §三(二十二); seed 004 §二(二); domain §10
rules 14-15): labels, allowed changes, links, annotations."""

from __future__ import annotations

import pytest

from policies.findings import Severity
from policies.validity import (
    ANNOTATION_SOURCE,
    CHANGES,
    Validity,
    annotation,
    check_validity_change,
    find_change,
)

V = Validity


@pytest.mark.parametrize(
    ("validity", "label"),
    [
        pytest.param(V.VALID, "有效", id="valid is 有效 (domain §10 rule 14)"),
        pytest.param(V.AMENDED, "已修改", id="amended is 已修改 (domain §10 rule 14)"),
        pytest.param(V.REPEALED, "已废止", id="repealed is 已废止 (domain §10 rule 14)"),
        pytest.param(V.EXPIRED, "已失效", id="expired is 已失效 (domain §10 rule 14)"),
    ],
)
def test_each_validity_has_its_chinese_label(validity: Validity, label: str) -> None:
    assert validity.label == label


def test_repealed_and_expired_are_final_valid_and_amended_are_not_seed_004() -> None:
    assert {v for v in Validity if v.is_final} == {V.REPEALED, V.EXPIRED}


ALLOWED = [
    pytest.param(c.source, c.target, c.needs_link, id=f"{c.source} → {c.target} ({c.basis})")
    for c in CHANGES
]


@pytest.mark.parametrize(("source", "target", "needs_link"), ALLOWED)
def test_each_allowed_change_passes_with_a_link(
    source: Validity, target: Validity, needs_link: bool
) -> None:
    assert check_validity_change(source, target, has_link=True) == []
    assert find_change(source, target) is not None


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param(V.VALID, V.AMENDED, id="amendment names the amending document (seed 004)"),
        pytest.param(V.VALID, V.REPEALED, id="repeal names the repealing document (seed 004)"),
        pytest.param(V.AMENDED, V.REPEALED, id="amended then repealed names it too (rule 15)"),
    ],
)
def test_amend_and_repeal_without_a_link_are_refused(source: Validity, target: Validity) -> None:
    (finding,) = check_validity_change(source, target, has_link=False)
    assert finding.rule == "validity.link_required"
    assert finding.severity is Severity.BLOCKING
    assert finding.source == ANNOTATION_SOURCE
    assert "amended_by_reference" in finding.message


@pytest.mark.parametrize(
    ("source"),
    [
        pytest.param(V.VALID, id="valid expires without a link (validity end date, rule 15)"),
        pytest.param(V.AMENDED, id="amended expires without a link (rule 15)"),
    ],
)
def test_expiry_needs_no_link(source: Validity) -> None:
    assert check_validity_change(source, V.EXPIRED, has_link=False) == []


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param(s, t, id=f"{s} is final: no {t} (seed 004 §二(二))")
        for s in (V.REPEALED, V.EXPIRED)
        for t in Validity
    ],
)
def test_nothing_follows_a_final_validity(source: Validity, target: Validity) -> None:
    (finding,) = check_validity_change(source, target, has_link=True)
    assert finding.rule == "validity.final"
    assert finding.field == "to"
    assert source.label in finding.message


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param(V.VALID, V.VALID, id="valid → valid is no change (seed 004 §二(二))"),
        pytest.param(V.AMENDED, V.VALID, id="amended → valid is not a change (seed 004 §二(二))"),
    ],
)
def test_a_change_that_is_not_listed_is_refused_naming_the_allowed_ones(
    source: Validity, target: Validity
) -> None:
    (finding,) = check_validity_change(source, target, has_link=True)
    assert finding.rule == "validity.change_not_allowed"
    assert finding.source == ANNOTATION_SOURCE
    assert "已废止 (repealed)" in finding.message
    assert find_change(source, target) is None


@pytest.mark.parametrize(
    ("validity", "by", "effective_on", "expected"),
    [
        pytest.param(V.VALID, "X", "2026-11-20", None, id="valid is not annotated (seed 004)"),
        pytest.param(
            V.REPEALED,
            "麻政发〔2026〕5号",
            "2026-11-20",
            "已废止（被《麻政发〔2026〕5号》废止，自 2026-11-20 起）",
            id="repeal names the repealing document and date (seed 004 §二(二))",
        ),
        pytest.param(
            V.AMENDED, "B", None, "已修改（被《B》修改）", id="amendment without a date (rule 15)"
        ),
        pytest.param(
            V.EXPIRED,
            None,
            "2026-12-31",
            "已失效（自 2026-12-31 起）",
            id="expiry by date (rule 15)",
        ),
        pytest.param(
            V.EXPIRED,
            "C",
            None,
            "已失效（依《C》失效）",
            id="expiry stated by a document (rule 15)",
        ),
        pytest.param(V.EXPIRED, None, None, "已失效", id="bare expiry (rule 15)"),
    ],
)
def test_the_annotation_on_the_published_original(
    validity: Validity, by: str | None, effective_on: str | None, expected: str | None
) -> None:
    assert annotation(validity, by=by, effective_on=effective_on) == expected
