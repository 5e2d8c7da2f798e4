"""The working-day calendar as office-maintained data (issue 20): loaded years, imports, and the
recount of stored deadlines when a year is loaded or corrected."""

from services.calendar.files import CalendarFileInvalid, read_calendar_file
from services.calendar.years import (
    CALENDAR_IMPORTED,
    ImportOutcome,
    YearVersion,
    calendar_for,
    calendar_warning,
    import_year,
    loaded_year_numbers,
    loaded_years,
    profile_calendars,
    year_versions,
)

__all__ = [
    "CALENDAR_IMPORTED",
    "CalendarFileInvalid",
    "ImportOutcome",
    "YearVersion",
    "calendar_for",
    "calendar_warning",
    "import_year",
    "loaded_year_numbers",
    "loaded_years",
    "profile_calendars",
    "read_calendar_file",
    "year_versions",
]
