"""Flow-run processes forked from the worker's pre-warmed fork server (issue 24): the mirror of
Prefect's function still matches Prefect; the fork server holds nothing its forks would share;
a fork whose fork server is gone ends before its flow; the served runs send no heartbeats
unless an interval is set."""

from __future__ import annotations

import hashlib
import inspect
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from prefect.flow_engine import (
    _run_serialized_call_with_control_bootstrap,
    _runtime_subprocess_env,
    run_flow,
)
from prefect.flow_engine import run_flow_in_subprocess as prefects
from prefect.runner._starter_direct import DirectSubprocessStarter

from policies.statuses import Status
from tests.workflows.conftest import Stack, wait_until
from tests.workflows.helpers import new_document, start_review, wait_suspended_at
from tests.workflows.test_workers import FORK_SERVER, command_line, fork_servers
from workflows import forkserver

ROOT = Path(__file__).resolve().parents[2]
# Prefect 3.9.1. When one of these fails after an upgrade, read Prefect's new code, carry the
# change over to workflows/forkserver.py, and put the new fingerprint here.
PREFECTS_FUNCTION = "38820abf84e9cd5d904d6c9e86b19c8a48ad179a51b2310230b48162f98979cd"
STARTERS_CALL = "8a6eab9d006abdd7c5f68e80b64173bd548b39a0de35996cc4e400ff24d2cc86"


def _fingerprint(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def test_the_mirror_matches_prefects_run_flow_in_subprocess() -> None:
    assert _fingerprint(prefects) == PREFECTS_FUNCTION
    assert _fingerprint(DirectSubprocessStarter.start) == STARTERS_CALL
    ours, theirs = inspect.signature(forkserver.run_flow_in_subprocess), inspect.signature(prefects)
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]
    assert list(inspect.signature(_run_serialized_call_with_control_bootstrap).parameters) == [
        "payload",
        "startup_env",
    ]
    assert list(inspect.signature(_runtime_subprocess_env).parameters) == ["env"]
    assert {"flow", "flow_run", "parameters", "wait_for", "context"} <= set(
        inspect.signature(run_flow).parameters
    )


FORKED = (
    "import os, sys\n"
    "from prefect.utilities.callables import cloudpickle_wrapped_call\n"
    "from workflows import forkserver\n"
    "forkserver._LOADED_IN = int(sys.argv[1]) or os.getppid()\n"
    "forkserver._flow_run_process(cloudpickle_wrapped_call(print, 'the flow ran').args[0])\n"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
@pytest.mark.parametrize(
    ("server", "ran"),
    [("0", True), ("1", False)],
    ids=["forked from its living fork server: runs", "its fork server gone: ends before"],
)
def test_a_flow_run_process_runs_only_while_its_fork_server_is_its_parent(
    server: str, ran: bool
) -> None:
    """`_LOADED_IN` is the fork server's pid in its forks; 1 stands for a fork server that died
    between the fork and the process's first line (the fork was given to init)."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED, server],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert ("the flow ran" in done.stdout.decode()) is ran
    assert done.returncode == (0 if ran else -signal.SIGKILL)


# --- on the session's Prefect server and worker ----------------------------------------------


def _tcp_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        inodes |= {line.split()[9] for line in lines}
    return inodes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
@pytest.mark.usefixtures("prefect_client_settings")
def test_the_fork_server_has_imported_the_flows_and_holds_no_thread_connection_or_file(
    stack: Stack,
) -> None:
    """What the forks of the fork server inherit: no thread (an event loop, a Prefect client's
    loop, a heartbeat), no network connection (our database, Prefect's API), no open file (a
    SQLite database); only multiprocessing's own pipes and socket."""
    assert stack.serve is not None
    (server,) = wait_until(lambda: fork_servers(stack.serve), timeout=60, what="fork server")
    command = command_line(server)
    assert FORK_SERVER in command
    for module in ("prefect.flow_engine", "workflows.review_flow", "workflows.reconcile"):
        assert repr(module) in command  # preloaded
    assert os.listdir(f"/proc/{server}/task") == [str(server)]  # one thread
    network = _tcp_inodes(server)
    for fd in os.listdir(f"/proc/{server}/fd"):
        try:
            target = os.readlink(f"/proc/{server}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            assert target.removeprefix("socket:[").rstrip("]") not in network, target
        elif int(fd) > 2:  # past its inherited standard streams
            assert not target.startswith("/") or target == "/dev/null", target


def _events(stack: Stack, run: UUID, name: str | None = None) -> list[str]:
    """The names of the events about the run that Prefect's server has stored."""
    event_filter: dict[str, Any] = {"resource": {"id": [f"prefect.flow-run.{run}"]}}
    if name is not None:
        event_filter["event"] = {"name": [name]}
    answer = httpx.post(
        f"{stack.api_url}/events/filter",
        json={"filter": event_filter, "limit": 50},
        auth=stack.auth,
        timeout=30,
    )
    answer.raise_for_status()
    return [event["event"] for event in answer.json()["events"]]


HEARTBEAT = "prefect.flow-run.heartbeat"


def _run_to_the_first_form(stack: Stack) -> UUID:
    doc, version, _ = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW, timeout=120)
    wait_until(
        lambda: "prefect.flow-run.Suspended" in _events(stack, run),
        timeout=60,
        what="the run's Suspended event to be stored",
    )
    return run


@pytest.mark.usefixtures("prefect_client_settings")
def test_served_runs_send_no_heartbeats_unless_an_interval_is_set(stack: Stack) -> None:
    """Unset (the default): a run from start to its first form sends none. Set to 30 s on a
    worker: its run sends one as it starts (so the first check could see one)."""
    quiet = _run_to_the_first_form(stack)
    time.sleep(5)  # events are stored in batches: those sent with the run's are stored by now
    assert _events(stack, quiet, HEARTBEAT) == []

    stack.stop_serve()
    stack.env["GONGKAI_FLOW_HEARTBEAT_SECONDS"] = "30"
    try:
        stack.serve = stack.spawn_worker("heartbeats.log")
        run = _run_to_the_first_form(stack)
        wait_until(lambda: _events(stack, run, HEARTBEAT), timeout=30, what="a heartbeat")
    finally:
        stack.env.pop("GONGKAI_FLOW_HEARTBEAT_SECONDS", None)
        stack.stop_serve()
        stack.start_serve()
        stack.wait_deployment()
