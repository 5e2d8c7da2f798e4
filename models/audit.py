"""The audit log: append-only, enforced by database triggers (domain §10 rule 21)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_column, utc_column
from models.checks import enum_check
from models.decisions import CHANNELS
from policies.roles import Role


class AuditEvent(SQLModel, table=True):
    """Who did what to which document, when, through which channel, and why."""

    __tablename__ = "audit_events"
    __table_args__ = (
        enum_check("channel", CHANNELS),
        sa.Index("ix_audit_events_document", "document_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_column=utc_column())
    actor: str = Field(max_length=200)  # the person's login (unique), "system" or an outside party
    role: Role = Field(sa_column=enum_column(Role, "role"))
    channel: str = Field(max_length=16)
    action: str = Field(max_length=100)  # e.g. "status.changed"
    document_id: int | None = Field(default=None, foreign_key="documents.id")
    version_id: int | None = Field(default=None, foreign_key="versions.id")
    before: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(none_as_null=True))
    )
    after: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(none_as_null=True))
    )
    reason: str | None = Field(default=None, sa_type=sa.Text)
