"""Units of legal time: each window says how it is counted (domain §8.1, §11)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClockHours:
    """Elapsed clock hours, ignoring the working calendar (民法典 art. 201 ¶2: hours run from the
    stated time)."""

    hours: int

    def __post_init__(self) -> None:
        if self.hours < 0:
            raise ValueError(f"a window cannot be negative: {self.hours} hours")


@dataclass(frozen=True, slots=True)
class WorkingDays:
    """Working days counted from the day after the trigger (domain §8.1; 民法典 art. 201 ¶1)."""

    days: int

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError(f"a window cannot be negative: {self.days} working days")


@dataclass(frozen=True, slots=True)
class Months:
    """Calendar months, ending on the corresponding day (民法典 art. 202)."""

    months: int

    def __post_init__(self) -> None:
        if self.months < 0:
            raise ValueError(f"a window cannot be negative: {self.months} months")
