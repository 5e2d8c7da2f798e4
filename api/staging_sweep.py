"""The sweep of abandoned staged uploads: at start-up and every GONGKAI_STAGING_SWEEP_SECONDS,
`.part` files older than GONGKAI_STAGING_MAX_AGE_SECONDS (an hour) are removed. A request
removes its own staged files on every path that does not keep them (api/uploads.py); this sweep
catches what a killed process or a power loss left."""

from __future__ import annotations

import logging
from datetime import timedelta

import anyio
from starlette.concurrency import run_in_threadpool

from api.deps import now
from config.settings import Settings
from services.storage import sweep_staging

log = logging.getLogger("gongkai.staging_sweep")


async def sweep_staging_once(settings: Settings) -> int:
    """Remove the abandoned staged uploads now; how many were removed."""
    swept = await run_in_threadpool(
        lambda: sweep_staging(
            files_dir=settings.files_dir,
            older_than=timedelta(seconds=settings.staging_max_age_seconds),
            at=now(),
        )
    )
    if swept:
        log.info("removed %d abandoned staged upload(s)", swept)
    return swept


async def sweep_staging_forever(settings: Settings) -> None:
    """Sweep at start-up, then every interval (0: once only); a failed sweep is logged."""
    while True:
        try:
            await sweep_staging_once(settings)
        except OSError:
            log.exception("the sweep of staged uploads failed")
        if settings.staging_sweep_seconds <= 0:
            return
        await anyio.sleep(settings.staging_sweep_seconds)
