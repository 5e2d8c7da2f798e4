"""Calendar years in the database: the authority at run time (issue 20). Reading the calendar a
profile counts with, reading a year's versions, and entering a year (a new version, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.calendar import CalendarDayRecord, CalendarYearRecord, content_hash
from models.users import User
from policies.calendar import (
    CalendarDay,
    CalendarSource,
    CalendarYear,
    DayKind,
    WorkingDayCalendar,
    local_date,
    next_year_warning,
)
from policies.calendar import calendar_for as _calendar_for
from policies.profiles import PROFILES, get_profile
from services.audit import record_act
from services.errors import NotFound

CALENDAR_IMPORTED = "calendar.imported"
_Loaded = frozenset[tuple[int, int, str]]  # (year, version, content hash) of each year in force
_cache: dict[tuple[str, _Loaded], WorkingDayCalendar] = {}  # per profile and years in force


_VERSIONS = select(  # built once: every submission with a deadline runs it
    CalendarYearRecord.year, CalendarYearRecord.version, CalendarYearRecord.content_hash
)


def _in_force(session: Session) -> _Loaded:
    """What identifies the loaded calendar: the latest version of each year (one small query)."""
    rows = session.exec(_VERSIONS).all()
    latest: dict[int, tuple[int, str]] = {}
    for year, version, digest in rows:
        if year not in latest or version > latest[year][0]:
            latest[year] = (version, digest)
    return frozenset((year, version, digest) for year, (version, digest) in latest.items())


def _latest(session: Session) -> list[CalendarYearRecord]:
    rows = session.exec(select(CalendarYearRecord).order_by(col(CalendarYearRecord.version))).all()
    return list({row.year: row for row in rows}.values())  # the last version of each year wins


def _as_values(session: Session, rows: list[CalendarYearRecord]) -> list[CalendarYear]:
    days = session.exec(
        select(CalendarDayRecord)
        .where(col(CalendarDayRecord.calendar_year_id).in_([row.id for row in rows]))
        .order_by(col(CalendarDayRecord.day))
    ).all()
    by_year: dict[int | None, list[CalendarDay]] = {row.id: [] for row in rows}
    for d in days:
        by_year[d.calendar_year_id].append(CalendarDay(d.day, DayKind(d.kind), d.name))
    return [
        CalendarYear(
            row.year,
            tuple(by_year[row.id]),
            CalendarSource(row.source_title, row.source_number, row.source_issued_on),
        )
        for row in rows
    ]


def loaded_years(session: Session) -> list[CalendarYear]:
    """The latest version of every loaded year."""
    return _as_values(session, _latest(session))


def _calendars(session: Session, names: list[str]) -> dict[str, WorkingDayCalendar]:
    key = _in_force(session)
    found = {name: _cache.get((name, key)) for name in names}
    missing = [name for name, calendar in found.items() if calendar is None]
    if missing:
        years = loaded_years(session)
        for stale in [k for k in list(_cache) if k[1] != key]:  # years loaded or corrected since
            _cache.pop(stale, None)
        for name in missing:
            found[name] = _cache[(name, key)] = _calendar_for(get_profile(name), years)
    return {name: calendar for name, calendar in found.items() if calendar is not None}


def calendar_for(profile_name: str, *, session: Session) -> WorkingDayCalendar:
    """The working-day calendar of a profile from the loaded years (built again only when a
    year was loaded or corrected since)."""
    return _calendars(session, [profile_name])[profile_name]


def loaded_year_numbers(session: Session) -> set[int]:
    """The years whose arrangement is loaded."""
    return set(session.exec(select(CalendarYearRecord.year).distinct()).all())


@dataclass(frozen=True)
class YearVersion:
    """One stored version of a year: the arrangement and who entered it when."""

    value: CalendarYear
    version: int
    entered_by: str
    entered_at: datetime


def year_versions(*, session: Session, year: int) -> list[YearVersion]:
    """Every version of a year, oldest first; NotFound if the year was never loaded."""
    rows = session.exec(
        select(CalendarYearRecord)
        .where(col(CalendarYearRecord.year) == year)
        .order_by(col(CalendarYearRecord.version))
    ).all()
    if not rows:
        raise NotFound(
            f"calendar year {year} is not loaded: enter it with `gongkai calendar import FILE` "
            f'or POST /office/calendar/{year} (README "Entering next year\'s calendar")'
        )
    values = _as_values(session, list(rows))
    return [
        YearVersion(value, r.version, r.entered_by, r.entered_at)
        for value, r in zip(values, rows, strict=True)
    ]


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: the version now current, and whether it is new."""

    year: int
    version: int
    changed: bool

    @property
    def message(self) -> str:
        """A sentence for the person who imported."""
        if not self.changed:
            return f"{self.year}: same content as version {self.version}, nothing changed"
        return f"{self.year}: stored as version {self.version}"


def import_year(
    *, session: Session, person: User, value: CalendarYear, at: datetime
) -> ImportOutcome:
    """Store a checked year as its next version, audited; the same content again is a no-op."""
    digest = content_hash(value)
    rows = session.exec(
        select(CalendarYearRecord)
        .where(col(CalendarYearRecord.year) == value.year)
        .order_by(col(CalendarYearRecord.version))
    ).all()
    if rows and rows[-1].content_hash == digest:
        return ImportOutcome(value.year, rows[-1].version, changed=False)
    record = CalendarYearRecord(
        year=value.year,
        version=(rows[-1].version + 1) if rows else 1,
        source_title=value.source.title,
        source_number=value.source.number,
        source_issued_on=value.source.issued_on,
        entered_by=person.login,
        entered_at=at,
        content_hash=digest,
    )
    session.add(record)
    session.flush()
    assert record.id is not None
    session.add_all(
        CalendarDayRecord(calendar_year_id=record.id, day=d.day, kind=d.kind.value, name=d.name)
        for d in value.days
    )
    session.flush()
    record_act(
        session=session,
        person=person,
        action=CALENDAR_IMPORTED,
        at=at,
        before={"version": rows[-1].version, "content_hash": rows[-1].content_hash}
        if rows
        else None,
        after={
            "year": value.year,
            "version": record.version,
            "content_hash": digest,
            "source": [value.source.title, value.source.number, str(value.source.issued_on)],
            "days": len(value.days),
        },
        reason=f"{value.source.title} {value.source.number}",
    )
    return ImportOutcome(value.year, record.version, changed=True)


def calendar_warning(session: Session, *, as_of: datetime, warn_from: str) -> str | None:
    """The warning the office sees while next year (or this year) is not loaded."""
    return next_year_warning(local_date(as_of), loaded_year_numbers(session), warn_from)


def profile_calendars(session: Session) -> dict[str, WorkingDayCalendar]:
    """The calendar of every profile, from the loaded years (for checks over many profiles)."""
    return _calendars(session, list(PROFILES))
