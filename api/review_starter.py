"""Starting the review flow of a version through Prefect, by deployment name (never inline).

Each attempt is bounded (no client retries, a timeout). A busy Prefect (a 503, as its SQLite
answers "database is locked" under a burst, or an attempt that times out) is asked again with
jittered exponential backoff for at most `review_start_retry_seconds`, so a burst of uploads
reaches the reviewers' forms without waiting for the sweep. An unreachable Prefect, or one still
busy when the retries run out, costs one short failure: new submissions then skip the attempt
for a while ("pending") and the reconciler starts them later. Until Prefect has answered, one
attempt at a time probes it: a failed attempt takes about 1.6 s and 0.1 s of the event loop's
CPU, and uploads arriving during that time would otherwise each launch one more. Prefect's
idempotency key makes a repeated start return the same run. At most STARTS_AT_ONCE attempts
go to Prefect at once; the rest wait their turn here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import httpx
from prefect.client.orchestration import PrefectClient
from prefect.deployments import arun_deployment
from prefect.settings import (
    PREFECT_API_AUTH_STRING,
    PREFECT_CLIENT_MAX_RETRIES,
    temporary_settings,
)

from config.settings import Settings
from services.review import ReviewToStart

log = logging.getLogger("gongkai.review_starter")
BUSY = 503  # Prefect's answer when its database is locked or it cannot serve now
FIRST_BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 4.0
# Runs created at once; the others queue here, not in Prefect. A burst of 100 uploads sending
# 100 creations at once is what makes Prefect's SQLite answer 503 ("database is locked").
STARTS_AT_ONCE = 4


def is_busy(error: BaseException) -> bool:
    """Whether Prefect is there but busy: a 503, or an attempt that timed out."""
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code == BUSY
    return isinstance(error, TimeoutError | httpx.TimeoutException)


def run_key(review: ReviewToStart) -> str:
    """The flow run's name and idempotency key: one run per document version (and restart)."""
    key = f"doc-{review.document_id}-v{review.version_number}"
    return f"{key}-restart-{review.restart}" if review.restart else key


def application_run_key(application_id: int) -> str:
    """The flow run's name and idempotency key: one run per application."""
    return f"application-{application_id}"


def material_run_key(material_id: int) -> str:
    """The flow run's name and idempotency key: one secrecy-review run per material."""
    return f"material-{material_id}"


async def refuse_busy_at_once(response: httpx.Response) -> None:
    """Raise on a 503 as it arrives: Prefect's client sleeps about 2 s after a retryable answer
    even when its retries are off (prefect/client/base.py `_send_with_retry`); our own backoff
    decides how long to wait."""
    if response.status_code == BUSY:
        raise httpx.HTTPStatusError(
            f"Prefect busy (503) at {response.request.url}",
            request=response.request,
            response=response,
        )


@dataclass
class ReviewStarter:
    """Starts review flows; remembers a recent failure so uploads do not wait on a dead server."""

    settings: Settings
    backoff_seconds: float = 30.0
    _unavailable_until: float = field(default=0.0, init=False)
    _answered: bool = field(default=False, init=False)  # the last attempt got a flow run
    _probing: bool = field(default=False, init=False)  # an attempt of unknown outcome is running
    _rng: random.Random = field(default_factory=random.Random, init=False)
    _limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = field(
        default_factory=weakref.WeakKeyDictionary, init=False
    )

    @property
    def available(self) -> bool:
        """Whether a start should be attempted now: Prefect answered last time, or no failure is
        recent and no other attempt is finding out whether it is back."""
        if self._answered:
            return True
        return time.monotonic() >= self._unavailable_until and not self._probing

    async def start(self, review: ReviewToStart) -> str | None:
        """Create the flow run for the version; its id, or None when Prefect did not answer."""
        probe = not self._answered
        self._probing = self._probing or probe
        try:
            flow_run_id = await self._retrying(lambda: self._create_run(review))
        except Exception as error:  # unreachable, still busy, unknown deployment: the sweep's
            if not is_busy(error):  # a busy Prefect answers: later uploads still try it
                self._answered = False
                self._unavailable_until = time.monotonic() + self.backoff_seconds
            log.warning("review of %s not started yet: %r", run_key(review), error)
            return None
        finally:
            if probe:
                self._probing = False
        self._answered = True
        self._unavailable_until = 0.0
        return flow_run_id

    async def _create_run(self, review: ReviewToStart) -> str:
        return await self._run_deployment(
            self.settings.review_deployment,
            {"document_id": review.document_id, "version_id": review.version_id},
            run_key(review),
            ["gongkai", "document-review", f"doc:{review.document_id}"],
        )

    async def start_material_review(self, material_id: int) -> str | None:
        """Create the secrecy-review run of material sent after intake; its id, or None when
        Prefect did not answer (the material still waits, and the REST door can decide it)."""
        return await self._start_or_none(
            f"review of material {material_id}",
            self.settings.material_review_deployment,
            {"material_id": material_id},
            material_run_key(material_id),
            ["gongkai", "material-review", f"material:{material_id}"],
        )

    async def start_application(self, application_id: int) -> str | None:
        """Create the run handling an application; its id, or None when Prefect did not answer
        (the application is registered all the same, and the REST door can handle it)."""
        return await self._start_or_none(
            f"handling of application {application_id}",
            self.settings.application_deployment,
            {"application_id": application_id},
            application_run_key(application_id),
            ["gongkai", "application", f"application:{application_id}"],
        )

    async def _start_or_none(
        self, what: str, deployment: str, parameters: dict[str, int], key: str, tags: list[str]
    ) -> str | None:
        """A run of the deployment, retried while Prefect is busy; None (and a warning) when
        Prefect did not answer in time."""
        try:
            return await self._retrying(
                lambda: self._run_deployment(deployment, parameters, key, tags)
            )
        except Exception as error:  # unreachable, timeout, unknown deployment
            log.warning("%s not started: %r", what, error)
            return None

    async def _retrying(self, attempt: Callable[[], Awaitable[str]]) -> str:
        """One bounded attempt, repeated after a jittered backoff (full jitter, doubling up to
        MAX_BACKOFF_SECONDS) while Prefect is busy and the retry budget lasts."""
        deadline = time.monotonic() + self.settings.review_start_retry_seconds
        ceiling = FIRST_BACKOFF_SECONDS
        while True:
            try:
                async with self._at_once():  # the wait for a turn is not the attempt's time
                    with anyio.fail_after(self.settings.review_start_timeout_seconds):
                        return await attempt()
            except Exception as error:
                delay = self._rng.uniform(0, ceiling)
                if not is_busy(error) or time.monotonic() + delay > deadline:
                    raise
                log.info("Prefect busy (%r); trying again in %.2f s", error, delay)
                await anyio.sleep(delay)
                ceiling = min(ceiling * 2, MAX_BACKOFF_SECONDS)

    def _at_once(self) -> anyio.CapacityLimiter:
        """The limit of STARTS_AT_ONCE attempts, one per event loop (a limiter belongs to the
        loop it was made in)."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(STARTS_AT_ONCE)
        return limiter

    async def _run_deployment(
        self, deployment: str, parameters: dict[str, int], key: str, tags: list[str]
    ) -> str:
        timeout = self.settings.review_start_timeout_seconds
        # The server's auth string (docker-compose sets it) must travel with every request.
        client = PrefectClient(
            self.settings.prefect_api_url,
            auth_string=PREFECT_API_AUTH_STRING.value(),
            httpx_settings={
                "timeout": timeout,
                "event_hooks": {"response": [refuse_busy_at_once]},
            },
        )
        with temporary_settings(updates={PREFECT_CLIENT_MAX_RETRIES: 0}):
            async with client:
                flow_run = await arun_deployment(
                    deployment,
                    client=client,
                    parameters=dict(parameters),
                    timeout=0,
                    idempotency_key=key,
                    flow_run_name=key,
                    tags=tags,
                    as_subflow=False,
                )
        return str(flow_run.id)
