"""The API as `make run` and docker-compose serve it: uvicorn over TCP, parsing HTTP with
httptools (installed for speed: bench/bench_upload.py). The ASGI tests elsewhere send whole
bodies; here the server itself reads the uploads from the socket, one of them chunked, with no
Content-Length, so that only the stream shows it is over the limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from config.settings import Settings
from models.documents import Document
from tests.api.conftest import PDF_BYTES, Person, count_rows, form, stored_files
from tests.browser_support import serve_app


def test_uvicorn_parses_http_with_httptools() -> None:
    assert AutoHTTPProtocol.__name__ == "HttpToolsProtocol", "httptools is not installed"


def test_the_served_api_stores_an_upload_and_refuses_a_chunked_one_over_the_limit(
    app: FastAPI, people: dict[str, Person], settings: Settings
) -> None:
    settings.max_upload_bytes = 1024 * 1024
    drafter = people["drafter"].headers

    def oversized() -> Iterator[bytes]:  # chunked: only the stream shows its size
        boundary = "gkboundary"
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.pdf"\r\n\r\n%PDF-1.4\n'
        ).encode()
        for _ in range(160):  # 10 MiB
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        accepted = client.post(
            "/documents",
            data=form(),
            files={"file": ("通知.pdf", PDF_BYTES + b"0" * 500_000, "application/pdf")},
            headers=drafter,
        )
        assert accepted.status_code == 201, accepted.text
        sha = accepted.json()["version"]["files"][0]["sha256"]
        assert (settings.files_dir / sha[:2] / sha[2:4] / sha).stat().st_size == 500_000 + len(
            PDF_BYTES
        )
        refused = client.post(
            "/documents",
            content=oversized(),
            headers=drafter | {"Content-Type": "multipart/form-data; boundary=gkboundary"},
        )
        assert refused.status_code == 413, refused.text
        assert refused.json()["error"] == "too_large"
        assert client.get("/documents", headers=drafter).json()["total"] == 1
    assert count_rows(app, Document) == 1
    assert [p.name for p in stored_files(settings)] == [sha]


def test_the_access_log_never_holds_an_applicants_delivery_token_条例_art_40(
    app: FastAPI,
) -> None:
    """uvicorn logs every request's path; a delivery link's token opens released files for
    whoever has it, so the served app's access log shows the link with the token replaced."""
    import logging

    from api.access_log import ACCESS_LOGGER

    lines: list[str] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    token = "9c" * 32  # the form of a real one; unknown here (404)
    kept = Kept()
    with serve_app(app, log_level="info") as base:
        logging.getLogger(ACCESS_LOGGER).addHandler(kept)  # after uvicorn set up its logging
        try:
            for path in (
                f"/applications/deliveries/{token}",
                f"/applications/deliveries/{token}/files/7?x=1",
            ):
                assert httpx.get(base + path).status_code == 404
            assert httpx.get(base + "/portal").status_code == 200
        finally:
            logging.getLogger(ACCESS_LOGGER).removeHandler(kept)
    deliveries = [line for line in lines if "/applications/deliveries/" in line]
    assert len(deliveries) == 2, lines
    assert all(token not in line for line in lines)
    assert any("/applications/deliveries/…/files/7" in line for line in deliveries)
    assert any('"GET /portal HTTP/1.1" 200' in line for line in lines)
