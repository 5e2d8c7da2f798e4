"""Review decisions: who decided what, at which step, through which channel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import empty_list, enum_column, json_list_column, utc_column
from models.checks import enum_check
from policies.attributes import Attribute
from policies.roles import Role
from policies.steps import DecisionKind

Channel = Literal["api", "ui", "system"]  # the door a decision or change came through
CHANNELS = get_args(Channel)


class DecisionBase(SQLModel):
    """A reviewer's decision on one step of one version."""

    step: str = Field(max_length=64)  # e.g. "secrecy_review", "office_prereview"
    attempt: int = 1
    kind: str = Field(max_length=32)  # policies.steps.DecisionKind
    reason_codes: list[str] = Field(default_factory=empty_list, sa_column=json_list_column())
    comment: str | None = Field(default=None, sa_type=sa.Text)


class Decision(DecisionBase, table=True):
    """A recorded decision; (document, version, step, attempt) is never recorded twice."""

    __tablename__ = "decisions"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "version_id", "step", "attempt"),
        sa.CheckConstraint("attempt > 0", name="attempt_positive"),
        enum_check("kind", DecisionKind),
        enum_check("channel", CHANNELS),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id")
    version_id: int = Field(foreign_key="versions.id")
    decided_by: int | None = Field(default=None, foreign_key="users.id")  # None: the engine
    role: Role = Field(sa_column=enum_column(Role, "role"))
    channel: str = Field(max_length=16)
    attribute_before: Attribute | None = Field(
        default=None, sa_column=enum_column(Attribute, "attribute_before", nullable=True)
    )
    attribute_after: Attribute | None = Field(
        default=None, sa_column=enum_column(Attribute, "attribute_after", nullable=True)
    )
    decided_at: datetime = Field(sa_column=utc_column())


class DecisionPublic(DecisionBase):
    """A decision as shown to clients."""

    id: int
    document_id: int
    version_id: int
    decided_by: int | None
    role: Role
    channel: Channel
    attribute_before: Attribute | None
    attribute_after: Attribute | None
    decided_at: datetime
