"""The annual report for a year (条例 arts. 49–50): computed cells from the engine's documents,
imported cells from the office's latest import, and the cross-checks of the official format.

- Computed (第二十条第（一）项, rows 规章 / 行政规范性文件, by document type): 本年制发件数 /
  本年新制作数量 = issued documents (services.office.statistics: review concluded) whose 成文日期
  falls in the year; 本年废止件数 = documents with a change to 已废止 effective in the year
  (validity_changes); 现行有效件数 = issued documents written by 31 Dec whose validity on 31 Dec
  is 有效 or 已修改; 本年新公开数量 / 对外公开总数量 = documents first published in / by the year.
- Imported: every other table (applications, reconsideration and litigation, other 第二十条
  items) and the narrative sections. Imports are versions: the newest one for the year is used,
  the older ones stay (append-only). An import that names a computed cell is refused.
- Validation: policies.annual_report.check_report; a failure makes the report invalid, and an
  invalid report cannot be marked submitted or published.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from models.annual_reports import AnnualReportImport, AnnualReportMark
from models.documents import Document
from models.publications import Publication
from models.users import User
from models.validity import ValidityChangeRecord
from policies.annual_report import (
    CellKey,
    ImportedCell,
    Measure,
    Number,
    OfficeTask,
    ReportFormat,
    TaskKind,
    annual_report_tasks,
    check_import,
    check_report,
    document_type_row,
    format_for_year,
)
from policies.calendar import local_date
from policies.document_types import DocumentType
from policies.findings import Finding, Severity
from services.applications import computed_table_three
from services.audit import record_act
from services.errors import Conflict, DomainError, RequestInvalid
from services.office.statistics import ISSUED_STATUSES, Period, issued_figures
from services.timestamps import require_aware

IMPORT_FIELDS = ("section", "row", "column", "value")
IMPORTED = "annual_report.imported"
MARKED = "annual_report.marked"
IN_FORCE = ("valid", "amended")
LAYOUT_SOURCE = "annual-report import layout: section,row,column,value (README)"


class ReportInvalid(DomainError):
    """The report fails the format's cross-checks (the findings name the rows and numbers)."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell's value and where it came from: computed by the engine, or imported."""

    value: Number | str | None
    origin: str  # "computed" | "imported" | "combined" (computed + imported) | "empty"


@dataclass(slots=True)
class AnnualReport:
    """A year's report in one edition of the format, its sources and its validation."""

    year: int
    format: ReportFormat
    cells: dict[CellKey, Cell]
    findings: list[Finding]
    summary: dict[str, Any]
    current_import: AnnualReportImport | None = None
    imports: list[AnnualReportImport] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether every cross-check holds."""
        return not self.findings

    def cell(self, table: str, row: str, column: str) -> Cell:
        """A cell, empty when nothing computed or imported fills it."""
        return self.cells.get((table, row, column), Cell(None, "empty"))


def _of_type(kind: DocumentType) -> tuple[str, str]:
    return (kind.value, kind.label)  # stored as code or Chinese label (services.review.steps)


def _count_issued(session: Session, kind: DocumentType, start: date, end: date) -> int:
    query = select(func.count()).where(
        col(Document.document_type).in_(_of_type(kind)),
        col(Document.status).in_(ISSUED_STATUSES),
        col(Document.written_on) >= start,
        col(Document.written_on) <= end,
    )
    return int(session.exec(query).one())


def _count_repealed(session: Session, kind: DocumentType, year: int) -> int:
    query = (
        select(func.count(func.distinct(ValidityChangeRecord.document_id)))
        .join(Document, col(Document.id) == col(ValidityChangeRecord.document_id))
        .where(
            col(Document.document_type).in_(_of_type(kind)),
            col(ValidityChangeRecord.to_validity) == "repealed",
            col(ValidityChangeRecord.effective_on) >= date(year, 1, 1),
            col(ValidityChangeRecord.effective_on) <= date(year, 12, 31),
        )
    )
    return int(session.exec(query).one())


def _count_in_force(session: Session, kind: DocumentType, year: int) -> int:
    """Issued by 31 Dec and, by the last change effective by then, 有效 or 已修改."""
    end = date(year, 12, 31)
    issued = session.exec(
        select(Document.id).where(
            col(Document.document_type).in_(_of_type(kind)),
            col(Document.status).in_(ISSUED_STATUSES),
            col(Document.written_on) <= end,
        )
    ).all()
    changes = session.exec(
        select(ValidityChangeRecord.document_id, ValidityChangeRecord.to_validity)
        .join(Document, col(Document.id) == col(ValidityChangeRecord.document_id))
        .where(
            col(Document.document_type).in_(_of_type(kind)),
            col(ValidityChangeRecord.effective_on) <= end,
        )
        .order_by(col(ValidityChangeRecord.effective_on), col(ValidityChangeRecord.id))
    ).all()
    validity_on_end = {document_id: str(to) for document_id, to in changes}  # last one wins
    return len([d for d in issued if d is not None and validity_on_end.get(d, "valid") in IN_FORCE])


def _count_published(session: Session, kind: DocumentType, year: int, *, total: bool) -> int:
    start, until = Period.year(year).instants
    first = (
        select(Publication.document_id, func.min(Publication.published_at).label("first"))
        .join(Document, col(Document.id) == col(Publication.document_id))
        .where(col(Document.document_type).in_(_of_type(kind)))
        .group_by(col(Publication.document_id))
    )
    firsts = [at for _, at in session.exec(first).all()]
    return sum(1 for at in firsts if at < until and (total or at >= start))


def _measure(session: Session, kind: DocumentType, year: int, measure: Measure) -> int:
    if measure is Measure.ISSUED:
        return _count_issued(session, kind, date(year, 1, 1), date(year, 12, 31))
    if measure is Measure.REPEALED:
        return _count_repealed(session, kind, year)
    if measure is Measure.IN_FORCE:
        return _count_in_force(session, kind, year)
    total = measure is Measure.PUBLISHED_TOTAL
    return _count_published(session, kind, year, total=total)


def computed_cells(*, session: Session, year: int, fmt: ReportFormat) -> dict[CellKey, Cell]:
    """The cells the engine fills from its own documents (第二十条第（一）项)."""
    cells: dict[CellKey, Cell] = {}
    for section in fmt.sections:
        for table in section.tables:
            if not table.computed:
                continue
            for kind in (DocumentType.RULES, DocumentType.NORMATIVE):
                row = document_type_row(fmt, kind)
                assert row is not None
                for column in table.columns:
                    assert column.measure is not None
                    value = _measure(session, kind, year, column.measure)
                    cells[(table.key, row, column.key)] = Cell(value, "computed")
    return cells


def _add_applications(cells: dict[CellKey, Cell], counted: Mapping[CellKey, int]) -> None:
    """Table 三 counted from the engine's applications (domain §10 rule 19), added to what the
    office imported for applications handled outside the engine: a cell is "computed", or
    "combined" where an import adds to it; a cell the engine counts 0 keeps its import."""
    for key, value in counted.items():
        if not value:
            continue
        imported = cells.get(key)
        if imported is not None and isinstance(imported.value, int | float):
            cells[key] = Cell(imported.value + value, "combined")
        else:
            cells[key] = Cell(value, "computed")


def report_imports(*, session: Session, year: int) -> list[AnnualReportImport]:
    """Every import for the year, newest first (the first one is current)."""
    return list(
        session.exec(
            select(AnnualReportImport)
            .where(col(AnnualReportImport.year) == year)
            .order_by(col(AnnualReportImport.version).desc())
        ).all()
    )


def build_annual_report(*, session: Session, year: int) -> AnnualReport:
    """The year's report: computed cells, the current import's cells, and the cross-checks."""
    fmt = format_for_year(year)
    cells = computed_cells(session=session, year=year, fmt=fmt)
    imports = report_imports(session=session, year=year)
    current = imports[0] if imports else None
    for raw in current.cells if current else []:
        cells[(raw["section"], raw["row"], raw["column"])] = Cell(raw["value"], "imported")
    _add_applications(cells, computed_table_three(session, year))
    numbers: dict[CellKey, Number] = {
        k: c.value for k, c in cells.items() if isinstance(c.value, int | float)
    }
    stats = issued_figures(session=session, period=Period.year(year))
    summary = {
        "documents_issued": stats.documents_issued,
        "proactive": stats.proactive,
        "proactive_share": stats.proactive_share,
        "publications": stats.publications,
    }
    return AnnualReport(year, fmt, cells, check_report(numbers), summary, current, imports)


def _layout_error(message: str, where: str = "body") -> RequestInvalid:
    finding = Finding("annual_report.layout", Severity.BLOCKING, message, LAYOUT_SOURCE, where)
    return RequestInvalid(message, [finding])


def _number_or_text(raw: str) -> Number | str:
    text = raw.strip()
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


def parse_csv(data: bytes) -> list[ImportedCell]:
    """Cells from CSV (UTF-8, BOM allowed) with the header section,row,column,value."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _layout_error(f"the CSV is not UTF-8: {error}") from None
    try:  # a stray carriage return or NUL is a malformed file, not a server error (issue 23)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as error:
        raise _layout_error(f"not a CSV file: {error}") from None
    if tuple(f.strip() for f in reader.fieldnames or ()) != IMPORT_FIELDS:
        raise _layout_error(
            f"the CSV header must be {','.join(IMPORT_FIELDS)}; got {reader.fieldnames}"
        )
    cells = []
    for line, row in enumerate(rows, start=2):
        if None in row or any(row.get(f) is None for f in IMPORT_FIELDS):
            raise _layout_error(f"CSV line {line}: expected 4 fields", f"line {line}")
        section, row_key, column = (row[f].strip() for f in IMPORT_FIELDS[:3])
        cells.append(ImportedCell(section, row_key, column, _number_or_text(row["value"])))
    return cells


def parse_json(data: bytes) -> list[ImportedCell]:
    """Cells from JSON: {"cells": [{"section", "row", "column", "value"}, …]} or the bare list."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _layout_error(f"the body is not JSON: {error}") from None
    items = body.get("cells") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise _layout_error('JSON must be {"cells": [...]} or a list of cells')
    cells = []
    for index, item in enumerate(items):
        where = f"cells[{index}]"
        if not isinstance(item, dict) or set(item) != set(IMPORT_FIELDS):
            raise _layout_error(f"{where}: needs exactly {', '.join(IMPORT_FIELDS)}", where)
        if not all(isinstance(item[f], str) for f in IMPORT_FIELDS[:3]):
            raise _layout_error(f"{where}: section, row and column are strings", where)
        cells.append(ImportedCell(item["section"], item["row"], item["column"], item["value"]))
    return cells


def import_figures(
    *,
    session: Session,
    year: int,
    cells: Sequence[ImportedCell],
    media: str,
    user: User,
    at: datetime,
    note: str | None = None,
) -> AnnualReportImport:
    """Store a new version of the year's imported figures (checked cell by cell) and audit it."""
    require_aware(at)
    fmt = format_for_year(year)
    if not cells:
        raise _layout_error("the import has no cells")
    findings = check_import(fmt, cells)
    if findings:
        raise RequestInvalid(f"{len(findings)} imported cell(s) refused", findings)
    latest = session.exec(
        select(func.max(AnnualReportImport.version)).where(col(AnnualReportImport.year) == year)
    ).one()
    row = AnnualReportImport(
        year=year,
        version=int(latest or 0) + 1,
        report_format=fmt.name,
        media=media,
        cells=[
            {"section": c.section, "row": c.row, "column": c.column, "value": c.value}
            for c in cells
        ],
        imported_by=user.id or 0,
        imported_at=at,
        note=note,
    )
    session.add(row)
    session.flush()
    record_act(
        session=session,
        person=user,
        action=IMPORTED,
        after={"year": year, "version": row.version, "cells": len(cells), "media": media},
        reason=note,
        at=at,
    )
    return row


def _marks(session: Session, year: int) -> Mapping[TaskKind, date]:
    rows = session.exec(select(AnnualReportMark).where(col(AnnualReportMark.year) == year)).all()
    return {TaskKind(m.kind): m.done_on for m in rows}


def mark_report(
    *, session: Session, year: int, kind: TaskKind, user: User, at: datetime, note: str | None
) -> AnnualReportMark:
    """Record that the year's report was submitted or published; only a valid report, once."""
    require_aware(at)
    if kind in _marks(session, year):
        raise Conflict(f"the {year} report is already marked '{kind}'")
    report = build_annual_report(session=session, year=year)
    if not report.valid:
        raise ReportInvalid(
            f"the {year} report fails {len(report.findings)} cross-check(s); fix the figures "
            "before it is submitted or published",
            report.findings,
        )
    mark = AnnualReportMark(
        year=year,
        kind=kind.value,
        done_on=local_date(at),
        import_id=report.current_import.id if report.current_import else None,
        marked_by=user.id or 0,
        marked_at=at,
        note=note,
    )
    session.add(mark)
    session.flush()
    record_act(
        session=session,
        person=user,
        action=MARKED,
        after={"year": year, "kind": kind.value, "done_on": mark.done_on.isoformat()},
        reason=note,
        at=at,
    )
    return mark


def report_tasks(*, session: Session, year: int, at: datetime) -> list[OfficeTask]:
    """The 31 January and 31 March tasks for the year's report, done when marked."""
    return annual_report_tasks(year, _marks(session, year), local_date(require_aware(at)))
