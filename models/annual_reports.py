"""The annual report's imported figures and the office's marks (条例 arts. 49–50).

Imports are append-only versions per reporting year: a new import supersedes the previous one
for the same year (the highest version is current) and nothing is updated or deleted. A mark
records that the office submitted or published the report on a given day (office tasks).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column
from models.checks import enum_check
from models.documents import Document  # noqa: F401  (registers the table indexed below)
from policies.annual_report import TaskKind

IMPORT_MEDIA = ("csv", "json")


class AnnualReportImport(SQLModel, table=True):
    """One import of the figures the engine has no data for (applications, remedies, …)."""

    __tablename__ = "annual_report_imports"
    __table_args__ = (
        sa.UniqueConstraint("year", "version"),
        sa.CheckConstraint("version > 0", name="version_positive"),
        enum_check("media", IMPORT_MEDIA),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int  # the reporting year
    version: int  # 1, 2, … per year; the highest is current
    report_format: str = Field(max_length=16)  # edition the cells were checked against
    media: str = Field(max_length=8)  # csv / json
    cells: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    imported_by: int = Field(foreign_key="users.id")
    imported_at: datetime = Field(sa_column=utc_column())
    note: str | None = Field(default=None, sa_type=sa.Text)


class AnnualReportMark(SQLModel, table=True):
    """The office's record that the year's report was submitted or published (once each)."""

    __tablename__ = "annual_report_marks"
    __table_args__ = (
        sa.UniqueConstraint("year", "kind"),
        enum_check("kind", TaskKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int
    kind: str = Field(max_length=16)
    done_on: date  # the Asia/Shanghai day the office did it
    import_id: int | None = Field(default=None, foreign_key="annual_report_imports.id")
    marked_by: int = Field(foreign_key="users.id")
    marked_at: datetime = Field(sa_column=utc_column())
    note: str | None = Field(default=None, sa_type=sa.Text)


# The report counts documents per type by 成文日期 (written_on); written_on alone and
# publications' published_at are indexed by the portal (0004p).
_documents = SQLModel.metadata.tables["documents"]
DOCUMENTS_TYPE_WRITTEN_ON = sa.Index(
    "ix_documents_type_written_on", _documents.c.document_type, _documents.c.written_on
)
