"""The office monitor (政务公开办, issue 5): stuck documents, overdue windows, a document as the
office sees it, and the dashboard page with its sign-in.

Office (disclosure_office) and admin only: other roles get 403, no credentials 401. A browser
signs in once at `/office/login` (the token POSTed in a CSRF-protected form, never in a URL) and
gets a browser session: an HttpOnly, SameSite=Strict cookie scoped to `/office` holding a random
id (api/signin.py); GET routes under /office accept it as well as the bearer token, POST routes
the bearer token only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import (
    Bearer,
    EngineDep,
    Office,
    OfficeCookie,
    OfficeReader,
    ReadSessionDep,
    SettingsDep,
    now,
    office_reader,
)
from api.errors import error_responses
from api.pages import private_html
from api.pages.office import SCRIPT, board_html, dashboard_page
from api.review_starter import ReviewStarter
from api.schemas import DocumentDetail, in_beijing
from api.signin import OFFICE_SIGNIN, add_sign_in_routes
from config.settings import Settings
from models.db import commit_unit_of_work
from policies.attributes import Attribute
from policies.statuses import Stage
from policies.stuck import StuckLevel
from services.accounts import organ_id_for
from services.audit_chain import KEPT_HEAD_PATTERN, kept_head, verify_chain
from services.documents import document_dossier, get_document
from services.errors import (
    Unauthenticated,
    Unavailable,
)
from services.office.overview import OverdueReport, overdue_deadlines
from services.office.overview import dashboard as office_dashboard
from services.office.stranded import record_restart, review_to_restart
from services.office.stuck import MAX_LIMIT, StuckFilters, StuckReport, stuck_documents
from services.validation import RANGE_TEXT, Id, InstantIn, Line, Offset

router = APIRouter(prefix="/office", tags=["office"])


def _as_of(value: datetime | None) -> datetime:
    return now() if value is None else value.astimezone(UTC)


AsOf = Annotated[
    InstantIn | None,
    Query(
        description="The instant to report for (ISO 8601 with a time zone, within "
        f"{RANGE_TEXT}); default now.",
        examples=["2026-10-16T10:00:00+08:00"],
    ),
]
NearShare = Annotated[
    float | None,
    Query(
        gt=0,
        lt=1,
        description="Share of the stage allowance from which a document counts as near "
        "(default GONGKAI_STUCK_NEAR_SHARE, 0.8).",
    ),
]


@router.get(
    "/stuck",
    response_model=StuckReport,
    responses=error_responses(401, 403, 422),
    summary="Documents past (or near) their stage allowance, with counts per stage and organ",
)
def get_stuck(
    user: OfficeReader,
    session: ReadSessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    near: NearShare = None,
    organ: Annotated[Line | None, Query(max_length=64, description="organ code")] = None,
    stage: Stage | None = None,
    attribute: Attribute | None = None,
    level: Annotated[
        StuckLevel | None, Query(description="only 'overdue' or only 'near' documents")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> StuckReport:
    """Stuck documents, oldest entry first: stage, status, who holds it (role, and the person when
    known), entry time, deadline, age in working days on the 调休 calendar, overdue or near, and
    the Prefect flow-run link. Counts per stage and per organ cover every filtered match."""
    filters = StuckFilters(
        organ_id=None if organ is None else organ_id_for(session, organ),
        stage=stage,
        attribute=attribute,
        level=level,
    )
    report = stuck_documents(
        session,
        as_of=_as_of(as_of),
        near_share=near if near is not None else settings.stuck_near_share,
        filters=filters,
        limit=limit,
        offset=offset,
        flow_run_ui=settings.prefect_ui_base,
    )
    return in_beijing(report)


@router.get(
    "/overdue",
    response_model=OverdueReport,
    responses=error_responses(401, 403, 422),
    summary="Overdue publication and interpretation deadlines per organ",
)
def get_overdue(user: OfficeReader, session: ReadSessionDep, as_of: AsOf = None) -> OverdueReport:
    """Unmet publication (条例 art. 26; local windows) and interpretation deadlines that have
    passed at as_of, per organ, with the most overdue first."""
    return in_beijing(overdue_deadlines(session, as_of=_as_of(as_of)))


@router.get(
    "/audit/verify",
    responses=error_responses(401, 403),
    summary="Re-compute the audit record's hash chain: valid, its head, or the first break",
)
def verify_audit(
    user: OfficeReader,
    session: ReadSessionDep,
    kept: Annotated[
        list[Annotated[str, Field(pattern=KEPT_HEAD_PATTERN)]] | None,
        Query(
            description="A head kept outside the database, `count:hash` (repeatable): the "
            "chain must still carry it"
        ),
    ] = None,
) -> dict[str, Any]:
    """Whether every audit event and decision still matches its link in the chain (issue 21),
    and the chain still carries the heads kept (`kept`) and recorded by the daily verification;
    `valid: false` names the first break and what differs. The head (count, hash) is the value
    an office keeps outside the database (README)."""
    heads = [kept_head(text) for text in kept or []]
    return verify_chain(connection=session.connection(), kept=heads).as_json()


@router.get(
    "/documents/{document_id}",
    response_model=DocumentDetail,
    responses=error_responses(401, 403, 404),
    summary="A document as the office sees it (the dashboard's link; same body as /documents/{id})",
)
def get_office_document(
    user: OfficeReader, session: ReadSessionDep, document_id: Annotated[Id, Path()]
) -> DocumentDetail:
    """Everything recorded about one document, readable with the /office cookie."""
    document = get_document(session=session, document_id=document_id)
    return DocumentDetail.of(document_dossier(session=session, document=document))


# --- Browser sign-in and the dashboard page ------------------------------------------------


def _see_other(description: str) -> dict[int | str, dict[str, Any]]:
    return {303: {"description": description}}


add_sign_in_routes(router, OFFICE_SIGNIN, who="the office dashboard")


@router.get("/dashboard.js", include_in_schema=False)
def dashboard_script() -> Response:
    """The page's few lines of JavaScript (a file, so the page's CSP allows no inline script)."""
    return Response(SCRIPT, media_type="text/javascript; charset=utf-8")


def _board_html(
    session: Session, settings: Settings, as_of: datetime | None, near: float | None
) -> str:
    board = office_dashboard(
        session,
        as_of=_as_of(as_of),
        near_share=near if near is not None else settings.stuck_near_share,
        flow_run_ui=settings.prefect_ui_base,
        calendar_warn_from=settings.calendar_warn_from,
    )
    return board_html(board)


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    responses=error_responses(403, 422) | _see_other("Not signed in: on to /office/login"),
    summary="The office dashboard (HTML): stuck list, counts, overdue windows, 退文, re-reviews",
)
def dashboard(
    request: Request,
    engine: EngineDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    credentials: Bearer,
    cookie: OfficeCookie,
    as_of: AsOf = None,
    near: NearShare = None,
    refresh: Annotated[int | None, Query(ge=1, le=3600, description="seconds")] = None,
) -> Response:
    """The page refreshes its board every `refresh` seconds (default GONGKAI_OFFICE_REFRESH_
    SECONDS) by fetching /office/dashboard/board, without reloading."""
    try:
        user = office_reader(engine, credentials, cookie)
    except Unauthenticated:
        return RedirectResponse("/office/login", status_code=303)
    query = request.url.query
    page = dashboard_page(
        user_name=user.name,
        board_html=_board_html(session, settings, as_of, near),
        board_url="/office/dashboard/board" + (f"?{query}" if query else ""),
        refresh_seconds=refresh or settings.office_refresh_seconds,
    )
    return private_html(page)


@router.get(
    "/dashboard/board",
    response_class=HTMLResponse,
    responses=error_responses(401, 403, 422),
    summary="The dashboard's board alone (HTML fragment the page swaps in on refresh)",
)
def dashboard_board(
    user: OfficeReader,
    session: ReadSessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    near: NearShare = None,
    refresh: Annotated[int | None, Query(ge=1, le=3600)] = None,
) -> Response:
    """The current board as HTML."""
    return private_html(_board_html(session, settings, as_of, near))


# --- Stranded reviews --------------------------------------------------------------------------


class ReviewRestarted(BaseModel):
    """The new review run of a document whose run had ended at a human step."""

    document_id: int
    version_id: int
    flow_run_id: str


@router.post(
    "/documents/{document_id}/restart-review",
    response_model=ReviewRestarted,
    responses=error_responses(401, 403, 404, 409, 503),
    summary="Restart the review of a document whose run ended at a human step (stuck list's "
    "stranded)",
)
async def restart_review(
    request: Request,
    user: Office,
    engine: EngineDep,
    document_id: Annotated[Id, Path()],
) -> ReviewRestarted:
    """A fresh review run of the current version; it resumes at the step the document waits at
    (nothing decided is decided again). 409 when the document's run has not ended."""
    with Session(engine) as session:
        get_document(session=session, document_id=document_id)
        review = review_to_restart(session=session, document_id=document_id)
    starter: ReviewStarter = request.app.state.review_starter
    flow_run_id = await starter.start(review)
    if flow_run_id is None:
        raise Unavailable("Prefect did not answer: the review was not restarted; try again")
    with Session(request.app.state.writer) as session:
        record_restart(
            session=session, document_id=document_id, flow_run_id=flow_run_id, by=user, at=now()
        )
        commit_unit_of_work(session)
    return ReviewRestarted(
        document_id=document_id, version_id=review.version_id, flow_run_id=flow_run_id
    )
