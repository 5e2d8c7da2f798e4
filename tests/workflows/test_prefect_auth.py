"""The Prefect server requires its credential (issue 21): an anonymous resume of a suspended
review run is refused by the server itself, and its CORS admits the UI's own origin only."""

from __future__ import annotations

import httpx
import pytest

from policies.statuses import Status
from tests.workflows.conftest import Stack
from tests.workflows.helpers import new_document, read_run, start_review, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


def test_an_unauthenticated_resume_is_refused_by_the_prefect_server_issue_21(
    stack: Stack,
) -> None:
    # Issue 21: POST /api/flow_runs/{id}/resume with a typed name published a drafter's document.
    doc, version, people = new_document(stack)
    run = start_review(doc, version)
    wait_suspended_at(stack, run, doc, Status.SECRECY_REVIEW)
    url = f"{stack.api_url}/flow_runs/{run}/resume"
    body = {"run_input": {"decision": "approve", "reviewer": people["secrecy_reviewer"]}}
    anonymous = httpx.post(url, json=body, timeout=10)
    wrong = httpx.post(url, json=body, timeout=10, auth=httpx.BasicAuth("gongkai-test", "guess"))
    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    state = read_run(run).state
    assert state is not None
    assert state.is_paused()
    # With the credential the server answers (the engine then asks for the reviewer's code).
    assert httpx.get(f"{stack.api_url}/flow_runs/{run}", timeout=10, auth=stack.auth).is_success


def test_the_prefect_api_admits_cross_origin_calls_from_its_own_ui_only(stack: Stack) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            f"{stack.api_url}/flow_runs/filter",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )

    own = stack.ui_url.removesuffix("/")
    assert preflight(own).headers.get("access-control-allow-origin") == own
    assert "access-control-allow-origin" not in preflight("http://evil.example").headers
