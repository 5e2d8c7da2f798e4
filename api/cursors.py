"""The list cursor: an opaque string that names where a page of GET /documents ended (the
service's ListPosition), for the client to send back for the next page."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from services.documents import ListPosition
from services.errors import RequestInvalid, field_finding


def encode_cursor(position: ListPosition) -> str:
    """The position as URL-safe text (base64 of its creation time and id)."""
    raw = f"{position.created_at.isoformat()}|{position.document_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> ListPosition:
    """The position a cursor names; RequestInvalid when it is not one this API gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, document_id = raw.split("|")
        position = ListPosition(datetime.fromisoformat(created_at), int(document_id))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid() from None
    if position.created_at.utcoffset() is None:
        raise _invalid()
    return position


def cursor_with_offset() -> RequestInvalid:
    """The error for a request that sends both a cursor and an offset."""
    return RequestInvalid(
        "cursor and offset: send one of them, not both",
        [field_finding("offset", "0 (or left out) when a cursor is sent")],
    )


def _invalid() -> RequestInvalid:
    expected = "the next_cursor of the previous page, unchanged"
    return RequestInvalid(
        f"cursor: not a cursor of this list; send {expected}, or leave it out for the first page",
        [field_finding("cursor", expected)],
    )
