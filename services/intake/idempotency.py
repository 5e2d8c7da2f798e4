"""Idempotency-Key: the first answer to a user's key is kept and returned to every retry of the
same request; the same key on a different request is refused (IETF draft-ietf-httpapi-
idempotency-key-header-07 §2.4 fingerprint, §2.7: 422 for a key reused with another payload)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.idempotency import IdempotentResponse
from policies.findings import Finding, Severity
from services.timestamps import require_aware

MAX_KEY_CHARS = 150
KEY_REUSED = "idempotency.key_reused"
KEY_REUSED_SOURCE = "IETF draft-ietf-httpapi-idempotency-key-header-07 §2.2, §2.7"


def request_fingerprint(
    *, target: str, fields: Mapping[str, Sequence[str]], files: Iterable[tuple[str, str]]
) -> str:
    """sha256 of what makes a request this request: its target (a new document, or document n),
    the form fields (names sorted, values NFC-normalised and stripped, empty ones dropped) and
    the files as (kind, sha256), in any order. File names do not count: the content decides."""
    normalised = {
        name: kept
        for name in sorted(fields)
        if (kept := [unicodedata.normalize("NFC", v).strip() for v in fields[name] if v.strip()])
    }
    canonical = json.dumps(
        {"target": target, "fields": normalised, "files": sorted(files)},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def find_response(*, session: Session, user_id: int, key: str) -> IdempotentResponse | None:
    """The response first given to this user for this key, if any."""
    return session.exec(
        select(IdempotentResponse).where(
            col(IdempotentResponse.user_id) == user_id, col(IdempotentResponse.key) == key
        )
    ).first()


def is_same_request(row: IdempotentResponse, fingerprint: str) -> bool:
    """Whether a retry carries the request the key was first used for (a row kept before
    fingerprints existed cannot tell, and is replayed as it always was)."""
    return row.request_fingerprint is None or row.request_fingerprint == fingerprint


def key_reused_finding(key: str) -> Finding:
    """Why a reused key is refused, and how to fix it."""
    return Finding(
        KEY_REUSED,
        Severity.BLOCKING,
        f"Idempotency-Key '{key}' was first used for a different request (another file, "
        "attachment, field value or document). Send a new submission with a new key (e.g. a new "
        "UUID); to get the first answer again, resend the first request unchanged.",
        KEY_REUSED_SOURCE,
        "Idempotency-Key",
    )


def remember_response(
    *,
    session: Session,
    user_id: int,
    key: str,
    status_code: int,
    body: dict[str, Any],
    document_id: int | None,
    at: datetime,
    fingerprint: str | None = None,
) -> IdempotentResponse:
    """Keep the response in the same transaction as the submission (a concurrent twin fails)."""
    row = IdempotentResponse(
        user_id=user_id,
        key=key,
        status_code=status_code,
        body=body,
        document_id=document_id,
        created_at=require_aware(at),
        request_fingerprint=fingerprint,
    )
    session.add(row)
    session.flush()
    return row
