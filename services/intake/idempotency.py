"""Idempotency-Key: the first answer to a user's key is kept and returned to every retry of the
same request; the same key on a different request is refused (IETF draft-ietf-httpapi-
idempotency-key-header-07 §2.4 fingerprint, §2.7: 422 for a key reused with another payload)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.idempotency import IdempotentResponse
from models.users import User
from policies.findings import Finding, Severity
from services.errors import RequestInvalid, field_finding
from services.storage import StagedFile
from services.timestamps import require_aware

MAX_KEY_CHARS = 150
KEY_REUSED = "idempotency.key_reused"
KEY_REUSED_SOURCE = "IETF draft-ietf-httpapi-idempotency-key-header-07 §2.2, §2.7"


def checked_key(key: str | None) -> str | None:
    """The Idempotency-Key as sent (stripped), None without one; a malformed key is refused."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise RequestInvalid(
            f"Idempotency-Key must be 1–{MAX_KEY_CHARS} printable characters",
            [field_finding("Idempotency-Key", "a unique string per submission, e.g. a UUID")],
        )
    return key


@dataclass(frozen=True, slots=True)
class Keyed:
    """A submission sent under an Idempotency-Key: whose key, and the request's fingerprint."""

    user_id: int
    key: str
    fingerprint: str

    @classmethod
    def of(
        cls,
        user: User,
        key: str,
        fields: Mapping[str, Sequence[str]],
        uploads: Iterable[StagedFile],
        document_id: int | None,
    ) -> Keyed:
        """The keyed submission of a new document (no document_id) or of a version of one."""
        assert user.id is not None
        target = "new" if document_id is None else f"document:{document_id}"
        files = [(u.kind, u.sha256) for u in uploads]
        return cls(user.id, key, request_fingerprint(target=target, fields=fields, files=files))

    @property
    def version_key(self) -> str:
        """The key the recorded version carries (unique per user and key)."""
        return f"{self.user_id}:{self.key}"


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


def find_response(*, session: Session, keyed: Keyed) -> IdempotentResponse | None:
    """The response first given to this user for this key, if any."""
    return session.exec(
        select(IdempotentResponse).where(
            col(IdempotentResponse.user_id) == keyed.user_id,
            col(IdempotentResponse.key) == keyed.key,
        )
    ).first()


def is_same_request(row: IdempotentResponse, keyed: Keyed) -> bool:
    """Whether a retry carries the request the key was first used for (a row kept before
    fingerprints existed cannot tell, and is replayed as it always was)."""
    return row.request_fingerprint is None or row.request_fingerprint == keyed.fingerprint


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
    keyed: Keyed,
    status_code: int,
    body: dict[str, Any],
    document_id: int | None,
    at: datetime,
) -> IdempotentResponse:
    """Keep the response in the same transaction as the submission (a concurrent twin fails)."""
    row = IdempotentResponse(
        user_id=keyed.user_id,
        key=keyed.key,
        status_code=status_code,
        body=body,
        document_id=document_id,
        created_at=require_aware(at),
        request_fingerprint=keyed.fingerprint,
    )
    session.add(row)
    session.flush()
    return row
