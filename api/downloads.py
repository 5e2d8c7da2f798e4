"""Stored files sent to a person: checked against the content recorded (and reviewed) when they
were received before a byte goes out, and checked again as they are sent
(services.stored_content), under the name their upload gave them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from models.files import StoredFile
from services.stored_content import open_verified, verified_chunks


def stored_file_response(
    *,
    files_dir: Path,
    stored: StoredFile,
    filename: str,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> StreamingResponse:
    """The stored content as a download (Content-Disposition: attachment): 404 when it is not
    in storage, 500 when its bytes no longer hash to its record (nothing of them is sent)."""
    handle = open_verified(files_dir=files_dir, stored=stored)
    quoted = quote(filename)
    disposition = (
        f"attachment; filename*=utf-8''{quoted}"
        if quoted != filename
        else f'attachment; filename="{filename}"'
    )
    return StreamingResponse(
        verified_chunks(handle, stored),
        media_type=media_type,
        headers={
            **(headers or {}),
            "content-length": str(stored.size_bytes),
            "content-disposition": disposition,
        },
    )
