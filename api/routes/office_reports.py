"""The office's statistics and the statutory annual report (条例 arts. 49–50; issue 5). Office and
admin only; GET routes also accept the /office sign-in cookie (api/deps.py), POST routes take the
bearer token only.

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
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import Office, OfficeReader, ReadSessionDep, SessionDep, now
from api.errors import error_responses
from api.pages.annual_report import annual_report_html
from api.schemas import FindingOut, Instant
from models.annual_reports import AnnualReportImport
from policies.annual_report import HEADING_ROWS, TaskKind
from services.errors import RequestInvalid, UnsupportedFileType, UploadTooLarge
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
from services.office.statistics import Period, Statistics, office_statistics
from services.validation import Day, Id, MultiLine

router = APIRouter(prefix="/office", tags=["office reports"])


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
    start: Annotated[Day | None, Query(alias="from")] = None,
    end: Annotated[Day | None, Query(alias="to")] = None,
) -> Period:
    """The period asked for: a year, or from/to."""
    return _period(year, start, end)


PeriodDep = Annotated[Period, Depends(period_query)]
OrganQuery = Annotated[Id | None, Query(description="Only this organ's documents")]


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
        stage_times = {
            stage: StageTimeOut(stays=len(times.hours), median_hours=times.median_hours)
            for stage, times in stats.stage_times.items()
        }
        return cls.model_validate(
            asdict(stats)
            | {"period_from": stats.period.start, "period_to": stats.period.end}
            | {"proactive_share": stats.proactive_share, "stage_times": stage_times}
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
        TaskOut.model_validate(task, from_attributes=True)
        for task in report_tasks(session=session, year=year, at=now())
    ]


class CellOut(BaseModel):
    """One cell: its value and whether the engine computed it or the office imported it."""

    value: float | int | str | None
    origin: Literal["computed", "imported", "combined", "empty"]


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
    imported_at: Instant
    note: str | None
    current: bool

    @classmethod
    def of(cls, row: AnnualReportImport, *, current: bool) -> ImportOut:
        """From the stored import."""
        return cls.model_validate(row.model_dump() | {"cells": len(row.cells), "current": current})


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
    note: Annotated[MultiLine | None, Query(max_length=2000)] = None,
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
    note: MultiLine | None = Field(default=None, max_length=2000)


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
