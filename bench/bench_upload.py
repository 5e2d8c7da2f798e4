"""Upload benchmark (issue 3), run by hand: `.venv/bin/python bench/bench_upload.py`.

Starts uvicorn on 127.0.0.1 twice — the real app (temp SQLite, then PostgreSQL if reachable) and a
bare FastAPI route streaming the same 2 MB PDF to disk — and prints the median latency of each and
their ratio (target ≤ 1.5×). Then 32 concurrent uploaders for 30 s against the real app: errors,
and lost or duplicated documents checked against the database. Prefect is pointed at a closed
port, so reviews stay pending (the reconciler's job), as in the worst case.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import make_engine, session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ, issue_token  # noqa: E402

PDF_SIZE = 2 * 1024 * 1024
SEQUENTIAL = 40
UPLOADERS = 32
DURATION = 30.0
PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pdf(n: int) -> bytes:
    head = f"%PDF-1.4\n% bench {n}\n".encode()
    return head + os.urandom(PDF_SIZE - len(head))


def serve(target: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ | env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/docs", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def token_for(url: str) -> str:
    engine = make_engine(url)
    at = datetime.now(UTC)
    with session_scope(engine) as session:
        organ = ensure_organ(session=session, code="bench", name="基准测试县", at=at)
        user = create_user(session=session, name="bench", organ=organ, role=Role.DRAFTER, at=at)
        _, token = issue_token(session=session, user=user, label="bench", at=at)
    engine.dispose()
    return token


def fields(n: int | str) -> dict[str, str]:
    return {
        "title": f"基准测试文件 {n}",
        "document_type": "notice",
        "written_on": "2025-03-03",
        "attribute": "proactive",
    }


def median_latency(client: httpx.Client, path: str, headers: dict[str, str], real: bool) -> float:
    timings = []
    for n in range(SEQUENTIAL):
        body = pdf(n)
        start = time.perf_counter()
        response = client.post(
            path,
            data=fields(f"s{n}") if real else None,
            files={"file": ("通知.pdf", body, "application/pdf")},
            headers=headers,
        )
        timings.append(time.perf_counter() - start)
        assert response.status_code == 201, response.text
    return statistics.median(timings[5:])  # first few warm up


def concurrent(url: str, headers: dict[str, str]) -> tuple[int, int, list[str]]:
    bodies = [pdf(10_000 + i) for i in range(UPLOADERS)]
    ok, errors, titles, lock = [0], [0], [], threading.Lock()
    deadline = time.monotonic() + DURATION

    def uploader(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            n = 0
            while time.monotonic() < deadline:
                title_n = f"c{i}-{n}"
                n += 1
                try:
                    r = client.post(
                        "/documents",
                        data=fields(title_n),
                        files={"file": ("通知.pdf", bodies[i], "application/pdf")},
                        headers=headers,
                    )
                    good = r.status_code == 201
                except httpx.HTTPError:
                    good = False
                with lock:
                    if good:
                        ok[0] += 1
                        titles.append(fields(title_n)["title"])
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(UPLOADERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0], errors[0], titles


def run(label: str, database_url: str, data_dir: Path) -> None:
    upgrade(database_url)
    token = token_for(database_url)
    headers = {"Authorization": f"Bearer {token}"}
    env = {
        "GONGKAI_DATA_DIR": str(data_dir),
        "GONGKAI_DATABASE_URL": database_url,
        "GONGKAI_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
        "GONGKAI_REVIEW_SWEEP_SECONDS": "0",
        "BARE_UPLOAD_DIR": str(data_dir),
    }
    real, real_url = serve(["--factory", "api.app:create_app"], env)
    bare, bare_url = serve(["bench.bare_upload:app"], env)
    try:
        with httpx.Client(base_url=real_url, timeout=60) as c:
            real_median = median_latency(c, "/documents", headers, True)
        with httpx.Client(base_url=bare_url, timeout=60) as c:
            bare_median = median_latency(c, "/upload", {}, False)
        print(f"[{label}] POST /documents 2 MB PDF: median {real_median * 1000:.1f} ms")
        print(f"[{label}] bare streaming route:     median {bare_median * 1000:.1f} ms")
        print(f"[{label}] ratio {real_median / bare_median:.2f}x (target <= 1.5x)")
        before = count(database_url)
        ok, errors, titles = concurrent(real_url, headers)
        after = count(database_url)
        engine = make_engine(database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT title, count(*) FROM documents GROUP BY title HAVING count(*) > 1")
            ).all()
        engine.dispose()
        lost = ok - (after - before)
        print(
            f"[{label}] {UPLOADERS} uploaders x {DURATION:.0f} s: {ok} accepted "
            f"({ok / DURATION:.1f}/s), {errors} errors, {lost} lost, "
            f"{len(rows)} duplicated titles, "
            f"{len(titles) - len(set(titles))} client-side duplicates"
        )
    finally:
        for process in (real, bare):
            process.terminate()
            process.wait(10)


def count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        total = int(connection.execute(sa.text("SELECT count(*) FROM documents")).scalar_one())
    engine.dispose()
    return total


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as tmp:
        data = Path(tmp)
        run("sqlite", f"sqlite:///{data / 'bench.db'}", data / "sqlite")
        try:
            admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError:
            print("[postgresql] not reachable: skipped")
            return 0
        name = f"gongkai_bench_{os.getpid()}"
        with admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                pg_url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(False)
                run("postgresql", pg_url, data / "postgresql")
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
