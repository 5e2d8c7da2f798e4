"""Engine and unit of work: the one place that commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from models.base import id_of as id_of  # re-exported: the unit of work's rows
from models.base import table_of as table_of  # re-exported: Core beside the ORM
from models.chain import link_written


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs that name no driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (foreign keys, WAL, busy timeout) or PostgreSQL (psycopg 3)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _tune_sqlite)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


WRITES = "gongkai_writes"  # execution option of the engine that write units of work use
SQLITE_BUSY_MS = 60_000
POOL_RECYCLE_SECONDS = 1800


def make_serving_engine(url: str) -> Engine:
    """The engine of a server's many concurrent units of work (the API). On SQLite a writing
    unit of work (execution option WRITES) takes the write lock when it begins (BEGIN
    IMMEDIATE), so that concurrent uploads queue on the busy timeout instead of failing on a
    stale read snapshot; on PostgreSQL a pool of connections, each checked when taken."""
    if make_url(url).get_backend_name() != "sqlite":
        return make_engine(url, pool_size=10, max_overflow=30, pool_recycle=POOL_RECYCLE_SECONDS)
    engine = make_engine(url, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _begin_by_hand)
    sa.event.listen(engine, "begin", _begin)
    return engine


def make_writing_engine(url: str) -> Engine:
    """The engine of a process whose units of work write (a flow run's tasks): on SQLite each
    unit of work takes the write lock when it begins (BEGIN IMMEDIATE, as a WRITES unit of work
    of `make_serving_engine`), so that concurrent flow runs queue on the busy timeout instead of
    failing with "database is locked" on a stale read snapshot; on PostgreSQL the plain engine."""
    if make_url(url).get_backend_name() != "sqlite":
        return make_engine(url)
    return make_serving_engine(url).execution_options(**{WRITES: True})


def _begin_by_hand(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's recipe: BEGIN emitted by _begin
    # Writers queue on the lock; 32 concurrent uploads outwait the default 5 s.
    dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")


def _begin(connection: sa.Connection) -> None:
    writes = connection.get_execution_options().get(WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def insert_skipping_known(session: Session, model: type[SQLModel], *key: str) -> sa.Insert:
    """INSERT … ON CONFLICT (key) DO NOTHING for the model, for the session's database
    (PostgreSQL or SQLite): a row whose unique key is taken already, or taken meanwhile by a
    concurrent writer, is skipped by the database, with no look-up and no savepoint. With
    `.returning(model)` the session returns the rows written as its own objects."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(index_elements=list(key))
    return sqlite.insert(model).on_conflict_do_nothing(index_elements=list(key))


def commit_unit_of_work(session: Session) -> None:
    """Commit a unit of work: first link the audit events and decisions it wrote to the record's
    chain (models/chain.py), then commit. Every unit of work commits through here."""
    link_written(session)
    session.commit()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """The unit of work: commit once at the end (`commit_unit_of_work`), roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            commit_unit_of_work(session)
        except BaseException:
            session.rollback()
            raise
