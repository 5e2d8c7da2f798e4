"""Idempotency-Key: the first answer to a user's key is kept and returned to every retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.idempotency import IdempotentResponse
from services.clock import require_aware

MAX_KEY_CHARS = 150


def find_response(*, session: Session, user_id: int, key: str) -> IdempotentResponse | None:
    """The response first given to this user for this key, if any."""
    return session.exec(
        select(IdempotentResponse).where(
            col(IdempotentResponse.user_id) == user_id, col(IdempotentResponse.key) == key
        )
    ).first()


def remember_response(
    *,
    session: Session,
    user_id: int,
    key: str,
    status_code: int,
    body: dict[str, Any],
    document_id: int | None,
    at: datetime,
) -> IdempotentResponse:
    """Keep the response in the same transaction as the submission (a concurrent twin fails)."""
    row = IdempotentResponse(
        user_id=user_id,
        key=key,
        status_code=status_code,
        body=body,
        document_id=document_id,
        created_at=require_aware(at),
    )
    session.add(row)
    session.flush()
    return row
