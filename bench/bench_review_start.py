"""Upload → "waiting for the secrecy reviewer" (issue 6): `.venv/bin/python
bench/bench_review_start.py [--reps N] [--prefect-db sqlite|postgresql|both]`.

For each Prefect database (SQLite under a temp PREFECT_HOME — the embedded default — and a
throwaway database on the machine's PostgreSQL) it starts, as `make run` does, a Prefect server
(cli/stack.py's environment), one serve process (workflows/serve.py's environment: 2 s runner
poll, persisted results) serving two deployments — the real review flow and a bare flow with
the same three tasks before the same kind of suspend (a RunInput form with a description) —
and the real API in a uvicorn thread, on a SQLite database of our own (the embedded default).

One repetition of the real path: POST /documents (a text draft, multipart), the API starts the
run after its commit, the run re-checks the marking, pre-screens the text, opens the secrecy
step and suspends; the clock stops when the document is `secrecy_review`, its run is Suspended
and the form's schema is stored (the reviewer can act). The baseline: run_deployment(timeout=0)
of the bare flow, clock stopped the same way. Repetitions alternate real/bare so that other load
on the machine falls on both; the first pair warms up. Prints medians and ratios (target ≤ 1.3×)
and, with both databases, SQLite against PostgreSQL.

`--serve` is the internal mode of the serve subprocess.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.stack import prefect_server_command  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.db import make_engine, session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ, issue_token  # noqa: E402

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REVIEW = "document-review/default"
BARE = "bare-review/bare"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DRAFT = "关于做好2026年春耕工作的通知\n各乡镇人民政府：\n现将有关事项通知如下。\n"


def serve_both(limit: int) -> None:
    """The serve subprocess: the review deployment and the bare one, one runner."""
    sys.path.insert(0, str(ROOT))  # the bare flow's module is loaded as bench.bare_review
    from workflows.serve import prepare_environment

    prepare_environment()
    from prefect import serve

    from bench.bare_review import bare_review
    from workflows.review_flow import review_document

    serve(
        review_document.to_deployment(name="default"),
        bare_review.to_deployment(name="bare"),
        limit=limit,
        pause_on_shutdown=False,
    )


# --- the stack --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(probe: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout} s")
        time.sleep(every)


def wait_for_prefect(api_url: str) -> None:
    """Wait until the Prefect server at api_url answers its health check (at most 180 s)."""

    def healthy() -> bool:
        try:
            return httpx.get(f"{api_url}/health", timeout=2).is_success
        except httpx.HTTPError:
            return False

    wait_for(healthy, 180, "the Prefect server", every=0.2)


def rss_mb(pid: int) -> float:
    """Resident memory of one process (Linux /proc), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_of(pid: int) -> list[int]:
    """Direct child processes (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Stack:
    """A Prefect server, a serve process, the API, our database: one benchmark environment."""

    name: str
    workdir: Path
    prefect_api: str
    api: str
    engine: Any
    server: subprocess.Popen[bytes]
    serve: subprocess.Popen[bytes]
    server_start_s: float
    tokens: dict[str, str]

    def client(self) -> Any:
        from prefect.client.orchestration import SyncPrefectClient

        return SyncPrefectClient(self.prefect_api, httpx_settings={"timeout": 30})


def _pg_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


def _drop_pg(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _people(engine: Any) -> dict[str, str]:
    tokens = {}
    with session_scope(engine) as session:
        organ = ensure_organ(session=session, code="bench", name="基准测试县政府办", at=AT)
        for name, role in (
            ("drafter", Role.DRAFTER),
            ("reviewer", Role.SECRECY_REVIEWER),
            ("office", Role.DISCLOSURE_OFFICE),
        ):
            user = create_user(session=session, name=f"bench-{name}", organ=organ, role=role, at=AT)
            _, token = issue_token(session=session, user=user, label="bench", at=AT)
            tokens[name] = token
    return tokens


@contextmanager
def _api_thread(settings: Settings, port: int) -> Iterator[None]:
    import uvicorn

    from api.app import create_app

    app = create_app(settings, sweep_reviews=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, 30, "the API")
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def stack(prefect_db: str, limit: int = 4, our_db: str = "sqlite") -> Iterator[Stack]:
    """Prefect server on prefect_db ("sqlite" or "postgresql"), serve, API, and our database
    (SQLite under the work dir as in the embedded default, or a throwaway PostgreSQL one)."""
    from cli.stack import _prefect_env

    workdir = Path(tempfile.mkdtemp(prefix=f"bench-review-{prefect_db}-"))
    port, api_port = free_port(), free_port()
    ours_name = f"bench_ours_{os.getpid()}"
    ours = ""
    if our_db == "postgresql":
        ours = _pg_database(ours_name).replace("postgresql+asyncpg://", "postgresql://", 1)
    settings = Settings(
        database_url=ours,
        data_dir=workdir,
        prefect_api_url=f"http://127.0.0.1:{port}/api",
        api_base_url=f"http://127.0.0.1:{api_port}",
        review_sweep_seconds=0,
    )
    upgrade(settings.database_url)
    env = _prefect_env(settings)
    env |= {
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    pg_name = f"bench_prefect_{os.getpid()}"
    if prefect_db == "postgresql":
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = _pg_database(pg_name)
    else:
        env.pop("PREFECT_SERVER_DATABASE_CONNECTION_URL", None)
    log = (workdir / "server.log").open("ab")
    t0 = time.perf_counter()
    server = subprocess.Popen(
        prefect_server_command(port),
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    serve: subprocess.Popen[bytes] | None = None
    engine = make_engine(settings.database_url)
    try:
        wait_for_prefect(settings.prefect_api_url)
        started = time.perf_counter() - t0
        serve = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", "--limit", str(limit)],
            env=env,
            cwd=ROOT,
            stdout=(workdir / "serve.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

        def served() -> bool:
            names = ("document-review/default", "bare-review/bare")
            try:
                return all(
                    httpx.get(f"{settings.prefect_api_url}/deployments/name/{n}").is_success
                    for n in names
                )
            except httpx.HTTPError:
                return False

        wait_for(served, 120, "the deployments", every=0.5)
        with _api_thread(settings, api_port):
            yield Stack(
                prefect_db,
                workdir,
                settings.prefect_api_url,
                settings.api_base_url,
                engine,
                server,
                serve,
                started,
                _people(engine),
            )
    finally:
        if serve is not None:
            _stop(serve)
        _stop(server)
        engine.dispose()
        if prefect_db == "postgresql":
            _drop_pg(pg_name)
        if our_db == "postgresql":
            _drop_pg(ours_name)
        if sys.exc_info()[0] is None:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", file=sys.stderr)


# --- probes ---------------------------------------------------------------------------------


def form_ready(client: Any, run_id: UUID) -> bool:
    """The run is suspended and its form's schema is stored: a reviewer can act."""
    run = client.read_flow_run(run_id)
    state = run.state
    if state is None or not state.is_paused():
        return False
    keyset = state.state_details.run_input_keyset
    if not keyset:
        return False
    try:
        client.read_flow_run_input(run_id, keyset["schema"])
    except Exception:
        return False
    return True


def document_row(st: Stack, document_id: int) -> tuple[str, str | None]:
    from models.documents import Document

    with session_scope(st.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.status.value, document.flow_run_id


def document_waiting(st: Stack, client: Any, document_id: int, status: str) -> bool:
    current, run = document_row(st, document_id)
    return current == status and run is not None and form_ready(client, UUID(run))


def upload(st: Any, n: int, timeout: float = 60) -> int:
    """POST /documents with a text draft (st: a stack with `api` and `tokens`); the document
    id."""
    response = httpx.post(
        f"{st.api}/documents",
        data={
            "title": f"关于做好春耕工作的通知{n}",
            "doc_number": f"基政办发〔2026〕{n}号",
            "document_type": "notice",
            "written_on": "2026-03-02",
            "attribute": "proactive",
        },
        files={"file": ("通知.txt", io.BytesIO(DRAFT.encode()), "text/plain")},
        headers={"Authorization": f"Bearer {st.tokens['drafter']}"},
        timeout=timeout,
    )
    response.raise_for_status()
    return int(response.json()["document"]["id"])


def real_once(st: Stack, client: Any, n: int) -> float:
    t0 = time.perf_counter()
    document_id = upload(st, n)
    wait_for(lambda: document_waiting(st, client, document_id, "secrecy_review"), 180, "waiting")
    return time.perf_counter() - t0


def bare_start(client: Any, n: int) -> UUID:
    from prefect.deployments import run_deployment

    run = run_deployment(BARE, parameters={"n": n}, timeout=0, flow_run_name=f"bare-{n}")
    return UUID(str(run.id))


def bare_once(st: Stack, client: Any, n: int) -> float:
    t0 = time.perf_counter()
    run = on_server(st.prefect_api, bare_start, client, n)
    wait_for(lambda: form_ready(client, run), 180, "bare waiting")
    return time.perf_counter() - t0


def on_server(api_url: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Call fn with this process's Prefect client settings pointing at api_url."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        return fn(*args)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure(prefect_db: str, reps: int) -> dict[str, float]:
    with stack(prefect_db) as st:
        client = st.client()
        with client:
            real_once(st, client, 0)  # warm-up pair (first imports, first connections)
            bare_once(st, client, 0)
            real: list[float] = []
            bare: list[float] = []
            for n in range(1, reps + 1):
                real.append(real_once(st, client, n))
                bare.append(bare_once(st, client, n))
        figures = {
            "server_start_s": st.server_start_s,
            "real_s": median(real),
            "bare_s": median(bare),
            "real_min": min(real),
            "real_max": max(real),
            "bare_min": min(bare),
            "bare_max": max(bare),
        }
    figures["ratio"] = figures["real_s"] / figures["bare_s"]
    per_rep = [r / b for r, b in zip(real, bare, strict=True)]
    figures["ratio_of_pairs"] = median(per_rep)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--prefect-db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_both(args.limit)
        return 0
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    databases = ["sqlite", "postgresql"] if args.prefect_db == "both" else [args.prefect_db]
    results: dict[str, dict[str, float]] = {}
    for db in databases:
        figures = measure(db, args.reps)
        results[db] = figures
        print(
            f"Prefect on {db:10s}: upload → secrecy reviewer's form ready  median "
            f"{figures['real_s']:.2f} s (min {figures['real_min']:.2f}, max "
            f"{figures['real_max']:.2f}); bare flow, same tasks, same serve: "
            f"{figures['bare_s']:.2f} s (min {figures['bare_min']:.2f}, max "
            f"{figures['bare_max']:.2f}); ratio {figures['ratio']:.2f}× (median of per-pair "
            f"ratios {figures['ratio_of_pairs']:.2f}×; target ≤ 1.3×); server start to healthy "
            f"{figures['server_start_s']:.1f} s; {args.reps} reps",
            flush=True,
        )
    if len(results) == 2:
        sq, pg = results["sqlite"], results["postgresql"]
        print(
            "SQLite / PostgreSQL as Prefect's database: review start "
            f"{sq['real_s'] / pg['real_s']:.2f}×, bare flow {sq['bare_s'] / pg['bare_s']:.2f}×, "
            f"server start {sq['server_start_s'] / pg['server_start_s']:.2f}×"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
