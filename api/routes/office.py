"""The disclosure office (政务公开办, issue 5): stuck documents, overdue windows and the dashboard
page; statistics and the statutory annual report (条例 arts. 49–50).

Office (disclosure_office) and admin only: other roles get 403, no credentials 401. A browser
signs in once at `/office/login` (the token POSTed in a form, never in a URL) and gets an
HttpOnly, SameSite=Strict cookie scoped to `/office` (api/deps.py); GET routes here accept it as
well as the bearer token, POST routes the bearer token only.

- `GET /office/stuck`, `/office/overdue`, `/office/documents/{id}`, `/office/dashboard` (HTML).
- `GET /office/statistics` (JSON) and `/office/statistics.csv` (UTF-8 with BOM, one row per
  metric): a year, or from/to (Asia/Shanghai days, both included), optionally one organ.
- `GET /office/annual-report/{year}`: the report as data, each cell with its value and origin
  (computed / imported / empty) and the validation; `?strict=true` answers 422 with the failures
  when the cross-checks fail. `GET /office/annual-report/{year}.html`: the printable page.
- `POST /office/annual-report/{year}/imports`: a new version of the imported figures, as CSV
  (`text/csv`, header `section,row,column,value`) or JSON (`{"cells": [{section, row, column,
  value}]}`); it supersedes the previous version, which is kept. `GET …/imports`: the versions.
- `POST /office/annual-report/{year}/marks`: the office records that the report was submitted
  (31 January task) or published (31 March task); refused (422) while the report is invalid.
- `GET /office/annual-report/tasks?year=`: both statutory tasks with their status.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import (
    OFFICE_COOKIE,
    OFFICE_COOKIE_PATH,
    OFFICE_ROLES,
    Bearer,
    EngineDep,
    Office,
    OfficeCookie,
    OfficeReader,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    check_role,
    now,
    office_reader,
    user_with_token,
)
from api.errors import error_responses
from api.pages import private_html
from api.pages.annual_report import annual_report_html
from api.pages.office import SCRIPT, board_html, dashboard_page, login_page
from api.schemas import DocumentDetail, FindingOut
from config.settings import Settings
from models.annual_reports import AnnualReportImport
from policies.annual_report import HEADING_ROWS, TaskKind
from policies.attributes import Attribute
from policies.statuses import Stage
from policies.stuck import StuckLevel
from services.accounts import organ_id_for
from services.documents import document_dossier, get_document
from services.errors import (
    Forbidden,
    RequestInvalid,
    Unauthenticated,
    UnsupportedFileType,
    UploadTooLarge,
)
from services.office.annual_report import (
    AnnualReport,
    ReportInvalid,
    build_annual_report,
    import_figures,
    mark_report,
    parse_csv,
    parse_json,
    report_imports,
    report_tasks,
)
from services.office.overview import OverdueReport, overdue_deadlines
from services.office.overview import dashboard as office_dashboard
from services.office.statistics import Period, Statistics, office_statistics
from services.office.stuck import MAX_LIMIT, StuckFilters, StuckReport, stuck_documents

router = APIRouter(prefix="/office", tags=["office"])


def _as_of(value: datetime | None) -> datetime:
    if value is None:
        return now()
    if value.tzinfo is None or value.utcoffset() is None:
        raise RequestInvalid(
            "as_of: give a time zone, e.g. 2026-10-16T10:00:00+08:00 (instants are never naive)"
        )
    return value.astimezone(UTC)


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
    user: OfficeReader,
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
        organ_id=None if organ is None else organ_id_for(session, organ),
        stage=stage,
        attribute=attribute,
        level=level,
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
def get_overdue(user: OfficeReader, session: ReadSessionDep, as_of: AsOf = None) -> OverdueReport:
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
    user: OfficeReader, session: ReadSessionDep, document_id: Annotated[int, Path(ge=1)]
) -> DocumentDetail:
    """Everything recorded about one document, readable with the /office cookie."""
    document = get_document(session=session, document_id=document_id)
    return DocumentDetail.of(document_dossier(session=session, document=document))


# --- Browser sign-in and the dashboard page ------------------------------------------------


def _see_other(description: str) -> dict[int | str, dict[str, Any]]:
    return {303: {"description": description}}


@router.get("/login", response_class=HTMLResponse, summary="Sign-in form for the dashboard")
def login_form() -> HTMLResponse:
    """A form that takes an office token once and sets the /office cookie."""
    return private_html(login_page())


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
        check_role(user_with_token(engine, token.strip()), OFFICE_ROLES)
    except (Unauthenticated, Forbidden) as error:
        code = 401 if isinstance(error, Unauthenticated) else 403
        return private_html(login_page(error.message), status_code=code)
    response = RedirectResponse("/office/dashboard", status_code=303)
    response.set_cookie(
        OFFICE_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=OFFICE_COOKIE_PATH,
        max_age=12 * 3600,
    )
    return response


@router.post("/logout", status_code=303, summary="Clear the /office cookie")
def logout() -> Response:
    """Forget the browser's sign-in."""
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(OFFICE_COOKIE, path=OFFICE_COOKIE_PATH, httponly=True, samesite="strict")
    return response


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


# --- Statistics and the annual report ----------------------------------------------------------


FIRST_REPORT_YEAR = 2008  # 条例 (2007) in force 2008-05-01: the first annual reports cover 2008
Year = Annotated[int, Path(ge=FIRST_REPORT_YEAR, le=2100, description="The reporting year")]
MAX_IMPORT_BYTES = 1024 * 1024
CSV_MEDIA = "text/csv; charset=utf-8"


def _period(year: int | None, start: date | None, end: date | None) -> Period:
    if year is not None and start is None and end is None:
        return Period.year(year)
    if year is None and start is not None and end is not None:
        return Period(start, end)
    raise RequestInvalid("give either year, or both from and to (Asia/Shanghai days, inclusive)")


def period_query(
    year: Annotated[int | None, Query(ge=FIRST_REPORT_YEAR, le=2100)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Period:
    """The period asked for: a year, or from/to."""
    return _period(year, start, end)


PeriodDep = Annotated[Period, Depends(period_query)]
OrganQuery = Annotated[int | None, Query(ge=1, description="Only this organ's documents")]


class StageTimeOut(BaseModel):
    """Completed stays in one stage that ended in the period."""

    stays: int
    median_hours: float | None


class StatisticsOut(BaseModel):
    """The office's figures for a period (definitions: services/office/statistics.py)."""

    period_from: date
    period_to: date
    organ_id: int | None
    documents_issued: int
    by_attribute: dict[str, int]
    proactive: int
    proactive_share: float | None
    returns: int
    return_reasons: dict[str, int]
    decisions_by_kind: dict[str, int]
    decisions_by_reason: dict[str, int]
    withholding_reasons: dict[str, int]
    stage_times: dict[str, StageTimeOut]
    publications: int
    interpretations_published: int
    validity_changes: dict[str, int]

    @classmethod
    def of(cls, stats: Statistics) -> StatisticsOut:
        """From the service's figures."""
        return cls(
            period_from=stats.period.start,
            period_to=stats.period.end,
            organ_id=stats.organ_id,
            documents_issued=stats.documents_issued,
            by_attribute=stats.by_attribute,
            proactive=stats.proactive,
            proactive_share=stats.proactive_share,
            returns=stats.returns,
            return_reasons=stats.return_reasons,
            decisions_by_kind=stats.decisions_by_kind,
            decisions_by_reason=stats.decisions_by_reason,
            withholding_reasons=stats.withholding_reasons,
            stage_times={
                k: StageTimeOut(stays=len(v.hours), median_hours=v.median_hours)
                for k, v in stats.stage_times.items()
            },
            publications=stats.publications,
            interpretations_published=stats.interpretations_published,
            validity_changes=stats.validity_changes,
        )


@router.get(
    "/statistics",
    response_model=StatisticsOut,
    responses=error_responses(401, 403, 422),
    summary="Statistics for a year or from/to: issued, share proactive, 退文, decisions, stages",
)
def statistics(
    _: OfficeReader, session: ReadSessionDep, period: PeriodDep, organ_id: OrganQuery = None
) -> StatisticsOut:
    """Issued = review concluded (published or filed), by 成文日期; proactive share = 主动公开 and
    删减后公开 ÷ issued; 退文 with reasons; decisions by kind and reason code; median hours per
    stage; publications, interpretations and validity changes in the period."""
    return StatisticsOut.of(office_statistics(session=session, period=period, organ_id=organ_id))


@router.get(
    "/statistics.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 403, 422)},
    summary="The same statistics as CSV (UTF-8 with BOM): metric,key,value",
)
def statistics_csv(
    _: OfficeReader, session: ReadSessionDep, period: PeriodDep, organ_id: OrganQuery = None
) -> Response:
    """One row per metric; the BOM lets Excel open the Chinese text correctly."""
    stats = office_statistics(session=session, period=period, organ_id=organ_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("metric", "key", "value"))
    writer.writerow(("period_from", "", stats.period.start.isoformat()))
    writer.writerow(("period_to", "", stats.period.end.isoformat()))
    writer.writerow(("organ_id", "", "" if organ_id is None else organ_id))
    for metric, key, value in stats.metrics():
        writer.writerow((metric, key, "" if value is None else value))
    name = f"statistics-{stats.period.start}-{stats.period.end}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type=CSV_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class TaskOut(BaseModel):
    """A statutory annual-report task and where it stands today."""

    kind: str
    title: str
    year: int
    due_on: date
    source: str
    status: str
    done_on: date | None


@router.get(
    "/annual-report/tasks",
    response_model=list[TaskOut],
    responses=error_responses(401, 403, 422),
    summary="The 31 January and 31 March tasks of a year's report (条例 art. 49)",
)
def tasks(
    _: OfficeReader,
    session: ReadSessionDep,
    year: Annotated[int, Query(ge=FIRST_REPORT_YEAR, le=2100)],
) -> list[TaskOut]:
    """Each task is done on the day the office marked the report submitted / published (POST
    …/marks); open before its due date, overdue after it, done_late if marked after it."""
    return [
        TaskOut(
            kind=t.kind.value,
            title=t.title,
            year=t.year,
            due_on=t.due_on,
            source=t.source,
            status=t.status.value,
            done_on=t.done_on,
        )
        for t in report_tasks(session=session, year=year, at=now())
    ]


class CellOut(BaseModel):
    """One cell: its value and whether the engine computed it or the office imported it."""

    value: float | int | str | None
    origin: Literal["computed", "imported", "empty"]


class RowOut(BaseModel):
    """A row with its official label and its cells by column key (none for heading rows)."""

    key: str
    label: str
    depth: int
    cells: dict[str, CellOut]


class TableOut(BaseModel):
    """A table of the official format."""

    key: str
    title: str
    source: str
    computed: bool
    columns: list[dict[str, str]]
    rows: list[RowOut]


class SectionOut(BaseModel):
    """A numbered section: its text (narrative sections) or its tables."""

    number: str
    title: str
    source: str
    text: CellOut | None
    tables: list[TableOut]


class ImportOut(BaseModel):
    """One version of the imported figures."""

    id: int
    year: int
    version: int
    report_format: str
    media: str
    cells: int
    imported_by: int
    imported_at: datetime
    note: str | None
    current: bool

    @classmethod
    def of(cls, row: AnnualReportImport, *, current: bool) -> ImportOut:
        """From the stored import."""
        assert row.id is not None
        return cls(
            id=row.id,
            year=row.year,
            version=row.version,
            report_format=row.report_format,
            media=row.media,
            cells=len(row.cells),
            imported_by=row.imported_by,
            imported_at=row.imported_at,
            note=row.note,
            current=current,
        )


class AnnualReportOut(BaseModel):
    """The report: format, validation, provenance and every section."""

    year: int
    format: str
    format_source: str
    valid: bool
    failures: list[FindingOut]
    summary: dict[str, Any]
    current_import: ImportOut | None
    imports: list[ImportOut]
    sections: list[SectionOut]


def _report_out(report: AnnualReport) -> AnnualReportOut:
    def cell(table: str, row: str, column: str) -> CellOut:
        found = report.cell(table, row, column)
        return CellOut(value=found.value, origin=found.origin)

    sections = []
    for section in report.format.sections:
        tables = [
            TableOut(
                key=t.key,
                title=t.title,
                source=t.source,
                computed=t.computed,
                columns=[{"key": c.key, "label": c.label, "unit": c.unit.value} for c in t.columns],
                rows=[
                    RowOut(
                        key=r.key,
                        label=r.label,
                        depth=r.depth,
                        cells={}
                        if r.key in HEADING_ROWS and t.key == "三"
                        else {c.key: cell(t.key, r.key, c.key) for c in t.columns},
                    )
                    for r in t.rows
                ],
            )
            for t in section.tables
        ]
        text = cell(section.number, "正文", "正文") if section.is_narrative else None
        sections.append(
            SectionOut(
                number=section.number,
                title=section.title,
                source=section.source,
                text=text,
                tables=tables,
            )
        )
    current_id = report.current_import.id if report.current_import else None
    return AnnualReportOut(
        year=report.year,
        format=report.format.name,
        format_source=report.format.source,
        valid=report.valid,
        failures=[FindingOut.of(f) for f in report.findings],
        summary=report.summary,
        current_import=ImportOut.of(report.current_import, current=True)
        if report.current_import
        else None,
        imports=[ImportOut.of(i, current=i.id == current_id) for i in report.imports],
        sections=sections,
    )


# Declared before "/annual-report/{year}": its {year} would otherwise swallow "2026.html".
@router.get(
    "/annual-report/{year}.html",
    response_class=HTMLResponse,
    responses=error_responses(401, 403, 422),
    summary="The year's report as a printable page in the official layout",
)
def annual_report_page(_: OfficeReader, session: ReadSessionDep, year: Year) -> HTMLResponse:
    """Sections 一…六 with the official tables; a failed cross-check is shown at the top."""
    return HTMLResponse(annual_report_html(build_annual_report(session=session, year=year)))


@router.get(
    "/annual-report/{year}/imports",
    response_model=list[ImportOut],
    responses=error_responses(401, 403, 422),
    summary="Every import for the year, newest (current) first",
)
def list_imports(_: OfficeReader, session: ReadSessionDep, year: Year) -> list[ImportOut]:
    """Superseded imports are kept; `current` marks the one the report uses."""
    rows = report_imports(session=session, year=year)
    return [ImportOut.of(r, current=i == 0) for i, r in enumerate(rows)]


@router.get(
    "/annual-report/{year}",
    response_model=AnnualReportOut,
    responses=error_responses(401, 403, 422),
    summary="The year's report as data: cells with origin, and the validation",
)
def annual_report(
    _: OfficeReader,
    session: ReadSessionDep,
    year: Year,
    strict: Annotated[bool, Query(description="422 with the failures if invalid")] = False,
) -> AnnualReportOut:
    """`valid: false` and `failures` name the rows and numbers of every failed cross-check."""
    report = build_annual_report(session=session, year=year)
    if strict and not report.valid:
        raise ReportInvalid(
            f"the {year} report fails {len(report.findings)} cross-check(s)", report.findings
        )
    return _report_out(report)


@router.post(
    "/annual-report/{year}/imports",
    status_code=status.HTTP_201_CREATED,
    response_model=AnnualReportOut,
    responses=error_responses(401, 403, 413, 415, 422),
    summary="Import figures (CSV or JSON: section,row,column,value) as a new version",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            }
        }
    },
)
async def import_report_figures(
    request: Request,
    user: Office,
    session: SessionDep,
    year: Year,
    note: Annotated[str | None, Query(max_length=2000)] = None,
) -> AnnualReportOut:
    """Every cell is checked (known table, row and column; not a computed cell; a non-negative
    number, whole for counts); the answer is the report with this import, valid or not."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parsers = {"text/csv": ("csv", parse_csv), "application/json": ("json", parse_json)}
    if media not in parsers:
        raise UnsupportedFileType(f"send text/csv or application/json, not '{media or 'none'}'")
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise UploadTooLarge(f"an import is at most {MAX_IMPORT_BYTES} bytes")
    kind, parse = parsers[media]
    cells = parse(body)

    def store() -> AnnualReportOut:
        import_figures(
            session=session, year=year, cells=cells, media=kind, user=user, at=now(), note=note
        )
        return _report_out(build_annual_report(session=session, year=year))

    return await run_in_threadpool(store)


class MarkIn(BaseModel):
    """The office's record that the report was submitted (31 Jan) or published (31 Mar)."""

    kind: TaskKind
    note: str | None = Field(default=None, max_length=2000)


@router.post(
    "/annual-report/{year}/marks",
    status_code=status.HTTP_201_CREATED,
    response_model=list[TaskOut],
    responses=error_responses(401, 403, 409, 422),
    summary="Mark the year's report submitted or published (completes its statutory task)",
)
def mark(user: Office, session: SessionDep, year: Year, body: MarkIn) -> list[TaskOut]:
    """422 with the failures while the report is invalid; 409 if already marked."""
    at = now()
    mark_report(session=session, year=year, kind=body.kind, user=user, at=at, note=body.note)
    return tasks(user, session, year)
