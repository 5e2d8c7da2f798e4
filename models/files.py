"""Stored files: immutable, content-addressed by sha256 under the data folder (design.md Files)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column


class StoredFileBase(SQLModel):
    """What is known about an uploaded file's content."""

    sha256: str = Field(max_length=64, unique=True)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=200)
    # The name this content was first received under: kept for the record, never shown. A name
    # belongs to one upload (Version.main_file_name, VersionAttachment.file_name,
    # InterpretationMaterial.file_name): the same bytes may come from another drafter under
    # another name (issue 23).
    original_name: str = Field(max_length=255)  # sanitised before it is stored


class StoredFile(StoredFileBase, table=True):
    """One stored file; versions and attachments point to it, nothing deletes it."""

    __tablename__ = "stored_files"
    __table_args__ = (
        sa.CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )

    id: int | None = Field(default=None, primary_key=True)
    storage_path: str = Field(max_length=500, unique=True)  # relative to Settings.files_dir
    created_at: datetime = Field(sa_column=utc_column())


class StoredFilePublic(StoredFileBase):
    """A stored file as shown to clients (no storage path)."""

    id: int
