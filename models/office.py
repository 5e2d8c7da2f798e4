"""Indexes the office monitor reads through (issue 5); the monitor adds no table of its own.

- `ix_documents_waiting`: only documents waiting in a stage with an allowance, in entry order
  (then id, status, organ and profile, so the test "status S entered before its cutoff"
  (policies/stuck.py) and the per-stage and per-organ counts read the index alone). Its size is
  the number of waiting documents, not of all documents; the oldest page of the stuck list is
  the first matching entries of an ordered scan, which stops after one page.
- `ix_documents_waiting_status`: the same documents by status, then entry time and organ, for
  the per-stage and per-organ counts: each (status, overdue or near) is one contiguous range of
  entry times in it, so the counts are a few index-only range scans that read exactly the
  stuck entries, with no per-row test (policies/stuck.py turns the allowance into the range).
- `ix_deadlines_window_open`: unmet publication and interpretation deadlines by due date, for the
  overdue counts (stage-allowance rows are never closed when a stage ends, so the general
  `ix_deadlines_open` would walk every old one of those first).
- `ix_audit_events_action_time`: the latest events of one action (e.g. the 退文 history).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from models.audit import AuditEvent
from models.deadlines import Deadline
from models.documents import Document
from policies.deadlines import DeadlineKind
from policies.statuses import Status

# The statuses with a stage allowance (PolicyProfile.allowance_for): where a document can be stuck.
WAITING_STATUSES = (
    Status.OFFICE_PREREVIEW,
    Status.SECRECY_REVIEW,
    Status.AWAITING_INTERPRETATION,
    Status.AWAITING_SIGNOFF,
)
WINDOW_KINDS = (
    DeadlineKind.PUBLICATION_LOCAL,
    DeadlineKind.PUBLICATION_CEILING,
    DeadlineKind.INTERPRETATION,
)


def _in(column: str, values: tuple[str, ...]) -> str:
    # Written as ORs, not IN: PostgreSQL stores IN on a varchar as "= ANY (ARRAY[...]::text[])",
    # from which it cannot prove that "status = 'secrecy_review'" implies the index predicate.
    return "(" + " OR ".join(f"{column} = '{value}'" for value in values) + ")"


WAITING_WHERE = _in("status", tuple(s.value for s in WAITING_STATUSES))
WINDOW_WHERE = f"met_at IS NULL AND {_in('kind', tuple(k.value for k in WINDOW_KINDS))}"
# The same predicates qualified, for queries: a query uses a partial index only when its WHERE
# repeats the index's predicate (both databases prove it by matching the terms).
WAITING_TERM = _in("documents.status", tuple(s.value for s in WAITING_STATUSES))
WINDOW_TERM = "deadlines.met_at IS NULL AND " + _in(
    "deadlines.kind", tuple(k.value for k in WINDOW_KINDS)
)

_documents = SQLModel.metadata.tables[Document.__tablename__]
_deadlines = SQLModel.metadata.tables[Deadline.__tablename__]
_audit = SQLModel.metadata.tables[AuditEvent.__tablename__]

DOCUMENTS_WAITING = sa.Index(
    "ix_documents_waiting",
    _documents.c.status_changed_at,
    _documents.c.id,
    _documents.c.status,
    _documents.c.organ_id,
    _documents.c.policy_profile,
    postgresql_where=sa.text(WAITING_WHERE),
    sqlite_where=sa.text(WAITING_WHERE),
)
DOCUMENTS_WAITING_STATUS = sa.Index(
    "ix_documents_waiting_status",
    _documents.c.status,
    _documents.c.status_changed_at,
    _documents.c.organ_id,
    _documents.c.policy_profile,
    postgresql_where=sa.text(WAITING_WHERE),
    sqlite_where=sa.text(WAITING_WHERE),
)
DEADLINES_WINDOW_OPEN = sa.Index(
    "ix_deadlines_window_open",
    _deadlines.c.due_at,
    _deadlines.c.kind,
    postgresql_where=sa.text(WINDOW_WHERE),
    sqlite_where=sa.text(WINDOW_WHERE),
)
AUDIT_ACTION_TIME = sa.Index("ix_audit_events_action_time", _audit.c.action, _audit.c.occurred_at)
