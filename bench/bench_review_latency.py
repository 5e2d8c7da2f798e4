"""How fast a review step moves (issue 24): `.venv/bin/python bench/bench_review_latency.py
[--reps N] [--idle-seconds S] [--deployments N]`.

One Prefect server on a throwaway database of the machine's PostgreSQL (our tables in another),
the real API in a uvicorn thread of this process, and two serve processes on that server:

- the engine's: the review deployment and a bare flow of the same shape (bench/bare_review.py,
  deployment `bare-review/engine`), both run as `workflows.serve` runs them: added with
  `Runner.add_flow`, their runs forked from a fork server that has imported them
  (workflows/forkserver.py), persisted results, the runner's poll and heartbeats from
  workflows/runner_options.py. The bare flow gets the fork server too: it is how the engine
  runs any flow, so engine / bare flow with the engine's settings is what our own code costs
  per step;
- Prefect's defaults: the same bare flow (`bare-review/defaults`), served with nothing but the
  server's address and credential (poll 10 s plus jitter, heartbeats every 180 s);
- the engine's settings with Prefect's heartbeats (every 180 s): the same bare flow
  (`bare-review/heartbeats`), what keeping heartbeats (for liveness) would cost.

Per repetition, alternating so that other load on the machine falls on every variant:

(a) upload → first form ready: POST /documents (a text draft) until the document is
    `secrecy_review`, its run Suspended and the form's schema stored; for the bare flows
    `run_deployment(timeout=0)` until the same.
(b) decision → next form ready: POST /documents/{id}/decisions (approve) until the document is
    `awaiting_signoff` with the sign-off form stored; for the bare flows a resume through
    Prefect's API until the second form is stored.

The floor: spawning a Python process that imports the flow module and exits (the least a flow
run's process costs before its first task). Targets: (b) median ≤ 2 s, ≥ 3× faster than the
bare flow with Prefect's defaults, ≤ 1.5 × floor + poll interval; (a) median ≤ 2.5 s under the
same comparisons.

With `--idle-seconds S` (default 30; 0 skips it), first: the Prefect server's CPU at idle over S
seconds with no runner, then with a runner serving N bare deployments (default 10, as many as
`workflows.serve` serves) polling at Prefect's default 10 s, at 2 s and at the engine's
interval. The machine is shared: the load average is printed before and after; read ratios
within one run.

`--serve engine|defaults|idle` are the internal modes of the serve subprocesses.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_review_start import (  # noqa: E402  (imports no Prefect: env is set first)
    _api_thread,
    _people,
    _stop,
    free_port,
    upload,
    wait_for,
    wait_for_prefect,
)

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BARE_ENGINE = "bare-review/engine"
BARE_DEFAULTS = "bare-review/defaults"
BARE_HEARTBEATS = "bare-review/heartbeats"
HEARTBEAT_SECONDS = 180  # Prefect's default interval
PREFECT_TUNING = ("PREFECT_RUNNER_POLL_FREQUENCY", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY")


# --- the serve subprocesses -------------------------------------------------------------------


def serve_engine(heartbeats: bool = False) -> None:
    """The review deployment and the bare flow, served as workflows.serve serves (each flow added
    with `Runner.add_flow`, its runs forked from a fork server that has imported it, the runner
    options); or, with heartbeats, the bare flow alone with the engine's settings but Prefect's
    heartbeats."""
    from workflows.serve import Served, prepare_environment, run_runner

    prepare_environment()
    from bench.bare_review import bare_review
    from config.settings import get_settings
    from workflows import forkserver, runner_guard
    from workflows.review_flow import review_document

    runner_guard.install()  # as workflows.serve
    settings = get_settings()
    if heartbeats:
        settings = settings.model_copy(update={"flow_heartbeat_seconds": HEARTBEAT_SECONDS})
        served = [Served(bare_review, "heartbeats")]
    else:
        served = [Served(review_document, "default"), Served(bare_review, "engine")]
    forkserver.install(entry.flow.fn.__module__ for entry in served)
    run_runner(served, 4, settings)


def serve_defaults() -> None:
    """The bare flow as it comes: Prefect's defaults."""
    from prefect import serve

    from bench.bare_review import bare_review

    serve(bare_review.to_deployment(name="defaults"), limit=4, pause_on_shutdown=False)


def serve_idle(count: int, poll: float) -> None:
    """count bare deployments with nothing to run, polled every poll seconds."""
    from prefect import serve

    from bench.bare_review import bare_review

    deployments = [bare_review.to_deployment(name=f"idle-{n}") for n in range(count)]
    serve(*deployments, pause_on_shutdown=False, query_seconds=poll)


# --- processes and the clock -------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_pids(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    """A Prefect server on PostgreSQL, our database, the API; serve processes started on demand."""

    workdir: Path
    prefect_api: str
    api: str
    env: dict[str, str]
    server: subprocess.Popen[bytes]
    engine: Any
    tokens: dict[str, str] = field(default_factory=dict)
    serves: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_serve(self, *mode: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"serve-{mode[0]}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", *mode],
            env=env or self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.serves.append(process)
        return process

    def wait_served(self, *names: str) -> None:
        def served() -> bool:
            with self.client() as client:
                try:
                    return all(not client.read_deployment_by_name(name).paused for name in names)
                except Exception:
                    return False

        wait_for(served, 180, f"deployments {names}", every=0.5)

    def client(self) -> Any:
        from prefect.client.orchestration import SyncPrefectClient

        return SyncPrefectClient(
            self.prefect_api,
            auth_string=self.env["PREFECT_API_AUTH_STRING"],
            httpx_settings={"timeout": 30},
        )


def _pg(name: str, *, drop_only: bool = False) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


@contextmanager
def stack(prefect_db: str = "postgresql") -> Iterator[Stack]:
    """A Prefect server (on PostgreSQL, or SQLite under the work dir: the embedded default),
    our database (PostgreSQL, or SQLite with the embedded default), the API on them."""
    from cli.stack import _prefect_env, prefect_server_command
    from config.settings import Settings
    from models.db import make_engine
    from models.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix=f"latency-bench-{prefect_db}-"))
    port, api_port = free_port(), free_port()
    tag = f"{os.getpid()}"
    on_pg = prefect_db == "postgresql"
    ours = _pg(f"latency_ours_{tag}").replace("://", "+psycopg://", 1) if on_pg else ""
    settings = Settings(
        database_url=ours,
        data_dir=workdir,
        prefect_api_url=f"http://127.0.0.1:{port}/api",
        api_base_url=f"http://127.0.0.1:{api_port}",
        review_sweep_seconds=0,
    )
    upgrade(settings.database_url)
    env = _prefect_env(settings) | {
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    for name in PREFECT_TUNING:
        env.pop(name, None)
    env.pop("PREFECT_SERVER_DATABASE_CONNECTION_URL", None)
    server_env = dict(env)
    if on_pg:
        server_env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = _pg(
            f"latency_prefect_{tag}"
        ).replace("postgresql://", "postgresql+asyncpg://", 1)
    # This process's own Prefect client (the API's starter, run_deployment) uses the same.
    for name in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING"):
        os.environ[name] = env[name]
    server = subprocess.Popen(
        prefect_server_command(port),
        env=server_env,
        cwd=ROOT,
        stdout=(workdir / "server.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    engine = make_engine(settings.database_url)
    st = Stack(workdir, settings.prefect_api_url, settings.api_base_url, env, server, engine)
    try:
        wait_for_prefect(st.prefect_api)
        st.tokens = _people(engine)
        with _api_thread(settings, api_port):
            yield st
    finally:
        for process in st.serves:
            _stop(process)
        _stop(server)
        engine.dispose()
        if on_pg:
            _pg(f"latency_prefect_{tag}", drop_only=True)
            _pg(f"latency_ours_{tag}", drop_only=True)
        if sys.exc_info()[0] is None:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", file=sys.stderr)


# --- probes ------------------------------------------------------------------------------------


def form_ready(client: Any, run_id: UUID, key_suffix: str = "") -> bool:
    """The run is suspended and its form's schema is stored: a reviewer can act."""
    state = client.read_flow_run(run_id).state
    if state is None or not state.is_paused():
        return False
    keyset = state.state_details.run_input_keyset
    if not keyset or not keyset["schema"].endswith(f"{key_suffix}-schema"):
        return False
    try:
        client.read_flow_run_input(run_id, keyset["schema"])
    except Exception:
        return False
    return True


def document_waiting(st: Stack, client: Any, document_id: int, status: str) -> bool:
    from models.db import session_scope
    from models.documents import Document

    with session_scope(st.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        current, run = document.status.value, document.flow_run_id
    return current == status and run is not None and form_ready(client, UUID(run))


def decide(st: Stack, document_id: int) -> None:
    answer = httpx.post(
        f"{st.api}/documents/{document_id}/decisions",
        json={"step": "secrecy_review", "decision": "approve"},
        headers={"Authorization": f"Bearer {st.tokens['reviewer']}"},
        timeout=60,
    )
    answer.raise_for_status()


def bare_start(deployment: str, n: int) -> UUID:
    from prefect.deployments import run_deployment

    run = run_deployment(deployment, parameters={"n": n}, timeout=0, flow_run_name=f"bare-{n}")
    return UUID(str(run.id))


# --- the measurements --------------------------------------------------------------------------


@dataclass
class Variant:
    """One way of running the review's shape: how to start it and how to decide its first step."""

    name: str
    start: Callable[[int], Any]  # n -> handle
    first_ready: Callable[[Any], bool]
    decide: Callable[[Any], None]
    next_ready: Callable[[Any], bool]
    upload_s: list[float] = field(default_factory=list)
    decision_s: list[float] = field(default_factory=list)


def variants(st: Stack, client: Any) -> list[Variant]:
    def bare(deployment: str) -> Variant:
        resume = {"decision": "approve", "reviewer": "bench"}
        return Variant(
            f"bare flow, {deployment.split('/')[1]}",
            lambda n: bare_start(deployment, n),
            lambda run: form_ready(client, run, "-1"),
            lambda run: client.resume_flow_run(run, run_input=resume),
            lambda run: form_ready(client, run, "-2"),
        )

    engine = Variant(
        "engine (review flow, API)",
        lambda n: upload(st, n),
        lambda d: document_waiting(st, client, d, "secrecy_review"),
        lambda d: decide(st, d),
        lambda d: document_waiting(st, client, d, "awaiting_signoff"),
    )
    return [engine, bare(BARE_ENGINE), bare(BARE_DEFAULTS), bare(BARE_HEARTBEATS)]


def once(variant: Variant, n: int, keep: bool) -> None:
    t0 = time.perf_counter()
    handle = variant.start(n)
    wait_for(lambda: variant.first_ready(handle), 180, f"{variant.name}: first form")
    uploaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    variant.decide(handle)
    wait_for(lambda: variant.next_ready(handle), 180, f"{variant.name}: next form")
    if keep:
        variant.upload_s.append(uploaded)
        variant.decision_s.append(time.perf_counter() - t0)


def floor_seconds(module: str, reps: int) -> float:
    """Median wall time of a Python process that imports module and exits."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env, check=True)
        samples.append(time.perf_counter() - t0)
    return median(samples)


def idle_load(st: Stack, seconds: float, count: int, engine_poll: float) -> None:
    """The Prefect server's CPU at idle: no runner, then a runner of count deployments at
    several poll intervals."""

    def server_cpu_percent() -> float:
        pids = tree_pids(st.server.pid)
        before, t0 = cpu_seconds(pids), time.perf_counter()
        time.sleep(seconds)
        return 100 * (cpu_seconds(pids) - before) / (time.perf_counter() - t0)

    time.sleep(3)
    baseline = server_cpu_percent()
    print(f"Prefect server CPU at idle, no runner: {baseline:.1f} % ({seconds:.0f} s)", flush=True)
    names = [f"bare-review/idle-{n}" for n in range(count)]
    for poll, label in ((10.0, "Prefect's default"), (2.0, "before"), (engine_poll, "engine")):
        runner = st.start_serve("idle", str(count), str(poll))
        st.wait_served(*names)
        time.sleep(3)
        runner_pids = tree_pids(runner.pid)
        runner_before = cpu_seconds(runner_pids)
        server = server_cpu_percent()
        runner_cpu = 100 * (cpu_seconds(runner_pids) - runner_before) / seconds
        print(
            f"  runner with {count} deployments polling every {poll:g} s ({label}): server "
            f"{server:.1f} % (+{server - baseline:.1f} points over no runner), runner itself "
            f"{runner_cpu:.1f} %",
            flush=True,
        )
        _stop(runner)
        st.serves.remove(runner)


def report(variants_: list[Variant], floors: dict[str, float], poll: float) -> None:
    engine, bare_engine, bare_defaults, *_ = variants_
    for what, pick, target in (
        ("(a) upload → first form ready", lambda v: v.upload_s, 2.5),
        ("(b) decision → next form ready", lambda v: v.decision_s, 2.0),
    ):
        print(what)
        for v in variants_:
            values = pick(v)
            print(
                f"  {v.name:28s} median {median(values):5.2f} s  (min {min(values):.2f}, "
                f"max {max(values):.2f}, n={len(values)})"
            )
        e = median(pick(engine))
        floor = floors["workflows.review_flow"]
        print(
            f"  engine: target median ≤ {target} s: {'met' if e <= target else 'NOT met'}; "
            f"bare with Prefect's defaults / engine = {median(pick(bare_defaults)) / e:.2f}× "
            f"(target ≥ 3×); engine / bare with the engine's settings = "
            f"{e / median(pick(bare_engine)):.2f}×; engine / (floor {floor:.2f} s + poll "
            f"{poll:g} s) = {e / (floor + poll):.2f}× (target: engine ≤ 1.5 × floor + poll = "
            f"{1.5 * floor + poll:.2f} s: {'met' if e <= 1.5 * floor + poll else 'NOT met'})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--deployments", type=int, default=10)
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        mode = args.serve[0]
        if mode in ("engine", "heartbeats"):
            serve_engine(heartbeats=mode == "heartbeats")
        elif mode == "defaults":
            serve_defaults()
        else:
            serve_idle(int(args.serve[1]), float(args.serve[2]))
        return 0
    from config.settings import Settings

    poll = Settings().runner_poll_seconds
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    floors = {
        m: floor_seconds(m, args.reps) for m in ("workflows.review_flow", "bench.bare_review")
    }
    print(
        "floor (a process importing the flow module): "
        + ", ".join(f"{m} {s:.2f} s" for m, s in floors.items()),
        flush=True,
    )
    with stack() as st:
        if args.idle_seconds > 0:
            idle_load(st, args.idle_seconds, args.deployments, poll)
        st.start_serve("engine")
        st.start_serve("heartbeats")
        defaults_env = {
            k: v for k, v in st.env.items() if not k.startswith(("GONGKAI_", "PREFECT_LOCAL"))
        }
        st.start_serve("defaults", env=defaults_env)
        st.wait_served("document-review/default", BARE_ENGINE, BARE_DEFAULTS, BARE_HEARTBEATS)
        with st.client() as client:
            all_variants = variants(st, client)
            for n in range(args.reps + 1):  # the first round warms up
                for variant in all_variants:
                    once(variant, 100 * n + uuid.uuid4().int % 100, keep=n > 0)
        report(all_variants, floors, poll)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
