"""The application's Prefect form (issue 26): flat fields, the description without personal data
and, at the release review, exactly the files proposed; a bad date named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from policies.application_clock import ClockState
from policies.application_steps import Action, ApplicationStep
from policies.applications import ApplicantType, Channel
from services.applications import Applicant, ApplicationView
from workflows.application.form import ApplicationDecision, action_of, describe_application

VIEW = ApplicationView(
    id=7,
    number="wm-依申请-2026-000007",
    organ_id=1,
    channel=Channel.ONLINE,
    applicant_type=ApplicantType.LEGAL_SERVICE,
    received_on=date(2026, 9, 25),
    description="城区停车收费标准",
    requested_form="电子邮件",
    proposes_proactive=True,
    fee_yuan=0,
    nth_in_month=1,
    state=ClockState.RUNNING,
    reply_due_on=date(2026, 10, 29),
    reply_due_at=None,
    reply_basis="条例 art. 33 ¶2",
    reply_type=None,
    reply_number=None,
    document_ids=(3,),
    applicant=Applicant("某律师事务所", "31110000ABCDEFGH1X", "13400000000", None),
)


def test_the_release_form_lists_exactly_the_proposed_files_and_no_personal_data() -> None:
    text = describe_application(
        VIEW,
        ApplicationStep.RELEASE,
        url="http://api/applications/7",
        releases=[("批复.pdf", "on_request", "http://api/review/documents/3")],
    )
    assert "批复.pdf（on_request）" in text
    assert "法律服务机构" in text
    for personal in ("某律师事务所", "31110000ABCDEFGH1X", "13400000000"):
        assert personal not in text
    assert "approve_release, refuse_release" in text
    assert "纳入主动公开（条例第四十四条第二款" in text  # the applicant's proposal (art. 44 ¶2)
    plain = describe_application(
        replace(VIEW, proposes_proactive=False), ApplicationStep.REPLY, url="http://api/a/7"
    )
    assert "纳入主动公开" not in plain


def test_the_form_is_flat_and_a_bad_date_is_named() -> None:
    fields = ApplicationDecision.model_json_schema()["properties"]
    assert {"action", "reviewer", "code", "on", "reply_type", "reason_codes"} <= set(fields)
    assert action_of({"action": "complete", "reviewer": "x"}).action is Action.COMPLETE
    with pytest.raises(ValueError, match="until"):
        action_of({"action": "request_supplement", "until": "2026-13-01"})
