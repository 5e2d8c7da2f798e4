"""Interpretation materials (政策解读) and web publications (网上公开) of documents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column
from models.checks import enum_check
from policies.attributes import Attribute
from policies.submissions import INTERPRETATION_KINDS
from policies.validity import Validity


class InterpretationMaterial(SQLModel, table=True):
    """An interpretation plan or material received for a document, the secrecy reviewer's
    clearance of it, and when it went public."""

    __tablename__ = "interpretation_materials"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "file_id"),
        enum_check("kind", INTERPRETATION_KINDS),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    file_id: int = Field(foreign_key="stored_files.id")
    kind: str = Field(
        max_length=32
    )  # interpretation_plan 解读方案 / interpretation_material 解读材料
    file_name: str = Field(
        max_length=255
    )  # as this upload named it (sanitised), never taken from another
    received_at: datetime = Field(sa_column=utc_column())
    published_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The secrecy reviewer's decision on material sent after intake (issue 21): the portal shows
    # it only once cleared (先审查、后公开).
    review_decision_id: int | None = Field(default=None, foreign_key="decisions.id")
    cleared_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The Prefect run of that review once started; None: the sweep of unstarted runs starts it.
    flow_run_id: str | None = Field(default=None, max_length=64)


class Publication(SQLModel, table=True):
    """A version published to a sink, with the metadata 条例 art. 12 ¶3 requires."""

    __tablename__ = "publications"
    __table_args__ = (
        enum_check("validity", Validity),
        # The portal's catalogue and feeds list publications newest first.
        sa.Index("ix_publications_published", "published_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    version_id: int = Field(foreign_key="versions.id", unique=True)
    published_at: datetime = Field(sa_column=utc_column())
    marking_text: str = Field(max_length=100)
    validity: str = Field(default="valid", max_length=16)
    index_number: str = Field(max_length=100, unique=True)  # 索引号
    publisher: str = Field(max_length=64)  # the sink, e.g. "portal"
    idempotency_key: str = Field(max_length=200, unique=True)
    summary: str | None = Field(default=None, sa_type=sa.Text)  # 内容概述 (条例 art. 12 ¶3)
    file_id: int | None = Field(default=None, foreign_key="stored_files.id")  # what is shown


class Withdrawal(SQLModel, table=True):
    """A publication withdrawn (撤回) or restricted after the fact: by whom, when, on which coded
    reason and justification, and the attribute the document took. The publication row, its files
    and its audit stay; the portal answers 410 Gone with this notice (issue 21)."""

    __tablename__ = "withdrawals"
    __table_args__ = (
        enum_check("attribute_before", Attribute),
        enum_check("attribute_after", Attribute),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    publication_id: int = Field(foreign_key="publications.id", unique=True)
    reason_code: str = Field(max_length=32)  # policies.withdrawal: a legal reason or WD- code
    justification: str = Field(sa_type=sa.Text)
    attribute_before: str = Field(max_length=16)
    attribute_after: str = Field(max_length=16)
    withdrawn_by: int = Field(foreign_key="users.id")
    withdrawn_at: datetime = Field(sa_column=utc_column())
