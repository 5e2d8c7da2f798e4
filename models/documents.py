"""Documents under review: the aggregate root that versions, decisions and deadlines hang on."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_column, utc_column
from models.checks import enum_check
from policies.statuses import Stage, Status
from policies.validity import Validity


def _status_matches_stage() -> str:
    """SQL that allows only the (status, stage) pairs the policy's Status.stage defines."""
    by_stage: dict[Stage, list[str]] = defaultdict(list)
    for status in Status:
        by_stage[status.stage].append(f"'{status.value}'")
    pairs = [
        f"(stage = '{stage.value}' AND status IN ({', '.join(statuses)}))"
        for stage, statuses in by_stage.items()
    ]
    return " OR ".join(pairs)


class DocumentBase(SQLModel):
    """What the drafter states about a document."""

    title: str = Field(max_length=500)
    doc_number: str | None = Field(default=None, max_length=100)  # 文号
    organ_id: int = Field(foreign_key="organs.id")
    document_type: str = Field(max_length=100)  # e.g. 行政规范性文件
    written_on: date  # 成文日期
    policy_profile: str = Field(max_length=64)
    is_important_policy: bool = False  # 重要政策
    issued_in_government_name: bool = False  # 以政府或办公厅（室）名义印发


class Document(DocumentBase, table=True):
    """A document and where its review stands; only services.review.status changes status."""

    __tablename__ = "documents"
    __table_args__ = (
        enum_check("status_matches_stage", (), sql=_status_matches_stage()),
        enum_check("validity", Validity),  # 有效性 (条例 art. 12 ¶3; domain §10 rule 14)
        sa.Index("ix_documents_status_changed", "status", "status_changed_at"),
        sa.Index("ix_documents_organ_status", "organ_id", "status"),
        sa.Index("ix_documents_valid_until", "valid_until"),
        sa.Index("ix_documents_written_on", "written_on"),
        # The document list's order (newest first), whole and per organ: its pages are ranges.
        sa.Index("ix_documents_created", "created_at", "id"),
        sa.Index("ix_documents_organ_created", "organ_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: Status = Field(sa_column=enum_column(Status, "status"))
    stage: Stage = Field(sa_column=enum_column(Stage, "stage"))
    status_changed_at: datetime = Field(sa_column=utc_column())
    current_version_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            # documents ⇄ versions is a cycle: this key is added after both tables exist.
            sa.ForeignKey("versions.id", use_alter=True),
            nullable=True,
        ),
    )
    flow_run_id: str | None = Field(default=None, max_length=64)  # Prefect flow run
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(sa_column=utc_column())
    validity: str = Field(default="valid", max_length=16)
    valid_until: date | None = None  # 有效期至: the day after it the document expires


class DocumentCreate(DocumentBase):
    """The fields a drafter supplies when registering a document."""


class DocumentPublic(DocumentBase):
    """A document as shown to clients."""

    id: int
    status: Status
    stage: Stage
    status_changed_at: datetime
    current_version_id: int | None
    flow_run_id: str | None
    validity: Validity
