"""The working-day calendar (工作日) and clock windows (domain §8).

Working day: Mon–Fri, minus statutory holidays and rest days of the annual 调休 schedule, plus
weekend days designated 调休上班 when the profile counts them (domain §8.1, default ON [U]).
Counting convention (民法典 arts. 201, 203, by analogy): the trigger day is day zero; the deadline
is the end (24:00 Asia/Shanghai) of the Nth working day strictly after the trigger date. Hour
windows are elapsed clock time. `chinese_calendar.find_workday` is not used: it is off by one when
the start is not a working day (domain §8.2 pitfall 1).

The calendar is a value built from the years the office has loaded (the annual 国务院办公厅
部分节假日安排 notice, entered as data; `chinesecalendar` seeds the years it knows). A day in a
year that is not loaded is counted by the provisional rule (`provisional_rule`) and every count
that touched such a day says so: nothing is guessed silently (domain §8.2 pitfall 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _package_data

from policies.profiles import PolicyProfile
from policies.units import ClockHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 全国年节及纪念日放假办法 (2024) art. 2: the holidays with fixed Gregorian dates (元旦 1 Jan,
# 劳动节 1–2 May, 国庆节 1–3 Oct); the only holidays a provisional count can know in advance.
FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
PROVISIONAL_RULE = (
    "暂定：年度节假日安排未录入，按周六、周日休息及固定日期法定节假日（元旦1月1日，劳动节5月1日至2日，"
    "国庆节10月1日至3日；全国年节及纪念日放假办法 art. 2）推算，不含调休 (domain §8.1, §8.2)"
)
PACKAGE_SOURCE_NUMBER = f"chinesecalendar {chinese_calendar.__version__}"
_ONE_DAY = timedelta(days=1)


class DayKind(StrEnum):
    """What a day of a year's holiday arrangement is (国务院办公厅 部分节假日安排)."""

    HOLIDAY = "holiday"  # a rest day: statutory holiday or 调休 rest (放假办法 arts. 2, 7)
    MAKEUP = "makeup"  # a weekend day worked under 调休 (放假办法 art. 7)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day of a year's arrangement: its date, kind and name (e.g. 春节)."""

    day: date
    kind: DayKind
    name: str


@dataclass(frozen=True, slots=True)
class CalendarSource:
    """The notice a year rests on: its title, 文号 and date."""

    title: str
    number: str
    issued_on: date


@dataclass(frozen=True, slots=True)
class CalendarYear:
    """A loaded year: the days its notice names (every other day is Mon–Fri working, weekend
    rest) and the notice itself."""

    year: int
    days: tuple[CalendarDay, ...]
    source: CalendarSource


class WorkingDay(NamedTuple):
    """Whether a day counts as a working day, and whether that is provisional (year not loaded)."""

    working: bool
    provisional: bool


class Counted(NamedTuple):
    """The result of a count on the calendar, and whether it touched a year not loaded."""

    value: date
    provisional: bool


class Age(NamedTuple):
    """An age in working days, and whether it touched a year not loaded."""

    days: int
    provisional: bool


def provisional_rule(day: date) -> bool:
    """Whether day is a working day in a year with no loaded arrangement: Mon–Fri except the
    fixed-date holidays (放假办法 art. 2); 春节, 清明, 端午, 中秋 and 调休 are unknown."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar:
    """An immutable working-day calendar: the loaded years and the profile's 调休 switch."""

    rest_days: frozenset[date]
    makeup_days: frozenset[date]
    years: frozenset[int]
    count_makeup_days: bool = True

    @classmethod
    def from_years(
        cls, years: Iterable[CalendarYear], *, count_makeup_days: bool = True
    ) -> WorkingDayCalendar:
        """Build the calendar from loaded years (each year's latest version)."""
        loaded = list(years)
        days = [d for y in loaded for d in y.days]
        return cls(
            rest_days=frozenset(d.day for d in days if d.kind is DayKind.HOLIDAY),
            makeup_days=frozenset(d.day for d in days if d.kind is DayKind.MAKEUP),
            years=frozenset(y.year for y in loaded),
            count_makeup_days=count_makeup_days,
        )

    @classmethod
    def from_package(cls, *, count_makeup_days: bool = True) -> WorkingDayCalendar:
        """The calendar of the years chinesecalendar knows (the seed of the office's data)."""
        return cls.from_years(package_years(), count_makeup_days=count_makeup_days)

    def covers(self, year: int) -> bool:
        """Whether the year's holiday arrangement is loaded."""
        return year in self.years

    def is_working(self, day: date) -> WorkingDay:
        """THE working-day test: loaded years by their arrangement, others provisionally."""
        if day.year not in self.years:
            return WorkingDay(provisional_rule(day), True)
        if day in self.makeup_days:
            return WorkingDay(self.count_makeup_days, False)
        return WorkingDay(day.weekday() < 5 and day not in self.rest_days, False)

    def provisional_between(self, first: date, last: date) -> bool:
        """Whether any day from first to last (inclusive) lies in a year not loaded."""
        return any(y not in self.years for y in range(first.year, last.year + 1))

    def add_working_days(self, start: date, n: int) -> Counted:
        """The Nth working day strictly after start (start is day zero; 民法典 art. 201)."""
        if n < 0:
            raise ValueError(f"cannot count a negative number of working days: {n}")
        day, counted = start, 0
        while counted < n:
            day += _ONE_DAY
            counted += self.is_working(day).working
        return Counted(day, self.provisional_between(start + _ONE_DAY, day))

    def working_days_between(self, start: date, end: date) -> Age:
        """Age in working days: working days strictly after start, up to and including end."""
        count, day = 0, start + _ONE_DAY
        while day <= end:
            count += self.is_working(day).working
            day += _ONE_DAY
        return Age(count, end > start and self.provisional_between(start + _ONE_DAY, end))

    def count_start(self, last_day: date, n: int) -> date:
        """The latest trigger date whose Nth working day is last_day (counted back; earlier
        rest days would give the same count): the inverse of add_working_days."""
        day, counted = last_day, 0
        while counted < n:
            counted += self.is_working(day).working
            day -= _ONE_DAY
        return day

    def deadline_end(self, start: date, n: int) -> tuple[datetime, bool]:
        """The end (24:00 Asia/Shanghai) of the Nth working day after start (民法典 art. 203),
        and whether it is provisional."""
        day, provisional = self.add_working_days(start, n)
        return end_of_day(day), provisional


def package_years() -> tuple[CalendarYear, ...]:
    """The years chinesecalendar transcribes from the State Council notices, as loaded years."""
    by_year: dict[int, list[CalendarDay]] = {}
    for kind, table in (
        (DayKind.HOLIDAY, _package_data.holidays),
        (DayKind.MAKEUP, _package_data.workdays),
    ):
        for day, name in table.items():
            by_year.setdefault(day.year, []).append(CalendarDay(day, kind, str(name)))
    return tuple(
        CalendarYear(
            year,
            tuple(sorted(days, key=lambda d: d.day)),
            CalendarSource(
                f"国务院办公厅关于{year}年部分节假日安排的通知（chinesecalendar 转录）",
                PACKAGE_SOURCE_NUMBER,
                date(2025, 11, 4),  # release date of chinesecalendar 1.11.0 (domain §8.2)
            ),
        )
        for year, days in sorted(by_year.items())
    )


def next_year_warning(today: date, loaded: Iterable[int], warn_from: str) -> str | None:
    """From warn_from ("MM-DD", a setting: the State Council publishes the next year's
    arrangement around November, domain §8.2) until the end of the year, a warning while next
    year is not loaded; and always one while this year is not (counts are provisional)."""
    years = set(loaded)
    month, day = (int(part) for part in warn_from.split("-"))
    if today.year not in years:
        missing = today.year
    elif (today.month, today.day) >= (month, day) and today.year + 1 not in years:
        missing = today.year + 1
    else:
        return None
    return (
        f"{missing} 年节假日安排尚未录入：涉及 {missing} 年的期限均为暂定"
        "（周末及固定日期节假日推算）。"
        f"国务院办公厅发布通知后，请按 README「Entering next year's calendar」录入 "
        f"(gongkai calendar import FILE --by ADMIN, or POST /office/calendar/{missing})."
    )


def calendar_for(profile: PolicyProfile, years: Iterable[CalendarYear]) -> WorkingDayCalendar:
    """The working-day calendar a profile counts with (its 调休 switch, domain §8.1)."""
    return WorkingDayCalendar.from_years(years, count_makeup_days=profile.makeup_days_count)


def end_of_day(day: date) -> datetime:
    """24:00 of day in Asia/Shanghai, i.e. 00:00 of the next day (民法典 art. 203 ¶2)."""
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=SHANGHAI)


PROVISIONAL_MARK = "（暂定）"


def deadline_text(due: datetime, *, provisional: bool) -> str:
    """A deadline as a person reads it: the Beijing date and time (the end of a day written
    "24:00" of that day, 民法典 art. 203 ¶2), and （暂定） when counted provisionally."""
    require_aware(due)
    local = due.astimezone(SHANGHAI)
    if local.time() == time(0):
        text = f"{(local - _ONE_DAY).date().isoformat()} 24:00"
    else:
        text = local.strftime("%Y-%m-%d %H:%M")
    return f"{text}（北京时间）" + (PROVISIONAL_MARK if provisional else "")


def age_text(days: int, *, provisional: bool) -> str:
    """An age in working days as a person reads it, with （暂定） when provisional."""
    return f"{days} 个工作日" + (PROVISIONAL_MARK if provisional else "")


def require_aware(moment: datetime) -> None:
    """Refuse a naive datetime: every instant must carry its time zone (design.md "Time")."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware datetime")


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant (working days are counted there)."""
    require_aware(moment)
    return moment.astimezone(SHANGHAI).date()


def add_clock_hours(moment: datetime, hours: ClockHours) -> datetime:
    """The instant `hours` elapsed clock hours after moment, ignoring the calendar (domain §8.1)."""
    require_aware(moment)
    return moment + timedelta(hours=hours.hours)
