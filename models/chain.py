"""The record's hash chain: every audit event and decision is one link of ONE chain.

Each link stores the entry's canonical content and SHA-256(previous link's hash + content), so an
entry edited, deleted or inserted behind the database's triggers no longer matches its link, and
a link rewritten no longer matches its successor (domain §10 rule 21; issue 21). Links are
appended just before the unit of work commits: the rows of the transaction are read back as
stored, and on PostgreSQL a transaction-level advisory lock serialises the appends, so
concurrent writers never fork the chain (SQLite serialises writers anyway).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, UOWTransaction
from sqlmodel import Field, SQLModel

from models.audit import AuditEvent
from models.base import json_value, utc_column
from models.db import table_of
from models.decisions import Decision

GENESIS = "0" * 64  # the "previous hash" of the first link
CHAINED_TABLES = ("audit_events", "decisions")
_LOCK_KEY = 0x676F6E676B6169  # pg_advisory_xact_lock key of the chain's appends ("gongkai")
_PENDING = "chain_pending"  # session.info key: {table: [ids]} written and not yet linked


class ChainLink(SQLModel, table=True):
    """One link: which entry, its canonical content, the previous hash and its own."""

    __tablename__ = "audit_chain"
    __table_args__ = (
        sa.UniqueConstraint("entry_table", "entry_id"),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
        sa.CheckConstraint(
            "entry_table IN ('audit_events', 'decisions')", name="entry_table_known"
        ),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    entry_table: str = Field(max_length=32)
    entry_id: int
    content: str = Field(sa_type=sa.Text)  # canonical JSON of the entry's row as stored
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)
    linked_at: datetime = Field(sa_column=utc_column())


def canonical_content(row: Mapping[Any, Any]) -> str:
    """The row as canonical JSON: sorted keys, no spaces, UTF-8 text, instants in ISO 8601."""
    return json.dumps(
        {key: json_value(value) for key, value in row.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def link_hash(prev_hash: str, entry_table: str, content: str) -> str:
    """SHA-256 of the previous hash, the entry's table and its canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{entry_table}\n{content}".encode()).hexdigest()


def chained_table(name: str) -> sa.Table:
    """The table of a chained entry kind."""
    return table_of({"audit_events": AuditEvent, "decisions": Decision}[name])


def read_entries(connection: Connection, entry_table: str, ids: Iterable[int]) -> dict[int, str]:
    """The canonical content of these rows as stored now (missing ids are absent)."""
    table = chained_table(entry_table)
    rows = connection.execute(sa.select(table).where(table.c.id.in_(list(ids)))).mappings()
    return {row["id"]: canonical_content(row) for row in rows}


def chain_head(connection: Connection) -> tuple[int, str]:
    """(count, hash) of the chain's last link; (0, GENESIS) while it is empty."""
    link = table_of(ChainLink)
    row = connection.execute(
        sa.select(link.c.seq, link.c.entry_hash).order_by(link.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append_links(
    connection: Connection, entries: Iterable[tuple[str, int]], *, at: datetime
) -> tuple[int, str]:
    """Link these (table, id) entries after the chain's head, in the order given; the new head.
    The caller's transaction must hold the chain lock (`lock_chain`)."""
    entries = list(entries)
    seq, prev = chain_head(connection)
    contents: dict[tuple[str, int], str] = {}
    for name in CHAINED_TABLES:
        ids = [entry_id for table, entry_id in entries if table == name]
        if ids:
            contents.update(
                ((name, key), text) for key, text in read_entries(connection, name, ids).items()
            )
    links = []
    for entry_table, entry_id in entries:
        content = contents.get((entry_table, entry_id))
        if content is None:  # written in a savepoint since rolled back: nothing to link
            continue
        seq += 1
        digest = link_hash(prev, entry_table, content)
        links.append(
            {
                "seq": seq,
                "entry_table": entry_table,
                "entry_id": entry_id,
                "content": content,
                "prev_hash": prev,
                "entry_hash": digest,
                "linked_at": at,
            }
        )
        prev = digest
    if links:
        connection.execute(sa.insert(table_of(ChainLink)), links)
    return seq, prev


def lock_chain(connection: Connection) -> None:
    """Serialise appends until this transaction ends (PostgreSQL; SQLite has one writer)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))


def note_written(session: OrmSession, entry_table: str, ids: Iterable[int]) -> None:
    """Mark rows written with Core INSERTs (not seen by the ORM) to be linked at commit."""
    session.info.setdefault(_PENDING, []).extend((entry_table, i) for i in ids)


def _collect_flushed(session: OrmSession, _flush: UOWTransaction) -> None:
    # after_flush: the new rows have their ids; link them, in the order written, at commit.
    for row in session.new:
        if isinstance(row, AuditEvent | Decision) and row.id is not None:
            note_written(session, row.__tablename__, [row.id])


def _link_pending(session: OrmSession) -> None:
    session.flush()  # rows added since the last flush get their ids (and are collected)
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    lock_chain(connection)
    append_links(connection, dict.fromkeys(pending), at=datetime.now(UTC))


def _forget_pending(session: OrmSession, previous: SessionTransaction) -> None:
    # The whole transaction rolled back: nothing of it is left to link. (Rows of a savepoint
    # rolled back alone are skipped by append_links: they are no longer there to read.)
    if not previous.nested:
        session.info.pop(_PENDING, None)


sa.event.listen(OrmSession, "after_flush", _collect_flushed)
sa.event.listen(OrmSession, "before_commit", _link_pending)
sa.event.listen(OrmSession, "after_soft_rollback", _forget_pending)
