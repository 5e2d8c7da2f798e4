"""How serve runs our flow runs (issue 24): the runner's poll interval, and heartbeats off unless
an interval is set, carried into every flow-run process the runner spawns."""

from __future__ import annotations

import pytest
from prefect.context import SettingsContext, serialize_context
from prefect.runner import Runner
from prefect.settings import get_current_settings
from pydantic import ValidationError

from config.settings import Settings
from workflows.runner_options import flow_run_settings, poll_environment, runner_options


def _heartbeat_in_a_flow_run_process(settings: Settings) -> int | None:
    """The heartbeat interval a flow-run process sees: the runner serialises its settings
    context into the process (prefect.flow_engine.run_flow_in_subprocess), which enters it."""
    with flow_run_settings(settings):
        carried = serialize_context()["settings_context"]
    assert get_current_settings().flows.heartbeat_frequency is not None  # Prefect's default
    with SettingsContext(**carried):
        return get_current_settings().flows.heartbeat_frequency


def test_flow_runs_served_by_the_engine_send_no_heartbeats_by_default() -> None:
    assert _heartbeat_in_a_flow_run_process(Settings()) is None


def test_a_configured_heartbeat_interval_reaches_the_flow_run_process() -> None:
    assert _heartbeat_in_a_flow_run_process(Settings(flow_heartbeat_seconds=600)) == 600


def test_a_heartbeat_interval_prefect_would_refuse_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="flow_heartbeat_seconds"):
        Settings(flow_heartbeat_seconds=10)


def test_the_runner_polls_every_second_by_default_and_at_the_configured_interval() -> None:
    assert Runner(**runner_options(Settings())).query_seconds == 1.0
    assert Runner(**runner_options(Settings(runner_poll_seconds=0.5))).query_seconds == 0.5


def test_prefects_own_poll_variable_is_the_interval_rounded_up_to_whole_seconds() -> None:
    assert poll_environment(Settings(runner_poll_seconds=0.5)) == {
        "PREFECT_RUNNER_POLL_FREQUENCY": "1"
    }
    assert poll_environment(Settings(runner_poll_seconds=2.5)) == {
        "PREFECT_RUNNER_POLL_FREQUENCY": "3"
    }
