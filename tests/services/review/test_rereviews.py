"""Periodic re-review and conversion (条例 arts. 18, 44; seeds 000 §三(二十一), 002 §三(三);
domain §10 rule 16), on both databases with time passed in."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.decisions import Decision
from models.documents import Document
from models.publications import Publication
from models.rereviews import Rereview
from models.users import User
from models.versions import Marking, Version
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.errors import Conflict, Forbidden
from services.publication.publishing import JsonFileSink, PublicationRefused, publish_version
from services.review import (
    ConversionRefused,
    count_overdue_rereviews,
    create_due_rereviews,
    decide_rereview,
    list_rereviews,
    recheck_marking,
    record_decision,
    versions_awaiting_review_start,
)
from tests.factories import id_of, make_document, make_user


def _at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


FILED_AT = _at(2025, 3, 3, 10)  # filed Mon 2025-03-03: the national profile re-reviews yearly
WITHHELD = {
    "attribute": Attribute.WITHHELD,
    "marking_text": Attribute.WITHHELD.marking,
    "reason_codes": ["NS-6"],
    "reason_explanation": "过程性信息（条例第十六条第二款）",
}


def filed(session: Session, marking: dict[str, object] | None = None, **fields: object) -> Document:
    document = make_document(
        session,
        status=Status.FILED,
        status_changed_at=FILED_AT,
        document_type="notice",
        marking=marking or WITHHELD,
        **fields,
    )
    session.commit()
    return document


def office(session: Session, document: Document, role: Role = Role.DISCLOSURE_OFFICE) -> User:
    user = make_user(session, role=role)
    user.organ_id = document.organ_id
    session.add(user)
    session.commit()
    return user


def rereviews_of(session: Session, document: Document) -> list[Rereview]:
    return list(
        session.exec(
            select(Rereview).where(col(Rereview.document_id) == document.id).order_by(Rereview.id)
        ).all()
    )


def run(session: Session, at: datetime) -> int:
    created = create_due_rereviews(session, at=at)
    session.commit()
    return len(created)


def test_a_filed_document_gets_one_periodic_rereview_per_cycle(session: Session) -> None:
    document = filed(session)
    published = make_document(session, status=Status.PUBLISHED, status_changed_at=FILED_AT)
    proactive_filed = filed(session, marking={"attribute": Attribute.PROACTIVE})
    on_request = filed(
        session,
        marking={"attribute": Attribute.ON_REQUEST, "marking_text": "此件依申请公开"},
    )
    # 12 months after Mon 2025-03-03 end at 24:00 Tue 2026-03-03 (national profile, local choice).
    assert run(session, _at(2026, 3, 3, 23, 59)) == 0
    assert run(session, _at(2026, 3, 4)) == 2
    assert run(session, _at(2026, 3, 4)) == 0  # a rerun creates nothing new
    assert run(session, _at(2026, 9, 1)) == 0  # still open: no second task
    [first] = rereviews_of(session, document)
    assert (first.kind, first.status, first.cycle) == ("periodic", "open", "2026-03-03")
    assert "条例 art. 18" in first.basis
    assert len(rereviews_of(session, on_request)) == 1
    assert rereviews_of(session, published) == rereviews_of(session, proactive_filed) == []
    reviewer = office(session, document)
    decide_rereview(
        session,
        rereview_id=id_of(first),
        decision="keep",
        to_attribute=None,
        reason_codes=["NS-6"],
        explanation="仍属过程性信息，继续不予公开",
        actor=reviewer,
        channel="api",
        at=_at(2026, 3, 10, 15),
    )
    session.commit()
    assert first.status == "kept"
    assert document.status is Status.FILED
    # The next cycle counts from the decision: 24:00 Wed 2027-03-10.
    assert run(session, _at(2027, 3, 10, 23)) == 0  # the on-request task is still open
    assert len(rereviews_of(session, document)) == 1
    assert run(session, _at(2027, 3, 11)) == 1
    kept, second = rereviews_of(session, document)
    assert kept.id == first.id
    assert (second.cycle, second.status) == ("2027-03-10", "open")
    events = session.exec(
        select(AuditEvent.action).where(col(AuditEvent.document_id) == document.id)
    ).all()
    assert events.count("rereview.created") == 2
    assert events.count("rereview.kept") == 1


def test_a_conversion_goes_through_secrecy_review_before_the_portal(
    session: Session, tmp_path: Path
) -> None:
    document = filed(session)
    old_version = session.get(Version, document.current_version_id)
    assert old_version is not None
    run(session, _at(2026, 3, 4))
    [task] = rereviews_of(session, document)
    reviewer = office(session, document)
    outcome = decide_rereview(
        session,
        rereview_id=id_of(task),
        decision="convert",
        to_attribute=Attribute.PROACTIVE,
        reason_codes=[],
        explanation="决策已完成，情势变化，可以公开（条例第十八条）",
        actor=reviewer,
        channel="api",
        at=_at(2026, 3, 5, 10),
    )
    session.commit()
    # A new version: the same stored file, the new marking; the document is back in review.
    assert outcome.review is not None
    new_version = session.get(Version, outcome.review.version_id)
    assert new_version is not None
    assert (new_version.number, new_version.main_file_id) == (2, old_version.main_file_id)
    marking = session.exec(select(Marking).where(col(Marking.version_id) == new_version.id)).one()
    assert (marking.attribute, marking.marking_text) == (Attribute.PROACTIVE, "此件公开发布")
    session.refresh(document)
    assert document.status is Status.SUBMITTED
    assert document.current_version_id == new_version.id
    assert document.flow_run_id is None
    assert (task.status, task.converted_to) == ("converted", "proactive")
    # The reconciler finds it like any submitted version without a run.
    assert outcome.review in versions_awaiting_review_start(session=session)
    # The review flow's first step routes it to the secrecy review (先审查、后公开) ...
    status = recheck_marking(
        session=session,
        document_id=id_of(document),
        version_id=outcome.review.version_id,
        at=_at(2026, 3, 5, 10, 1),
    )
    session.commit()
    assert status is Status.SECRECY_REVIEW
    # ... and nothing reaches the portal until a reviewer decides.
    with pytest.raises(PublicationRefused):
        publish_version(
            session=session,
            document_id=id_of(document),
            version_id=outcome.review.version_id,
            publisher=JsonFileSink(tmp_path / "portal"),
            at=_at(2026, 3, 5, 10, 2),
        )
    session.rollback()
    assert (
        session.exec(select(Publication).where(col(Publication.document_id) == document.id)).all()
        == []
    )
    assert not (tmp_path / "portal").exists()
    # Decision, audit and the 20 WD ceiling from the change (条例 art. 26).
    decision = session.exec(select(Decision).where(col(Decision.document_id) == document.id)).one()
    assert (decision.kind, decision.attribute_before, decision.attribute_after) == (
        "convert",
        Attribute.WITHHELD,
        Attribute.PROACTIVE,
    )
    actions = session.exec(
        select(AuditEvent.action, AuditEvent.actor).where(
            col(AuditEvent.document_id) == document.id
        )
    ).all()
    assert ("rereview.converted", reviewer.login) in actions
    assert ("status.changed", reviewer.login) in actions
    ceiling = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document.id, col(Deadline.kind) == "publication_ceiling"
        )
    ).one()
    assert ceiling.met_at is None
    assert ceiling.version_id == new_version.id


def test_a_decided_rereview_cannot_be_decided_again(session: Session) -> None:
    document = filed(session)
    run(session, _at(2026, 3, 4))
    [task] = rereviews_of(session, document)
    reviewer = office(session, document, Role.SECRECY_REVIEWER)
    keep = {
        "rereview_id": id_of(task),
        "decision": "keep",
        "to_attribute": None,
        "reason_codes": [],
        "explanation": "维持",
        "actor": reviewer,
        "channel": "api",
        "at": _at(2026, 3, 5),
    }
    decide_rereview(session, **keep)  # type: ignore[arg-type]
    session.commit()
    with pytest.raises(Conflict, match="already decided"):
        decide_rereview(session, **keep)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("to_attribute", "reason_codes", "explanation", "rule"),
    [
        pytest.param(
            None, [], "可以公开", "rereview.to_attribute", id="convert needs an attribute"
        ),
        pytest.param(
            Attribute.PROACTIVE,
            [],
            "  ",
            "rereview.explanation_required",
            id="条例 art. 18: 说明理由",
        ),
        pytest.param(
            Attribute.PROACTIVE, ["XX-9"], "可以公开", "rereview.reason_unknown", id="unknown code"
        ),
        pytest.param(
            Attribute.REDACTED,
            ["NS-4"],
            "删除个人信息后公开",
            "attachment.redacted_version_required",
            id="删减后公开 needs the redacted version (seed 001 §二(四)1)",
        ),
    ],
)
def test_a_refused_conversion_names_the_field_and_changes_nothing(
    session: Session,
    to_attribute: Attribute | None,
    reason_codes: list[str],
    explanation: str,
    rule: str,
) -> None:
    document = filed(session)
    run(session, _at(2026, 3, 4))
    [task] = rereviews_of(session, document)
    reviewer = office(session, document)
    with pytest.raises(ConversionRefused) as refused:
        decide_rereview(
            session,
            rereview_id=id_of(task),
            decision="convert",
            to_attribute=to_attribute,
            reason_codes=reason_codes,
            explanation=explanation,
            actor=reviewer,
            channel="api",
            at=_at(2026, 3, 5),
        )
    session.rollback()
    assert rule in [f.rule for f in refused.value.findings]
    session.refresh(task)
    session.refresh(document)
    assert (task.status, document.status) == ("open", Status.FILED)
    versions = session.exec(select(Version).where(col(Version.document_id) == document.id)).all()
    assert len(versions) == 1


def test_only_the_office_or_a_secrecy_reviewer_decides(session: Session) -> None:
    document = filed(session)
    run(session, _at(2026, 3, 4))
    [task] = rereviews_of(session, document)
    drafter = session.get(User, document.created_by)
    assert drafter is not None
    with pytest.raises(Forbidden, match=r"条例 arts\. 17, 18"):
        decide_rereview(
            session,
            rereview_id=id_of(task),
            decision="keep",
            to_attribute=None,
            reason_codes=[],
            explanation="维持",
            actor=drafter,
            channel="api",
            at=_at(2026, 3, 5),
        )


def test_conversion_to_on_request_changes_the_marking_only(session: Session) -> None:
    document = filed(session)
    run(session, _at(2026, 3, 4))
    [task] = rereviews_of(session, document)
    outcome = decide_rereview(
        session,
        rereview_id=id_of(task),
        decision="convert",
        to_attribute=Attribute.ON_REQUEST,
        reason_codes=["NS-6"],
        explanation="可依申请提供",
        actor=office(session, document),
        channel="api",
        at=_at(2026, 3, 5),
    )
    session.commit()
    session.refresh(document)
    assert outcome.review is None
    assert document.status is Status.FILED
    marking = session.exec(
        select(Marking).where(col(Marking.version_id) == document.current_version_id)
    ).one()
    assert marking.attribute is Attribute.ON_REQUEST


def test_two_concurrent_runs_create_each_rereview_once(engine: Engine) -> None:
    # The unique key (document, kind, cycle) decides: the second run's batch collides, steps back
    # row by row and records nothing (PostgreSQL: its insert waits for the first to commit).
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: there is no concurrent insert to collide with")
    with Session(engine, expire_on_commit=False) as setup:
        documents = [filed(setup) for _ in range(3)]
    at = _at(2026, 3, 4)
    first, second = Session(engine), Session(engine)
    try:
        assert len(create_due_rereviews(first, at=at)) == 3  # not committed yet
        results: list[int] = []
        racer = threading.Thread(
            target=lambda: results.append(len(create_due_rereviews(second, at=at)))
        )
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive()  # waiting on the first run's uncommitted rows
        first.commit()
        racer.join(timeout=30)
        second.commit()
        assert results == [0]
    finally:
        first.close()
        second.close()
    with Session(engine) as check:
        for document in documents:
            assert len(rereviews_of(check, document)) == 1


def test_a_converted_version_is_due_20_working_days_after_the_conversion_not_its_成文日期(
    session: Session,
) -> None:
    """条例 art. 26 "自形成或者变更之日起20个工作日内": the sign-off stores the ceiling from the
    conversion date; counted from the 2025 成文日期 it would be overdue before it was signed."""
    document = filed(session)
    run(session, _at(2026, 3, 4))
    [task] = rereviews_of(session, document)
    outcome = decide_rereview(
        session,
        rereview_id=id_of(task),
        decision="convert",
        to_attribute=Attribute.PROACTIVE,
        reason_codes=[],
        explanation="决策已完成，可以公开（条例第十八条）",
        actor=office(session, document),
        channel="api",
        at=_at(2026, 3, 5, 10),
    )
    session.commit()
    assert outcome.review is not None
    version_id = outcome.review.version_id
    recheck_marking(
        session=session, document_id=id_of(document), version_id=version_id, at=_at(2026, 3, 5, 11)
    )
    for step, role, at in (
        (Step.SECRECY_REVIEW, Role.SECRECY_REVIEWER, _at(2026, 3, 6, 9)),
        (Step.SIGN_OFF, Role.SIGNER, _at(2026, 3, 6, 10)),
    ):
        person = office(session, document, role=role)
        record_decision(
            session=session,
            document_id=id_of(document),
            version_id=version_id,
            step=step,
            decision="approve",
            actor=person,
            actor_name=person.name,
            role=role,
            channel="api",
            at=at,
        )
        session.commit()
    ceiling = session.exec(
        select(Deadline).where(
            col(Deadline.document_id) == document.id, col(Deadline.kind) == "publication_ceiling"
        )
    ).one()
    # Thu 2026-03-05 + 20 working days (no holiday in March 2026) = the end of Thu 2026-04-02.
    assert ceiling.due_at == _at(2026, 4, 3)
    assert ceiling.version_id == version_id


def test_an_open_rereview_is_overdue_20_working_days_after_it_fell_due(session: Session) -> None:
    """Domain §10 rules 10, 16: listed as overdue once undecided past the profile's allowance
    (local default 20 WD); the count over all open tasks agrees with each task's flag, and a
    decided task is never overdue. Tasks fall due on consecutive days around the 2026 National
    Day rest (10-01..10-07) and the 调休 Saturday 10-10."""
    documents = [filed(session) for _ in range(12)]
    for n, document in enumerate(documents):
        session.add(
            Rereview(
                document_id=id_of(document),
                version_id=document.current_version_id or 0,
                kind="periodic",
                cycle=f"2026-09-{25 + n}" if n < 6 else f"2026-10-0{n - 5}",
                basis="条例 art. 18",
                due_at=_at(2026, 9, 25) + (_at(2026, 9, 26) - _at(2026, 9, 25)) * n,
                created_at=_at(2026, 9, 25),
                status="kept" if n == 0 else "open",
            )
        )
    session.commit()
    for as_of in (
        _at(2026, 10, 22, 12),
        _at(2026, 10, 27, 9),
        _at(2026, 11, 3, 23),
        _at(2027, 1, 1),
    ):
        tasks = list_rereviews(session, as_of=as_of, status=None, limit=50)
        flagged = [t for t in tasks if t.overdue]
        assert count_overdue_rereviews(session, as_of=as_of) == len(flagged)
        for task in tasks:
            assert task.overdue == (task.rereview.status == "open" and task.decide_by < as_of)
    # The first open task fell due at 00:00 Sat 09-26 (day zero): its 20 WD are 09-28 .. 09-30,
    # 10-08 .. 10-10, 10-12 .. 10-16, 10-19 .. 10-23 and 10-26 .. Thu 10-29.
    [second] = [
        t
        for t in list_rereviews(session, as_of=_at(2026, 10, 27, 9))
        if t.rereview.document_id == documents[1].id
    ]
    assert second.decide_by == _at(2026, 10, 30)
    assert not second.overdue
    assert list_rereviews(session, as_of=_at(2026, 10, 30, 0, 1))[0].overdue
    first_open = list_rereviews(session, as_of=_at(2026, 10, 27, 9))[0]
    assert first_open.rereview.document_id == documents[1].id
    assert count_overdue_rereviews(session, as_of=_at(2026, 10, 22, 12)) == 0
    # Late on Tue 11-03: those due 09-26 .. 09-29 are overdue; due 09-30 or in the rest days,
    # day zero's first working day is 10-08, and 20 WD end with Tue 11-03 itself.
    assert count_overdue_rereviews(session, as_of=_at(2026, 11, 3, 23)) == 4
    assert count_overdue_rereviews(session, as_of=_at(2027, 1, 1)) == 11  # the kept one is not
