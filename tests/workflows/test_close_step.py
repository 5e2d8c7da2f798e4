"""Closing a human step when the two doors cross (record → resume → commit), on both databases.

The REST door records its decision, resumes the run and commits; the resumed run's close step
looks for a recorded decision and otherwise records the form's input. When the REST commit lands
between that look-up and the insert, the insert is refused ("already decided"): the step must go
on with the recorded decision, not suspend again for a step that is over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import workflows.human as human
import workflows.runtime as runtime
from config.settings import get_settings
from models.audit import AuditEvent
from models.decisions import Decision
from models.documents import Document
from models.publications import InterpretationMaterial
from models.users import User
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.one_time_codes import code_at
from services.review import record_decision
from tests.codes import KEY, enrol_users, fresh_code
from tests.factories import id_of, make_colleague, make_document, make_stored_file, make_user

AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)


def _waiting_document(engine: Engine) -> tuple[int, int, str, str, str]:
    with Session(engine, expire_on_commit=False) as session:
        drafter = make_user(session)
        rest = make_colleague(session, drafter, Role.SECRECY_REVIEWER, name="审查员-rest")
        ui = make_colleague(session, drafter, Role.SECRECY_REVIEWER, name="审查员-ui")
        document = make_document(
            session, drafter=drafter, status=Status.SECRECY_REVIEW, document_type="notice"
        )
        session.commit()
        return (
            id_of(document),
            document.current_version_id or 0,
            rest.login,
            ui.login,
            drafter.login,
        )


def _rest_decides(engine: Engine, document_id: int, version_id: int, name: str) -> None:
    """The REST door: record (channel api) and commit, in its own transaction."""
    with Session(engine) as session:
        reviewer = session.exec(select(User).where(col(User.login) == name)).one()
        record_decision(
            session=session,
            document_id=document_id,
            version_id=version_id,
            step=Step.SECRECY_REVIEW,
            decision="return",
            actor=reviewer,
            actor_name=reviewer.name,
            role=Role.SECRECY_REVIEWER,
            channel="api",
            at=AT,
            comment="请删除个人信息后重新报送",
        )
        session.commit()


@pytest.fixture
def on_test_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The step's unit of work on the test database (SQLite or PostgreSQL), with the tests'
    one-time-code key."""
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    monkeypatch.setenv("GONGKAI_TOTP_KEY", KEY.decode())
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def test_a_rest_decision_committed_between_look_up_and_insert_is_the_one_the_flow_follows(
    on_test_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = on_test_database
    document_id, version_id, rest_name, ui_name, _ = _waiting_document(engine)
    real_find: Callable[..., Decision | None] = human.find_decision
    calls: list[int] = []

    def find_then_rest_lands(**kwargs: Any) -> Decision | None:
        found = real_find(**kwargs)
        if not calls:  # the REST commit lands right after the flow's first look-up
            _rest_decides(engine, document_id, version_id, rest_name)
        calls.append(1)
        return found

    monkeypatch.setattr(human, "find_decision", find_then_rest_lands)
    outcome = human.close_step(
        document_id,
        version_id,
        Step.SECRECY_REVIEW,
        1,
        {"decision": "approve", "reviewer": ui_name, "reason_codes": [], "comment": ""},
    )

    assert outcome == {"ok": True, "status": "returned", "recorded_via": "api"}
    with Session(engine) as session:
        decisions = session.exec(
            select(Decision.kind, Decision.channel).where(col(Decision.document_id) == document_id)
        ).all()
    assert decisions == [("return", "api")]  # the UI input is not recorded a second time


def _form(reviewer: str, code: str = "", decision: str = "approve") -> dict[str, Any]:
    return {"decision": decision, "reviewer": reviewer, "code": code, "reason_codes": []}


def _decisions(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.exec(select(Decision.kind, Decision.channel))]  # type: ignore[misc]


def _refusals(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent.reason).where(col(AuditEvent.action) == human.DECISION_REFUSED)
            )
        )


def test_the_drafters_own_valid_code_is_refused_issue_21(on_test_database: Engine) -> None:
    engine = on_test_database
    document_id, version_id, _, _, drafter = _waiting_document(engine)
    enrol_users(engine, drafter)
    outcome = human.close_step(
        document_id, version_id, Step.SECRECY_REVIEW, 1, _form(drafter, fresh_code(engine, drafter))
    )
    assert outcome["ok"] is False
    assert "role" in outcome["problem"]
    assert _decisions(engine) == []
    assert _refusals(engine) == [outcome["problem"]]


def test_a_name_without_its_code_is_refused_audited_and_records_nothing_issue_21(
    on_test_database: Engine,
) -> None:
    # Issue 21: a typed reviewer name alone decided the step.
    engine = on_test_database
    document_id, version_id, _, ui, _ = _waiting_document(engine)
    enrol_users(engine, ui)
    for code in ("", "123456"):
        outcome = human.close_step(document_id, version_id, Step.SECRECY_REVIEW, 1, _form(ui, code))
        assert outcome["ok"] is False
    assert _decisions(engine) == []
    assert len(_refusals(engine)) == 2
    assert "no one-time code" in (_refusals(engine)[0] or "")


def test_the_reviewers_valid_code_decides_once_and_its_replay_is_refused_issue_21(
    on_test_database: Engine,
) -> None:
    engine = on_test_database
    first_id, first_version, _, ui, _ = _waiting_document(engine)
    enrol_users(engine, ui)
    code = fresh_code(engine, ui)
    outcome = human.close_step(first_id, first_version, Step.SECRECY_REVIEW, 1, _form(ui, code))
    assert outcome == {"ok": True, "status": "awaiting_signoff"}
    assert _decisions(engine) == [("approve", "ui")]

    with Session(engine, expire_on_commit=False) as session:  # another document, same reviewer
        reviewer = session.exec(select(User).where(col(User.login) == ui)).one()
        drafter = make_colleague(session, reviewer, Role.DRAFTER)
        second = make_document(session, drafter=drafter, status=Status.SECRECY_REVIEW)
        session.commit()
    replay = human.close_step(
        id_of(second), second.current_version_id or 0, Step.SECRECY_REVIEW, 1, _form(ui, code)
    )
    assert replay["ok"] is False
    assert "used already" in replay["problem"]
    assert _decisions(engine) == [("approve", "ui")]


def test_a_reviewer_of_another_organ_is_refused_in_the_form_too_issue_21(
    on_test_database: Engine,
) -> None:
    engine = on_test_database
    document_id, version_id, _, _, _ = _waiting_document(engine)
    with Session(engine) as session:
        outsider = make_user(session, role=Role.SECRECY_REVIEWER).login
        session.commit()
    enrol_users(engine, outsider)
    outcome = human.close_step(
        document_id,
        version_id,
        Step.SECRECY_REVIEW,
        1,
        _form(outsider, fresh_code(engine, outsider)),
    )
    assert outcome["ok"] is False
    assert "not assigned to the organ" in outcome["problem"]
    assert _decisions(engine) == []


def test_a_code_counts_at_the_instant_the_form_was_presented_not_when_the_run_resumes(
    on_test_database: Engine,
) -> None:
    # A busy or restarted worker may resume the run minutes after the reviewer answered: the
    # code is checked at the server's stamp on the answer, which the flow sets (never the form).
    engine = on_test_database
    document_id, version_id, _, ui, _ = _waiting_document(engine)
    enrol_users(engine, ui)
    presented = datetime.now(UTC) - timedelta(minutes=10)
    with Session(engine) as session:
        user = session.exec(select(User).where(col(User.login) == ui)).one()
        code = code_at(session=session, user=user, key=KEY, at=presented)

    late = human.close_step(document_id, version_id, Step.SECRECY_REVIEW, 1, _form(ui, code))
    assert late["ok"] is False  # checked now, the ten-minute-old code is stale
    assert _decisions(engine) == []

    form = {**_form(ui, code), human.PRESENTED_AT: presented.isoformat()}
    outcome = human.close_step(document_id, version_id, Step.SECRECY_REVIEW, 1, form)
    assert outcome == {"ok": True, "status": "awaiting_signoff"}
    assert _decisions(engine) == [("approve", "ui")]


def test_a_drafter_of_another_organ_may_not_confirm_the_interpretation_in_the_form(
    on_test_database: Engine,
) -> None:
    """保密法实施条例 2024 art. 42 and seed 002 §二(十三): a drafter answers the interpretation
    step of their own organ's documents only; on REST such a document is not even visible."""
    engine = on_test_database
    with Session(engine, expire_on_commit=False) as session:
        document = make_document(session, status=Status.AWAITING_INTERPRETATION)
        session.add(
            InterpretationMaterial(
                document_id=id_of(document),
                file_id=id_of(make_stored_file(session)),
                kind="interpretation_material",
                file_name="解读.pdf",
                received_at=AT,
            )
        )
        outsider = make_user(session, role=Role.DRAFTER).login
        session.commit()
    enrol_users(engine, outsider)
    outcome = human.close_step(
        id_of(document),
        document.current_version_id or 0,
        Step.INTERPRETATION,
        1,
        _form(outsider, fresh_code(engine, outsider)),
    )
    assert outcome["ok"] is False
    assert "not assigned to the organ" in outcome["problem"]
    assert _decisions(engine) == []
    with Session(engine) as session:
        assert session.get_one(Document, id_of(document)).status is Status.AWAITING_INTERPRETATION


def test_a_valid_code_sent_with_a_refused_answer_is_spent_and_cannot_decide_elsewhere(
    on_test_database: Engine,
) -> None:
    """Each code counts once (issue 21): the Prefect server keeps every answer, readable by all
    who hold its credential, so the code of an answer refused for another reason (here a 退文
    without reasons) must not decide another document afterwards."""
    engine = on_test_database
    first_id, first_version, _, ui, _ = _waiting_document(engine)
    enrol_users(engine, ui)
    code = fresh_code(engine, ui)
    refused = human.close_step(
        first_id, first_version, Step.SECRECY_REVIEW, 1, _form(ui, code, decision="return")
    )
    assert refused["ok"] is False
    assert "needs reasons" in refused["problem"]
    with Session(engine, expire_on_commit=False) as session:  # another document, same reviewer
        reviewer = session.exec(select(User).where(col(User.login) == ui)).one()
        second = make_document(
            session,
            drafter=make_colleague(session, reviewer, Role.DRAFTER),
            status=Status.SECRECY_REVIEW,
        )
        session.commit()
    stolen = human.close_step(
        id_of(second), second.current_version_id or 0, Step.SECRECY_REVIEW, 1, _form(ui, code)
    )
    assert stolen["ok"] is False
    assert "used already" in stolen["problem"]
    assert _decisions(engine) == []
