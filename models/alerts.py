"""Alerts raised about documents and office tasks, each once per key, and their delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import empty_dict, utc_column


class Alert(SQLModel, table=True):
    """One alert: raised once per `key` (e.g. a deadline and a threshold), then delivered."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.UniqueConstraint("key"),
        sa.Index("ix_alerts_undelivered", "notified_at", "raised_at"),
        sa.Index("ix_alerts_kind_raised", "kind", "raised_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # what makes it unique, e.g. "deadline:42:50%"
    kind: str = Field(max_length=64)  # e.g. "deadline.share", "deadline.overdue", "stuck"
    threshold: str = Field(max_length=32)  # e.g. "50%", "overdue"
    document_id: int | None = Field(default=None, foreign_key="documents.id", index=True)
    organ_id: int | None = Field(default=None, foreign_key="organs.id")
    message: str = Field(max_length=2000)  # readable, with the rule and its source
    payload: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    raised_at: datetime = Field(sa_column=utc_column())
    notified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    notifier: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    # Set when the deadline it was raised on was recounted (a year loaded or corrected).
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
