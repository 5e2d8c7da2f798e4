"""Versions of a document: the submitted file, its attachments, its marking and its findings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import empty_list, enum_column, json_list_column, utc_column
from models.checks import enum_check
from policies.attributes import Attribute
from policies.findings import Finding, Severity
from policies.secrecy_levels import SecrecyLevel
from policies.submissions import AttachmentKind


class Version(SQLModel, table=True):
    """One submission of a document (1, 2, 3… per document); resubmission after 退文 adds one."""

    __tablename__ = "versions"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", index=True)
    number: int
    submitted_by: int = Field(foreign_key="users.id")
    submitted_at: datetime = Field(sa_column=utc_column())
    main_file_id: int = Field(foreign_key="stored_files.id")
    main_file_name: str = Field(
        max_length=255
    )  # as this upload named it (sanitised), never taken from another
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    note: str | None = Field(default=None, sa_type=sa.Text)


class VersionAttachment(SQLModel, table=True):
    """A file sent with a version: interpretation plan or material, redacted version, other."""

    __tablename__ = "version_attachments"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "file_id"),
        enum_check("kind", AttachmentKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    file_id: int = Field(foreign_key="stored_files.id")
    kind: str = Field(max_length=32)
    file_name: str = Field(
        max_length=255
    )  # as this upload named it (sanitised), never taken from another


class MarkingBase(SQLModel):
    """The disclosure attribute, its reasons and the secrecy mark of one version."""

    reason_codes: list[str] = Field(default_factory=empty_list, sa_column=json_list_column())
    reason_explanation: str | None = Field(default=None, sa_type=sa.Text)
    secrecy_period_years: int | None = None  # 保密期限
    declassify_on: date | None = None  # 解密时间
    declassify_condition: str | None = Field(default=None, sa_type=sa.Text)  # 解密条件
    secrecy_override_reference: str | None = Field(default=None, max_length=500)  # 另有规定
    marking_text: str = Field(max_length=100)  # e.g. 此件公开发布


class Marking(MarkingBase, table=True):
    """The marking of one version; classified means 不予公开 (保密法实施条例 2024 art. 5)."""

    __tablename__ = "markings"
    __table_args__ = (
        # 不得将涉及国家秘密的信息公开: 保密法实施条例 2024 art. 5; 条例 art. 14.
        sa.CheckConstraint(
            "secrecy_level = 'none' OR attribute = 'withheld'", name="classified_is_withheld"
        ),
        sa.CheckConstraint(
            "secrecy_period_years IS NULL OR secrecy_period_years > 0", name="period_positive"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", unique=True)
    attribute: Attribute = Field(sa_column=enum_column(Attribute, "attribute"))
    secrecy_level: SecrecyLevel = Field(
        default=SecrecyLevel.NONE, sa_column=enum_column(SecrecyLevel, "secrecy_level")
    )


class MarkingPublic(MarkingBase):
    """A marking as shown to clients."""

    attribute: Attribute
    secrecy_level: SecrecyLevel


class RecordedFinding(SQLModel, table=True):
    """A finding recorded against a version, so the 退文 history shows why."""

    __tablename__ = "findings"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    rule: str = Field(max_length=100)
    severity: Severity = Field(sa_column=enum_column(Severity, "severity"))
    message: str = Field(sa_type=sa.Text)
    source: str = Field(max_length=500)
    field: str | None = Field(default=None, max_length=100)
    recorded_at: datetime = Field(sa_column=utc_column())

    @classmethod
    def of(cls, finding: Finding, version_id: int, at: datetime) -> RecordedFinding:
        """The row that records this finding against the version."""
        return cls(
            version_id=version_id,
            rule=finding.rule,
            severity=finding.severity,
            message=finding.message,
            source=finding.source,
            field=finding.field,
            recorded_at=at,
        )
