"""What was read of a stored file (issue 23 "Bounded extraction"): its text and the reading's
findings, kept once per content-addressed file so that no step reads the same file twice (the
publication step reads this row, never the file)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import json_list_column, utc_column


class FileReading(SQLModel, table=True):
    """The text of one stored file as read within the reading limits, with its findings
    (limits reached, pages OCR'd or unread) as {rule, severity, message, source, field}."""

    __tablename__ = "file_readings"

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="stored_files.id", unique=True)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_list_column())
    ocr_pages: list[int] = Field(default_factory=list, sa_column=json_list_column())
    read_at: datetime = Field(sa_column=utc_column())
