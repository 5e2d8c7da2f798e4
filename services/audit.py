"""The audit log: events are appended, never changed or removed (domain §10 rule 21)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.audit import AuditEvent
from models.decisions import Channel
from models.users import User
from policies.roles import Role

SYSTEM = "system"  # the actor of the engine's own steps (role and channel SYSTEM)
# Actions read by more than the capability that records them (statistics, the office overview).
STATUS_CHANGED = "status.changed"
SUBMISSION_RECEIVED = "submission.received"
SUBMISSION_RETURNED = "submission.returned"  # 退文 at intake of a version already returned
MATERIAL_ADDED = "interpretation.material_added"


def record_event(
    *,
    session: Session,
    action: str,
    at: datetime,
    actor: str = SYSTEM,
    role: Role = Role.SYSTEM,
    channel: Channel = "system",
    document_id: int | None = None,
    version_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one audit event to the caller's transaction: who did what, when and why (by
    default the engine itself)."""
    event = AuditEvent(
        occurred_at=at,  # an instant: the column refuses a naive time (models/base.py)
        actor=actor,
        role=role,
        channel=channel,
        action=action,
        document_id=document_id,
        version_id=version_id,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(event)
    return event


def record_act(
    *,
    session: Session,
    person: User,
    action: str,
    at: datetime,
    channel: Channel = "api",
    **details: Any,
) -> AuditEvent:
    """Append the audit event of a person's own act: their login (unique across organs, unlike
    a display name) and role (`record_event`)."""
    return record_event(
        session=session,
        actor=person.login,
        role=person.role,
        channel=channel,
        action=action,
        at=at,
        **details,
    )
