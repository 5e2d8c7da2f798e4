"""Jurisdiction profiles (domain §3.1, §6, §8.1; seeds 000, 001, 002, 004)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policies.attributes import Attribute
from policies.profiles import (
    PROFILES,
    InterpretationMode,
    PolicyProfile,
    ProfileUnknown,
    get_profile,
)
from policies.statuses import Status
from policies.units import ClockHours, WorkingDays

A = Attribute


@pytest.mark.parametrize(
    ("name", "labels", "window", "mode"),
    [
        pytest.param(
            "national",
            frozenset(A),
            None,
            InterpretationMode.TOGETHER,
            id="national: four labels, only the 20 WD ceiling (条例 art. 26)",
        ),
        pytest.param(
            "majiang",
            {A.PROACTIVE, A.ON_REQUEST, A.WITHHELD},
            ClockHours(2),
            InterpretationMode.TOGETHER,
            id="majiang: three labels, 2 hours (seed 000 §三(二十二)), together (§三(十八))",
        ),
        pytest.param(
            "zhongwei",
            frozenset(A),
            None,
            InterpretationMode.TOGETHER,
            id="zhongwei: four labels incl. 删减后公开 (seed 001 §二(四)1)",
        ),
        pytest.param(
            "wuming",
            {A.PROACTIVE, A.ON_REQUEST, A.WITHHELD},
            None,
            InterpretationMode.WITHIN_WORKING_DAYS,
            id="wuming: three labels, interpretation within 3 WD (seed 002 §二(十三))",
        ),
        pytest.param(
            "liaoning",
            {A.PROACTIVE, A.ON_REQUEST, A.WITHHELD},
            None,
            InterpretationMode.WITHIN_WORKING_DAYS,
            id="liaoning: three labels, no local window, within 3 WD (seed 004 §二(五))",
        ),
    ],
)
def test_profiles_carry_their_jurisdictions_rules(
    name: str, labels: frozenset[Attribute], window: ClockHours | None, mode: InterpretationMode
) -> None:
    profile = get_profile(name)
    assert (profile.name, profile.labels, profile.publish_after_issue) == (name, labels, window)
    assert profile.interpretation_mode is mode
    assert profile.publish_ceiling == WorkingDays(20)
    assert profile.interpretation_within == WorkingDays(3)


def test_an_unknown_profile_names_the_available_ones() -> None:
    with pytest.raises(ProfileUnknown, match="available: liaoning, majiang, national"):
        get_profile("beijing")


def test_profiles_are_keyed_by_their_own_names() -> None:
    assert all(key == profile.name for key, profile in PROFILES.items())


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(
            Status.SECRECY_REVIEW,
            WorkingDays(7),
            id="secrecy review: 7 WD (local choice, domain §5.1)",
        ),
        pytest.param(
            Status.OFFICE_PREREVIEW, WorkingDays(5), id="office pre-review: 5 WD (local choice)"
        ),
        pytest.param(
            Status.AWAITING_INTERPRETATION, WorkingDays(3), id="interpretation: 3 WD (local choice)"
        ),
        pytest.param(Status.AWAITING_SIGNOFF, WorkingDays(3), id="sign-off: 3 WD (local choice)"),
        pytest.param(
            Status.ESCALATED, None, id="escalated: the secrecy bureau's time, not monitored here"
        ),
    ],
)
def test_stage_allowances_are_local_choices(status: Status, expected: WorkingDays | None) -> None:
    assert get_profile("national").allowance_for(status) == expected


def _profile(*, on_request: bool = False, redacted: bool = True) -> PolicyProfile:
    required = {A.ON_REQUEST} if on_request else set()
    if redacted:
        required.add(A.REDACTED)
    return replace(get_profile("national"), reasons_required=frozenset(required))


@pytest.mark.parametrize(
    ("profile", "attribute", "expected"),
    [
        pytest.param(
            _profile(), A.WITHHELD, True, id="不予公开 always needs a reason (80号 一(一))"
        ),
        pytest.param(
            _profile(),
            A.REDACTED,
            True,
            id="删减后公开 needs reasons by default (条例 art. 37 by analogy)",
        ),
        pytest.param(
            _profile(redacted=False),
            A.REDACTED,
            False,
            id="删减后公开 without reasons when the profile says so",
        ),
        pytest.param(
            _profile(), A.ON_REQUEST, False, id="依申请公开 needs none nationally (domain §9.7)"
        ),
        pytest.param(
            _profile(on_request=True),
            A.ON_REQUEST,
            True,
            id="依申请公开 needs a reason where the profile says so",
        ),
        pytest.param(_profile(), A.PROACTIVE, False, id="主动公开 needs none"),
    ],
)
def test_which_attributes_need_a_reason_rule_4(
    profile: PolicyProfile, attribute: Attribute, expected: bool
) -> None:
    assert profile.needs_reason(attribute) is expected
