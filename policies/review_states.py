"""The review state machine: which status may follow which, and who may move it.

design.md "Statuses"; style.md "The review lifecycle is one explicit state machine".
Each transition names the rule it serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.findings import Finding, Severity
from policies.roles import Role
from policies.statuses import Status

S = Status
R = Role


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move, the roles that may make it, and why it exists."""

    source: Status
    target: Status
    roles: frozenset[Role]
    basis: str


def _t(source: Status, target: Status, roles: set[Role], basis: str) -> Transition:
    return Transition(source, target, frozenset(roles), basis)


TRANSITIONS: tuple[Transition, ...] = (
    # Intake and marking stage.
    _t(
        S.SUBMITTED,
        S.RETURNED,
        {R.SYSTEM, R.DISCLOSURE_OFFICE},
        "退文: domain §10 rules 1, 4, 6, 11",
    ),
    _t(S.SUBMITTED, S.OFFICE_PREREVIEW, {R.SYSTEM}, "不予公开 policy document: seed 002 §三(三)"),
    _t(S.SUBMITTED, S.SECRECY_REVIEW, {R.SYSTEM}, "先审查、后公开: 保密法实施条例 2024 art. 42"),
    _t(S.RETURNED, S.SUBMITTED, {R.DRAFTER, R.SYSTEM}, "resubmission after 退文: seed 002 §三(三)"),
    _t(
        S.OFFICE_PREREVIEW,
        S.SECRECY_REVIEW,
        {R.DISCLOSURE_OFFICE},
        "office agrees: seed 002 §三(三)",
    ),
    _t(S.OFFICE_PREREVIEW, S.RETURNED, {R.DISCLOSURE_OFFICE}, "office disagrees: seed 002 §三(三)"),
    # Secrecy review stage (条例 art. 17).
    _t(S.SECRECY_REVIEW, S.RETURNED, {R.SECRECY_REVIEWER}, "reviewer returns: 条例 art. 17"),
    _t(S.SECRECY_REVIEW, S.ESCALATED, {R.SECRECY_REVIEWER}, "无法确定: 条例 art. 17 ¶3"),
    _t(
        S.SECRECY_REVIEW,
        S.AWAITING_INTERPRETATION,
        {R.SECRECY_REVIEWER, R.SYSTEM},
        "seed 004 §二(五)",
    ),
    _t(
        S.SECRECY_REVIEW,
        S.AWAITING_SIGNOFF,
        {R.SECRECY_REVIEWER, R.SYSTEM},
        "cleared: 条例 art. 17",
    ),
    _t(
        S.SECRECY_REVIEW, S.FILED, {R.SECRECY_REVIEWER, R.SYSTEM}, "not published: 条例 arts. 14–16"
    ),
    _t(
        S.ESCALATED,
        S.SECRECY_REVIEW,
        {R.DISCLOSURE_OFFICE},
        "determination recorded: 条例 art. 17 ¶3",
    ),
    _t(S.ESCALATED, S.FILED, {R.DISCLOSURE_OFFICE}, "determined secret: 保密法 2024 art. 25"),
    _t(S.ESCALATED, S.RETURNED, {R.DISCLOSURE_OFFICE}, "determination needs a new draft"),
    # Interpretation stage (seeds 000 §三(十八), 002 §二(十三), 004 §二(五)).
    _t(S.AWAITING_INTERPRETATION, S.AWAITING_SIGNOFF, {R.SYSTEM, R.DRAFTER}, "material received"),
    _t(S.AWAITING_INTERPRETATION, S.RETURNED, {R.DISCLOSURE_OFFICE}, "材料不全不予收文: seed 004"),
    # Publication stage (签发; seed 000 §三(二十二), 条例 art. 26).
    _t(S.AWAITING_SIGNOFF, S.PUBLISHED, {R.SIGNER, R.SYSTEM}, "签发 and publication: 条例 art. 26"),
    _t(S.AWAITING_SIGNOFF, S.RETURNED, {R.SIGNER}, "signer returns the draft"),
    _t(S.AWAITING_SIGNOFF, S.FILED, {R.SIGNER}, "signer decides not to publish: 条例 arts. 14–16"),
    # After publication: withdrawal (撤回) or restriction of the attribute, by the office or the
    # signer; the document is filed with its new attribute and nothing stored is removed.
    _t(
        S.PUBLISHED,
        S.FILED,
        {R.DISCLOSURE_OFFICE, R.SIGNER},
        "撤回/restriction after publication: domain §10 rule 21; seed 002 §三(五)",
    ),
    # After the end: conversion of filed documents (条例 arts. 18, 44; seed 002 §三(三)).
    _t(
        S.FILED,
        S.SECRECY_REVIEW,
        {R.DISCLOSURE_OFFICE},
        "conversion to 主动公开: 条例 arts. 18, 44",
    ),
    _t(
        S.FILED,
        S.SUBMITTED,
        {R.DISCLOSURE_OFFICE, R.SECRECY_REVIEWER},
        "re-review converts: the new version is reviewed like a new document "
        "(条例 arts. 18, 44; seed 002 §三(三); 先审查、后公开: 实施条例 2024 art. 42)",
    ),
)

_BY_PAIR: dict[tuple[Status, Status], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def find_transition(source: Status, target: Status) -> Transition | None:
    """The allowed move from source to target, if there is one."""
    return _BY_PAIR.get((source, target))


def next_statuses(source: Status) -> list[Status]:
    """Every status a document may move to from source, in table order."""
    return [t.target for t in TRANSITIONS if t.source is source]


def check_transition(source: Status, target: Status, role: Role) -> list[Finding]:
    """Refuse a move the state machine does not allow, or one the role may not make."""
    transition = find_transition(source, target)
    if transition is None:
        allowed = ", ".join(s.value for s in next_statuses(source)) or "none (final status)"
        return [
            Finding(
                rule="transition.not_allowed",
                severity=Severity.BLOCKING,
                message=f"A document in '{source}' cannot move to '{target}'; allowed: {allowed}.",
                source="design.md: review state machine",
                field="status",
            )
        ]
    if role not in transition.roles:
        roles = ", ".join(sorted(r.value for r in transition.roles))
        return [
            Finding(
                rule="transition.role_not_allowed",
                severity=Severity.BLOCKING,
                message=f"Role '{role}' may not move a document from '{source}' to '{target}'; "
                f"ask one of: {roles}.",
                source=transition.basis,
                field="role",
            )
        ]
    return []
