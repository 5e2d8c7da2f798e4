"""The office monitor (政务公开办, issue 5): stuck documents, overdue windows, the dashboard page.

Who: the disclosure office and admins; others get 403, no credentials 401. How a browser signs in:
the API's bearer tokens are not something a browser sends by itself, so `/office/login` takes the
token once in a form (POST, never in a URL that ends up in history or logs) and answers with an
HttpOnly, SameSite=Strict cookie scoped to `/office` (Secure over HTTPS). Every `/office` route
accepts that cookie or the usual `Authorization: Bearer` header; nothing outside `/office` reads
the cookie, so bearer auth elsewhere is unchanged. The cookie is only ever read by GET routes
(SameSite=Strict and read-only GETs: no cross-site request can act with it); `/office/logout`
clears it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api import office_pages
from api.deps import EngineDep, ReadSessionDep, SettingsDep, now
from api.errors import error_responses
from api.schemas import DocumentDetail
from api.views import document_detail
from config.settings import Settings
from models.users import User
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Stage
from policies.stuck import StuckLevel
from services.accounts import authenticate, find_organ
from services.documents import document_dossier, get_document
from services.errors import Forbidden, NotFound, RequestInvalid, Unauthenticated
from services.office.overview import OverdueReport, dashboard, overdue_deadlines
from services.office.stuck import MAX_LIMIT, StuckFilters, StuckReport, stuck_documents

router = APIRouter(prefix="/office", tags=["office monitor"])

COOKIE = "gongkai_office"
COOKIE_PATH = "/office"
OFFICE_ROLES = (Role.DISCLOSURE_OFFICE, Role.ADMIN)
_bearer = HTTPBearer(auto_error=False, description="A token from `gongkai create-token`.")
_cookie = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    description="Set by POST /office/login for browsers (HttpOnly, SameSite=Strict, /office).",
)


def _token(credentials: HTTPAuthorizationCredentials | None, cookie: str | None) -> str | None:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    return cookie or None


def _load_user(engine: EngineDep, token: str) -> User:
    with Session(engine, expire_on_commit=False) as session:
        user = authenticate(session=session, token=token)
        session.expunge(user)
    return user


def _require_office(user: User) -> User:
    if user.role not in OFFICE_ROLES:
        names = ", ".join(r.value for r in OFFICE_ROLES)
        raise Forbidden(f"role '{user.role}' may not see the office monitor; needs one of: {names}")
    return user


def office_user(
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> User:
    """The office clerk or admin behind the bearer token or the /office cookie; else 401/403."""
    token = _token(credentials, cookie)
    if token is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>' or sign in at /office/login")
    return _require_office(_load_user(engine, token))


OfficeUser = Annotated[User, Depends(office_user)]


def _as_of(value: datetime | None) -> datetime:
    if value is None:
        return now()
    if value.tzinfo is None or value.utcoffset() is None:
        raise RequestInvalid(
            "as_of: give a time zone, e.g. 2026-10-16T10:00:00+08:00 (instants are never naive)"
        )
    return value.astimezone(UTC)


def _organ_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    try:
        return find_organ(session=session, code=code).id
    except NotFound:
        raise RequestInvalid(f"organ: unknown code '{code}'") from None


AsOf = Annotated[
    datetime | None,
    Query(
        description="The instant to report for (ISO 8601 with a time zone); default now.",
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
    user: OfficeUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    near: NearShare = None,
    organ: Annotated[str | None, Query(description="organ code")] = None,
    stage: Stage | None = None,
    attribute: Attribute | None = None,
    level: Annotated[
        StuckLevel | None, Query(description="only 'overdue' or only 'near' documents")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> StuckReport:
    """Stuck documents, oldest entry first: stage, status, who holds it (role, and the person when
    known), entry time, deadline, age in working days on the 调休 calendar, overdue or near, and
    the Prefect flow-run link. Counts per stage and per organ cover every filtered match."""
    filters = StuckFilters(
        organ_id=_organ_id(session, organ), stage=stage, attribute=attribute, level=level
    )
    return stuck_documents(
        session,
        as_of=_as_of(as_of),
        near_share=near if near is not None else settings.stuck_near_share,
        filters=filters,
        limit=limit,
        offset=offset,
        flow_run_ui=settings.prefect_ui_base,
    )


@router.get(
    "/overdue",
    response_model=OverdueReport,
    responses=error_responses(401, 403, 422),
    summary="Overdue publication and interpretation deadlines per organ",
)
def get_overdue(user: OfficeUser, session: ReadSessionDep, as_of: AsOf = None) -> OverdueReport:
    """Unmet publication (条例 art. 26; local windows) and interpretation deadlines that have
    passed at as_of, per organ, with the most overdue first."""
    return overdue_deadlines(session, as_of=_as_of(as_of))


@router.get(
    "/documents/{document_id}",
    response_model=DocumentDetail,
    responses=error_responses(401, 403, 404),
    summary="A document as the office sees it (the dashboard's link; same body as /documents/{id})",
)
def get_office_document(
    user: OfficeUser, session: ReadSessionDep, document_id: Annotated[int, Path(ge=1)]
) -> DocumentDetail:
    """Everything recorded about one document, readable with the /office cookie."""
    document = get_document(session=session, document_id=document_id)
    return document_detail(document_dossier(session=session, document=document))


# --- Browser sign-in and the dashboard page ------------------------------------------------


def _see_other(description: str) -> dict[int | str, dict[str, Any]]:
    return {303: {"description": description}}


@router.get("/login", response_class=HTMLResponse, summary="Sign-in form for the dashboard")
def login_form() -> HTMLResponse:
    """A form that takes an office token once and sets the /office cookie."""
    return office_pages.html(office_pages.login_page())


@router.post(
    "/login",
    response_class=HTMLResponse,
    status_code=303,
    responses=error_responses(401, 403) | _see_other("Signed in: on to /office/dashboard"),
    summary="Exchange an office token for the HttpOnly /office cookie",
)
def login(
    request: Request, engine: EngineDep, token: Annotated[str, Form(min_length=1)]
) -> Response:
    """Check the token (office or admin role), then set the cookie and go to the dashboard."""
    try:
        _require_office(_load_user(engine, token.strip()))
    except (Unauthenticated, Forbidden) as error:
        code = 401 if isinstance(error, Unauthenticated) else 403
        return office_pages.html(office_pages.login_page(error.message), status_code=code)
    response = RedirectResponse("/office/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=COOKIE_PATH,
        max_age=12 * 3600,
    )
    return response


@router.post("/logout", status_code=303, summary="Clear the /office cookie")
def logout() -> Response:
    """Forget the browser's sign-in."""
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


@router.get("/dashboard.js", include_in_schema=False)
def dashboard_script() -> Response:
    """The page's few lines of JavaScript (a file, so the page's CSP allows no inline script)."""
    return Response(office_pages.SCRIPT, media_type="text/javascript; charset=utf-8")


def _board_html(
    session: Session, settings: Settings, as_of: datetime | None, near: float | None
) -> str:
    board = dashboard(
        session,
        as_of=_as_of(as_of),
        near_share=near if near is not None else settings.stuck_near_share,
        flow_run_ui=settings.prefect_ui_base,
    )
    return office_pages.board(board)


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    responses=error_responses(403, 422) | _see_other("Not signed in: on to /office/login"),
    summary="The office dashboard (HTML): stuck list, counts, overdue windows, 退文, re-reviews",
)
def dashboard_page(
    request: Request,
    engine: EngineDep,
    session: ReadSessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
    as_of: AsOf = None,
    near: NearShare = None,
    refresh: Annotated[int | None, Query(ge=1, le=3600, description="seconds")] = None,
) -> Response:
    """The page refreshes its board every `refresh` seconds (default GONGKAI_OFFICE_REFRESH_
    SECONDS) by fetching /office/dashboard/board, without reloading."""
    token = _token(credentials, cookie)
    try:
        if token is None:
            raise Unauthenticated("not signed in")
        user = _require_office(_load_user(engine, token))
    except Unauthenticated:
        return RedirectResponse("/office/login", status_code=303)
    query = request.url.query
    page = office_pages.dashboard_page(
        user_name=user.name,
        board_html=_board_html(session, settings, as_of, near),
        board_url="/office/dashboard/board" + (f"?{query}" if query else ""),
        refresh_seconds=refresh or settings.office_refresh_seconds,
    )
    return office_pages.html(page)


@router.get(
    "/dashboard/board",
    response_class=HTMLResponse,
    responses=error_responses(401, 403, 422),
    summary="The dashboard's board alone (HTML fragment the page swaps in on refresh)",
)
def dashboard_board(
    user: OfficeUser,
    session: ReadSessionDep,
    settings: SettingsDep,
    as_of: AsOf = None,
    near: NearShare = None,
    refresh: Annotated[int | None, Query(ge=1, le=3600)] = None,
) -> Response:
    """The current board as HTML."""
    return office_pages.html(_board_html(session, settings, as_of, near))
