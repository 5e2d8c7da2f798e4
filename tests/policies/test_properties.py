"""Issue 23: properties of the law core over generated documents and moves (hypothesis; the
number of examples comes from the active profile: small in `make test`, 10,000 in `make fuzz`).

Invariant: no classified, withheld, escalated-undetermined or unreviewed version is ever
published — the state machine (design.md "Statuses"; 先审查、后公开: 保密法实施条例 2024 art. 42)
and the intake checks (domain §10 rules 1, 4, 6; 实施条例 2024 art. 5) each hold their part."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.findings import blocking
from policies.legal_reasons import REASONS
from policies.profiles import PROFILES
from policies.review_states import TRANSITIONS, check_transition
from policies.roles import Role
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from policies.submission_checks import check_submission
from policies.submissions import AttachmentKind, Submission

STATUSES, ROLES = list(Status), list(Role)


def _move(status: Status, chooser: random.Random) -> tuple[Status, Role]:
    """Mostly (4 in 5) one of the moves the table allows from where the document stands, by one
    of its roles, so that long paths are walked; else any status and any role (which the table
    must refuse unless it allows them)."""
    allowed = [t for t in TRANSITIONS if t.source is status]
    if allowed and chooser.random() < 0.8:
        transition = chooser.choice(allowed)
        return transition.target, chooser.choice(sorted(transition.roles))
    return chooser.choice(STATUSES), chooser.choice(ROLES)


@given(length=st.integers(0, 100), chooser=st.randoms(use_true_random=False))
def test_every_path_to_published_passes_a_secrecy_review_after_its_last_escalation(
    length: int, chooser: random.Random
) -> None:
    """design.md state machine; 条例 art. 17: an escalated (无法确定) document goes back to the
    secrecy review with its determination before it can be signed off."""
    status = Status.SUBMITTED
    path = [status]
    for _ in range(length):
        target, role = _move(status, chooser)
        if check_transition(status, target, role):
            continue  # refused: the document stays where it is
        status = target
        path.append(status)
        if status is Status.PUBLISHED:
            assert path[-2] is Status.AWAITING_SIGNOFF
            since_submitted = path[len(path) - 1 - path[::-1].index(Status.SUBMITTED) :]
            reviews = [s for s in since_submitted if s in (Status.SECRECY_REVIEW, Status.ESCALATED)]
            assert reviews, path  # reviewed since it was last submitted
            assert reviews[-1] is Status.SECRECY_REVIEW, path  # not escalated-undetermined


submissions = st.builds(
    Submission,
    attribute=st.none() | st.sampled_from(Attribute),
    document_type=st.sampled_from(DocumentType),
    reason_codes=st.lists(st.sampled_from(sorted(REASONS)), max_size=3).map(tuple),
    reason_explanation=st.sampled_from(["", "依据条例第十四条不予公开。"]),
    is_important_policy=st.booleans(),
    issued_in_government_name=st.booleans(),
    secrecy_level=st.sampled_from(SecrecyLevel),
    secrecy_period_years=st.none() | st.integers(1, 30),
    has_secrecy_mark=st.booleans(),
    attachments=st.frozensets(st.sampled_from(AttachmentKind)),
)


@given(submission=submissions, profile=st.sampled_from(sorted(PROFILES)))
def test_intake_returns_every_unmarked_classified_or_unreasoned_draft(
    submission: Submission, profile: str
) -> None:
    """domain §10 rules 1 (a marking is required), 4 (withheld needs a coded reason), 6 and
    实施条例 2024 art. 5 (a classified document is never marked for publication)."""
    found = blocking(check_submission(submission, PROFILES[profile]))
    attribute = submission.attribute
    if attribute is None:
        assert found
        return
    if submission.secrecy_level.is_classified and attribute.is_published:
        assert found
    if attribute is Attribute.WITHHELD and not submission.reason_codes:
        assert found
    if attribute not in PROFILES[profile].labels:
        assert found
