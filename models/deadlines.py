"""Deadlines the office tracks (domain §11): one per document and kind, or one per application
and kind (条例 arts. 30, 33: the 补正 notice and the reply)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column
from models.checks import enum_check
from policies.deadlines import DeadlineKind


class Deadline(SQLModel, table=True):
    """When something about a document is due, on what basis, and when it was met."""

    __tablename__ = "deadlines"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "kind"),
        sa.UniqueConstraint("application_id", "kind"),
        sa.CheckConstraint("(document_id IS NULL) <> (application_id IS NULL)", name="one_subject"),
        sa.Index("ix_deadlines_open", "met_at", "due_at"),
        enum_check("kind", DeadlineKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int | None = Field(default=None, foreign_key="documents.id")
    application_id: int | None = Field(default=None, foreign_key="applications.id", index=True)
    version_id: int | None = Field(default=None, foreign_key="versions.id")
    kind: str = Field(max_length=64)  # policies.deadlines.DeadlineKind
    due_at: datetime = Field(sa_column=utc_column())
    basis: str = Field(max_length=500)  # the rule and source, e.g. "条例 art. 26: 20 WD"
    provisional: bool = False  # counted into a year whose arrangement is not loaded
    counted_from: date | None = None  # working-day windows: day zero and N, so that loading
    working_days: int | None = None  # or correcting a year recounts them (issue 20)
    met_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # Ended unmet because it can no longer be met (e.g. filed instead of published).
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
