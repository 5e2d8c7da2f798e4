"""Connections that the PostgreSQL server dropped (a restart) cost no failed upload, whether they
die before the request or while its upload is still arriving: the pool checks a connection when
it hands it out (api/deps.py). And what an accepted upload asks of the database: two
connections, its statements, one commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
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


def _label(statement: str) -> str:
    """A statement as its verb and table: 'INSERT documents', 'SELECT calendar_years'."""
    words = statement.replace("(", " ").split()
    verb = words[0].upper()
    if verb in ("INSERT", "UPDATE"):
        return f"{verb} {words[2] if verb == 'INSERT' else words[1]}"
    if verb == "SELECT":  # named by the table of its first column (or its function)
        return f"SELECT {words[1].split('.')[0]}"
    return statement


def test_an_accepted_upload_takes_two_connections_runs_its_statements_and_commits_once(
    client: TestClient, people: dict[str, Person], app: FastAPI, database_url: str
) -> None:
    """The token's look-up (a connection of its own, before the body), then one unit of work:
    no statement beyond these, and a single commit (issue 22's guard: statements per upload)."""
    headers = people["drafter"].headers
    assert client.post("/documents", data=form(), files=main_file(), headers=headers).is_success
    engine = app.state.engine
    seen: list[str] = []
    listeners: list[tuple[object, str, Callable[..., None]]] = [
        (engine.pool, "checkout", lambda *_: seen.append("checkout")),
        (engine, "commit", lambda *_: seen.append("COMMIT")),
        (engine, "before_cursor_execute", lambda _c, _k, sql, *_: seen.append(_label(sql))),
    ]
    for target, name, listener in listeners:
        sa.event.listen(target, name, listener)
    try:
        second = client.post(
            "/documents",
            data=form(title="第二份"),
            files=main_file(data=PDF_BYTES + b"% another draft\n"),
            headers=headers,
        )
    finally:
        for target, name, listener in listeners:
            sa.event.remove(target, name, listener)
    assert second.status_code == 201, second.text
    postgresql = make_url(database_url).get_backend_name() == "postgresql"
    token = ["checkout", *([] if postgresql else ["BEGIN"]), "SELECT users"]
    unit_of_work = [
        "checkout",
        *([] if postgresql else ["BEGIN IMMEDIATE"]),
        "SELECT calendar_years",
        "INSERT stored_files",
        "INSERT documents",
        "INSERT versions",
        "INSERT audit_events",
        "INSERT deadlines",
        "UPDATE documents",  # documents ⇄ versions: the current version, once both exist
        "INSERT markings",
        *(["SELECT pg_advisory_xact_lock"] if postgresql else []),
        "SELECT audit_events",  # the entry as stored, with the chain's head
        "INSERT audit_chain",
        "COMMIT",
    ]
    assert seen == token + unit_of_work
