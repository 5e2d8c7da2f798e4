"""Interpretation per profile, and a worker killed mid-stage (issue 6)."""

from __future__ import annotations

from uuid import UUID

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.decisions import Decision
from models.publications import InterpretationMaterial, Publication
from models.versions import RecordedFinding
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
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_INTERPRETATION)

    decide_in_ui(
        stack, run, decision="approve", reviewer=people["drafter"]
    )  # material not there yet
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
    decide_in_ui(stack, run, decision="approve", reviewer=people["drafter"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    decide_in_ui(stack, run, decision="approve", reviewer=people["signer"])
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
    decide_in_ui(stack, run, decision="approve", reviewer=people["secrecy_reviewer"])
    wait_suspended_at(stack, run, doc, Status.AWAITING_SIGNOFF)
    decide_in_ui(stack, run, decision="approve", reviewer=people["signer"])
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


def _material_arrives(stack: Stack, document_id: int) -> None:
    with Session(stack.engine, expire_on_commit=False) as session:
        material = store_text(session, stack, f"解读材料 {document_id}", "解读.txt")
        session.add(
            InterpretationMaterial(
                document_id=document_id,
                file_id=id_of(material),
                kind="interpretation_material",
                received_at=T0,
            )
        )
        session.commit()


def _running_or_over(run: UUID) -> bool:
    state = read_run(run).state
    return state is not None and (state.is_running() or state.is_final())


def _history(stack: Stack, document_id: int) -> tuple[list[str], list[tuple[str, str]], int]:
    """Statuses entered (audit), decisions (step, kind), publications of one document."""
    with Session(stack.engine) as session:
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.document_id) == document_id)
        ).all()
        decisions = session.exec(
            select(Decision.step, Decision.kind)
            .where(col(Decision.document_id) == document_id)
            .order_by(col(Decision.id))
        ).all()
        publications = session.exec(
            select(Publication).where(col(Publication.document_id) == document_id)
        ).all()
    entered = [str(e.after["status"]) for e in events if e.after and "status" in e.after]
    return entered, [(s, k) for s, k in decisions], len(publications)


def test_a_worker_killed_with_a_document_in_each_stage_restarts_into_one_state_each(
    stack: Stack,
) -> None:
    """Four documents when the worker (serve and its flow-run processes) is SIGKILLed: one in
    marking (its run just started), one waiting for the secrecy reviewer (suspended), one in the
    interpretation stage (material confirmed, run resumed) and one in publication (signed off,
    run resumed). After the restart each ends in exactly one correct state, with no decision,
    status change or publication repeated."""
    marking, marking_v, _ = new_document(stack)
    waiting, waiting_v, waiting_people = new_document(stack)
    interp, interp_v, interp_people = new_document(
        stack, document_type="normative", attachments=("interpretation_plan",)
    )
    publishing, publishing_v, pub_people = new_document(stack)
    runs = {doc: start_review(doc, v) for doc, v in ((waiting, waiting_v), (interp, interp_v))}
    runs[publishing] = start_review(publishing, publishing_v)
    wait_suspended_at(stack, runs[interp], interp, Status.SECRECY_REVIEW)
    decide_in_ui(
        stack, runs[interp], decision="approve", reviewer=interp_people["secrecy_reviewer"]
    )
    wait_suspended_at(stack, runs[publishing], publishing, Status.SECRECY_REVIEW)
    decide_in_ui(
        stack, runs[publishing], decision="approve", reviewer=pub_people["secrecy_reviewer"]
    )
    wait_suspended_at(stack, runs[waiting], waiting, Status.SECRECY_REVIEW)
    wait_suspended_at(stack, runs[interp], interp, Status.AWAITING_INTERPRETATION)
    wait_suspended_at(stack, runs[publishing], publishing, Status.AWAITING_SIGNOFF)
    _material_arrives(stack, interp)

    decide_in_ui(stack, runs[publishing], decision="approve", reviewer=pub_people["signer"])
    decide_in_ui(stack, runs[interp], decision="approve", reviewer=interp_people["drafter"])
    runs[marking] = start_review(marking, marking_v)
    before = {marking: Status.SUBMITTED, interp: Status.AWAITING_INTERPRETATION}
    before[publishing] = Status.AWAITING_SIGNOFF
    seen: set[int] = set()

    def all_picked_up() -> bool:
        # A run counts once seen executing, or once its document has moved on (a quick run
        # may be suspended again between two polls on a loaded machine).
        for doc, status in before.items():
            if doc not in seen and (
                _running_or_over(runs[doc]) or status_of(stack, doc) is not status
            ):
                seen.add(doc)
        return len(seen) == len(before)

    wait_until(all_picked_up, timeout=90, what="the three runs to be picked up")
    stack.kill_serve()  # the worker dies with its flow-run processes
    try:
        stack.start_serve()
        stack.wait_deployment()
        final = wait_final(runs[publishing], timeout=120)
        wait_suspended_at(stack, runs[marking], marking, Status.SECRECY_REVIEW, timeout=120)
        wait_suspended_at(stack, runs[interp], interp, Status.AWAITING_SIGNOFF, timeout=120)
        assert status_of(stack, waiting) is Status.SECRECY_REVIEW
        # The run that was waiting kept waiting: its form still answers after the restart.
        decide_in_ui(
            stack, runs[waiting], decision="approve", reviewer=waiting_people["secrecy_reviewer"]
        )
        wait_suspended_at(stack, runs[waiting], waiting, Status.AWAITING_SIGNOFF, timeout=120)
    finally:
        if stack.serve is None:
            stack.start_serve()

    assert final.state is not None
    assert final.state.is_completed()
    assert status_of(stack, publishing) is Status.PUBLISHED
    entered, decisions, published = _history(stack, publishing)
    assert published == 1
    assert entered.count("published") == 1
    assert decisions == [("secrecy_review", "approve"), ("sign_off", "sign_off")]

    entered, decisions, published = _history(stack, interp)
    assert decisions == [("secrecy_review", "approve"), ("interpretation", "approve")]
    assert entered.count("awaiting_signoff") == 1
    assert published == 0

    entered, decisions, published = _history(stack, marking)
    assert entered.count("secrecy_review") == 1
    assert (decisions, published) == ([], 0)
    with Session(stack.engine) as session:
        findings = session.exec(
            select(RecordedFinding.rule, RecordedFinding.message).where(
                col(RecordedFinding.version_id) == marking_v
            )
        ).all()
    assert len(findings) == len(set(findings))  # the re-run recorded nothing twice

    entered, decisions, published = _history(stack, waiting)
    assert decisions == [("secrecy_review", "approve")]
    assert (entered.count("awaiting_signoff"), published) == (1, 0)
