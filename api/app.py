"""The API: `uvicorn --factory api.app:create_app`. One router per capability in api/routes/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from api.access_log import redact_access_log
from api.errors import install_error_handlers
from api.openapi import build_openapi
from api.rate_limit import RateLimit
from api.review_starter import ReviewStarter
from api.routes import (
    applications,
    calendar,
    documents,
    intake,
    materials,
    office,
    office_reports,
    publication,
    review,
    review_pages,
)
from api.staging_sweep import sweep_staging_forever
from api.unstarted_reviews import sweep_forever
from config.settings import Settings, get_settings
from models.db import WRITES, make_serving_engine
from services.publication.search_index import SearchLocaleUnsupported, search_locale_problem

ROUTERS = [
    intake.router,  # submissions (issue 3)
    documents.router,  # reading documents (issue 3)
    review.router,  # human decisions (issue 6) and re-reviews (issue 4)
    review_pages.router,  # reviewers read what they review, in a browser (issue 21)
    materials.router,  # material sent after intake, cleared before it is shown (issue 21)
    publication.router,  # the public portal and validity (issue 4)
    office.router,  # the office monitor and its dashboard (issue 5)
    office_reports.router,  # statistics and the annual report (issue 5)
    calendar.router,  # the working-day calendar as data (issue 20)
    applications.router,  # applications for information, 依申请公开 (issue 26)
]


def create_app(settings: Settings | None = None, *, sweep_reviews: bool = True) -> FastAPI:
    """Build the app on its settings: engine, review starter, error handlers and routers.
    `sweep_reviews`: start the reviews Prefect missed, at start-up and every
    GONGKAI_REVIEW_SWEEP_SECONDS. Abandoned staged uploads are swept at start-up and every
    GONGKAI_STAGING_SWEEP_SECONDS."""
    settings = settings or get_settings()
    settings.files_dir.mkdir(parents=True, exist_ok=True)
    redact_access_log()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        problem = search_locale_problem(app.state.engine)
        if problem is not None:  # refuse to serve a portal whose Chinese search cannot work
            raise SearchLocaleUnsupported(problem)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(sweep_staging_forever, settings)
            if sweep_reviews:
                tasks.start_soon(
                    sweep_forever,
                    app.state.writer,
                    app.state.review_starter,
                    settings.review_sweep_seconds,
                )
            yield
            tasks.cancel_scope.cancel()
        app.state.engine.dispose()

    app = FastAPI(
        title="公文公开属性审查 — disclosure-attribute review API",
        version="0.1.0",
        summary="Drafters submit drafts; reviewers decide; the office monitors; the portal "
        "publishes.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_serving_engine(settings.database_url)
    app.state.writer = app.state.engine.execution_options(**{WRITES: True})
    app.state.review_starter = ReviewStarter(settings)
    # The portal's online application form (issue 26): per client address and per applicant.
    app.state.application_limits = {
        "address": RateLimit(settings.application_rate_per_address),
        "applicant": RateLimit(settings.application_rate_per_applicant),
    }
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app
