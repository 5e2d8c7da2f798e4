"""The working-day calendar as office-maintained data (issue 20): each year's holiday arrangement
(国务院办公厅 部分节假日安排), versioned. A correction is a new version; old ones stay readable."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import utc_column
from models.checks import enum_check
from models.deadlines import Deadline
from models.documents import Document
from policies.calendar import (
    CalendarYear,
    DayKind,
    WorkingDayCalendar,
    calendar_for,
    local_date,
    package_years,
)
from policies.profiles import PROFILES, get_profile

PACKAGE_SEEDER = "chinesecalendar (seed)"  # entered_by of the years seeded from the package


class CalendarYearRecord(SQLModel, table=True):
    """One version of a year's arrangement: its notice, who entered it and when."""

    __tablename__ = "calendar_years"
    __table_args__ = (sa.UniqueConstraint("year", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    version: int
    source_title: str = Field(max_length=500)  # 国务院办公厅关于…年部分节假日安排的通知
    source_number: str = Field(max_length=200)  # 文号
    source_issued_on: date
    entered_by: str = Field(max_length=200)
    entered_at: datetime = Field(sa_column=utc_column())
    content_hash: str = Field(max_length=64)  # sha256 of the days and source: same file, no-op


class CalendarDayRecord(SQLModel, table=True):
    """A holiday or make-up working day of one version of a year."""

    __tablename__ = "calendar_days"
    __table_args__ = (
        sa.UniqueConstraint("calendar_year_id", "day"),
        enum_check("kind", DayKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    calendar_year_id: int = Field(foreign_key="calendar_years.id", index=True)
    day: date
    kind: str = Field(max_length=16)  # policies.calendar.DayKind
    name: str = Field(max_length=100)


def content_hash(year: CalendarYear) -> str:
    """What makes two imports the same: the days (date, kind, name) and the source fields."""
    content = {
        "year": year.year,
        "days": [[d.day.isoformat(), d.kind.value, d.name] for d in year.days],
        "source": [year.source.title, year.source.number, year.source.issued_on.isoformat()],
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def seed_package_years(connection: sa.Connection, *, at: datetime) -> None:
    """Insert version 1 of every year chinesecalendar transcribes (migration 0009c, tests)."""
    years, days = CalendarYearRecord.__table__, CalendarDayRecord.__table__  # type: ignore[attr-defined]
    for year in package_years():
        year_id = connection.execute(
            sa.insert(years).returning(years.c.id),
            {
                "year": year.year,
                "version": 1,
                "source_title": year.source.title,
                "source_number": year.source.number,
                "source_issued_on": year.source.issued_on,
                "entered_by": PACKAGE_SEEDER,
                "entered_at": at,
                "content_hash": content_hash(year),
            },
        ).scalar_one()
        connection.execute(
            sa.insert(days),
            [
                {"calendar_year_id": year_id, "day": d.day, "kind": d.kind.value, "name": d.name}
                for d in year.days
            ],
        )


_WORKING_DAYS_IN_BASIS = re.compile(r"(\d+) ?(?:WD|个工作日)")


def recover_count_basis(connection: sa.Connection) -> int:
    """Give deadlines stored before 0009c their day zero and N, so that loading a year recounts
    them too: N from the basis text the engine wrote ("20个工作日", "7 WD"; a window "with the
    document" has none), day zero counted back from the due day on the calendar they were counted
    on (the package years; beyond them the provisional rule). The number of rows given one."""
    deadlines, documents = Deadline.__table__, Document.__table__  # type: ignore[attr-defined]
    rows = connection.execute(
        sa.select(deadlines.c.id, deadlines.c.due_at, deadlines.c.basis, documents.c.policy_profile)
        .join(documents, documents.c.id == deadlines.c.document_id)
        .where(deadlines.c.working_days.is_(None))
    ).all()
    calendars: dict[str, WorkingDayCalendar] = {}
    given = 0
    for deadline_id, due_at, basis, profile_name in rows:
        found = _WORKING_DAYS_IN_BASIS.search(basis or "")
        if found is None or profile_name not in PROFILES:
            continue  # clock-hour, month and year windows: nothing to recount
        n = int(found.group(1))
        if profile_name not in calendars:
            calendars[profile_name] = calendar_for(get_profile(profile_name), package_years())
        due = due_at if due_at.tzinfo is not None else due_at.replace(tzinfo=UTC)
        last_day = local_date(due) - timedelta(days=1)  # due is 24:00 of the Nth working day
        start = calendars[profile_name].count_start(last_day, n)
        connection.execute(
            sa.update(deadlines)
            .where(deadlines.c.id == deadline_id)
            .values(counted_from=start, working_days=n)
        )
        given += 1
    return given
