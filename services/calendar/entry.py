"""Entering a year (issue 20): store the checked arrangement as a new version, then, in the same
unit of work, recount every stored deadline that touched the year and re-evaluate the window
alerts, so that the calendar and the stored deadlines never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from models.users import User
from policies.calendar import CalendarYear
from policies.roles import Role
from services.calendar.recount import RecountReport, recount_deadlines
from services.calendar.years import ImportOutcome, import_year
from services.errors import Forbidden
from services.publication.windows import WindowReport, check_windows


@dataclass(frozen=True)
class Entry:
    """What entering a year did: the import, the recount, and the alerts raised again."""

    outcome: ImportOutcome
    recount: RecountReport | None
    windows: WindowReport | None


def enter_year(
    *,
    session: Session,
    person: User,
    value: CalendarYear,
    at: datetime,
    shares: tuple[float, ...],
) -> Entry:
    """An admin enters a year: stored as a new version (a no-op on the same content), then the
    deadlines that touched it are recounted and the window alerts checked at `at`."""
    if person.role is not Role.ADMIN:
        raise Forbidden(f"only an admin enters the working-day calendar (you are {person.role})")
    outcome = import_year(session=session, person=person, value=value, at=at)
    if not outcome.changed:
        return Entry(outcome, None, None)
    recount = recount_deadlines(session, at=at, years=[value.year])
    windows = check_windows(session, at=at, shares=shares) if recount.changed else None
    return Entry(outcome, recount, windows)
