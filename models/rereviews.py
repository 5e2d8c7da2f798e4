"""Re-reviews of documents kept from the public: periodic (条例 art. 18) and at the end of a
secrecy period (保密法 2024 arts. 20, 24); one per document, kind and cycle."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import empty_list, json_list_column, utc_column
from models.checks import enum_check
from policies.attributes import Attribute

# "applications": released on application to the profile's number of applicants (rule 17).
RereviewKind = Literal["periodic", "secrecy_expiry", "applications"]
RereviewStatus = Literal["open", "kept", "converted"]
# A filed document is converted to any attribute but 不予公开 (keeping it withheld is "keep").
CONVERTIBLE = tuple(attribute for attribute in Attribute if attribute is not Attribute.WITHHELD)


class Rereview(SQLModel, table=True):
    """A re-review task: due since `due_at`, open until someone keeps or converts the document."""

    __tablename__ = "rereviews"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "kind", "cycle"),
        enum_check("kind", get_args(RereviewKind)),
        enum_check("status", get_args(RereviewStatus)),
        enum_check("converted_to", CONVERTIBLE),
        sa.Index("ix_rereviews_status_due", "status", "due_at"),
        sa.Index("ix_rereviews_document_decided", "document_id", "decided_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id")
    version_id: int = Field(foreign_key="versions.id")  # the version kept from the public
    kind: str = Field(max_length=32)
    cycle: str = Field(max_length=32)  # e.g. the due date: a rerun finds the same cycle
    basis: str = Field(max_length=500)  # the rule and its source
    due_at: datetime = Field(sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column())
    status: str = Field(default="open", max_length=16)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason_codes: list[str] = Field(default_factory=empty_list, sa_column=json_list_column())
    explanation: str | None = Field(default=None, sa_type=sa.Text)
    converted_to: str | None = Field(default=None, max_length=16)
    converted_version_id: int | None = Field(default=None, foreign_key="versions.id")
