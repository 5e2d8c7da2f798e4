"""The baseline: a bare FastAPI route that streams an uploaded file to disk (bench only)."""

from __future__ import annotations

import os
import tempfile
import uuid

from fastapi import FastAPI, UploadFile

app = FastAPI()
TARGET = os.environ.get("BARE_UPLOAD_DIR", tempfile.gettempdir())


@app.post("/upload", status_code=201)
async def upload(file: UploadFile) -> dict[str, int]:
    """Copy the upload to disk in 1 MiB chunks."""
    size = 0
    with open(os.path.join(TARGET, uuid.uuid4().hex), "wb") as out:
        while chunk := await file.read(1 << 20):
            out.write(chunk)
            size += len(chunk)
    return {"size": size}
