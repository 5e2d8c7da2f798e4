"""What a request may carry, one type per concept: ids, offsets, days, instants and text.

Each type is a pydantic `Annotated` type used by the API's parameters and bodies and by the
services' forms (services.intake.Draft), so a value outside its range is a 422 that names the
field, never an overflow deeper down:

- `Id`: a database id, 1 … 2⁶³−1 (the largest BIGINT; SQLite's INTEGER is as large).
- `Offset`: how many rows to skip, 0 … MAX_OFFSET.
- `Day` and `InstantIn`: within 1949-10-01 … 2100-12-31 (the People's Republic's documents, and a
  far horizon the working-day calendar and the date arithmetic of every window stay inside);
  an instant also needs a time zone.
- `Line` and `MultiLine`: text without C0/C1 control characters (a `MultiLine` may hold tab,
  line feed and carriage return) and without bidirectional overrides and isolates
  (U+202A–U+202E, U+2066–U+2069, which let a title be shown other than it reads); the refusal
  names the character and its position (1-based). Accepted text is NFC-normalised.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000
FIRST_DAY = date(1949, 10, 1)
LAST_DAY = date(2100, 12, 31)
# The range's ends as instants (UTC): the first moment of its first day, the last of its last.
_FIRST_INSTANT = datetime.combine(FIRST_DAY, time(), tzinfo=UTC)
_LAST_INSTANT = datetime.combine(LAST_DAY, time(23, 59, 59, 999999), tzinfo=UTC)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MULTILINE_CONTROLS = frozenset("\t\n\r")
RANGE_TEXT = f"{FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()}"


def check_day(value: date) -> date:
    """A day within the documented range."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "date_out_of_range", "a date within {range} (not {value})", _range(value)
        )
    return value


def check_instant(value: datetime) -> datetime:
    """An instant with a time zone, within the documented range."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_missing",
            "give a time zone, e.g. 2026-10-16T10:00:00+08:00 (instants are never naive)",
        )
    try:
        inside = _FIRST_INSTANT <= value <= _LAST_INSTANT
    except OverflowError:  # an offset that pushes year 1 or 9999 outside datetime's range
        inside = False
    if not inside:
        raise PydanticCustomError(
            "datetime_out_of_range", "an instant within {range} (not {value})", _range(value)
        )
    return value


def _range(value: object) -> dict[str, Any]:
    return {"range": RANGE_TEXT, "value": str(value)}


CONTROLS = frozenset(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)))  # Unicode category Cc


@functools.cache
def _refused(allowed: frozenset[str]) -> re.Pattern[str]:
    """One character class of every refused character (one pass in C over a long text)."""
    refused = sorted((CONTROLS | BIDI_CONTROLS) - allowed)
    return re.compile("[" + "".join(re.escape(c) for c in refused) + "]")


def refused_character(value: str, allowed: frozenset[str] = frozenset()) -> tuple[int, str] | None:
    """The first refused character (1-based position, character), or None when the text is
    clean: a control character not in `allowed`, or a bidirectional override or isolate."""
    found = _refused(allowed).search(value)
    return None if found is None else (found.start() + 1, found.group())


def shown_safely(value: str) -> str:
    """Text as it may be written into a page or a feed: every refused character (a control
    character other than tab and line breaks, which XML 1.0 also forbids, or a bidirectional
    override) replaced by U+FFFD — defence in depth for text recorded before intake refused it."""
    return _refused(MULTILINE_CONTROLS).sub("\ufffd", value)


def character_refusal(value: str, allowed: frozenset[str] = MULTILINE_CONTROLS) -> str | None:
    """Why the text is refused (its first refused character, by position), or None."""
    refused = refused_character(value, allowed)
    if refused is None:
        return None
    position, char = refused
    name = unicodedata.name(char, "a control character")
    where = "; tab and line breaks are allowed" if allowed else ""
    return (
        f"character {position} is U+{ord(char):04X} ({name}): remove it (control characters "
        f"and bidirectional overrides are refused{where})"
    )


def _text(allowed: frozenset[str]) -> AfterValidator:
    def check(value: str) -> str:
        refusal = character_refusal(value, allowed)
        if refusal is not None:
            raise PydanticCustomError("text_character_refused", refusal)
        return unicodedata.normalize("NFC", value)

    return AfterValidator(check)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
Day = Annotated[date, AfterValidator(check_day)]
InstantIn = Annotated[datetime, AfterValidator(check_instant)]
Line = Annotated[str, _text(frozenset())]
MultiLine = Annotated[str, _text(MULTILINE_CONTROLS)]
