"""Closing a human step when the two doors cross (record → resume → commit), on both databases.

The REST door records its decision, resumes the run and commits; the resumed run's close step
looks for a recorded decision and otherwise records the form's input. When the REST commit lands
between that look-up and the insert, the insert is refused ("already decided"): the step must go
on with the recorded decision, not suspend again for a step that is over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import workflows.human as human
import workflows.runtime as runtime
from models.decisions import Decision
from models.users import User
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from services.review import record_decision
from tests.factories import id_of, make_colleague, make_document, make_user

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
def on_test_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The step's unit of work on the test database (SQLite or PostgreSQL)."""
    monkeypatch.setattr(runtime, "engine", lambda: engine)
    return engine


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


def test_a_form_refused_for_its_own_sake_still_waits_again(on_test_database: Engine) -> None:
    document_id, version_id, _, _, drafter_name = _waiting_document(on_test_database)
    outcome = human.close_step(
        document_id,
        version_id,
        Step.SECRECY_REVIEW,
        1,
        {"decision": "approve", "reviewer": drafter_name, "reason_codes": [], "comment": ""},
    )
    assert outcome["ok"] is False
    assert "role" in outcome["problem"]
    with Session(on_test_database) as session:
        assert session.exec(select(Decision)).all() == []
