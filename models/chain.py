"""The record's hash chain: every audit event and decision is one link of ONE chain.

Each link stores the entry's canonical content and SHA-256(previous link's hash + content), so an
entry edited, deleted or inserted behind the database's triggers no longer matches its link, and
a link rewritten no longer matches its successor (domain §10 rule 21; issue 21).

The unit of work links what it wrote just before it commits (`link_written`, called by
models.db.commit_unit_of_work, the one commit of session_scope and of the API's write session),
so the lock is taken last, after every row lock of the transaction, and two writers never wait
on each other in opposite orders. Which entries it wrote is noted as they are inserted: by
mapper-level `after_insert` listeners of the two chained models (they run for those rows only,
never for a session as such), and by the writer of Core INSERTs through `note_written`. The
rows are read back as stored; on PostgreSQL a transaction-level advisory lock serialises the
appends, so concurrent writers never fork the chain (SQLite serialises writers anyway). An
entry of a savepoint rolled back alone is no longer there to read and gets no link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, object_session
from sqlmodel import Field, SQLModel

from models.audit import AuditEvent
from models.base import id_of, json_value, table_of, utc_column
from models.decisions import Decision

GENESIS = "0" * 64  # the "previous hash" of the first link
CHAINED_TABLES = ("audit_events", "decisions")
_WRITTEN = "chain_written"  # session.info key: [(table, id)] inserted and not yet linked
_LOCK_KEY = 0x676F6E676B6169  # pg_advisory_xact_lock key of the chain's appends ("gongkai")
_HEAD_SEQ, _HEAD_HASH = "chain_head_seq", "chain_head_hash"  # the head, read beside the entries


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


# Built once: statements a commit runs, not composed again for each one.
_INSERT_LINKS = sa.insert(table_of(ChainLink))
_LOCK = sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY))


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
    contents, _ = _read_entries(connection, entry_table, ids, with_head=False)
    return contents


def _last_link() -> sa.Select[Any]:
    link = table_of(ChainLink)
    return sa.select(link.c.seq, link.c.entry_hash).order_by(link.c.seq.desc()).limit(1)


def _head_of(seq: Any, entry_hash: Any) -> tuple[int, str]:
    return (0, GENESIS) if seq is None else (int(seq), str(entry_hash))


def chain_head(connection: Connection) -> tuple[int, str]:
    """(count, hash) of the chain's last link; (0, GENESIS) while it is empty."""
    row = connection.execute(_last_link()).first()
    return _head_of(None, None) if row is None else _head_of(row[0], row[1])


def _read_entries(
    connection: Connection, entry_table: str, ids: Iterable[int], *, with_head: bool
) -> tuple[dict[int, str], tuple[int, str] | None]:
    """The canonical content of these rows as stored now, and — `with_head`, when any row is
    found — the chain's head read in the same statement (one round trip fewer per commit)."""
    table = chained_table(entry_table)
    contents: dict[int, str] = {}
    found: tuple[int, str] | None = None
    rows = connection.execute(_entries_query(entry_table, with_head), {"ids": list(ids)})
    for row in rows.mappings():
        contents[row["id"]] = canonical_content({c.name: row[c.name] for c in table.c})
        if with_head:
            found = _head_of(row[_HEAD_SEQ], row[_HEAD_HASH])
    return contents, found


@cache
def _entries_query(entry_table: str, with_head: bool) -> sa.Select[Any]:
    """SELECT the rows with these ids (`ids`, expanding), and the head beside them when asked:
    built once per table, so that a commit does not compose it again."""
    table = chained_table(entry_table)
    head = _last_link().subquery()
    extra = [
        sa.select(head.c.seq).scalar_subquery().label(_HEAD_SEQ),
        sa.select(head.c.entry_hash).scalar_subquery().label(_HEAD_HASH),
    ]
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    return sa.select(table, *(extra if with_head else [])).where(table.c.id.in_(ids))


def append_links(
    connection: Connection, entries: Iterable[tuple[str, int]], *, at: datetime
) -> tuple[int, str]:
    """Link these (table, id) entries after the chain's head, in the order given; the new head.
    The caller's transaction must hold the chain lock (`lock_chain`)."""
    entries = list(entries)
    head: tuple[int, str] | None = None
    contents: dict[tuple[str, int], str] = {}
    for name in CHAINED_TABLES:
        ids = [entry_id for table, entry_id in entries if table == name]
        if ids:
            read, found = _read_entries(connection, name, ids, with_head=head is None)
            head = head or found
            contents.update(((name, key), text) for key, text in read.items())
    seq, prev = head or chain_head(connection)
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
        connection.execute(_INSERT_LINKS, links)
    return seq, prev


def lock_chain(connection: Connection) -> None:
    """Serialise appends until this transaction ends (PostgreSQL; SQLite has one writer)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK)


def note_written(session: Session, entry_table: str, ids: Iterable[int]) -> None:
    """Note rows of a chained table inserted in this unit of work, to be linked at its commit
    (the writer of Core INSERTs calls it; ORM inserts are noted by the mappers' listener)."""
    session.info.setdefault(_WRITTEN, []).extend((entry_table, entry_id) for entry_id in ids)


def link_written(session: Session) -> None:
    """Link the entries this unit of work wrote, in the order written, after the chain's head;
    the unit-of-work helpers call it just before they commit."""
    session.flush()  # rows added since the last flush get their ids (and are noted)
    written = session.info.pop(_WRITTEN, None)
    if not written:
        return
    connection = session.connection()
    lock_chain(connection)
    append_links(connection, dict.fromkeys(written), at=datetime.now(UTC))


def _note_inserted(_mapper: Mapper[Any], _connection: Connection, row: SQLModel) -> None:
    # after_insert, once per row of the two chained models: the row has its id.
    session = object_session(row)
    assert session is not None, f"{row!r} was inserted outside a session"
    note_written(session, str(row.__tablename__), [id_of(row)])


for _model in (AuditEvent, Decision):
    sa.event.listen(_model, "after_insert", _note_inserted)
