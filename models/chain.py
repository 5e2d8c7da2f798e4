"""The record's hash chain: every audit event and decision is one link of ONE chain.

Each link stores the entry's canonical content and SHA-256(previous link's hash + content), so an
entry edited, deleted or inserted behind the database's triggers no longer matches its link, and
a link rewritten no longer matches its successor (domain §10 rule 21; issue 21).

Each entry is linked in the statement sequence that inserts it, in the writer's own transaction:
the two chained models carry mapper-level `after_insert` listeners (they run for those rows
only, never for a session as such), and rows written with Core INSERTs are linked by their
writer through `link_entries`. The row is read back as stored; on PostgreSQL a transaction-level
advisory lock, held from the first link to the commit, serialises the appends, so concurrent
writers never fork the chain (SQLite serialises writers anyway). A link rolls back with its
entry, savepoint or whole transaction alike, so nothing is left to track until the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from models.audit import AuditEvent
from models.base import json_value, utc_column
from models.db import id_of, table_of
from models.decisions import Decision

GENESIS = "0" * 64  # the "previous hash" of the first link
CHAINED_TABLES = ("audit_events", "decisions")
_LOCK_KEY = 0x676F6E676B6169  # pg_advisory_xact_lock key of the chain's appends ("gongkai")


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
        if content is None:
            raise LookupError(f"{entry_table} {entry_id} is not there to link (not written yet?)")
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


def link_entries(connection: Connection, entry_table: str, ids: Iterable[int]) -> None:
    """Link rows of one chained table just written in this connection's transaction, in the
    order given (the writer of Core INSERTs calls it; ORM inserts are linked by the listener)."""
    entries = [(entry_table, entry_id) for entry_id in ids]
    if entries:
        lock_chain(connection)
        append_links(connection, entries, at=datetime.now(UTC))


def _link_inserted(_mapper: Mapper[Any], connection: Connection, row: SQLModel) -> None:
    # after_insert, once per row, in the flush's order: the row has its id and is in the table.
    link_entries(connection, str(row.__tablename__), [id_of(row)])


for _model in (AuditEvent, Decision):
    sa.event.listen(_model, "after_insert", _link_inserted)
