"""End-to-end reviews on a real Prefect server with a real serve process (issue 6)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, col, select

import workflows.human as human
from models.alerts import Alert
from models.audit import AuditEvent
from models.deadlines import Deadline
from models.decisions import Decision
from models.publications import Publication
from models.versions import RecordedFinding
from policies.statuses import Status
from tests.workflows.conftest import Stack
from tests.workflows.helpers import (
    decide_in_ui,
    new_document,
    start_review,
    status_of,
    wait_final,
    wait_suspended_at,
)

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def test_a_proactive_draft_goes_through_every_stage_and_is_published_with_its_marking(
    stack: Stack,
) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    decide_in_ui(stack, run, decision="approve", reviewer=people["signer"])
    final = wait_final(run)

    assert final.state is not None
    assert final.state.is_completed()
    assert status_of(stack, doc) is Status.PUBLISHED
    with Session(stack.engine) as session:
        publication = session.exec(
            select(Publication).where(col(Publication.document_id) == doc)
        ).one()
        decisions = session.exec(
            select(Decision).where(col(Decision.document_id) == doc).order_by(col(Decision.id))
        ).all()
        deadlines = {
            d.kind: d
            for d in session.exec(select(Deadline).where(col(Deadline.document_id) == doc))
        }
    assert publication.marking_text == "此件公开发布"
    assert publication.validity == "valid"
    assert [(d.step, d.kind, d.channel) for d in decisions] == [
        ("secrecy_review", "approve", "ui"),
        ("sign_off", "sign_off", "ui"),
    ]
    assert deadlines["publication_ceiling"].met_at is not None  # 条例 art. 26, met
    sink = stack.data_dir / "portal" / f"publication-v{version}.json"
    assert json.loads(sink.read_text("utf-8"))["marking_text"] == "此件公开发布"


def test_a_withheld_draft_with_a_valid_reason_is_filed_and_never_published(stack: Stack) -> None:
    doc, version, people = new_document(
        stack,
        marking={
            "attribute": "withheld",
            "reason_codes": ["NS-5"],
            "reason_explanation": "属于内部事务信息（条例第十六条第一款）",
        },
    )
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_final(run)

    assert status_of(stack, doc) is Status.FILED
    with Session(stack.engine) as session:
        assert (
            session.exec(select(Publication).where(col(Publication.document_id) == doc)).all() == []
        )
    assert not (stack.data_dir / "portal" / f"publication-v{version}.json").exists()


def test_a_draft_with_an_id_number_is_flagged_and_a_return_sends_it_back(stack: Stack) -> None:
    doc, version, people = new_document(
        stack, text="关于张三同志的通报\n身份证号：11010519491231002X\n"
    )
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        rules = session.exec(
            select(RecordedFinding.rule, RecordedFinding.message).where(
                col(RecordedFinding.version_id) == version
            )
        ).all()
    assert "prescreen.id_number" in {rule for rule, _ in rules}
    assert not any("11010519491231002X" in message for _, message in rules)  # masked

    decide_in_ui(
        stack,
        run,
        decision="return",
        reviewer=people["secrecy_reviewer"],
        reason_codes=["NS-4"],
        comment="含个人身份证号，请删除后重新报送",
    )
    wait_final(run)
    assert status_of(stack, doc) is Status.RETURNED
    with Session(stack.engine) as session:
        events = session.exec(
            select(AuditEvent.action, AuditEvent.channel).where(col(AuditEvent.document_id) == doc)
        ).all()
    assert ("decision.recorded", "ui") in events


def test_a_decision_by_the_drafter_is_refused_and_the_step_waits_again(stack: Stack) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(stack, run, decision="approve", reviewer=people["drafter"])
    # Refused (wrong role / 回避): the run suspends again under a new key, nothing recorded.
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        assert session.exec(select(Decision).where(col(Decision.document_id) == doc)).all() == []
    decide_in_ui(
        stack,
        run,
        decision="escalate",
        reviewer=people["secrecy_reviewer"],
        comment="疑似涉密，报保密行政管理部门确定",
    )
    wait_suspended_at(stack, run, doc, Status.ESCALATED)
    with Session(stack.engine) as session:
        kinds = set(session.exec(select(Deadline.kind).where(col(Deadline.document_id) == doc)))
        published = session.exec(
            select(Publication).where(col(Publication.document_id) == doc)
        ).all()
    assert "secret_report" in kinds  # 实施条例 2024 art. 25: 10 WD
    assert published == []


def test_refused_inputs_never_fail_the_run_they_are_audited_and_alerted_issue_21(
    stack: Stack,
) -> None:
    # Issue 21: twenty refused inputs failed the run (MAX_INVALID_INPUTS) and stranded the document.
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    for _ in range(human.REFUSALS_ALERTED_EVERY):
        decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"], code="")
        wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    with Session(stack.engine) as session:
        refusals = session.exec(
            select(AuditEvent.reason).where(
                col(AuditEvent.document_id) == doc,
                col(AuditEvent.action) == human.DECISION_REFUSED,
            )
        ).all()
        alerts = session.exec(select(Alert.kind).where(col(Alert.document_id) == doc)).all()
        assert session.exec(select(Decision).where(col(Decision.document_id) == doc)).all() == []
    assert len(refusals) == human.REFUSALS_ALERTED_EVERY
    assert alerts == ["decision.refused"]
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
