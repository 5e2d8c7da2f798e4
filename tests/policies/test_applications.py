"""Applicants, channels and receipt, required contents, fees and conversion proposals
(条例 arts. 29, 31, 42, 44; 国办函〔2020〕109号; domain §7.1, §10 rule 17)."""

from __future__ import annotations

from datetime import date

import pytest

from policies.application_steps import Action, ApplicationStep, check_action
from policies.applications import (
    ApplicantType,
    Channel,
    check_contents,
    conversion_due,
    fee_yuan,
    month_of,
    receipt_date,
)
from policies.findings import Finding
from policies.profiles import get_profile
from policies.roles import Role

DAY = date(2026, 9, 25)


@pytest.mark.parametrize(
    ("nth", "fee"),
    [
        pytest.param(1, 0, id="1st of the month free (国办函〔2020〕109号)"),
        pytest.param(10, 0, id="10th free (国办函〔2020〕109号)"),
        pytest.param(11, 100, id="11th ¥100 (国办函〔2020〕109号)"),
        pytest.param(30, 100, id="30th ¥100 (国办函〔2020〕109号)"),
        pytest.param(31, 200, id="31st ¥200 (国办函〔2020〕109号)"),
        pytest.param(40, 200, id="40th ¥200 (国办函〔2020〕109号)"),
        pytest.param(41, 300, id="41st ¥300 (国办函〔2020〕109号)"),
        pytest.param(51, 400, id="51st ¥400 (国办函〔2020〕109号)"),
    ],
)
def test_fee_per_applicant_per_natural_month_条例_art_42(nth: int, fee: int) -> None:
    assert fee_yuan(nth) == fee


def test_fees_count_from_the_first_application() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        fee_yuan(0)
    assert month_of(date(2026, 9, 30)) != month_of(date(2026, 10, 1))


@pytest.mark.parametrize(
    ("channel", "dates", "expected"),
    [
        pytest.param(
            Channel.IN_PERSON,
            {"submitted_on": DAY},
            DAY,
            id="in person: that day (条例 art. 31(一))",
        ),
        pytest.param(
            Channel.REGISTERED_POST,
            {"submitted_on": date(2026, 9, 20), "signed_on": DAY},
            DAY,
            id="registered post: the signing day (条例 art. 31(二))",
        ),
        pytest.param(
            Channel.ORDINARY_MAIL,
            {"confirmed_on": DAY},
            DAY,
            id="ordinary mail: confirmed (条例 art. 31(二))",
        ),
        pytest.param(
            Channel.FAX, {"confirmed_on": DAY}, DAY, id="fax: confirmed (条例 art. 31(三))"
        ),
        pytest.param(
            Channel.ONLINE, {"confirmed_on": DAY}, DAY, id="online: confirmed (条例 art. 31(三))"
        ),
    ],
)
def test_receipt_date_per_channel_条例_art_31(
    channel: Channel, dates: dict[str, date], expected: date
) -> None:
    assert receipt_date(channel, **dates) == expected


def test_registered_post_without_its_signing_day_is_refused_条例_art_31() -> None:
    finding = receipt_date(Channel.REGISTERED_POST, submitted_on=DAY)
    assert isinstance(finding, Finding)
    assert finding.field == "signed_on"
    assert "签收" in finding.message


def test_missing_art_29_fields_are_named_in_chinese_条例_art_29() -> None:
    findings = check_contents({"applicant_name": "张三", "contact": " ", "description": "x"})
    assert [f.field for f in findings] == ["applicant_id_number", "contact", "requested_form"]
    assert all("条例第二十九条" in f.message for f in findings)
    complete = dict.fromkeys(
        ("applicant_name", "applicant_id_number", "contact", "description", "requested_form"), "x"
    )
    assert check_contents(complete) == []


def test_applicant_types_are_the_columns_of_table_三() -> None:
    assert [t.column for t in ApplicantType] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    assert not ApplicantType.NATURAL_PERSON.is_organisation
    assert ApplicantType.LEGAL_SERVICE.is_organisation


def test_conversion_proposed_at_the_profiles_threshold_domain_rule_17() -> None:
    threshold = get_profile("national").conversion_threshold
    assert threshold.applicants == 3
    assert "local choice" in threshold.source
    assert not conversion_due(2, threshold)
    assert conversion_due(3, threshold)


def test_every_profile_names_both_remedy_channels_条例_art_51() -> None:
    for name in ("national", "majiang", "wuming"):
        remedies = get_profile(name).remedies
        assert [r.name for r in remedies] == ["行政复议", "行政诉讼"]
        assert all(r.body and r.time_limit and "条例 art. 51" in r.source for r in remedies)


def test_a_concluded_application_takes_no_further_action_条例_arts_30_37_domain_rule_20() -> None:
    findings = check_action(ApplicationStep.DONE, Action.COMPLETE, Role.DISCLOSURE_OFFICE)
    assert [f.rule for f in findings] == ["application.step.done"]
