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
replaced by a digest that reads nothing: each upload gets a random name).

A third variant adds what every accepted upload must do to be accountable, and nothing else
(`create_accountable_floor`): the bearer token looked up on a connection of its own before the
body is read (401 without it; the app's own `api_tokens` and `users`, in ACCOUNTS_DATABASE_URL),
and in the one transaction a document row, its version (the document then pointing at it), the
version's marking, a deadline row, an audit row and the audit row's hash-chain link (the chain's
head read under its lock, SHA-256 of the previous hash and the entry). Written in plain SQL on
the driver: no ORM, no validation, no policy checks."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
# The accountable variant's rows: the document, its deadline, its audit entry and the entry's link.
_ACCOUNTABLE_TABLES = (
    "CREATE TABLE IF NOT EXISTS floor_documents (id {key}, title TEXT NOT NULL, "
    "submitted_by TEXT NOT NULL, created_at TEXT NOT NULL, current_version_id BIGINT)",
    "CREATE TABLE IF NOT EXISTS floor_versions (id {key}, document_id BIGINT NOT NULL, "
    "number INTEGER NOT NULL, main_file_id BIGINT NOT NULL, submitted_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_markings (id {key}, version_id BIGINT NOT NULL, "
    "attribute TEXT NOT NULL, marking_text TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_deadlines (id {key}, document_id BIGINT NOT NULL, "
    "due_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_audit (id {key}, actor TEXT NOT NULL, "
    "action TEXT NOT NULL, document_id BIGINT NOT NULL, occurred_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_chain (seq BIGINT PRIMARY KEY, entry_id BIGINT NOT NULL, "
    "content TEXT NOT NULL, prev_hash TEXT NOT NULL, entry_hash TEXT NOT NULL)",
)
_TOKEN = (
    "SELECT users.name FROM api_tokens JOIN users ON users.id = api_tokens.user_id "
    "WHERE api_tokens.token_hash = {0} AND api_tokens.revoked_at IS NULL AND users.active"
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


def _accountable_rows(
    execute: Callable[[str, tuple[Any, ...]], Any],
    mark: str,
    file_id: Any,
    form: ReceivedForm,
    person: str,
) -> Any:
    """The document, its version and marking, its deadline, the audit entry and the entry's chain
    link of one upload, in the caller's
    transaction (which holds the chain's lock where the database needs one); the document id."""
    at = datetime.now(UTC)
    title = (form.fields.get("title") or [""])[0]

    def sql(text: str) -> str:
        return text.format(mark)

    document = execute(
        sql(
            "INSERT INTO floor_documents (title, submitted_by, created_at) "
            "VALUES ({0}, {0}, {0}) RETURNING id"
        ),
        (title, person, at.isoformat()),
    ).fetchone()[0]
    version = execute(
        sql(
            "INSERT INTO floor_versions (document_id, number, main_file_id, submitted_at) "
            "VALUES ({0}, 1, {0}, {0}) RETURNING id"
        ),
        (document, file_id, at.isoformat()),
    ).fetchone()[0]
    execute(
        sql("UPDATE floor_documents SET current_version_id = {0} WHERE id = {0}"),
        (version, document),
    )
    execute(
        sql(
            "INSERT INTO floor_markings (version_id, attribute, marking_text) "
            "VALUES ({0}, {0}, {0})"
        ),
        (version, "proactive", "此件公开发布"),
    )
    execute(
        sql("INSERT INTO floor_deadlines (document_id, due_at) VALUES ({0}, {0})"),
        (document, (at + timedelta(days=28)).isoformat()),
    )
    entry = execute(
        sql(
            "INSERT INTO floor_audit (actor, action, document_id, occurred_at) "
            "VALUES ({0}, {0}, {0}, {0}) RETURNING id"
        ),
        (person, "submission.received", document, at.isoformat()),
    ).fetchone()[0]
    head = execute(
        "SELECT seq, entry_hash FROM floor_chain ORDER BY seq DESC LIMIT 1", ()
    ).fetchone()
    seq, prev = (0, "0" * 64) if head is None else (head[0], head[1])
    content = f'{{"action":"submission.received","actor":"{person}","document_id":{document}}}'
    digest = hashlib.sha256(f"{prev}\nfloor_audit\n{content}".encode()).hexdigest()
    execute(
        sql(
            "INSERT INTO floor_chain (seq, entry_id, content, prev_hash, entry_hash) "
            "VALUES ({0}, {0}, {0}, {0}, {0})"
        ),
        (seq + 1, entry, content, prev, digest),
    )
    return document


def _accountable_sqlite(path: str, accounts: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(_TABLE.format(key="INTEGER PRIMARY KEY"))
    for table in _ACCOUNTABLE_TABLES:
        connection.execute(table.format(key="INTEGER PRIMARY KEY"))
    lock = threading.Lock()

    def who(token_hash: str) -> str | None:
        with sqlite3.connect(accounts) as reader:
            row = reader.execute(_TOKEN.format("?"), (token_hash,)).fetchone()
        return None if row is None else str(row[0])

    def write(
        values: tuple[Any, ...], place: Callable[[], None], form: ReceivedForm, person: str
    ) -> Any:
        with lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(_INSERT.format("?"), values).fetchone()
                place()
                file_id = row[0] if row else 0
                document = _accountable_rows(connection.execute, "?", file_id, form, person)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return document

    return who, write


def _accountable_postgresql(url: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
    connection = psycopg.connect(conninfo)
    connection.execute(_TABLE.format(key="BIGSERIAL PRIMARY KEY"))
    for table in _ACCOUNTABLE_TABLES:
        connection.execute(table.format(key="BIGSERIAL PRIMARY KEY"))
    connection.commit()
    reader = psycopg.connect(conninfo, autocommit=True)
    lock = threading.Lock()

    def who(token_hash: str) -> str | None:
        with lock:
            row = reader.execute(_TOKEN.format("%s"), (token_hash,)).fetchone()
        return None if row is None else str(row[0])

    def write(
        values: tuple[Any, ...], place: Callable[[], None], form: ReceivedForm, person: str
    ) -> Any:
        with lock, connection.transaction():
            row = connection.execute(_INSERT.format("%s"), values).fetchone()
            place()
            connection.execute("SELECT pg_advisory_xact_lock(7)")
            file_id = row[0] if row else 0
            return _accountable_rows(connection.execute, "%s", file_id, form, person)

    return who, write


def create_accountable_floor() -> FastAPI:
    """The floor with the accountable work every accepted upload needs (uvicorn --factory)."""
    files_dir = Path(os.environ["FLOOR_DIR"])
    url = os.environ["FLOOR_DATABASE_URL"]
    if make_url(url).get_backend_name() == "sqlite":
        accounts = make_url(os.environ["ACCOUNTS_DATABASE_URL"]).database or ""
        who, write = _accountable_sqlite(make_url(url).database or "", accounts)
    else:
        who, write = _accountable_postgresql(url)
    (files_dir / STAGING).mkdir(parents=True, exist_ok=True)

    def store(form: ReceivedForm, person: str) -> dict[str, Any]:
        staged = form.uploads[0]
        values = (
            staged.sha256,
            staged.size_bytes,
            staged.original_name,
            storage_path_for(staged.sha256),
        )
        place = lambda: place_file(files_dir=files_dir, staged=staged)  # noqa: E731
        return {"id": write(values, place, form, person), "sha256": staged.sha256}

    app = FastAPI()

    @app.post("/documents", status_code=201)
    async def upload(request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        person = await run_in_threadpool(who, hashlib.sha256(token.encode()).hexdigest())
        if person is None:
            return JSONResponse({"error": "unauthenticated"}, 401)
        form = await receive_form(
            request, files_dir=files_dir, file_kinds={"file": "main"}, limits=_LIMITS
        )
        return JSONResponse(await run_in_threadpool(store, form, person), 201)

    return app


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
