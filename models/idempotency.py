"""Responses kept for Idempotency-Key retries: a retried upload gets the first answer again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column


class IdempotentResponse(SQLModel, table=True):
    """The status and body first returned for one user's Idempotency-Key, and the fingerprint
    of the request that got them (a different request under the same key is refused)."""

    __tablename__ = "idempotent_responses"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    key: str = Field(max_length=200)
    status_code: int
    body: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    document_id: int | None = Field(default=None, foreign_key="documents.id")
    # sha256 of the request (target, form fields, files' sha256); None for rows kept before 0006.
    request_fingerprint: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=utc_column())
