"""The floor (bench only): the least a server must do per upload to store it as POST /documents
must, and nothing else — the body streamed, hashed and staged by the app's own receiver
(api.uploads), the content fsynced (services.storage), renamed into its content-addressed path and
its directory synced, one row about it committed durably, then 201. No token, no form fields, no
policy checks, no document, version, findings, deadlines or audit rows, no ORM, no answer body
beyond the row's id.

It is what `bench_upload.py --floor` sets beside the app and the bare route: the app's latency
over the floor's is what the app's own work costs; the floor's over the bare route's is what the
storage requirements of issue 3 (hashed, durable before the 201) cost on this machine.

Configured by environment: FLOOR_DIR (where files go) and FLOOR_DATABASE_URL (SQLite or
PostgreSQL; the floor writes its own table, `floor_files`). Two variants take one requirement
away, to price it: `create_floor_without_fsync` (no fsync of the content or the directory; the
database still commits durably) and `create_floor_without_sha256` (the receiver's SHA-256
replaced by a digest that reads nothing: each upload gets a random name)."""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url
from starlette.concurrency import run_in_threadpool

from api.uploads import ReceivedForm, UploadLimits, receive_form

# The app's own placement (exists check, read-only, rename, directory sync; fsyncs switched by
# services.storage.FSYNC), so that the floor measures the same steps, not a copy of them.
from services.storage import STAGING, place_file, storage_path_for

_TABLE = (
    "CREATE TABLE IF NOT EXISTS floor_files (id {key}, sha256 TEXT UNIQUE NOT NULL, "
    "size_bytes BIGINT NOT NULL, original_name TEXT NOT NULL, storage_path TEXT NOT NULL)"
)
_INSERT = (
    "INSERT INTO floor_files (sha256, size_bytes, original_name, storage_path) "
    "VALUES ({0}, {0}, {0}, {0}) ON CONFLICT DO NOTHING RETURNING id"
)
_LIMITS = UploadLimits(max_file_bytes=50 << 20, max_request_bytes=51 << 20, max_files=1)


def _sqlite_writer(path: str) -> Callable[[tuple[Any, ...], Callable[[], None]], Any]:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")  # as the app's engine (models/db.py)
    connection.execute(_TABLE.format(key="INTEGER PRIMARY KEY"))
    lock = threading.Lock()

    def write(values: tuple[Any, ...], place: Callable[[], None]) -> Any:
        with lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(_INSERT.format("?"), values).fetchone()
                place()
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return None if row is None else row[0]

    return write


def _postgresql_writer(url: str) -> Callable[[tuple[Any, ...], Callable[[], None]], Any]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    connection = psycopg.connect(conninfo)
    connection.execute(_TABLE.format(key="BIGSERIAL PRIMARY KEY"))
    connection.commit()
    lock = threading.Lock()

    def write(values: tuple[Any, ...], place: Callable[[], None]) -> Any:
        with lock, connection.transaction():
            row = connection.execute(_INSERT.format("%s"), values).fetchone()
            place()
            return None if row is None else row[0]

    return write


class _NoDigest:
    """Stands in for hashlib.sha256 in the receiver: reads nothing, names each upload at random."""

    def __init__(self) -> None:
        self._name = uuid.uuid4().hex * 2

    def update(self, _data: object) -> None:
        pass

    def hexdigest(self) -> str:
        return self._name


def create_floor_without_fsync() -> FastAPI:
    """The floor without the fsyncs of files and directories (uvicorn --factory)."""
    from services import storage

    storage.FSYNC = False
    return create_floor()


def create_floor_without_sha256() -> FastAPI:
    """The floor without hashing the upload (uvicorn --factory)."""
    from api import uploads

    uploads.hashlib = type("NoHashlib", (), {"sha256": _NoDigest})  # type: ignore[assignment]
    return create_floor()


def create_floor() -> FastAPI:
    """The floor app (uvicorn --factory)."""
    files_dir = Path(os.environ["FLOOR_DIR"])
    url = os.environ["FLOOR_DATABASE_URL"]
    if make_url(url).get_backend_name() == "sqlite":
        write = _sqlite_writer(make_url(url).database or "")
    else:
        write = _postgresql_writer(url)
    (files_dir / STAGING).mkdir(parents=True, exist_ok=True)

    def store(form: ReceivedForm) -> dict[str, Any]:
        staged = form.uploads[0]
        path = storage_path_for(staged.sha256)
        values = (staged.sha256, staged.size_bytes, staged.original_name, path)
        place = lambda: place_file(files_dir=files_dir, staged=staged)  # noqa: E731
        return {"id": write(values, place), "sha256": staged.sha256}

    app = FastAPI()

    @app.post("/documents", status_code=201)
    async def upload(request: Request) -> JSONResponse:
        form = await receive_form(
            request, files_dir=files_dir, file_kinds={"file": "main"}, limits=_LIMITS
        )
        return JSONResponse(await run_in_threadpool(store, form), 201)

    return app
