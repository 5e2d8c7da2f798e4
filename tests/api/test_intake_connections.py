"""The API's PostgreSQL pool is not pinged before each checkout (a round trip per request saved):
connections that the server dropped (a restart) cost one retry, not a failed upload — whether
they die before the request or while its upload is still arriving (api/deps.py,
api/submissions.py). The token look-up runs outside a transaction, and a plain draft's one
statement is one whose conversion the driver caches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy.engine import make_url

from models.documents import Document
from tests.api.conftest import PDF_BYTES, Person, TestClient, count_rows, form, main_file

BOUNDARY = "gongkai-test-boundary"


@pytest.fixture
def pg_database(database_url: str) -> str:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("dropped server connections are a PostgreSQL matter")
    return database_url


def drop_connections(url: str) -> int:
    """Terminate every other backend on the test database, as a server restart would."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(1 for (done,) in rows if done)


def test_an_upload_after_the_server_dropped_the_pool_is_accepted(
    client: TestClient, people: dict[str, Person], app: FastAPI, pg_database: str
) -> None:
    headers = people["drafter"].headers
    assert client.post("/documents", data=form(), files=main_file(), headers=headers).is_success
    assert drop_connections(pg_database) >= 1
    again = client.post("/documents", data=form(title="第二份"), files=main_file(), headers=headers)
    assert again.status_code == 201, again.text
    assert client.get("/documents", headers=headers).json()["total"] == 2
    assert count_rows(app, Document) == 2


def test_an_upload_whose_connection_dies_while_it_arrives_is_accepted(
    client: TestClient, people: dict[str, Person], app: FastAPI, pg_database: str
) -> None:
    dropped: list[int] = []
    fields = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in form().items()
    ).encode()
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
    head += "Content-Type: application/pdf\r\n\r\n"

    async def body() -> AsyncIterator[bytes]:
        yield fields + head.encode() + PDF_BYTES[:10]
        # The token was checked; the upload has not finished: the server drops the pool.
        dropped.append(await anyio.to_thread.run_sync(drop_connections, pg_database))
        yield PDF_BYTES[10:] + f"\r\n--{BOUNDARY}--\r\n".encode()

    response = client.post(
        "/documents",
        content=body(),
        headers=people["drafter"].headers
        | {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert len(dropped) == 1
    assert dropped[0] >= 1
    assert response.status_code == 201, response.text
    assert count_rows(app, Document) == 1


def test_the_token_look_up_runs_outside_a_transaction(
    client: TestClient, people: dict[str, Person], app: FastAPI, database_url: str
) -> None:
    """On PostgreSQL the look-up is one SELECT in autocommit (no BEGIN/ROLLBACK round trips): no
    connection goes back to the pool inside a transaction, on every request, not only the first
    (the look-up's bind is made once per engine); the upload's own statements commit."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("round trips are a PostgreSQL matter: SQLite runs in the server's process")
    returned: list[psycopg.pq.TransactionStatus] = []

    def record(dbapi_connection: Any, *_: Any) -> None:
        returned.append(dbapi_connection.info.transaction_status)

    engine = app.state.engine
    sa.event.listen(engine, "reset", record)
    try:
        for title in ("第一份", "第二份"):
            response = client.post(
                "/documents",
                data=form(title=title),
                files=main_file(),
                headers=people["drafter"].headers,
            )
            assert response.status_code == 201, response.text
    finally:
        sa.event.remove(engine, "reset", record)
    assert len(returned) >= 4  # two look-ups, two units of work
    assert psycopg.pq.TransactionStatus.INTRANS not in returned


def test_a_plain_drafts_statement_is_one_the_driver_caches(
    client: TestClient, people: dict[str, Person], app: FastAPI, database_url: str
) -> None:
    """psycopg caches a statement's conversion to PostgreSQL's $n placeholders only up to 4,096
    bytes and 50 parameters; the one statement that writes a draft with one file and no
    attachments (services/intake/rows.py `_insert_new_document`) stays within both, so that its
    conversion runs once, not on every upload."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("the statement is PostgreSQL's: SQLite writes the rows one by one")
    written: list[tuple[str, dict[str, Any]]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("WITH f AS (INSERT INTO stored_files"):
            written.append((statement, parameters))

    engine = app.state.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post(
            "/documents", data=form(), files=main_file(), headers=people["drafter"].headers
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 201, response.text
    [(statement, parameters)] = written
    assert len(statement.encode()) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(parameters) <= MAX_CACHED_STATEMENT_PARAMS
