"""List cursors: an opaque string that names where a page ended — an instant and an id, newest
first: GET /documents' ListPosition, the portal catalogue's Cursor — for the client to send back
for the next page."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from services.documents import ListPosition
from services.errors import RequestInvalid, field_finding
from services.validation import MAX_ID

NEXT_CURSOR = "the next_cursor of the previous page, unchanged"


def encode_position(at: datetime, row_id: int) -> str:
    """A position as URL-safe text (base64 of its instant and id)."""
    raw = f"{at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str, expected: str = NEXT_CURSOR) -> tuple[datetime, int]:
    """The (instant, id) a cursor names; RequestInvalid naming `cursor` (with `expected`, what
    to send instead) when it is not one this API gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        instant, row_id = raw.split("|")
        at, number = datetime.fromisoformat(instant), int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid(expected) from None
    if at.utcoffset() is None or not 1 <= number <= MAX_ID:
        raise _invalid(expected)
    return at, number


def encode_cursor(position: ListPosition) -> str:
    """The document list's position as a cursor."""
    return encode_position(position.created_at, position.document_id)


def decode_cursor(cursor: str) -> ListPosition:
    """The document list's position a cursor names; RequestInvalid when it is not one."""
    return ListPosition(*decode_position(cursor))


def cursor_with_offset() -> RequestInvalid:
    """The error for a request that sends both a cursor and an offset."""
    return RequestInvalid(
        "cursor and offset: send one of them, not both",
        [field_finding("offset", "0 (or left out) when a cursor is sent")],
    )


def _invalid(expected: str) -> RequestInvalid:
    return RequestInvalid(
        f"cursor: not a cursor of this list; send {expected}, or leave it out for the first page",
        [field_finding("cursor", expected)],
    )
