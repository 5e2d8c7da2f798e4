"""Entering a year's holiday arrangement (issue 20): checked, versioned, audited, a no-op on the
same content (domain §8.1, §8.2 pitfall 3). The 2027 file is a TEST FIXTURE, not the official
schedule."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.calendar import CalendarYearRecord
from models.users import User
from policies.roles import Role
from services.calendar import CALENDAR_IMPORTED, calendar_for, read_calendar_file, year_versions
from services.calendar.entry import enter_year
from services.errors import Forbidden, NotFound, RequestInvalid
from tests.factories import make_user

FIXTURE_2027 = Path(__file__).with_name("calendar_2027_TEST_FIXTURE_not_official.csv")
AT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
HEADER = "title,Test notice\nnumber,TEST-1\nissued_on,2026-11-30\ndate,kind,name\n"


def _enter(session: Session, content: bytes, *, role: Role = Role.ADMIN, year: int = 2027):
    admin = make_user(session, role=role, name=f"管理员{role}")
    value = read_calendar_file(year, content, filename="x.csv")
    return enter_year(session=session, person=admin, value=value, at=AT, shares=(0.5,))


def _stored(session: Session, year: int = 2027) -> int:
    return len(
        session.exec(select(CalendarYearRecord).where(col(CalendarYearRecord.year) == year)).all()
    )


def test_the_package_years_are_seeded_and_2027_is_not_loaded(session: Session) -> None:
    assert calendar_for("national", session=session).years == frozenset(range(2004, 2027))
    assert year_versions(session=session, year=2026)[0].entered_by == "chinesecalendar (seed)"
    with pytest.raises(NotFound, match="calendar year 2027 is not loaded"):
        year_versions(session=session, year=2027)


def test_a_2027_file_makes_2027_final_and_its_make_up_day_a_working_day(session: Session) -> None:
    before = calendar_for("national", session=session)
    assert before.is_working(date(2027, 1, 2)) == (False, True)  # Saturday, provisional
    entry = _enter(session, FIXTURE_2027.read_bytes())
    assert (entry.outcome.version, entry.outcome.changed) == (1, True)
    after = calendar_for("national", session=session)
    assert after.is_working(date(2027, 1, 2)) == (True, False)  # the make-up day counts
    assert after.is_working(date(2027, 1, 1)) == (False, False)  # 元旦
    event = session.exec(
        select(AuditEvent).where(col(AuditEvent.action) == CALENDAR_IMPORTED)
    ).one()
    entered_by = session.exec(select(User).where(col(User.name) == "管理员admin")).one()
    assert event.actor == entered_by.login  # unique across organs (a display name is not)
    assert event.after is not None
    assert event.after["version"] == 1


def test_the_same_content_again_is_a_no_op_that_says_so(session: Session) -> None:
    _enter(session, FIXTURE_2027.read_bytes())
    again = _enter(session, FIXTURE_2027.read_bytes())
    assert (again.outcome.version, again.outcome.changed) == (1, False)
    assert "nothing changed" in again.outcome.message
    assert again.recount is None
    assert _stored(session) == 1


def test_a_correction_is_a_new_version_and_the_old_one_stays_readable(session: Session) -> None:
    _enter(session, FIXTURE_2027.read_bytes())
    corrected = FIXTURE_2027.read_text().replace(
        "2027-01-02,makeup,hypothetical 调休 (test fixture)\n", ""
    )
    entry = _enter(session, corrected.encode())
    assert entry.outcome.version == 2
    versions = year_versions(session=session, year=2027)
    assert [v.version for v in versions] == [1, 2]
    assert date(2027, 1, 2) in {d.day for d in versions[0].value.days}
    assert date(2027, 1, 2) not in {d.day for d in versions[1].value.days}
    assert calendar_for("national", session=session).is_working(date(2027, 1, 2)) == (False, False)


def test_a_json_file_enters_the_same_year(session: Session) -> None:
    body = {
        "source": {"title": "Test notice", "number": "TEST-1", "issued_on": "2026-11-30"},
        "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}],
    }
    entry = _enter(session, json.dumps(body, ensure_ascii=False).encode())
    assert entry.outcome.changed
    assert calendar_for("national", session=session).covers(2027)


@pytest.mark.parametrize(
    ("lines", "field", "message"),
    [
        pytest.param(
            "2026-12-31,holiday,元旦\n", "line 5: date", "outside 2027", id="date outside its year"
        ),
        pytest.param(
            "2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n",
            "line 6: date",
            "duplicate of line 5",
            id="duplicate date",
        ),
        pytest.param(
            "2027-01-02,holiday,元旦\n2027-01-02,makeup,调休\n",
            "line 6: date",
            "conflicts with",
            id="a date both kinds",
        ),
        pytest.param("2027-01-01,rest,元旦\n", "line 5: kind", "unknown", id="unknown kind"),
        pytest.param(
            "2027-01-04,makeup,调休\n", "line 5: date", "is a weekday", id="make-up on a weekday"
        ),
        pytest.param("2027-13-01,holiday,元旦\n", "line 5: date", "not a date", id="not a date"),
    ],
)
def test_bad_lines_are_refused_naming_line_and_field_and_nothing_is_stored(
    session: Session, lines: str, field: str, message: str
) -> None:
    with pytest.raises(RequestInvalid) as refused:
        _enter(session, (HEADER + lines).encode())
    assert any(f.field == field and message in f.message for f in refused.value.findings)
    assert "nothing stored" in refused.value.message
    assert _stored(session) == 0


def test_a_missing_source_field_is_refused_by_name(session: Session) -> None:
    content = HEADER.replace("number,TEST-1\n", "") + "2027-01-01,holiday,元旦\n"
    with pytest.raises(RequestInvalid) as refused:
        _enter(session, content.encode())
    assert [f.field for f in refused.value.findings] == ["source.number"]
    assert _stored(session) == 0


def test_only_an_admin_enters_a_year(session: Session) -> None:
    with pytest.raises(Forbidden, match="only an admin"):
        _enter(session, FIXTURE_2027.read_bytes(), role=Role.DISCLOSURE_OFFICE)
    assert _stored(session) == 0


@pytest.mark.parametrize(
    "junk", [b"date,kind,name\r2027-01-01,holiday,\xe5\x85\x83\xe6\x97\xa6\r\x00", b'a\rb"c']
)
def test_issue_23_a_malformed_csv_is_refused_not_a_server_error(junk: bytes) -> None:
    with pytest.raises(RequestInvalid):
        read_calendar_file(2027, junk, filename="calendar.csv")
