"""Validity changes of published documents (已修改 / 已废止 / 已失效): an append-only history.

The current validity lives on documents.validity and publications.validity; each change is one
row here, which the portal annotates the page with and the feeds announce (seed 004 §二(二)).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_column, utc_column
from models.checks import enum_check
from models.decisions import CHANNELS
from policies.roles import Role
from policies.validity import Validity


class ValidityChangeRecord(SQLModel, table=True):
    """One change of a published document's validity: from, to, why, by whom, caused by what."""

    __tablename__ = "validity_changes"
    __table_args__ = (
        enum_check("channel", CHANNELS),
        sa.Index("ix_validity_changes_document", "document_id", "recorded_at"),
        # The feeds list changes newest first.
        sa.Index("ix_validity_changes_recorded", "recorded_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id")
    from_validity: Validity = Field(sa_column=enum_column(Validity, "from_validity"))
    to_validity: Validity = Field(sa_column=enum_column(Validity, "to_validity"))
    reason: str = Field(sa_type=sa.Text)
    actor: str = Field(max_length=200)
    role: Role = Field(sa_column=enum_column(Role, "role"))
    channel: str = Field(max_length=16)
    # The amending/repealing document in this engine, and/or its 文号 as free text.
    amended_by_document_id: int | None = Field(default=None, foreign_key="documents.id")
    amended_by_reference: str | None = Field(default=None, max_length=200)
    effective_on: date
    recorded_at: datetime = Field(sa_column=utc_column())
