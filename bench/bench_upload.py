"""Upload benchmark (issue 3): `.venv/bin/python bench/bench_upload.py [--rounds N]
[--uploaders N] [--duration S] [--database sqlite|postgresql|both]`.

Starts three uvicorn servers on 127.0.0.1 per database (a temp SQLite file, then a throwaway
PostgreSQL database when reachable): the real app (create_app, files fsynced as in production),
the real app with the fsync switched off (services.storage.FSYNC, in that server process only —
to measure what durability costs), and a bare FastAPI route that streams the same upload to disk
(bench/bare_upload.py, the baseline), all under uvicorn's defaults (HTTP parsed by httptools,
installed with the project). Each round posts a fresh random 2 MB PDF to each of the
three, in a shuffled order, so that load from anything else on the machine falls on all three
alike; the first rounds warm up. Prints the median latency of each, the ratios to the baseline
(target ≤ 1.5×), the median of the per-round ratios, and each server process's CPU time per
upload (less sensitive to other load than latency; the database server's CPU is not in it) and
its minor page faults per upload: the bare route takes new memory for every upload (UploadFile
spools 1 MiB in memory and reads back in 1 MiB chunks), the app almost none, and on VMs where a
fault is slow that alone can add several ms to the bare route: read the ratios with it.
Then 32 concurrent uploaders for 30 s against the real app: errors, and lost or duplicated
documents checked against the database.
Prefect is pointed at a closed port, so reviews stay pending (the reconciler's job): the worst
case for the API.

Each half starts and ends with a page-cache probe: the median time to write a new 2 MB file
without fsync. On the VMs this runs on it is bimodal (about 0.5 ms, or about 5 ms when the
guest hands out pages the host has not backed yet), and the slow mode adds its ~5 ms to every
route that writes 2 MB: read the ratios with it.

`--phases N` (a diagnostic instead of the above): N registrations in this process, each a fresh
2 MB PDF staged as an upload would be, through the worker-thread call of POST /documents
(api.routes.intake, files fsynced) in a unit of work; prints the median of the whole unit of
work, of each SQL statement, of waiting for the file to be placed, of the database
commit, and what is left (Python: the ORM session, building the rows and the answer).

`--floor N` (a diagnostic instead of the above): N shuffled rounds against the real app, the floor
(bench/floor_upload.py: only the storage work issue 3 requires of every upload — hashed while
streamed, fsynced, renamed into its content path, directory synced, one row committed — with
no token, checks or answer), the floor without its fsyncs, the floor without SHA-256, the floor
plus the accountable rows (the bearer token looked up before the body; a document, its version
and marking, a deadline, an audit entry and its hash-chain link in one transaction, in plain
SQL: bench/floor_upload.py), and the bare
route. Prints each one's median, the per-round ratios floor / bare (what the storage
requirements cost on this machine), app / floor (what the app's own work costs), app / floor
plus the accountable rows (what the app's code costs beyond the work every accepted upload must
do), floor / each variant (what the fsyncs and the hash cost), each server process's CPU time per
upload (less sensitive to other load than latency), and the page-cache probe before and after.

`--timeline N` (a diagnostic instead of the above): N shuffled rounds against the real app and
the bare route, each server wrapped in a thin ASGI layer that times every POST: receiving the
body (from the request's start to its last body message), and after the body (to the response's
start); for the app also the worker-thread unit of work within it (wall and thread CPU). Prints
each phase's median per server: which phase the app's extra time is in, and whether the bare
route's copy after the body met the slow page-cache mode.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import (  # noqa: E402
    WRITES,
    commit_unit_of_work,
    make_engine,
    make_serving_engine,
    session_scope,
)
from models.migrate import upgrade  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ, issue_token  # noqa: E402

PDF_SIZE = 2 * 1024 * 1024
ROUNDS = 60
WARM_UP = 5
UPLOADERS = 32
DURATION = 30.0
PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REAL, NO_FSYNC, BARE = "POST /documents", "POST /documents, fsync off", "bare streaming route"
FLOOR = "floor (storage only)"
FLOOR_NO_FSYNC, FLOOR_NO_SHA256 = "floor without fsync", "floor without SHA-256"
FLOOR_ACCOUNTABLE = "floor + accountable rows"


def create_app_without_fsync() -> Any:
    """The real app with stored files not fsynced (bench only: measures what fsync costs)."""
    from api.app import create_app
    from services import storage

    storage.FSYNC = False
    return create_app()


TIMELINE = "GONGKAI_BENCH_TIMELINE"  # env: the file a timed server appends its phases to
_UNITS_OF_WORK: list[tuple[float, float]] = []  # (wall, thread CPU) of the last unit of work


def timed(app: Any, label: str) -> Any:
    """`app` with each POST's phases appended to the file named by $GONGKAI_BENCH_TIMELINE, one
    line per request: label, receive, after body, unit of work, its CPU (seconds). Requests are
    sequential in --timeline, so the last unit of work recorded is the request's own."""
    out = os.open(os.environ[TIMELINE], os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    async def timed_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        marks: dict[str, float] = {}

        async def receive_timed() -> Any:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body"):
                marks.setdefault("body", time.perf_counter())
            return message

        async def send_timed(message: Any) -> None:
            if message["type"] == "http.response.start":
                marks["response"] = time.perf_counter()
            await send(message)

        _UNITS_OF_WORK.clear()
        await app(scope, receive_timed, send_timed)
        work, cpu = _UNITS_OF_WORK[-1] if _UNITS_OF_WORK else (0.0, 0.0)
        received, answered = marks["body"] - start, marks["response"] - marks["body"]
        os.write(out, f"{label} {received} {answered} {work} {cpu}\n".encode())

    return timed_app


def create_timed_app() -> Any:
    """The real app, timed (`timed`), with its unit of work (api.routes.intake's worker-thread
    call) timed too."""
    from api.app import create_app
    from api.routes import intake

    submit = intake._answer_submission

    def submit_timed(*args: Any) -> Any:
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return submit(*args)
        finally:
            _UNITS_OF_WORK.append((time.perf_counter() - start, time.thread_time() - cpu))

    intake._answer_submission = submit_timed  # type: ignore[assignment]
    return timed(create_app(), "app")


def create_timed_bare() -> Any:
    """The bare route, timed (`timed`)."""
    from bench.bare_upload import app

    return timed(app, "bare")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def minor_faults(pid: int) -> int:
    """Minor page faults a process has taken (Linux /proc): new memory it touched."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pdf(tag: str) -> bytes:
    head = f"%PDF-1.4\n% bench {tag}\n".encode()
    return head + os.urandom(PDF_SIZE - len(head))


def serve(
    target: list[str], env: dict[str, str], cwd: Path = ROOT
) -> tuple[subprocess.Popen[bytes], str]:
    """A uvicorn server for `target`, run from the checkout `cwd`, once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=cwd, env=os.environ | env | {"PYTHONPATH": str(cwd)})
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/docs", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def page_cache_probe(directory: Path, files: int = 10) -> float:
    """Median seconds to write a new 2 MB file (no fsync); the files are removed again."""
    directory.mkdir(parents=True, exist_ok=True)
    body = os.urandom(PDF_SIZE)
    timings = []
    for n in range(files):
        path = directory / f"probe-{n}"
        start = time.perf_counter()
        with path.open("wb") as out:
            out.write(body)
        timings.append(time.perf_counter() - start)
        path.unlink()
    return statistics.median(timings)


def token_for(url: str) -> str:
    engine = make_engine(url)
    at = datetime.now(UTC)
    with session_scope(engine) as session:
        organ = ensure_organ(session=session, code="bench", name="基准测试县", at=at)
        user = create_user(session=session, name="bench", organ=organ, role=Role.DRAFTER, at=at)
        _, token = issue_token(session=session, user=user, label="bench", at=at)
    engine.dispose()
    return token


def fields(tag: str) -> dict[str, str]:
    return {
        "title": f"基准测试文件 {tag}",
        "document_type": "notice",
        "written_on": "2025-03-03",
        "attribute": "proactive",
    }


def post(client: httpx.Client, target: str, tag: str, headers: dict[str, str]) -> float:
    """One upload of a fresh 2 MB PDF; its latency in seconds."""
    body = pdf(tag)
    real = target != BARE
    start = time.perf_counter()
    response = client.post(
        "/documents" if real else "/upload",
        data=fields(tag) if real else None,
        files={"file": ("通知.pdf", body, "application/pdf")},
        headers=headers if real else {},
    )
    elapsed = time.perf_counter() - start
    assert response.status_code == 201, response.text
    return elapsed


def interleaved(
    urls: dict[str, str],
    headers: dict[str, dict[str, str]],
    rounds: int,
    routes: dict[str, str] | None = None,
) -> dict[str, list[float]]:
    """Latencies per target; each round visits every target once, in a shuffled order, after
    WARM_UP rounds. `headers` per target; `routes` maps a target to the route it serves (REAL or
    BARE; by default the target's own name)."""
    routes = routes or {target: target for target in urls}
    timings: dict[str, list[float]] = {target: [] for target in urls}
    clients = {target: httpx.Client(base_url=url, timeout=60) for target, url in urls.items()}
    try:
        for n in range(WARM_UP + rounds):
            order = list(urls)
            random.shuffle(order)
            for target in order:
                tag = f"s{n}-{order.index(target)}"
                elapsed = post(clients[target], routes[target], tag, headers[target])
                if n >= WARM_UP:
                    timings[target].append(elapsed)
    finally:
        for client in clients.values():
            client.close()
    return timings


def concurrent(url: str, headers: dict[str, str], uploaders: int, duration: float) -> Any:
    bodies = [pdf(f"c{i}") for i in range(uploaders)]
    accepted: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def uploader(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            n = 0
            while time.monotonic() < deadline:
                tag = f"c{i}-{n}"
                n += 1
                try:
                    r = client.post(
                        "/documents",
                        data=fields(tag),
                        files={"file": ("通知.pdf", bodies[i], "application/pdf")},
                        headers=headers,
                    )
                    problem = None if r.status_code == 201 else f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as error:
                    problem = repr(error)
                with lock:
                    if problem is None:
                        accepted.append(fields(tag)["title"])
                    else:
                        errors.append(problem)

    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(uploaders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted, errors


def phases(label: str, database_url: str, data_dir: Path, count: int) -> None:
    """Per-phase breakdown of the registration's unit of work (see the module docstring)."""
    from sqlmodel import Session

    from api.review_starter import ReviewStarter
    from api.routes.intake import _answer_submission
    from api.uploads import FileStager, ReceivedForm
    from config.settings import Settings
    from models.users import User
    from services.intake import registration

    token_for(database_url)
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        prefect_api_url=f"http://127.0.0.1:{free_port()}/api",
    )
    engine = make_serving_engine(database_url)
    writer = engine.execution_options(**{WRITES: True})
    with Session(engine) as session:
        user = session.exec(sa.select(User)).scalars().one()  # type: ignore[call-overload]
        session.expunge(user)
    starter = ReviewStarter(settings)
    statements: dict[str, list[float]] = {}
    commits: list[float] = []
    placing: list[float] = []
    marks: dict[str, float] = {}
    start_placing = registration.start_placing  # type: ignore[attr-defined]

    def before_cursor(*_: Any) -> None:
        marks["statement"] = time.perf_counter()

    def after_cursor(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "committing" in marks:  # timed with the commit
            return
        key = " ".join(statement.split())[:48]
        statements.setdefault(key, []).append(time.perf_counter() - marks["statement"])

    class TimedPlacement:
        """A placement whose wait (the submission's, before it returns) is timed."""

        def __init__(self, **kwargs: Any) -> None:
            self.placed = start_placing(**kwargs)

        def result(self) -> None:
            start = time.perf_counter()
            self.placed.result()
            placing.append(time.perf_counter() - start)

    sa.event.listen(engine, "before_cursor_execute", before_cursor)
    sa.event.listen(engine, "after_cursor_execute", after_cursor)
    registration.start_placing = TimedPlacement  # type: ignore[attr-defined, assignment]
    totals: list[float] = []
    try:
        for n in range(WARM_UP + count):
            stager = FileStager(settings.files_dir, original_name="通知.pdf", max_bytes=PDF_SIZE)
            stager.write(pdf(f"p{n}"))
            form = ReceivedForm(
                fields={name: [value] for name, value in fields(f"p{n}").items()},
                uploads=[stager.finish()],
            )
            if n == WARM_UP:
                for kept in (statements, commits, placing):
                    kept.clear()
            start = time.perf_counter()
            with Session(writer, expire_on_commit=False) as session:
                answer = _answer_submission(session, user, settings, starter, form, None, None)
                marks["committing"] = time.perf_counter()
                commit_unit_of_work(session)  # the chain's link, then the commit
                commits.append(time.perf_counter() - marks.pop("committing"))
            if n >= WARM_UP:
                totals.append(time.perf_counter() - start)
            assert answer.status_code == 201, answer.body
    finally:
        registration.start_placing = start_placing  # type: ignore[attr-defined]
        engine.dispose()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    print(f"[{label}] unit of work (worker thread) median {ms(totals):5.2f} ms ({count} uploads)")
    in_sql = 0.0
    for statement, values in statements.items():
        per_upload = len(values) / count
        in_sql += ms(values) * per_upload
        print(f"[{label}]   {ms(values):5.2f} ms x{per_upload:.0f}  {statement}")
    print(f"[{label}]   {ms(placing):5.2f} ms     waiting for the file to be placed")
    print(f"[{label}]   {ms(commits):5.2f} ms     the chain's link and the database commit")
    rest = ms(totals) - in_sql - ms(placing) - ms(commits)
    print(f"[{label}]   {rest:5.2f} ms     the rest (Python: session, rows, checks, answer)")


def app_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The app's settings for a benchmark server: Prefect at a closed port, no reconciler sweep."""
    return {
        "GONGKAI_DATA_DIR": str(data_dir),
        "GONGKAI_DATABASE_URL": database_url,
        "GONGKAI_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
        "GONGKAI_REVIEW_SWEEP_SECONDS": "0",
    }


def timeline(label: str, database_url: str, data_dir: Path, rounds: int) -> None:
    """Where each server's time goes, per phase of the request (see the module docstring)."""
    headers = {"Authorization": f"Bearer {token_for(database_url)}"}
    record = data_dir / "timeline.txt"
    env = app_env(database_url, data_dir) | {
        "BARE_UPLOAD_DIR": str(data_dir),
        TIMELINE: str(record),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    servers = {
        REAL: serve(["--factory", "bench.bench_upload:create_timed_app"], env),
        BARE: serve(["--factory", "bench.bench_upload:create_timed_bare"], env),
    }
    try:
        urls = {target: url for target, (_, url) in servers.items()}
        latencies = interleaved(urls, dict.fromkeys(urls, headers), rounds)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)
    phases_of: dict[str, list[list[float]]] = {"app": [], "bare": []}
    for line in record.read_text().splitlines():
        name, *values = line.split()
        phases_of[name].append([float(value) * 1000 for value in values])
    for target, name in ((REAL, "app"), (BARE, "bare")):
        kept = phases_of[name][WARM_UP:]
        columns = zip(*kept, strict=True)
        received, answered, work, cpu = (statistics.median(column) for column in columns)
        line = (
            f"[{label}] {target:<22} latency {statistics.median(latencies[target]) * 1000:5.1f} ms"
            f"; receiving the body {received:4.1f} ms, after the body {answered:4.1f} ms"
        )
        if name == "app":
            line += f" (the unit of work {work:4.1f} ms, {cpu:4.1f} ms of its thread's CPU)"
        print(line)


def floor(label: str, database_url: str, data_dir: Path, rounds: int) -> None:
    """The app against the floor and the bare route (see the module docstring)."""
    headers = {"Authorization": f"Bearer {token_for(database_url)}"}
    floor_dir = data_dir / "floor"
    floor_database = (
        f"sqlite:///{data_dir / 'floor.db'}" if database_url.startswith("sqlite") else database_url
    )
    env = app_env(database_url, data_dir) | {
        "BARE_UPLOAD_DIR": str(data_dir),
        "FLOOR_DIR": str(floor_dir),
        "FLOOR_DATABASE_URL": floor_database,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    servers = {
        REAL: serve(["--factory", "api.app:create_app"], env),
        FLOOR: serve(["--factory", "bench.floor_upload:create_floor"], env),
        FLOOR_NO_FSYNC: serve(
            ["--factory", "bench.floor_upload:create_floor_without_fsync"],
            env | {"FLOOR_DIR": str(data_dir / "floor-no-fsync")},
        ),
        FLOOR_NO_SHA256: serve(
            ["--factory", "bench.floor_upload:create_floor_without_sha256"],
            env | {"FLOOR_DIR": str(data_dir / "floor-no-sha256")},
        ),
        FLOOR_ACCOUNTABLE: serve(
            ["--factory", "bench.floor_upload:create_accountable_floor"],
            env
            | {
                "FLOOR_DIR": str(data_dir / "floor-accountable"),
                "FLOOR_DATABASE_URL": floor_database.replace("floor.db", "accountable.db"),
                "ACCOUNTS_DATABASE_URL": database_url,
            },
        ),
        BARE: serve(["bench.bare_upload:app"], env),
    }
    try:
        urls = {target: url for target, (_, url) in servers.items()}
        probe_before = page_cache_probe(data_dir / "probe")
        routes = dict.fromkeys(urls, REAL) | {BARE: BARE}
        before = {target: cpu_seconds(process.pid) for target, (process, _) in servers.items()}
        timings = interleaved(urls, dict.fromkeys(urls, headers), rounds, routes)
        cpu = {
            target: (cpu_seconds(process.pid) - before[target]) / (WARM_UP + rounds)
            for target, (process, _) in servers.items()
        }
        probe_after = page_cache_probe(data_dir / "probe")
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)
    for target, values in timings.items():
        print(
            f"[{label}] {target:<22} median {statistics.median(values) * 1000:6.1f} ms, "
            f"server CPU {cpu[target] * 1000:5.1f} ms/upload"
        )
    pairs = [(FLOOR, BARE), (REAL, FLOOR), (REAL, FLOOR_ACCOUNTABLE), (FLOOR_ACCOUNTABLE, FLOOR)]
    pairs += [(REAL, BARE)]
    pairs += [(FLOOR, FLOOR_NO_FSYNC), (FLOOR, FLOOR_NO_SHA256)]
    for over, under in pairs:
        per_round = statistics.median(
            a / b for a, b in zip(timings[over], timings[under], strict=True)
        )
        print(f"[{label}] {over} / {under}: {per_round:.2f}x (median of per-round ratios)")
    print(
        f"[{label}] page-cache probe (new 2 MB file, no fsync): {probe_before * 1000:.2f} ms "
        f"before the rounds, {probe_after * 1000:.2f} ms after"
    )


def run(label: str, database_url: str, data_dir: Path, args: argparse.Namespace) -> None:
    upgrade(database_url)
    if args.phases:
        phases(label, database_url, data_dir, args.phases)
        return
    if args.floor:
        floor(label, database_url, data_dir, args.floor)
        return
    if args.timeline:
        timeline(label, database_url, data_dir, args.timeline)
        return
    token = token_for(database_url)
    headers = {"Authorization": f"Bearer {token}"}
    env = app_env(database_url, data_dir) | {"BARE_UPLOAD_DIR": str(data_dir)}
    servers = {
        REAL: serve(["--factory", "api.app:create_app"], env),
        NO_FSYNC: serve(["--factory", "bench.bench_upload:create_app_without_fsync"], env),
        BARE: serve(["bench.bare_upload:app"], env),
    }
    try:
        urls = {target: url for target, (_, url) in servers.items()}
        probe_before = page_cache_probe(data_dir / "probe")
        before = {target: cpu_seconds(process.pid) for target, (process, _) in servers.items()}
        faults_before = {
            target: minor_faults(process.pid) for target, (process, _) in servers.items()
        }
        timings = interleaved(urls, dict.fromkeys(urls, headers), args.rounds)
        requests = WARM_UP + args.rounds
        cpu = {
            target: (cpu_seconds(process.pid) - before[target]) / requests
            for target, (process, _) in servers.items()
        }
        faults = {
            target: (minor_faults(process.pid) - faults_before[target]) / requests
            for target, (process, _) in servers.items()
        }
        medians = {target: statistics.median(values) for target, values in timings.items()}
        for target, median in medians.items():
            print(
                f"[{label}] {target:<28} median {median * 1000:6.1f} ms, "
                f"server CPU {cpu[target] * 1000:5.1f} ms/upload, "
                f"{faults[target]:5.0f} minor page faults/upload"
            )
        for target in (REAL, NO_FSYNC):
            per_round = statistics.median(
                a / b for a, b in zip(timings[target], timings[BARE], strict=True)
            )
            print(
                f"[{label}] ratio {target:<28} {medians[target] / medians[BARE]:.2f}x "
                f"(median of per-round ratios {per_round:.2f}x; target <= 1.5x)"
            )
        cost = (medians[REAL] - medians[NO_FSYNC]) * 1000
        print(f"[{label}] fsync costs {cost:+.1f} ms (difference of the medians)")
        probe_after = page_cache_probe(data_dir / "probe")
        print(
            f"[{label}] page-cache probe (new 2 MB file, no fsync): {probe_before * 1000:.2f} ms "
            f"before the rounds, {probe_after * 1000:.2f} ms after"
        )
        report_concurrency(label, database_url, urls[REAL], headers, args)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)


def report_concurrency(
    label: str, database_url: str, url: str, headers: dict[str, str], args: argparse.Namespace
) -> None:
    accepted, errors = concurrent(url, headers, args.uploaders, args.duration)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT title, count(*) FROM documents WHERE title LIKE :p GROUP BY title"),
            {"p": "基准测试文件 c%"},
        ).all()
    engine.dispose()
    counts = {title: n for title, n in stored}
    lost = [title for title in accepted if title not in counts]
    duplicated = [title for title, n in counts.items() if n > 1]
    unanswered = len(counts) - len(set(accepted))  # stored, but the client got no 201
    print(
        f"[{label}] {args.uploaders} uploaders x {args.duration:.0f} s: {len(accepted)} accepted "
        f"({len(accepted) / args.duration:.1f}/s), {len(errors)} errors, {len(lost)} lost, "
        f"{len(duplicated)} duplicated, {unanswered} stored without a 201"
    )
    for problem in errors[:5]:
        print(f"[{label}]   error: {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="measured rounds per target")
    parser.add_argument("--uploaders", type=int, default=UPLOADERS)
    parser.add_argument("--duration", type=float, default=DURATION, help="seconds")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--phases", type=int, default=0, help="diagnostic: N in-process uploads")
    parser.add_argument("--timeline", type=int, default=0, help="diagnostic: N timed rounds")
    parser.add_argument("--floor", type=int, default=0, help="diagnostic: N rounds with the floor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-") as tmp:
        data = Path(tmp)
        if args.database in ("sqlite", "both"):
            run("sqlite", f"sqlite:///{data / 'bench.db'}", data / "sqlite", args)
            # The SQLite half wrote gigabytes (the concurrency check): remove them and wait for
            # the writeback, so that it does not slow the PostgreSQL half's servers unevenly.
            shutil.rmtree(data / "sqlite", ignore_errors=True)
            for leftover in data.glob("bench.db*"):
                leftover.unlink()
            os.sync()
        if args.database == "sqlite":
            return 0
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
                run("postgresql", pg_url, data / "postgresql", args)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
