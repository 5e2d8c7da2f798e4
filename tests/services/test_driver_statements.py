"""Statements run on SQLite's own cursor (models/driver.py) store exactly what SQLAlchemy's
execution stores, return the new id, raise SQLAlchemy's errors, refuse a statement whose
left-out columns need SQLAlchemy's defaults, and are left to SQLAlchemy on PostgreSQL; a query
run on the driver's cursor (on both databases) reads a row as SQLAlchemy reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.audit import AuditEvent
from models.db import table_of
from models.driver import execute_many, execute_one, fetch_one
from policies.roles import Role

AT = datetime(2025, 3, 3, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
AUDIT = table_of(AuditEvent)


def _event(action: str, **values: Any) -> dict[str, Any]:
    return {
        "occurred_at": AT,
        "actor": "起草人",
        "role": Role.SECRECY_REVIEWER,
        "channel": "api",
        "action": action,
        "document_id": None,
        "version_id": None,
        "before": None,
        "after": {"属性": "此件公开发布", "codes": [1, "二"]},
        "reason": None,
        **values,
    }


def _stored(session: Session, ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows as the database holds them (the driver's own values, not converted back)."""
    columns = ", ".join(column.name for column in AUDIT.c if column.key != "id")
    sql = f"SELECT {columns} FROM audit_events WHERE id = %s"
    marker = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    cursor = session.connection().connection.cursor()
    try:
        rows = []
        for row_id in ids:
            cursor.execute(sql.replace("%s", marker), (row_id,))
            rows.append(tuple(cursor.fetchone()))
        return rows
    finally:
        cursor.close()


def test_an_insert_stores_what_sqlalchemy_stores_and_returns_the_new_id(session: Session) -> None:
    statement = sa.insert(AUDIT).returning(AUDIT.c.id)
    connection = session.connection()
    by_driver = execute_one(connection, statement, _event("driver"))
    by_sqlalchemy = connection.execute(statement, _event("sqlalchemy")).scalar_one()
    assert isinstance(by_driver, int)
    assert by_sqlalchemy == by_driver + 1
    driver_row, sqlalchemy_row = _stored(session, [by_driver, by_sqlalchemy])
    action = [column.key for column in AUDIT.c if column.key != "id"].index("action")
    assert driver_row[:action] + driver_row[action + 1 :] == (
        sqlalchemy_row[:action] + sqlalchemy_row[action + 1 :]
    )
    read = session.get(AuditEvent, by_driver)
    assert read is not None
    assert read.occurred_at == AT.astimezone(UTC)
    assert read.role is Role.SECRECY_REVIEWER
    assert read.after == {"属性": "此件公开发布", "codes": [1, "二"]}


def _notes(session: Session) -> sa.Table:
    """A scratch table of this test's transaction (audit_events refuses updates)."""
    table = sa.Table(
        "driver_notes",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
    )
    table.create(session.connection())
    return table


def test_many_rows_and_an_update(session: Session) -> None:
    notes = _notes(session)
    connection = session.connection()
    execute_many(connection, sa.insert(notes), [{"action": "first"}, {"action": "second"}])
    touched = execute_one(
        connection,
        sa.update(notes).where(notes.c.action == sa.bindparam("old")).values(reason="改"),
        {"old": "second"},
    )
    assert touched is None  # no RETURNING: nothing to return
    found = connection.execute(sa.select(notes.c.action, notes.c.reason).order_by(notes.c.id))
    assert found.all() == [("first", None), ("second", "改")]


def test_a_constraint_violation_is_sqlalchemys_integrity_error(session: Session) -> None:
    connection = session.connection()
    with pytest.raises(sa.exc.IntegrityError, match="audit_events"):
        execute_one(connection, sa.insert(AUDIT), _event("orphan", document_id=999_999))


def test_a_missing_value_is_named(session: Session) -> None:
    _notes(session)
    statement = sa.text("UPDATE driver_notes SET reason = :reason WHERE id = :id").bindparams(
        sa.bindparam("reason", type_=sa.Text), sa.bindparam("id", type_=sa.Integer)
    )
    with pytest.raises(sa.exc.StatementError, match="bind parameter 'id'"):
        execute_one(session.connection(), statement, {"reason": "改"})


def test_a_column_left_to_its_default_is_refused_on_sqlite(session: Session) -> None:
    table = sa.Table(
        "driver_defaults",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("kind", sa.Text, default="通知"),
    )
    table.create(session.connection())
    if session.get_bind().dialect.name != "sqlite":  # SQLAlchemy's execution applies the default
        execute_one(session.connection(), sa.insert(table), {"name": "a"})
        assert session.connection().execute(sa.select(table.c.kind)).scalar_one() == "通知"
        return
    with pytest.raises(ValueError, match="kind"):
        execute_one(session.connection(), sa.insert(table), {"name": "a"})


def test_engine_events_see_the_statements_only_where_sqlalchemy_runs_them(
    session: Session,
) -> None:
    seen: list[str] = []

    def record(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    connection = session.connection()
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        execute_one(connection, sa.insert(AUDIT), _event("watched"))
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    if session.get_bind().dialect.name == "sqlite":
        assert seen == []
    else:
        [statement] = seen
        assert statement.startswith("INSERT INTO audit_events")


def test_a_query_on_the_driver_reads_a_row_as_sqlalchemy_reads_it(session: Session) -> None:
    connection = session.connection()
    new_id = connection.execute(
        sa.insert(AUDIT).returning(AUDIT.c.id), _event("read back")
    ).scalar_one()
    query = sa.select(AUDIT).where(AUDIT.c.id == sa.bindparam("id"))
    by_driver = fetch_one(connection, query, {"id": new_id})
    assert by_driver == tuple(connection.execute(query, {"id": new_id}).one())
    assert by_driver is not None
    assert by_driver[1] == AT  # occurred_at, converted back to an aware datetime
    assert fetch_one(connection, query, {"id": new_id + 1}) is None
