"""Every scheduled deployment is served with an active schedule, and the Prefect server really
creates its runs (a SQLAlchemy that the server's scheduler cannot use once left every schedule
without a single run, while deployments run by hand still worked)."""

from __future__ import annotations

import httpx

from tests.workflows.conftest import Stack, wait_until
from workflows.schedules import SCHEDULED, load_flow


def _deployment(stack: Stack, flow_and_name: str) -> dict[str, object] | None:
    response = httpx.get(
        f"{stack.api_url}/deployments/name/{flow_and_name}", timeout=5, auth=stack.auth
    )
    return response.json() if response.status_code == 200 else None


def _runs_of(stack: Stack, deployment_id: str) -> list[dict[str, object]]:
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 5}
    response = httpx.post(
        f"{stack.api_url}/flow_runs/filter", json=body, timeout=5, auth=stack.auth
    )
    response.raise_for_status()
    runs: list[dict[str, object]] = response.json()
    return runs


def test_each_scheduled_deployment_is_active_and_gets_runs_from_the_scheduler(stack: Stack) -> None:
    for entry in SCHEDULED:
        flow_name = load_flow(entry.flow).name
        found = wait_until(
            lambda flow_name=flow_name, entry=entry: _deployment(
                stack, f"{flow_name}/{entry.name}"
            ),
            timeout=90,
            what=f"deployment {flow_name}/{entry.name}",
        )
        assert not found["paused"], f"{flow_name}/{entry.name} is paused"
        schedules = found["schedules"]
        assert isinstance(schedules, list)
        assert [s["schedule"]["interval"] for s in schedules] == [entry.every.total_seconds()]
        assert all(s["active"] for s in schedules)
        deployment_id = str(found["id"])
        runs = wait_until(
            lambda deployment_id=deployment_id: _runs_of(stack, deployment_id),
            timeout=120,
            what=f"the scheduler to create runs of {flow_name}/{entry.name}",
        )
        assert runs
