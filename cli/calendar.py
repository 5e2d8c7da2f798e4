"""`gongkai calendar import FILE --by ADMIN [--year YEAR]`: enter a year's holiday arrangement
(issue 20; README "Entering next year's calendar"). Exit 0 when stored or unchanged, 1 with every
problem (line and field) when refused; nothing is stored then."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from config.settings import Settings
from models.db import make_engine, session_scope
from policies.calendar import deadline_text
from services.accounts import find_user
from services.calendar import read_calendar_file
from services.calendar.entry import enter_year
from services.calendar.files import MAX_FILE_BYTES
from services.errors import DomainError

# The year of the first day entered: a CSV line starting with a date, or a JSON "date" field
# (the source's issued_on is usually in the year before).
_YEAR = re.compile(r'(?m)^\s*(\d{4})-\d\d-\d\d\s*,|"date"\s*:\s*"(\d{4})-')


def _year_of(args: argparse.Namespace, text: str) -> int | None:
    if args.year is not None:
        return int(args.year)
    found = _YEAR.search(text)
    return int(found.group(1) or found.group(2)) if found else None


def import_command(settings: Settings, args: argparse.Namespace) -> int:
    """Read, check and store the file as its year's next version; recount deadlines."""
    path = Path(args.file)
    try:
        content = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    year = _year_of(args, content.decode("utf-8", errors="replace"))
    if year is None:
        print(f"error: {path}: no date found; give --year", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        value = read_calendar_file(year, content, filename=path.name)
        with session_scope(engine) as session:
            person = find_user(session=session, login=args.by)
            entry = enter_year(
                session=session,
                person=person,
                value=value,
                at=datetime.now(UTC),
                shares=settings.alert_shares,
            )
    except DomainError as error:
        print(f"error: {path}: refused, nothing stored", file=sys.stderr)
        for finding in error.findings or []:
            print(f"  {finding.field or '-'}: {finding.message}", file=sys.stderr)
        if not error.findings:
            print(f"  {error.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(entry.outcome.message)
    if entry.recount is not None:
        print(f"deadlines recounted: {len(entry.recount.changed)} of {entry.recount.checked}")
        for r in entry.recount.changed:
            print(
                f"  deadline {r.deadline_id} (document {r.document_id}, {r.kind}): "
                f"{deadline_text(r.old_due, provisional=r.old_provisional)} → "
                f"{deadline_text(r.new_due, provisional=r.new_provisional)}"
            )
        print(f"alerts withdrawn: {len(entry.recount.withdrawn)}")
    return 0
