"""Verify the record's hash chain (models/chain.py): re-compute every link from the entries as
stored now and name the first that does not hold, and what differs (issue 21)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from models.chain import (
    CHAINED_TABLES,
    GENESIS,
    ChainLink,
    chain_head,
    chained_table,
    link_hash,
    read_entries,
)
from models.db import table_of
from policies.calendar import local_date
from services.office.alerts import AlertSpec, raise_alerts

_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry that does not hold: its link (None for an entry with no link), which
    entry, and what differs."""

    seq: int | None
    entry_table: str
    entry_id: int
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
        link = f"link {self.seq}" if self.seq is not None else "no link"
        return f"{self.entry_table} id {self.entry_id} ({link}): {self.problem}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The verification's outcome: the head (count, hash) and the first break, if any."""

    count: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def valid(self) -> bool:
        """Whether every entry matches its link and every link its predecessor."""
        return self.first_break is None

    def as_json(self) -> dict[str, Any]:
        """The verification as the API answers it."""
        return {
            "valid": self.valid,
            "count": self.count,
            "head_hash": self.head_hash,
            "first_break": self.first_break.as_json() if self.first_break else None,
        }


def _differences(stored: str, now: str) -> str:
    """Which fields of the entry differ between its link and its row."""
    was, is_ = json.loads(stored), json.loads(now)
    fields = sorted(k for k in was.keys() | is_.keys() if was.get(k) != is_.get(k))
    shown = "; ".join(f"{k}: {was.get(k)!r} → {is_.get(k)!r}" for k in fields)
    return f"the entry was changed after it was recorded ({shown})"


def _same_content(stored: str, now: str) -> bool:
    # A column added by a later migration is absent from older links; it holds while NULL.
    was, is_ = json.loads(stored), json.loads(now)
    extra = {k: v for k, v in is_.items() if k not in was}
    return all(v is None for v in extra.values()) and was == {k: is_[k] for k in was if k in is_}


def _check_link(link: Any, prev_hash: str, expected_seq: int, rows: dict[int, str]) -> str | None:
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
    if not _same_content(link.content, now):
        return _differences(link.content, now)
    return None


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


def verify_chain(*, connection: Connection) -> ChainReport:
    """Re-compute the chain link by link from the first; the first break, or valid."""
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
            name: read_entries(
                connection, name, [x.entry_id for x in links if x.entry_table == name]
            )
            for name in CHAINED_TABLES
        }
        for current in links:
            problem = _check_link(current, prev_hash, expected, rows[current.entry_table])
            if problem is not None:
                return ChainReport(
                    count,
                    head,
                    ChainBreak(current.seq, current.entry_table, current.entry_id, problem),
                )
            prev_hash, expected = current.entry_hash, current.seq + 1
    return ChainReport(count, head, _unlinked(connection))


CHAIN_BROKEN_ALERT = "audit_chain.broken"
CHAIN_HEAD_ALERT = "audit_chain.head"


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
