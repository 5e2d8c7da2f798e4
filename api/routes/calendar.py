"""The working-day calendar as office-maintained data (issue 20): an admin enters a year's
holiday arrangement (国务院办公厅 部分节假日安排) as a CSV or JSON file; the office reads every
version. Entering a year recounts the stored deadlines that touched it (services.calendar)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, UploadFile
from pydantic import BaseModel, Field

from api.deps import OfficeReader, ReadSessionDep, SessionDep, SettingsDep, now, require_roles
from api.errors import error_responses
from api.schemas import Instant
from models.users import User
from policies.calendar import DayKind
from policies.roles import Role
from services.calendar import read_calendar_file, year_versions
from services.calendar.entry import enter_year
from services.calendar.files import MAX_FILE_BYTES
from services.errors import RequestInvalid

router = APIRouter(prefix="/office/calendar", tags=["calendar"])
Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]
Year = Annotated[int, Path(ge=2000, le=2100, description="the calendar year, e.g. 2027")]


class DayOut(BaseModel):
    """A holiday (rest day) or make-up working day (调休上班) of the year."""

    date: date
    kind: DayKind = Field(description="holiday: a rest day; makeup: a weekend day worked (调休)")
    name: str


class YearVersionOut(BaseModel):
    """One version of a year: its notice, who entered it and when, and its days."""

    year: int
    version: int
    source_title: str
    source_number: str = Field(description="文号 of the notice")
    source_issued_on: date
    entered_by: str
    entered_at: Instant
    days: list[DayOut]


class CalendarYearOut(BaseModel):
    """Every version of a year, oldest first; the last one is in force."""

    year: int
    current_version: int
    versions: list[YearVersionOut]


class RecountedOut(BaseModel):
    """A stored deadline counted again on the year just entered."""

    deadline_id: int
    document_id: int
    kind: str
    old_due_at: Instant
    new_due_at: Instant
    old_provisional: bool
    new_provisional: bool


class CalendarImportOut(BaseModel):
    """What the import did: the version in force, whether it is new, and the recount."""

    year: int
    version: int
    changed: bool
    message: str
    recounted: list[RecountedOut]
    alerts_withdrawn: list[str]
    alerts_raised: list[str]


@router.post(
    "/{year}",
    response_model=CalendarImportOut,
    responses=error_responses(401, 403, 413, 422),
    summary="Enter or correct a year's holiday arrangement (admin), CSV or JSON",
)
def post_calendar_year(
    year: Year,
    user: Admin,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV or JSON (README: the import format)")],
) -> CalendarImportOut:
    """Check the file (every problem named by line and field; 422 stores nothing), store it as
    the year's next version (the same content again is a no-op that says so), recount the stored
    deadlines that touched the year (audited, old and new due time) and re-evaluate alerts."""
    content = file.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise RequestInvalid(f"calendar file exceeds {MAX_FILE_BYTES} bytes: a year is ~40 lines")
    value = read_calendar_file(year, content, filename=file.filename or "")
    entry = enter_year(
        session=session, person=user, value=value, at=now(), shares=settings.alert_shares
    )
    recount = entry.recount
    return CalendarImportOut(
        year=year,
        version=entry.outcome.version,
        changed=entry.outcome.changed,
        message=entry.outcome.message,
        recounted=[
            RecountedOut(
                deadline_id=r.deadline_id,
                document_id=r.document_id,
                kind=r.kind,
                old_due_at=r.old_due,
                new_due_at=r.new_due,
                old_provisional=r.old_provisional,
                new_provisional=r.new_provisional,
            )
            for r in (recount.changed if recount else ())
        ],
        alerts_withdrawn=list(recount.withdrawn if recount else ()),
        alerts_raised=list(entry.windows.raised if entry.windows else ()),
    )


@router.get(
    "/{year}",
    response_model=CalendarYearOut,
    responses=error_responses(401, 403, 404),
    summary="A year's holiday arrangement, every version (office and admin)",
)
def get_calendar_year(year: Year, user: OfficeReader, session: ReadSessionDep) -> CalendarYearOut:
    """Every stored version of the year with its notice and who entered it; 404 if not loaded."""
    versions = year_versions(session=session, year=year)
    return CalendarYearOut(
        year=year,
        current_version=versions[-1].version,
        versions=[
            YearVersionOut(
                year=v.value.year,
                version=v.version,
                source_title=v.value.source.title,
                source_number=v.value.source.number,
                source_issued_on=v.value.source.issued_on,
                entered_by=v.entered_by,
                entered_at=v.entered_at,
                days=[DayOut(date=d.day, kind=d.kind, name=d.name) for d in v.value.days],
            )
            for v in versions
        ],
    )
