"""Verify the record's hash chain (models/chain.py): re-compute every link from the entries as
stored now and name the first that does not hold, and what differs (issue 21); then hold the
chain against its heads kept elsewhere.

The chain alone cannot tell a history rebuilt whole — every link recomputed — by someone who
writes to the database as the engine does: only a head (count, hash) kept outside the database
can. The verification compares the heads it is given (the office's register, `gongkai
verify-audit --kept-heads`) and the heads the daily verification recorded in the database itself
(which such a rebuild has to find and rewrite as well): link `count` must still carry `hash`."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from models.alerts import Alert
from models.chain import (
    CHAINED_TABLES,
    GENESIS,
    ChainLink,
    canonical_content,
    chain_head,
    chained_table,
    link_hash,
    read_entries,
)
from models.db import table_of
from policies.calendar import local_date
from services.office.alerts import AlertSpec, raise_alerts

_BATCH = 1000
CHAIN_BROKEN_ALERT = "audit_chain.broken"
CHAIN_HEAD_ALERT = "audit_chain.head"
# A head as kept: the daily alert's line ("… 12 entries, hash 3f…") or "12:3f…".
_HEAD_TEXT = re.compile(r"\b(\d{1,18})(?::| entries, hash )([0-9a-f]{64})\b")
KEPT_HEAD_PATTERN = r"^[0-9]{1,18}:[0-9a-f]{64}$"  # one head given as `count:hash`
# Reading a stored row fails on values no writer of the engine stores (an "infinity" instant, a
# role outside the enum, text that is no JSON): a break to report, not an error of the check.
_UNREADABLE = (LookupError, ValueError, TypeError, OverflowError, sa.exc.DBAPIError)


@dataclass(frozen=True, slots=True)
class KeptHead:
    """A head of the chain (count, hash) as kept at some moment, and where it was kept."""

    count: int
    head_hash: str
    source: str = "the head kept outside the database"


def kept_heads_in(text: str, *, source: str) -> list[KeptHead]:
    """The heads in a register kept by the office, one a line: the daily alert's line as
    delivered, or `count:hash`; blank lines and lines starting with # are skipped. ValueError
    names a line that holds no head."""
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _HEAD_TEXT.search(line)
        if found is None:
            raise ValueError(f"{source} line {number} holds no head (count:hash): {line[:80]!r}")
        heads.append(KeptHead(int(found[1]), found[2], f"{source} line {number}"))
    return heads


def kept_head(text: str) -> KeptHead:
    """One head given as `count:hash` (KEPT_HEAD_PATTERN); ValueError if it is none."""
    if re.fullmatch(KEPT_HEAD_PATTERN, text) is None:
        raise ValueError(f"{text[:80]!r} is no head: give COUNT:HASH (64 hex digits)")
    count, digest = text.split(":")
    return KeptHead(int(count), digest, f"the kept head {count}:{digest[:16]}…")


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry that does not hold: its link (None for an entry with no link), which
    entry (None for a link that is gone), and what differs."""

    seq: int | None
    entry_table: str | None
    entry_id: int | None
    problem: str

    def as_json(self) -> dict[str, Any]:
        """The break in the verification's JSON answer."""
        return {
            "seq": self.seq,
            "entry_table": self.entry_table,
            "entry_id": self.entry_id,
            "problem": self.problem,
        }

    def __str__(self) -> str:
        if self.entry_table is None:
            return f"link {self.seq}: {self.problem}"
        link = f"link {self.seq}" if self.seq is not None else "no link"
        return f"{self.entry_table} id {self.entry_id} ({link}): {self.problem}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The verification's outcome: the head (count, hash) and the first break, if any."""

    count: int
    head_hash: str
    first_break: ChainBreak | None
    heads_checked: int = 0  # kept and recorded heads the chain was held against

    @property
    def valid(self) -> bool:
        """Whether every entry matches its link, every link its predecessor, and the chain
        carries every kept and recorded head."""
        return self.first_break is None

    def as_json(self) -> dict[str, Any]:
        """The verification as the API answers it."""
        return {
            "valid": self.valid,
            "count": self.count,
            "head_hash": self.head_hash,
            "first_break": self.first_break.as_json() if self.first_break else None,
            "heads_checked": self.heads_checked,
        }


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A stored row the engine cannot read back, and why."""

    reason: str


def _text(value: Any) -> str:
    """A value as the chain keeps it: 1, 1.0 and true are three values (Python holds them
    equal)."""
    return canonical_content({"": value})


def _differences(stored: str, now: str) -> str:
    """Which fields of the entry differ between its link and its row."""
    was, is_ = json.loads(stored), json.loads(now)
    fields = sorted(k for k in was.keys() | is_.keys() if _text(was.get(k)) != _text(is_.get(k)))
    shown = "; ".join(f"{k}: {was.get(k)!r} → {is_.get(k)!r}" for k in fields)
    return f"the entry was changed after it was recorded ({shown})"


def _same_content(stored: str, now: str) -> bool:
    """The row holds what its link recorded, value for value and type for type. A column added
    by a later migration is absent from older links; it holds while NULL."""
    if stored == now:
        return True
    was, is_ = json.loads(stored), json.loads(now)
    if any(is_[k] is not None for k in is_.keys() - was.keys()):
        return False
    return canonical_content(was) == canonical_content({k: is_[k] for k in was if k in is_})


def _check_link(
    link: Any, prev_hash: str, expected_seq: int, rows: dict[int, str | _Unreadable]
) -> str | None:
    if link.seq != expected_seq:
        return f"link {expected_seq} is missing: the chain jumps to link {link.seq}"
    if link.prev_hash != prev_hash:
        return (
            "the link does not continue the previous link's hash (a link was removed or rewritten)"
        )
    if link_hash(link.prev_hash, link.entry_table, link.content) != link.entry_hash:
        return "the link's hash does not match its recorded content (the link was rewritten)"
    now = rows.get(link.entry_id)
    if now is None:
        return "the entry was deleted"
    if isinstance(now, _Unreadable):
        return f"the entry as stored cannot be read ({now.reason}): it was changed"
    try:
        same = _same_content(link.content, now)
    except (ValueError, AttributeError):  # content no json.dumps of a row ever wrote
        return "the link's content is no recorded entry (the link was rewritten)"
    return None if same else _differences(link.content, now)


def _stored_entries(
    connection: Connection, entry_table: str, ids: list[int]
) -> dict[int, str | _Unreadable]:
    """The entries' canonical content as stored now; an entry that cannot be read, as such."""
    found: dict[int, str | _Unreadable] = {}
    try:
        found.update(read_entries(connection, entry_table, ids))
        return found
    except _UNREADABLE:
        pass
    for entry_id in ids:  # one at a time, to name the row that cannot be read
        try:
            found.update(read_entries(connection, entry_table, [entry_id]))
        except _UNREADABLE as error:
            found[entry_id] = _Unreadable(f"{type(error).__name__}: {str(error)[:200]}")
    return found


def _unlinked(connection: Connection) -> ChainBreak | None:
    """The first row of a chained table that no link covers (inserted behind the chain)."""
    link = table_of(ChainLink)
    for name in CHAINED_TABLES:
        table = chained_table(name)
        covered = sa.select(link.c.entry_id).where(
            link.c.entry_table == name, link.c.entry_id == table.c.id
        )
        row = connection.execute(
            sa.select(table.c.id).where(~sa.exists(covered)).order_by(table.c.id).limit(1)
        ).first()
        if row is not None:
            return ChainBreak(
                None, name, int(row[0]), "the entry is in no link (inserted behind the chain)"
            )
    return None


def _recorded_heads(connection: Connection) -> list[KeptHead]:
    """The heads the daily verification recorded (its `audit_chain.head` alerts); one whose
    payload is no (count, hash) is kept with count -1, to be reported."""
    alert = table_of(Alert)
    try:
        rows = connection.execute(
            sa.select(alert.c.key, alert.c.payload).where(alert.c.kind == CHAIN_HEAD_ALERT)
        ).all()
    except _UNREADABLE:
        return [KeptHead(-1, "", "a head recorded by the daily verification")]
    heads = []
    for key, payload in rows:
        source = f"the head recorded on {str(key).removeprefix(CHAIN_HEAD_ALERT + ':')}"
        fields = payload if isinstance(payload, dict) else {}
        count, digest = fields.get("count"), fields.get("head_hash")
        if isinstance(count, int) and isinstance(digest, str):
            heads.append(KeptHead(count, digest, source))
        else:
            heads.append(KeptHead(-1, "", source))
    return heads


def _head_break(connection: Connection, count: int, heads: Sequence[KeptHead]) -> ChainBreak | None:
    """The first kept head (by count) the valid chain does not carry: fewer links than it
    counted, or another hash at its link — the record up to it was rebuilt."""
    link = table_of(ChainLink)
    for head in sorted(heads, key=lambda h: h.count):
        if head.count < 0:
            return ChainBreak(None, None, None, f"{head.source} is no (count, hash): it was edited")
        if head.count > count:
            problem = f"the record has {count} links, fewer than the {head.count} of {head.source}"
            return ChainBreak(head.count, None, None, f"{problem} (links were removed)")
        if head.count == 0:
            found = (None, None, GENESIS)
        else:
            found = connection.execute(
                sa.select(link.c.entry_table, link.c.entry_id, link.c.entry_hash).where(
                    link.c.seq == head.count
                )
            ).one()
        if found[2] != head.head_hash:
            return ChainBreak(
                head.count,
                found[0],
                found[1],
                f"link {head.count} does not carry the hash of {head.source} "
                f"({head.head_hash[:16]}…): the record up to it was rewritten",
            )
    return None


def verify_chain(*, connection: Connection, kept: Sequence[KeptHead] = ()) -> ChainReport:
    """Re-compute the chain link by link from the first; then hold it against the heads kept
    (`kept`) and recorded by the daily verification. The first break, or valid."""
    link = table_of(ChainLink)
    count, head = chain_head(connection)
    prev_hash, expected = GENESIS, 1
    while True:
        links = connection.execute(
            sa.select(link).where(link.c.seq >= expected).order_by(link.c.seq).limit(_BATCH)
        ).all()
        if not links:
            break
        rows = {
            name: _stored_entries(
                connection, name, [x.entry_id for x in links if x.entry_table == name]
            )
            for name in CHAINED_TABLES
        }
        for current in links:
            problem = _check_link(current, prev_hash, expected, rows.get(current.entry_table, {}))
            if problem is not None:
                return ChainReport(
                    count,
                    head,
                    ChainBreak(current.seq, current.entry_table, current.entry_id, problem),
                )
            prev_hash, expected = current.entry_hash, current.seq + 1
    heads = [*kept, *_recorded_heads(connection)]
    found = _unlinked(connection) or _head_break(connection, count, heads)
    return ChainReport(count, head, found, len(heads))


def check_chain_daily(*, session: Session, at: datetime) -> ChainReport:
    """The daily verification: raise an alert naming the first break, or, while the chain holds,
    record its head (count, hash) for the office digest, so that a copy of it leaves the
    database with the digest's delivery (once per local day; a rerun raises nothing new)."""
    report = verify_chain(connection=session.connection())
    day = local_date(at).isoformat()
    if report.first_break is not None:
        broken = report.first_break
        spec = AlertSpec(
            key=f"{CHAIN_BROKEN_ALERT}:{broken.seq}:{broken.entry_table}:{broken.entry_id}",
            kind=CHAIN_BROKEN_ALERT,
            threshold="broken",
            message=f"The audit record is broken at {broken} (checked {day}).",
            payload=report.as_json(),
        )
    else:
        spec = AlertSpec(
            key=f"{CHAIN_HEAD_ALERT}:{day}",
            kind=CHAIN_HEAD_ALERT,
            threshold="daily",
            message=(
                f"Audit record head on {day}: {report.count} entries, hash {report.head_hash}. "
                "Keep this line outside the database (README: keeping the audit head)."
            ),
            payload=report.as_json(),
        )
    raise_alerts(session, [spec], at=at)
    return report
