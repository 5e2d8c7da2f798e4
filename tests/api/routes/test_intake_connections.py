"""Connections that the PostgreSQL server dropped (a restart) cost no failed upload, whether they
die before the request or while its upload is still arriving: the pool checks a connection when
it hands it out (api/deps.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import psycopg
import pytest
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
