"""The human steps as one table: the status each waits in, who decides it, the decisions it offers
and what an approval is recorded as (design.md "Human steps on Prefect"; domain §10 rules 5, 8,
11–12; 条例 art. 17)."""

from __future__ import annotations

import pytest

from policies.review_states import find_transition
from policies.roles import Role
from policies.statuses import Status
from policies.steps import STEPS, Choice, DecisionKind, Step, step_waiting_in

A, R, C, E, F = Choice.APPROVE, Choice.RETURN, Choice.CHANGE_ATTRIBUTE, Choice.ESCALATE, Choice.FILE


@pytest.mark.parametrize(
    ("step", "status", "role", "choices", "approval"),
    [
        pytest.param(
            Step.OFFICE_PREREVIEW,
            Status.OFFICE_PREREVIEW,
            Role.DISCLOSURE_OFFICE,
            {A, R},
            DecisionKind.APPROVE,
            id="office pre-review: the office agrees or returns (seed 002 §三(三); rule 5)",
        ),
        pytest.param(
            Step.SECRECY_REVIEW,
            Status.SECRECY_REVIEW,
            Role.SECRECY_REVIEWER,
            {A, R, C, E},
            DecisionKind.APPROVE,
            id="secrecy review: approve, return, change, escalate (条例 art. 17)",
        ),
        pytest.param(
            Step.DETERMINATION,
            Status.ESCALATED,
            Role.DISCLOSURE_OFFICE,
            {A, R, F},
            DecisionKind.DETERMINE,
            id="determination after 无法确定 (条例 art. 17 ¶3; rule 8)",
        ),
        pytest.param(
            Step.INTERPRETATION,
            Status.AWAITING_INTERPRETATION,
            Role.DRAFTER,
            {A},
            DecisionKind.APPROVE,
            id="interpretation: the drafter confirms the 解读材料 (seed 004 §二(五); rules 11-12)",
        ),
        pytest.param(
            Step.SIGN_OFF,
            Status.AWAITING_SIGNOFF,
            Role.SIGNER,
            {A, R, F},
            DecisionKind.SIGN_OFF,
            id="sign-off: 签发, return or file (seed 000 §三(二十二))",
        ),
    ],
)
def test_each_step_waits_in_one_status_for_one_role_with_its_choices(
    step: Step, status: Status, role: Role, choices: set[Choice], approval: DecisionKind
) -> None:
    assert step.status is status
    assert step.role is role
    assert set(step.rule.choices) == choices
    assert step.rule.recorded_as(Choice.APPROVE) is approval
    assert step_waiting_in(status) is step
    assert all(step.rule.offers(choice.value) for choice in choices)
    assert not any(step.rule.offers(choice.value) for choice in set(Choice) - choices)


def test_every_choice_is_recorded_as_a_decision_kind_and_every_step_is_in_the_table() -> None:
    assert set(STEPS) == set(Step)
    for rule in STEPS.values():
        for choice in rule.choices:
            assert rule.recorded_as(choice) in DecisionKind
        assert rule.choices_text().startswith("approve = ")


@pytest.mark.parametrize("step", [s for s in Step if s.rule.approved_to is not None], ids=str)
def test_an_approval_leads_where_the_state_machine_allows_the_deciding_role(step: Step) -> None:
    target = step.rule.approved_to
    assert target is not None
    transition = find_transition(step.status, target)
    if step is Step.SIGN_OFF:  # the publication stage publishes once it is signed off
        assert transition is not None
        assert Role.SYSTEM in transition.roles
        return
    assert transition is not None
    assert step.role in transition.roles


def test_no_step_waits_in_a_status_without_people() -> None:
    assert step_waiting_in(Status.SUBMITTED) is None
    assert step_waiting_in(Status.PUBLISHED) is None
