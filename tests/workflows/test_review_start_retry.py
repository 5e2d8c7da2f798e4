"""The review starter asks a busy Prefect again (issue 24): a 503 or an attempt that times out is
retried with jittered backoff for a bounded time, so a burst of uploads reaches the reviewers'
forms without waiting for the sweep.

Prefect is the session's real server; between it and the starter sits a small HTTP proxy that
answers 503 (or stalls) to the first requests it gets, then forwards everything."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request, Response

from api.review_starter import ReviewStarter, run_key
from config.settings import Settings
from policies.statuses import Status
from services.review import ReviewToStart
from tests.browser_support import serve_app
from tests.workflows.conftest import Stack
from tests.workflows.helpers import new_document, read_run, run_on_own_loop, wait_suspended_at

pytestmark = pytest.mark.usefixtures("prefect_client_settings")


@dataclass
class Busy:
    """What the proxy does to the first `times` requests: answer 503, or stall `stall` s."""

    times: int
    stall: float = 0.0
    seen: int = 0
    refused: int = 0


@contextmanager
def busy_proxy(stack: Stack, busy: Busy) -> Iterator[str]:
    """A proxy in front of the stack's Prefect API; its /api URL."""
    app = FastAPI()

    @app.api_route("/api/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def forward(path: str, request: Request) -> Response:
        busy.seen += 1
        if busy.refused < busy.times:
            busy.refused += 1
            if busy.stall:
                await anyio.sleep(busy.stall)
            else:
                return Response("database is locked", status_code=503)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.request(
                request.method,
                f"{stack.api_url}/{path}",
                params=request.query_params,
                content=await request.body(),
                headers=headers,
            )
        drop = {"content-length", "content-encoding", "transfer-encoding"}
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in drop}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    with serve_app(app) as base:
        yield f"{base}/api"


def _review(stack: Stack) -> ReviewToStart:
    document_id, version_id, _ = new_document(stack)
    return ReviewToStart(document_id=document_id, version_id=version_id, version_number=1)


def _start(starter: ReviewStarter, review: ReviewToStart) -> tuple[str | None, float]:
    t0 = time.monotonic()
    flow_run_id = run_on_own_loop(starter.start, review)
    return flow_run_id, time.monotonic() - t0


def test_a_start_refused_with_503_is_tried_again_and_the_review_reaches_its_form(
    stack: Stack,
) -> None:
    review = _review(stack)
    busy = Busy(times=3)
    with busy_proxy(stack, busy) as proxy:
        starter = ReviewStarter(Settings(prefect_api_url=proxy, review_start_retry_seconds=20))
        flow_run_id, _ = _start(starter, review)
    assert busy.refused == 3
    assert busy.seen > 3  # the attempts after the refusals went through
    assert flow_run_id is not None
    assert starter.available
    run = read_run(UUID(flow_run_id))
    assert run.name == run_key(review)
    wait_suspended_at(stack, run.id, review.document_id, Status.SECRECY_REVIEW)


def test_an_attempt_that_times_out_is_tried_again(stack: Stack) -> None:
    review = _review(stack)
    busy = Busy(times=1, stall=3.0)
    with busy_proxy(stack, busy) as proxy:
        starter = ReviewStarter(
            Settings(
                prefect_api_url=proxy,
                review_start_timeout_seconds=1,
                review_start_retry_seconds=20,
            )
        )
        flow_run_id, _ = _start(starter, review)
    assert busy.refused == 1
    assert flow_run_id is not None
    assert read_run(UUID(flow_run_id)).name == run_key(review)


def test_a_prefect_busy_beyond_the_retry_budget_leaves_the_review_to_the_sweep(
    stack: Stack,
) -> None:
    review = _review(stack)
    busy = Busy(times=10_000)
    with busy_proxy(stack, busy) as proxy:
        starter = ReviewStarter(Settings(prefect_api_url=proxy, review_start_retry_seconds=3))
        flow_run_id, took = _start(starter, review)
    assert flow_run_id is None
    assert busy.seen >= 3  # asked again with backoff, not once
    assert took < 3 + 1  # the budget, plus at most one short refused attempt
    # A 503 is an answer: later uploads still try to start their review at once.
    assert starter.available


def test_without_a_retry_budget_a_503_is_given_up_at_once(stack: Stack) -> None:
    review = _review(stack)
    busy = Busy(times=10_000)
    with busy_proxy(stack, busy) as proxy:
        starter = ReviewStarter(Settings(prefect_api_url=proxy, review_start_retry_seconds=0))
        flow_run_id, _ = _start(starter, review)
    assert flow_run_id is None
    assert busy.seen == 1
