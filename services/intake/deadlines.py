"""Deadlines known at intake: the publication ceiling of a document to be published (the local
window starts at 印发, later) and the secrecy expiry of a classified one."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlmodel import Session, col, select

from models.db import id_of
from models.deadlines import Deadline
from models.documents import Document
from models.versions import Version
from policies.calendar import WorkingDayCalendar
from policies.deadlines import DeadlineKind, publication_deadlines, secrecy_expiry_deadline
from policies.profiles import PolicyProfile
from services.intake.drafts import Draft


@lru_cache(maxsize=8)
def _calendar(count_makeup_days: bool) -> WorkingDayCalendar:
    return WorkingDayCalendar.from_package(count_makeup_days=count_makeup_days)


def store_intake_deadlines(
    session: Session,
    document: Document,
    version: Version,
    draft: Draft,
    profile: PolicyProfile,
    at: datetime,
) -> list[Deadline]:
    """Set the document's intake deadlines for this version, one row per kind (a kind it has
    already is moved to this version)."""
    values = []
    if draft.attribute is not None and draft.attribute.is_published:
        calendar = _calendar(profile.makeup_days_count)
        values += [
            d
            for d in publication_deadlines(at, profile, calendar, formed_on=draft.written_on)
            if d.kind is DeadlineKind.PUBLICATION_CEILING  # the local window starts at 印发
        ]
    expiry = secrecy_expiry_deadline(draft.written_on, draft.as_submission(set()).classification)
    if draft.secrecy_level.is_classified and expiry is not None:
        values.append(expiry)
    if not values:
        return []
    known = {} if version.number == 1 else _deadlines_by_kind(session, document)
    rows = []
    for value in values:
        row = known.get(value.kind.value)
        if row is None:
            row = Deadline(
                document_id=id_of(document),
                kind=value.kind.value,
                due_at=value.due_at,
                basis=value.source,
                created_at=at,
            )
        row.version_id = version.id
        row.due_at, row.basis, row.provisional = value.due_at, value.source, value.provisional
        session.add(row)
        rows.append(row)
    return rows


def _deadlines_by_kind(session: Session, document: Document) -> dict[str, Deadline]:
    rows = session.exec(select(Deadline).where(col(Deadline.document_id) == document.id)).all()
    return {row.kind: row for row in rows}
