"""Warn ahead (issue 20): from 1 November (setting calendar_warn_from) the office digest, the
dashboard and `make run` warn while next year's calendar is not loaded (domain §8.2 pit. 3)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from cli.stack import calendar_banner
from config.settings import Settings
from models.alerts import Alert
from policies.calendar import SHANGHAI
from policies.roles import Role
from services.calendar import read_calendar_file
from services.calendar.entry import enter_year
from services.office.digest import CALENDAR_MISSING, raise_calendar_alert
from services.office.overview import dashboard
from tests.factories import make_user

FIXTURE_2027 = Path(__file__).with_name("calendar_2027_TEST_FIXTURE_not_official.csv")
NOV_1 = datetime(2026, 11, 1, 9, tzinfo=SHANGHAI)


def test_the_digest_and_the_dashboard_warn_from_1_november_until_2027_is_loaded(
    session: Session,
) -> None:
    october = datetime(2026, 10, 31, 9, tzinfo=SHANGHAI)
    assert raise_calendar_alert(session, as_of=october, warn_from="11-01") is None
    assert dashboard(session, as_of=october).calendar_warning is None
    warning = raise_calendar_alert(session, as_of=NOV_1, warn_from="11-01")
    assert warning is not None
    assert warning.startswith("2027 年节假日安排尚未录入")
    assert raise_calendar_alert(session, as_of=NOV_1, warn_from="11-01") == warning  # once a day
    alerts = session.exec(select(Alert).where(col(Alert.kind) == CALENDAR_MISSING)).all()
    assert [a.message for a in alerts] == [warning]
    assert dashboard(session, as_of=NOV_1).calendar_warning == warning
    assert dashboard(session, as_of=NOV_1, calendar_warn_from="12-01").calendar_warning is None

    admin = make_user(session, role=Role.ADMIN)
    value = read_calendar_file(2027, FIXTURE_2027.read_bytes())
    enter_year(session=session, person=admin, value=value, at=NOV_1, shares=(0.5,))
    later = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)
    assert raise_calendar_alert(session, as_of=later, warn_from="11-01") is None
    assert dashboard(session, as_of=later).calendar_warning is None


def test_make_run_names_the_missing_year_at_start_up(database_url: str, tmp_path: Path) -> None:
    # Today (the machine's clock) is after 1 November 2026 or in a later year: with the seeded
    # years only, a warning always names a year that is not loaded.
    settings = Settings(data_dir=tmp_path, database_url=database_url, calendar_warn_from="01-01")
    banner = calendar_banner(settings)
    assert banner is not None
    assert "年节假日安排尚未录入" in banner
