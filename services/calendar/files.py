"""Import files of a year's holiday arrangement, CSV or JSON (README "Entering next year's
calendar"): read into entries and source fields, then checked by policies.calendar_years.

CSV: three source lines (`title,…`, `number,…`, `issued_on,YYYY-MM-DD`), then the header
`date,kind,name`, then one line per day. JSON: {"source": {"title", "number", "issued_on"},
"days": [{"date", "kind", "name"}, …]}. Problems are reported by line (CSV) or entry (JSON).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from policies.calendar import CalendarYear
from policies.calendar_years import SOURCE, SOURCE_FIELDS, EnteredDay, check_calendar_year
from policies.findings import Finding, Severity
from services.errors import RequestInvalid

MAX_FILE_BYTES = 64 * 1024  # a year has some 40 named days; a file beyond this is not one
DAY_HEADER = ["date", "kind", "name"]


class CalendarFileInvalid(RequestInvalid):
    """An import file with problems: every finding, each naming its line (or entry) and field.
    Nothing is stored."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(
            "calendar file refused, nothing stored: " + "; ".join(f.message for f in findings),
            findings,
        )


def _invalid(rule: str, field: str, message: str) -> CalendarFileInvalid:
    return CalendarFileInvalid([Finding(rule, Severity.BLOCKING, message, SOURCE, field)])


def _read_csv(text: str) -> tuple[list[EnteredDay], dict[str, str]]:
    source: dict[str, str] = {}
    days: list[EnteredDay] = []
    in_days = False
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not in_days:
            if [c.lower() for c in cells[:3]] == DAY_HEADER:
                in_days = True
            elif cells[0] in SOURCE_FIELDS:
                source[cells[0]] = ",".join(cells[1:]).strip()
            else:
                raise _invalid(
                    "calendar.file_line",
                    f"line {number}",
                    f"line {number}: {cells[0]!r} is neither a source field "
                    f"({', '.join(SOURCE_FIELDS)}) nor the header 'date,kind,name'",
                )
            continue
        if len(cells) != 3:
            raise _invalid(
                "calendar.file_line",
                f"line {number}",
                f"line {number}: expected 3 fields (date,kind,name), found {len(cells)}",
            )
        days.append(EnteredDay(f"line {number}", *cells))
    if not in_days:
        raise _invalid("calendar.file_header", "header", "no 'date,kind,name' header line found")
    return days, source


def _read_json(text: str) -> tuple[list[EnteredDay], dict[str, str]]:
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid(
            "calendar.file_json", f"line {error.lineno}", f"line {error.lineno}: {error.msg}"
        ) from error
    if not isinstance(document, dict) or not isinstance(document.get("days"), list):
        raise _invalid("calendar.file_json", "days", 'expected {"source": {…}, "days": [ … ]}')
    raw_source = document.get("source")
    source = (
        {k: str(v) for k, v in raw_source.items() if v is not None}
        if isinstance(raw_source, dict)
        else {}
    )
    days = []
    for index, entry in enumerate(document["days"]):
        item = entry if isinstance(entry, dict) else {}
        days.append(
            EnteredDay(
                f"days[{index}]",
                str(item.get("date", "")),
                str(item.get("kind", "")),
                str(item.get("name", "")),
            )
        )
    return days, source


def read_calendar_file(year: int, content: bytes, *, filename: str = "") -> CalendarYear:
    """The year's arrangement from a CSV or JSON file (JSON if it starts with `{`), checked;
    CalendarFileInvalid with every finding otherwise."""
    if len(content) > MAX_FILE_BYTES:
        raise _invalid(
            "calendar.file_size", "file", f"file of {len(content)} bytes exceeds {MAX_FILE_BYTES}"
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _invalid(
            "calendar.file_encoding", "file", f"file is not UTF-8 (byte {error.start})"
        ) from error
    is_json = filename.lower().endswith(".json") or text.lstrip().startswith("{")
    days, source = _read_json(text) if is_json else _read_csv(text)
    value, findings = check_calendar_year(year, days, source)
    if value is None:
        raise CalendarFileInvalid(findings)
    return value
