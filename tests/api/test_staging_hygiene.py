"""Issue 23: a staged upload is removed on every path that does not store it, and abandoned
ones (`.part` older than an hour) are swept at start-up and periodically."""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from fastapi import FastAPI

from api.staging_sweep import sweep_staging_forever
from config.settings import Settings
from services.storage import STAGING, sweep_staging
from tests.api.conftest import PDF_BYTES, Person, TestClient

BOUNDARY = "gongkai-test-boundary"


def _body(file_bytes: bytes, *, closed: bool) -> bytes:
    fields = {
        "title": "通知",
        "document_type": "notice",
        "written_on": "2025-03-03",
        "attribute": "proactive",
    }
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + file_bytes
    )
    if closed:
        parts.append(f"\r\n--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def _post(client: TestClient, body: bytes, token: str) -> int:
    response = client.post(
        "/documents",
        content=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )
    return response.status_code


def _parts(settings: Settings) -> list[Path]:
    return list((settings.files_dir / STAGING).glob("*.part"))


def test_issue_23_a_body_cut_before_its_closing_boundary_leaves_no_part_file(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    big = PDF_BYTES + b"0" * 2_000_000
    assert _post(client, _body(big, closed=False), people["drafter"].token) == 422
    assert _parts(settings) == []


def test_a_whole_body_is_still_accepted(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    assert _post(client, _body(PDF_BYTES, closed=True), people["drafter"].token) == 201
    assert _parts(settings) == []


def test_issue_23_a_refused_token_with_a_body_leaves_no_part_file(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    big = PDF_BYTES + b"0" * 2_000_000
    assert _post(client, _body(big, closed=True), "gk_not-a-token") == 401
    assert _post(client, _body(big, closed=False), "gk_not-a-token") == 401
    assert _parts(settings) == []


def test_a_refused_submission_leaves_no_part_file(
    client: TestClient, people: dict[str, Person], settings: Settings
) -> None:
    # a malformed form (no document_type) after the whole file was staged
    body = _body(PDF_BYTES, closed=True).replace(b'name="document_type"', b'name="x_type"')
    assert _post(client, body, people["drafter"].token) == 422
    assert _parts(settings) == []


def _part(folder: Path, name: str, age: timedelta) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x")
    stamp = time.time() - age.total_seconds()
    os.utime(path, (stamp, stamp))
    return path


def test_issue_23_the_sweep_removes_part_files_older_than_an_hour_only(tmp_path: Path) -> None:
    staging = tmp_path / STAGING
    old = _part(staging, "old.part", timedelta(hours=1, minutes=1))
    fresh = _part(staging, "fresh.part", timedelta(minutes=59))
    other = _part(staging, "notes.txt", timedelta(days=2))
    swept = sweep_staging(files_dir=tmp_path, older_than=timedelta(hours=1), at=datetime.now(UTC))
    assert swept == 1
    assert not old.exists()
    assert fresh.exists()
    assert other.exists()


def test_issue_23_the_app_sweeps_abandoned_part_files_at_start_up(
    app: FastAPI, settings: Settings
) -> None:
    old = _part(settings.files_dir / STAGING, "abandoned.part", timedelta(hours=2))

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            for _ in range(100):
                if not old.exists():
                    break
                await anyio.sleep(0.01)

    anyio.run(start_and_stop)
    assert not old.exists()


def test_the_sweep_runs_again_after_its_interval(settings: Settings) -> None:
    periodic = settings.model_copy(update={"staging_sweep_seconds": 0.05})

    async def sweep_while_a_file_is_abandoned() -> bool:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(sweep_staging_forever, periodic)
            await anyio.sleep(0.1)  # the start-up sweep has run
            later = _part(settings.files_dir / STAGING, "later.part", timedelta(hours=3))
            for _ in range(100):
                if not later.exists():
                    break
                await anyio.sleep(0.02)
            tasks.cancel_scope.cancel()
        return later.exists()

    assert anyio.run(sweep_while_a_file_is_abandoned) is False


def test_a_client_that_disconnects_mid_upload_leaves_no_part_file(
    app: FastAPI, people: dict[str, Person], settings: Settings
) -> None:
    body = _body(PDF_BYTES + b"0" * 500_000, closed=False)
    messages = [
        {"type": "http.request", "body": body, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/documents",
        "raw_path": b"/documents",
        "query_string": b"",
        "root_path": "",
        "server": ("gongkai.test", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [
            (b"authorization", f"Bearer {people['drafter'].token}".encode()),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        ],
        "app": app,
    }

    async def call() -> None:
        with contextlib.suppress(Exception):
            await app(scope, receive, send)

    anyio.run(call)
    assert _parts(settings) == []
