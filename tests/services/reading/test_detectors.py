"""The automatic pre-screen: personal numbers with their check characters, marks, terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum import luhn

from policies.findings import Severity
from policies.prescreen import Evidence, EvidenceKind
from services.reading.detectors import prescreen

K = EvidenceKind
SEEDS = Path(__file__).parents[2] / "policies" / "prescreen_seeds"  # copies of /work/shared/seeds
# Worked examples printed in the standards themselves.
GB11643_EXAMPLE = "11010519491231002X"  # GB 11643-1999 Annex A (check character X)
GB11643_EXAMPLE_2 = "440524188001010014"  # GB 11643-1999 Annex A
GB32100_EXAMPLE = "91350100M000100Y43"  # GB 32100-2015 Annex A


def _kinds(text: str, terms: tuple[str, ...] = ()) -> list[tuple[EvidenceKind, str]]:
    return [(e.kind, e.text) for e in prescreen(text, terms=terms)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            f"申请人身份证号：{GB11643_EXAMPLE}。",
            [(K.ID_NUMBER, "110105********002X")],
            id="ID number found and masked (birth date hidden)",
        ),
        pytest.param("身份证号：110105194912310021。", [], id="ID with a bad check digit ignored"),
        pytest.param(
            "身份证号：１１０１０５１９４９１２３１００２Ｘ",
            [(K.ID_NUMBER, "110105********002X")],
            id="full-width digits are read as digits",
        ),
        pytest.param("编号A11010519491231002X", [], id="ID glued to a letter is not an ID"),
        pytest.param(
            f"统一社会信用代码：{GB32100_EXAMPLE}",
            [(K.CREDIT_CODE, GB32100_EXAMPLE)],
            id="credit code found, not masked (an organisation)",
        ),
        pytest.param("代码：91350100M000100Y44", [], id="credit code with a bad check is ignored"),
        pytest.param(
            "开户账号：6228480012345671",
            [(K.BANK_CARD, "622848******5671")],
            id="16-digit card found and masked",
        ),
        pytest.param(
            "卡号 6222 0212 3456 7890 128 请核对",
            [(K.BANK_CARD, "622202*********0128")],
            id="grouped 19-digit card",
        ),
        pytest.param("卡号 6228480012345670", [], id="card failing Luhn is ignored"),
        pytest.param("编号 2016070520170228", [], id="dates run together are not a card"),
        pytest.param(
            "联系人手机13812345678，",
            [(K.MOBILE, "138****5678")],
            id="mobile number found and masked",
        ),
        pytest.param(
            "手机：+86 138-1234-5678。", [(K.MOBILE, "138****5678")], id="mobile, +86 and hyphens"
        ),
        pytest.param("身份证号：110105194902300024", [], id="30 February is not a birth date"),
        pytest.param(
            f"身份证号：{GB11643_EXAMPLE_2}",
            [(K.ID_NUMBER, "440524********0014")],
            id="born 1880: the check character decides, not stdnum's table of counties",
        ),
        pytest.param(
            "电话：0745-5833778",
            [(K.LANDLINE, "0745*****78")],
            id="landline with area code (seed 003, 麻阳县)",
        ),
        pytest.param(
            "咨询电话：（010）65123456",
            [(K.LANDLINE, "0106*****56")],
            id="Beijing landline with the area code in full-width brackets",
        ),
        pytest.param(
            "电话 020-83331234 转",
            [(K.LANDLINE, "0208*****34")],
            id="Guangzhou landline with a hyphen",
        ),
        pytest.param("电话：0745-583377", [], id="a landline one digit short is not a number"),
        pytest.param(
            "邮箱：zhang.san@mail.gov.cn。",
            [(K.EMAIL, "z********@mail.gov.cn")],
            id="e-mail address, local part masked",
        ),
        pytest.param("见附件@某单位", [], id="an @ without an address"),
        pytest.param(
            "电话13812345678或" + "a." * 30 + "b@x.cn",
            [(K.MOBILE, "138****5678"), (K.EMAIL, "a" + "*" * 60 + "@x.cn")],
            id="a long address whose window overlaps a number's",
        ),
        pytest.param("号码12812345678", [], id="12x is not a mobile prefix"),
        pytest.param("流水号213812345678", [], id="eleven digits inside a longer number"),
        pytest.param(
            "秘密★1年\n关于……的通知",
            [(K.CLASSIFICATION_MARK, "秘密★1年")],
            id="秘密★1年 (GB/T 9704-2012 §7.2.2)",
        ),
        pytest.param(
            "机密★长期", [(K.CLASSIFICATION_MARK, "机密★长期")], id="机密 with a long-term period"
        ),
        pytest.param("绝密★", [(K.CLASSIFICATION_MARK, "绝密★")], id="绝密 with a star, no period"),
        pytest.param(
            "密级：机密\n正文", [(K.CLASSIFICATION_MARK, "密级：机密")], id="labelled 密级"
        ),
        pytest.param(
            "（秘密）\n正文", [(K.CLASSIFICATION_MARK, "（秘密）")], id="a level alone on its line"
        ),
        pytest.param(
            "除涉及国家秘密的外，要积极公开。", [], id="国家秘密 in prose is not a mark (seed 004)"
        ),
        pytest.param("保护商业秘密和个人隐私", [], id="商业秘密 in prose is not a mark"),
        pytest.param(
            "（内部资料 注意保存）",
            [(K.INTERNAL_MARK, "内部资料")],
            id="内部资料 circulation mark",
        ),
        pytest.param("【内部】\n", [(K.INTERNAL_MARK, "【内部】")], id="bracketed 内部"),
        pytest.param("以完善内部制度为抓手", [], id="内部制度 in prose (seed 001)"),
        pytest.param(
            "关于……的意见（征求意见稿）",
            [(K.CONSULTATION_DRAFT, "征求意见稿")],
            id="征求意见稿 (过程性信息, 条例 art. 16)",
        ),
    ],
)
def test_detectors_find_what_they_should_and_nothing_else(
    text: str, expected: list[tuple[EvidenceKind, str]]
) -> None:
    assert _kinds(text) == expected


def test_a_valid_id_number_that_passes_luhn_is_reported_once_as_an_id() -> None:
    assert luhn.is_valid(GB11643_EXAMPLE_2)  # the collision the precedence guards against
    assert _kinds(GB11643_EXAMPLE_2) == [(K.ID_NUMBER, "440524********0014")]


def test_locations_are_offset_line_and_column_of_the_original_text() -> None:
    text = "第一行\n联系人：张三，手机13812345678\n秘密★10年"
    mobile, mark = prescreen(text)
    assert (mobile.offset, mobile.length, mobile.line, mobile.column) == (13, 11, 2, 10)
    assert text[mobile.offset : mobile.offset + mobile.length] == "13812345678"
    assert (mark.line, mark.column, mark.detail) == (3, 1, "秘密, 10年")


def test_configured_terms_are_reported_at_every_occurrence_even_inside_other_matches() -> None:
    text = "涉及拆迁补偿标准，拆迁补偿方案待定。秘密★1年"
    found = _kinds(text, terms=("拆迁补偿", "拆迁补偿", "秘密"))
    assert found == [
        (K.TERM, "拆迁补偿"),
        (K.TERM, "拆迁补偿"),
        (K.CLASSIFICATION_MARK, "秘密★1年"),
        (K.TERM, "秘密"),
    ]


def test_an_empty_term_is_a_configuration_bug() -> None:
    with pytest.raises(ValueError, match="empty term"):
        prescreen("正文", terms=("  ",))


def test_evidence_becomes_a_warning_finding_never_a_blocking_one() -> None:
    mark = Evidence(K.CLASSIFICATION_MARK, 0, 5, 1, 1, "秘密★1年", "秘密, 1年")
    mobile = Evidence(K.MOBILE, 3, 11, 2, 4, "138****5678")
    assert mark.to_finding().severity is Severity.WARNING
    assert mark.to_finding().rule == "prescreen.classification_mark"
    assert "(秘密, 1年)" in mark.to_finding().message
    assert mobile.to_finding().message == "手机号码 「138****5678」 at line 2, column 4: " + (
        "check before publication."
    )
    assert "个人信息保护法" in mobile.to_finding().source


@pytest.mark.parametrize("kind", list(EvidenceKind))
def test_every_kind_has_a_chinese_label_a_source_and_a_privacy_flag(kind: EvidenceKind) -> None:
    assert kind.label
    assert kind.source
    personal = {K.ID_NUMBER, K.BANK_CARD, K.MOBILE, K.LANDLINE, K.EMAIL}
    assert kind.is_personal is (kind in personal)


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_real_government_documents_raise_only_their_office_telephone_numbers(seed: str) -> None:
    # Seeds carry landlines, postcodes, dates, 国家秘密 and 内部制度 in prose, spam links (000,
    # 003) and mojibake (002): realistic material. Their offices' landlines are found (seed 003
    # gives 0745-5833778 for applications); nothing else is.
    found = prescreen((SEEDS / seed).read_text(encoding="utf-8"))
    assert {e.kind for e in found} <= {K.LANDLINE}


def test_the_full_width_form_of_a_text_is_found_at_the_same_places() -> None:
    text = "联系人手机13812345678，身份证号11010519491231002X"
    wide = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert prescreen(wide) == prescreen(text)
