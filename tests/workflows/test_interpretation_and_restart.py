"""Interpretation per profile, and a worker killed mid-stage (issue 6)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.publications import InterpretationMaterial, Publication
from policies.statuses import Status
from tests.factories import T0, id_of
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import (
    decide_in_ui,
    new_document,
    read_run,
    start_review,
    status_of,
    store_text,
    wait_final,
    wait_suspended_at,
)

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def test_a_policy_document_waits_for_its_interpretation_material_when_published_together(
    stack: Stack,
) -> None:
    # national profile: TOGETHER (80号 同步); a 行政规范性文件 sent with its plan, not the material.
    doc, version, people = new_document(
        stack, document_type="normative", attachments=("interpretation_plan",)
    )
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_INTERPRETATION)

    decide_in_ui(run, decision="approve", reviewer=people["drafter"])  # material not there yet
    wait_suspended_at(stack, run, doc, Status.AWAITING_INTERPRETATION)
    with Session(stack.engine, expire_on_commit=False) as session:
        material = store_text(session, stack, "解读材料：……", "解读.txt")
        session.add(
            InterpretationMaterial(
                document_id=doc,
                file_id=id_of(material),
                kind="interpretation_material",
                received_at=T0,
            )
        )
        session.commit()
    decide_in_ui(run, decision="approve", reviewer=people["drafter"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    decide_in_ui(run, decision="approve", reviewer=people["signer"])
    wait_final(run)
    assert status_of(stack, doc) is Status.PUBLISHED
    with Session(stack.engine) as session:
        due = session.exec(
            select(Deadline).where(
                col(Deadline.document_id) == doc, col(Deadline.kind) == "interpretation"
            )
        ).one()
    assert due.met_at is not None  # published together with the document


def test_a_policy_document_goes_on_in_three_working_day_mode_with_a_deadline(stack: Stack) -> None:
    # wuming profile (seed 002 §二(十三)): material within 3 WD after publication.
    doc, version, people = new_document(
        stack,
        document_type="normative",
        policy_profile="wuming",
        attachments=("interpretation_plan",),
    )
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    decide_in_ui(run, decision="approve", reviewer=people["signer"])
    wait_final(run)
    with Session(stack.engine) as session:
        due = session.exec(
            select(Deadline).where(
                col(Deadline.document_id) == doc, col(Deadline.kind) == "interpretation"
            )
        ).one()
        published = session.exec(
            select(Publication).where(col(Publication.document_id) == doc)
        ).one()
    assert due.met_at is None
    assert due.due_at > published.published_at


def test_a_worker_killed_while_publishing_restarts_into_one_publication(stack: Stack) -> None:
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    decide_in_ui(run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    decide_in_ui(run, decision="approve", reviewer=people["signer"])

    def picked_up() -> bool:
        state = read_run(run).state
        return state is not None and state.is_running()

    wait_until(picked_up, timeout=60, what="the resumed run to start")
    stack.kill_serve()  # the worker dies with its flow-run process
    try:
        stack.start_serve()
        stack.wait_deployment()
        final = wait_final(run, timeout=120)
    finally:
        if stack.serve is None:
            stack.start_serve()
    assert final.state is not None
    assert final.state.is_completed()
    assert status_of(stack, doc) is Status.PUBLISHED
    with Session(stack.engine) as session:
        publications = session.exec(
            select(Publication).where(col(Publication.document_id) == doc)
        ).all()
        to_published = [
            e
            for e in session.exec(select(AuditEvent).where(col(AuditEvent.document_id) == doc))
            if e.after and e.after.get("status") == "published"
        ]
    assert len(publications) == 1
    assert len(to_published) == 1
