"""The review state machine (design.md "Statuses"; each transition cites its rule)."""

from __future__ import annotations

import pytest

from policies.findings import Severity
from policies.review_states import TRANSITIONS, check_transition, find_transition, next_statuses
from policies.roles import Role
from policies.statuses import Status

S = Status

ALLOWED = [
    pytest.param(t.source, t.target, role, id=f"{t.source} → {t.target} by {role} ({t.basis})")
    for t in TRANSITIONS
    for role in sorted(t.roles)
]
REFUSED_ROLES = [
    pytest.param(
        t.source, t.target, role, id=f"{t.source} → {t.target} refused to {role} ({t.basis})"
    )
    for t in TRANSITIONS
    for role in sorted(set(Role) - t.roles)
]
ALLOWED_PAIRS = {(t.source, t.target) for t in TRANSITIONS}
REFUSED_PAIRS = [
    pytest.param(a, b, id=f"{a} → {b} is not a transition")
    for a in Status
    for b in Status
    if (a, b) not in ALLOWED_PAIRS
]


@pytest.mark.parametrize(("source", "target", "role"), ALLOWED)
def test_each_transition_is_allowed_for_its_roles(
    source: Status, target: Status, role: Role
) -> None:
    assert check_transition(source, target, role) == []


@pytest.mark.parametrize(("source", "target", "role"), REFUSED_ROLES)
def test_each_transition_is_refused_to_other_roles(
    source: Status, target: Status, role: Role
) -> None:
    [finding] = check_transition(source, target, role)
    assert (finding.rule, finding.severity, finding.field) == (
        "transition.role_not_allowed",
        Severity.BLOCKING,
        "role",
    )
    transition = find_transition(source, target)
    assert transition is not None
    assert finding.source == transition.basis


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS)
def test_moves_outside_the_table_are_refused(source: Status, target: Status) -> None:
    [finding] = check_transition(source, target, Role.ADMIN)
    assert finding.rule == "transition.not_allowed"
    assert find_transition(source, target) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            S.SUBMITTED,
            [S.RETURNED, S.OFFICE_PREREVIEW, S.SECRECY_REVIEW],
            id="submitted → 退文, pre-review (seed 002 §三(三)), secrecy review (实施条例 art. 42)",
        ),
        pytest.param(
            S.PUBLISHED,
            [S.FILED],
            id="published → filed: 撤回/restriction (domain §10 rule 21; seed 002 §三(五))",
        ),
        pytest.param(
            S.FILED,
            [S.SECRECY_REVIEW, S.SUBMITTED],
            id="filed → converted back into review (条例 arts. 18, 44; seed 002 §三(三))",
        ),
    ],
)
def test_next_statuses_in_table_order(source: Status, expected: list[Status]) -> None:
    assert next_statuses(source) == expected


def test_refusal_from_published_names_withdrawal_as_the_only_way_out() -> None:
    [finding] = check_transition(S.PUBLISHED, S.RETURNED, Role.ADMIN)
    assert "allowed: filed" in finding.message


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        pytest.param(Role.DISCLOSURE_OFFICE, True, id="office withdraws (domain §10 rule 21)"),
        pytest.param(Role.SIGNER, True, id="signer withdraws (rule 21: re-approval by the signer)"),
        pytest.param(Role.DRAFTER, False, id="drafter may not withdraw"),
        pytest.param(Role.SYSTEM, False, id="the engine never withdraws by itself"),
    ],
)
def test_withdrawal_after_publication_is_the_office_s_or_the_signer_s(
    role: Role, allowed: bool
) -> None:
    assert (check_transition(S.PUBLISHED, S.FILED, role) == []) is allowed


def test_published_documents_never_skip_the_secrecy_review() -> None:
    """先审查、后公开 (实施条例 2024 art. 42): only sign-off leads to publication."""
    assert [t.source for t in TRANSITIONS if t.target is S.PUBLISHED] == [S.AWAITING_SIGNOFF]
