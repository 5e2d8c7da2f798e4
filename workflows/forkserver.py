"""Flow-run processes forked from a pre-warmed fork server (issue 24: review steps in seconds).

Why: the runner starts each flow run of a flow added with `Runner.add_flow` through
`prefect.flow_engine.run_flow_in_subprocess`, a multiprocessing "spawn" child: a fresh Python
that imports Prefect and the flow's module before its first task (~1.9 s on a quiet machine, far
more under load), on every start and every resume. `install` starts one multiprocessing fork
server per worker that imports them once; each flow run is then a fork of it.

What it mirrors: `run_flow_in_subprocess` below is Prefect 3.9.1's function of that name, with
two differences: the context is "forkserver", not "spawn", and the process's target
(`_flow_run_process`) first makes the process die with the fork server, then calls Prefect's
own target. The runner's `DirectSubprocessStarter` calls the function through its module
attribute (`prefect.runner._starter_direct.run_flow_in_subprocess`: "patch the module to
override"); `install` sets that attribute. On a Prefect upgrade `tests/workflows/
test_forkserver.py` fails when Prefect's function, the helpers called here, or the starter's
call changed: read Prefect's new function, carry the change over, and update the fingerprint.

Nothing is shared: the fork server only imports (no engine, connection, event loop, thread or
Prefect client is made at import time in these modules; a test checks the server), so each flow
run opens its own.

Lifetime (issue 24, "workers are cattle"): the fork server is the worker's child and dies with
it (PR_SET_PDEATHSIG, set when it imports the `workflows` package: workflows.worker); each flow
run is the fork server's child and sets the same signal on the fork server first thing after
the fork (the signal is not inherited across fork), with the check that the fork server is still
its parent. A worker killed -9 takes its fork server, and that its flow runs, with it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import multiprocessing.spawn
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from services.lifetime import die_with_parent
from workflows.worker import die_with_worker

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.flows import Flow
    from prefect.futures import PrefectFuture

# Imported by the fork server before any flow module: what every flow run needs of Prefect.
PREFECT_MODULES = ("prefect.flow_engine", "prefect.runner._starter_direct")
_LOADED_IN = os.getpid()  # in a fork of the fork server: the fork server's pid
MAIN_ENV = "GONGKAI_FORK_SERVER_MAIN"  # the worker's main module, for the fork server to import

_started: dict[str, int] = {}  # flow run id → pid of its process, for `runs_started`
_started_lock = threading.Lock()


def install(flow_modules: Iterable[str]) -> None:
    """Start this worker's fork server with Prefect and the flow modules imported, and make the
    runner start flow runs from it.

    Call it on the worker's main thread, before the runner starts: the fork server dies with the
    thread that started it (prctl(2): the parent-death signal follows the creating thread).
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("start the fork server on the worker's main thread")
    from prefect.runner import _starter_direct

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*PREFECT_MODULES, __name__, *dict.fromkeys(flow_modules)])
    os.environ[MAIN_ENV] = json.dumps(_main_module())
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        os.environ.pop(MAIN_ENV, None)
    # A ForkServerProcess where Prefect's annotation says SpawnProcess: the starter only starts
    # and joins it (ProcessHandle reads its pid and exit code).
    setattr(_starter_direct, "run_flow_in_subprocess", run_flow_in_subprocess)  # noqa: B010


def _main_module() -> dict[str, str]:
    """How a child of this process imports its main module (multiprocessing's preparation
    data: the module's name, or its file)."""
    data = multiprocessing.spawn.get_preparation_data("fork server")
    return {k: v for k, v in data.items() if k in ("init_main_from_name", "init_main_from_path")}


def runs_started() -> set[str]:
    """The flow runs whose process this worker started and that is still alive.

    Read from the pid: the process object is the runner's (its thread joins it, and polling it
    from another thread would race for the exit code the fork server sends)."""
    with _started_lock:
        for run_id, pid in list(_started.items()):
            if not _alive(pid):
                del _started[run_id]
        return set(_started)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (ended, not reaped yet by the fork server) is not alive (Linux /proc)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return not os.path.isdir("/proc")  # ended meanwhile; or no /proc: the signal answered
    except (OSError, IndexError):
        return True


def _flow_run_process(payload: bytes, startup_env: dict[str, str] | None = None) -> bytes:
    """A flow run's process: die with its parent (the fork server), then run the flow as
    Prefect's own spawn child does."""
    from prefect.flow_engine import _run_serialized_call_with_control_bootstrap

    if os.getpid() != _LOADED_IN:  # forked from the process that imported this module
        die_with_parent(_LOADED_IN)
    else:  # imported here: a spawn child of the worker
        die_with_worker()
    return _run_serialized_call_with_control_bootstrap(payload, startup_env)


def _run_flow_with_env(
    *args: Any,
    env: dict[str, str | None] | None = None,
    remove_env: set[str] | None = None,
    **kwargs: Any,
) -> None:
    """Prefect's `run_flow_with_env` (inside run_flow_in_subprocess): update the environment
    and settings, then run the flow."""
    from prefect.context import SettingsContext, get_settings_context
    from prefect.engine import handle_engine_signals
    from prefect.flow_engine import _runtime_subprocess_env, run_flow
    from prefect.settings.models.root import Settings

    for key in remove_env or ():
        os.environ.pop(key, None)
    os.environ.update(_runtime_subprocess_env(env))
    settings_context = get_settings_context()
    with (
        SettingsContext(profile=settings_context.profile, settings=Settings()),
        handle_engine_signals(getattr(kwargs.get("flow_run"), "id", None)),
    ):
        maybe_coro = run_flow(*args, **kwargs)
        if asyncio.iscoroutine(maybe_coro):
            asyncio.run(maybe_coro)


def run_flow_in_subprocess(
    flow: Flow[..., Any],
    flow_run: FlowRun | None = None,
    parameters: dict[str, Any] | None = None,
    wait_for: Iterable[PrefectFuture[Any]] | None = None,
    context: dict[str, Any] | None = None,
    env: dict[str, str | None] | None = None,
) -> multiprocessing.context.ForkServerProcess:
    """Prefect's `run_flow_in_subprocess`, the process forked from the worker's fork server."""
    from prefect.context import serialize_context
    from prefect.flow_engine import _CONTROL_CHANNEL_ENV_KEYS, _runtime_subprocess_env
    from prefect.settings import get_current_settings
    from prefect.utilities.callables import cloudpickle_wrapped_call
    from prefect.utilities.processutils import sanitize_subprocess_env

    ctx = multiprocessing.get_context("forkserver")
    context = context or serialize_context()
    merged_env: dict[str, str | None] = (
        dict[str, str | None](get_current_settings().to_environment_variables(exclude_unset=True))
        | os.environ
        | {"PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS": "false"}
        | (env or {})
    )
    sanitized_merged_env = sanitize_subprocess_env(merged_env)
    runtime_env = _runtime_subprocess_env(sanitized_merged_env)
    startup_env = {
        key: value
        for key, value in sanitized_merged_env.items()
        if key in _CONTROL_CHANNEL_ENV_KEYS
    }
    wrapped_call = cloudpickle_wrapped_call(
        _run_flow_with_env,
        env=runtime_env,
        remove_env={key for key, value in merged_env.items() if value is None},
        flow=flow,
        flow_run=flow_run,
        parameters=parameters,
        wait_for=wait_for,
        context=context,
    )
    process = ctx.Process(
        target=_flow_run_process,
        args=(cast(bytes, wrapped_call.args[0]), startup_env),  # type: ignore[attr-defined]
    )
    process.start()
    if flow_run is not None and process.pid is not None:
        with _started_lock:
            _started[str(flow_run.id)] = process.pid
    return process


# In the fork server, first thing: import the worker's main module as every child of the worker
# does (`__mp_main__`), once. Python 3.11's fork server means to (it asks for "main_path") but
# is never given it, so each fork would run the main module again, with runpy's warning that
# `workflows.serve` was imported already (by workflows.reconcile).
if (_main := os.environ.pop(MAIN_ENV, None)) is not None:
    multiprocessing.spawn.prepare(json.loads(_main))
