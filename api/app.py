"""The intake API: `uvicorn --factory api.app:create_app`. Routers live in api/routes/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from api.deps import make_api_engine
from api.errors import install_error_handlers
from api.portal import router as portal_router
from api.reconciler import sweep_forever
from api.review_starter import ReviewStarter
from api.routes import decisions, documents
from api.routes import office_monitor as office_monitor_routes
from api.routes import office_reports as office_reports_routes
from api.routes import rereviews as rereviews_routes
from api.routes import validity as validity_routes
from config.settings import Settings, get_settings

ROUTERS = [
    documents.router,  # intake (issue 3)
    decisions.router,  # human decisions (issue 6)
    validity_routes.router,  # 有效性 changes (issue 4)
    rereviews_routes.router,  # periodic re-review and conversion (issue 4)
    portal_router,  # the public portal (issue 4)
    office_monitor_routes.router,  # stuck documents and the dashboard (issue 5)
    office_reports_routes.router,  # statistics and the annual report (issue 5)
]


def create_app(settings: Settings | None = None, *, run_reconciler: bool = True) -> FastAPI:
    """Build the app on its settings: engine, review starter, error handlers and routers."""
    settings = settings or get_settings()
    settings.files_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            if run_reconciler:
                tasks.start_soon(
                    sweep_forever,
                    app.state.engine,
                    app.state.review_starter,
                    settings.review_sweep_seconds,
                )
            yield
            tasks.cancel_scope.cancel()
        app.state.engine.dispose()

    app = FastAPI(
        title="公文公开属性审查 — intake API",
        version="0.1.0",
        summary="Drafters submit drafts; the review flow starts through Prefect.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_api_engine(settings.database_url)
    app.state.review_starter = ReviewStarter(settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
