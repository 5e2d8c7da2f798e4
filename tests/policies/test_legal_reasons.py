"""The reason-code catalogue (domain §4.2; 条例 arts. 14–16, 36(七); seed 002 §二(十九))."""

from __future__ import annotations

import pytest

from policies.attributes import Attribute
from policies.legal_reasons import (
    REASONS,
    ReasonUnknown,
    annual_report_row,
    get_reason,
)

A = Attribute


@pytest.mark.parametrize(
    ("code", "row"),
    [
        pytest.param("NS-1", "三(三)1", id="NS-1 国家秘密 → 三(三)1 (条例 art. 14)"),
        pytest.param("NS-4", "三(三)4", id="NS-4 第三方合法权益 → 三(三)4 (条例 art. 15)"),
        pytest.param("NS-8", "三(三)8", id="NS-8 行政查询事项 → 三(三)8 (条例 art. 36(七))"),
        pytest.param(
            "NL-1", "三(三)3", id="NL-1 国防外交 → parent NS-3 → 三(三)3 (seed 002 §二(十九))"
        ),
        pytest.param(
            "NL-5", "三(三)4", id="NL-5 知识产权 → parent NS-4 → 三(三)4 (seed 002 §二(十九))"
        ),
        pytest.param(
            "NL-6", "三(三)6", id="NL-6 决策过程未定 → parent NS-6 → 三(三)6 (seed 002 §二(十九))"
        ),
        pytest.param(
            "NL-7", "三(三)5", id="NL-7 内部事项 → parent NS-5 → 三(三)5 (seed 002 §二(十九))"
        ),
        pytest.param(
            "WS-1", None, id="WS-1 工作秘密 has no row in the 2019 template (保密法 2024 art. 64)"
        ),
    ],
)
def test_each_code_maps_to_its_annual_report_row(code: str, row: str | None) -> None:
    assert annual_report_row(code) == row


@pytest.mark.parametrize(
    ("code", "attribute", "allowed"),
    [
        pytest.param("NS-1", A.WITHHELD, True, id="NS-1 justifies 不予公开 (条例 art. 14)"),
        pytest.param(
            "NS-1",
            A.REDACTED,
            False,
            id="NS-1 never 删减后公开: classified documents are withheld whole (实施条例 art. 5)",
        ),
        pytest.param("NS-1", A.ON_REQUEST, False, id="NS-1 never 依申请公开 (实施条例 art. 5)"),
        pytest.param("NS-4", A.REDACTED, True, id="NS-4 may justify 删减后公开 (条例 art. 15)"),
        pytest.param(
            "NS-4",
            A.ON_REQUEST,
            True,
            id="NS-4 may justify 依申请公开 (third-party consent, 条例 art. 32)",
        ),
        pytest.param(
            "NS-5", A.ON_REQUEST, True, id="NS-5 may justify 依申请公开 (条例 art. 16 可以不予公开)"
        ),
        pytest.param("NS-6", A.REDACTED, False, id="NS-6 does not justify 删减后公开"),
        pytest.param("NS-2", A.PROACTIVE, False, id="no reason justifies 主动公开"),
        pytest.param(
            "NL-3", A.REDACTED, True, id="NL-3 inherits NS-3's attributes (seed 002 §二(十九))"
        ),
    ],
)
def test_reasons_justify_only_fitting_attributes(
    code: str, attribute: Attribute, allowed: bool
) -> None:
    assert get_reason(code).can_justify(attribute) is allowed


def test_the_catalogue_has_eight_statutory_codes_work_secret_and_seven_negative_list_codes() -> (
    None
):
    codes = list(REASONS)
    assert codes[:8] == [f"NS-{i}" for i in range(1, 9)]
    assert codes[8] == "WS-1"
    assert codes[9:] == [f"NL-{i}" for i in range(1, 8)]


def test_negative_list_codes_cite_the_seed_and_their_parent_article() -> None:
    reason = get_reason("NL-4")
    assert (reason.parent, reason.article) == ("NS-4", "seed 002 §二(十九); 条例 art. 15")


def test_an_unknown_code_names_the_catalogue() -> None:
    with pytest.raises(ReasonUnknown, match="NS-1, NS-2"):
        get_reason("内部文件")
