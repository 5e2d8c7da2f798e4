"""Issue 21: audit events and decisions form one hash chain; an entry edited, deleted or inserted
behind the triggers (dropped first, as an attacker with database access would) is named by
`gongkai verify-audit` and the verification; concurrent writers leave one valid chain."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.db import session_scope
from models.decisions import Decision
from policies.roles import Role
from services.audit import record_event
from services.audit_chain import verify_chain
from services.documents import get_document
from tests.factories import make_document, make_user
from tests.services.chain_support import verify_cli

AT = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)


def test_entries_recorded_by_the_services_form_one_valid_chain(
    engine: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with engine.connect() as connection:
        report = verify_chain(connection=connection)
    assert report.valid
    assert report.count >= 4
    done = verify_cli(engine, tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{report.count} entries, head {report.head_hash}" in done.stdout


def test_an_audit_event_edited_behind_the_triggers_is_named(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with attacker.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET actor = 'forger' WHERE id = :id"),
            {"id": recorded["event"]},
        )
    with attacker.connect() as connection:
        report = verify_chain(connection=connection)
    assert not report.valid
    assert report.first_break is not None
    assert (report.first_break.entry_table, report.first_break.entry_id) == (
        "audit_events",
        recorded["event"],
    )
    assert "actor: 'system' → 'forger'" in report.first_break.problem
    done = verify_cli(attacker, tmp_path)
    assert done.returncode == 1
    assert f"audit_events id {recorded['event']}" in done.stderr
    assert "forger" in done.stderr


def test_a_decision_edited_behind_the_triggers_is_named(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with attacker.begin() as connection:
        connection.execute(
            sa.text("UPDATE decisions SET kind = 'return' WHERE id = :id"),
            {"id": recorded["decision"]},
        )
    done = verify_cli(attacker, tmp_path)
    assert done.returncode == 1
    assert f"decisions id {recorded['decision']}" in done.stderr
    assert "kind: 'approve' → 'return'" in done.stderr


def test_a_deleted_audit_event_is_named(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with attacker.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": recorded["event"]}
        )
    done = verify_cli(attacker, tmp_path)
    assert done.returncode == 1
    assert f"audit_events id {recorded['event']}" in done.stderr
    assert "deleted" in done.stderr


def test_an_audit_event_inserted_behind_the_chain_is_named(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with attacker.begin() as connection:
        forged = connection.execute(
            sa.text(
                "INSERT INTO audit_events (occurred_at, actor, role, channel, action) "
                "VALUES (:at, 'li', 'secrecy_reviewer', 'ui', 'decision.recorded') RETURNING id"
            ),
            {"at": AT.replace(tzinfo=None) if attacker.dialect.name == "sqlite" else AT},
        ).scalar_one()
    done = verify_cli(attacker, tmp_path)
    assert done.returncode == 1
    assert f"audit_events id {forged} (no link)" in done.stderr


def test_a_rewritten_link_is_named(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with attacker.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE audit_chain SET content = replace(content, 'test.step1', 'x') "
                "WHERE entry_table = 'audit_events' AND entry_id = :id"
            ),
            {"id": recorded["event"]},
        )
    done = verify_cli(attacker, tmp_path)
    assert done.returncode == 1
    assert "link was rewritten" in done.stderr


def _run_together(threads: list[threading.Thread]) -> None:
    """Start the writers, then wait for each (two minutes at most)."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_eight_concurrent_writers_leave_one_valid_chain(engine: Engine) -> None:
    with session_scope(engine) as session:
        document_id = make_document(session).id
    with engine.connect() as connection:
        before = verify_chain(connection=connection).count
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait(timeout=30)
            for n in range(5):
                with session_scope(engine) as session:
                    for k in range(2):
                        record_event(
                            session=session,
                            action="test.concurrent",
                            document_id=document_id,
                            after={"writer": writer, "n": n, "k": k},
                            at=AT,
                        )
        except BaseException as error:  # reported below, with the thread's name
            failures.append(error)

    _run_together([threading.Thread(target=write, args=(i,)) for i in range(8)])
    assert not failures
    with engine.connect() as connection:
        report = verify_chain(connection=connection)
        links = connection.execute(sa.text("SELECT count(*) FROM audit_chain")).scalar_one()
    assert report.valid, report.first_break
    assert report.count == links == before + 8 * 5 * 2


def test_a_writer_that_locks_rows_after_writing_entries_never_deadlocks(engine: Engine) -> None:
    """The chain is locked at the commit, after every row lock: writer A records an event on one
    document and then locks a second that writer B holds while B records its own event. Were the
    chain locked at the first entry, A would hold it while waiting for B's row and B would wait
    for it at its commit: PostgreSQL would abort one of them as a deadlock."""
    with session_scope(engine) as session:
        first, second = make_document(session).id, make_document(session).id
    with engine.connect() as connection:
        before = verify_chain(connection=connection).count
    a_wrote, b_locked = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def writer_a() -> None:
        try:
            with session_scope(engine) as session:
                get_document(session=session, document_id=first, for_update=True)
                record_event(session=session, action="test.a", document_id=first, at=AT)
                session.flush()  # the entry is in the table before B starts
                a_wrote.set()
                assert b_locked.wait(timeout=30)
                get_document(session=session, document_id=second, for_update=True)
        except BaseException as error:  # reported below
            failures.append(error)

    def writer_b() -> None:
        try:
            assert a_wrote.wait(timeout=30)
            with session_scope(engine) as session:
                get_document(session=session, document_id=second, for_update=True)
                b_locked.set()
                time.sleep(0.3)  # A is now waiting for this row
                record_event(session=session, action="test.b", document_id=second, at=AT)
        except BaseException as error:  # reported below
            b_locked.set()
            failures.append(error)

    _run_together([threading.Thread(target=writer_a), threading.Thread(target=writer_b)])
    assert not failures
    with engine.connect() as connection:
        report = verify_chain(connection=connection)
    assert report.valid, report.first_break
    assert report.count == before + 2


def test_linking_reads_the_chain_head_in_the_statement_that_reads_the_entries(
    engine: Engine, recorded: dict[str, int]
) -> None:
    """Issue 22 (upload guard): a commit links what it wrote with one read of the entries and
    the head together, then one insert (after the lock, on PostgreSQL); the chain stays valid."""
    with engine.connect() as connection:
        before = verify_chain(connection=connection).count
    statements: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        with session_scope(engine) as session:
            record_event(session=session, action="test.linked", after={"文": "链"}, at=AT)
            session.flush()
            statements.clear()  # what follows is the commit's linking
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    reads = [s for s in statements if s.startswith("SELECT") and "advisory" not in s]
    assert len(reads) == 1, statements
    assert "FROM audit_events" in reads[0]
    assert "FROM audit_chain" in reads[0]
    assert len([s for s in statements if s.startswith("INSERT INTO audit_chain")]) == 1
    assert len(statements) == (3 if engine.dialect.name == "postgresql" else 2), statements
    with engine.connect() as connection:
        report = verify_chain(connection=connection)
    assert report.valid
    assert report.count == before + 1


def test_a_unit_of_work_whose_first_entries_are_gone_links_the_rest_after_the_head(
    engine: Engine, recorded: dict[str, int]
) -> None:
    """The head comes with the first kind of entry still there: an event written in a savepoint
    rolled back leaves the decision beside it linked after the head."""
    with engine.connect() as connection:
        before = verify_chain(connection=connection).count
    with session_scope(engine) as session:
        earlier = session.get(Decision, recorded["decision"])
        assert earlier is not None
        document = get_document(session=session, document_id=earlier.document_id)
        reviewer = make_user(session, role=Role.SECRECY_REVIEWER)
        nested = session.begin_nested()
        record_event(session=session, action="test.rolled_back", at=AT)
        session.flush()
        nested.rollback()
        session.add(
            Decision(
                document_id=document.id,
                version_id=document.current_version_id,
                step="secrecy_review",
                attempt=2,  # the fixture's decision is the step's first
                kind="approve",
                decided_by=reviewer.id,
                role=Role.SECRECY_REVIEWER,
                channel="api",
                decided_at=AT,
            )
        )
    with engine.connect() as connection:
        report = verify_chain(connection=connection)
    assert report.valid, report.first_break
    assert report.count == before + 1
