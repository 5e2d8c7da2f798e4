"""The reviewer's form in the Prefect UI shows deadlines as people read them (issue 20): Beijing
date and time, the basis, and （暂定） where counted into a year not loaded (domain §8.2)."""

from __future__ import annotations

from datetime import datetime

from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.steps import Step
from services.review import StepView
from workflows.forms import describe


def test_the_form_shows_a_provisional_ceiling_as_the_end_of_2027_01_04_beijing() -> None:
    # The issue saw `publication_ceiling: 2027-01-04T16:00:00+00:00` (a UTC instant).
    due = datetime(2027, 1, 5, 0, 0, tzinfo=SHANGHAI)
    view = StepView(
        document_id=1,
        version_id=1,
        step=Step.SIGN_OFF,
        title="关于春耕的通知",
        doc_number=None,
        attribute=Attribute.PROACTIVE,
        reason_codes=(),
        reason_explanation="",
        findings=(),
        deadlines=(("publication_ceiling", due, "条例 art. 26", True),),
    )
    text = describe(view, url="http://x/documents/1")
    assert "- publication_ceiling: 2027-01-04 24:00（北京时间）（暂定） — 依据 条例 art. 26" in text
    assert "16:00:00+00:00" not in text
    assert "年度节假日安排未录入" in text  # the provisional rule is explained
