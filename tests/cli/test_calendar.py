"""`gongkai calendar import FILE --by ADMIN` (issue 20): exit 0 when stored or unchanged, exit 1
naming line and field when refused, nothing stored then. The 2027 file is a TEST FIXTURE, not
the official schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from cli.main import main
from config.settings import get_settings
from models.calendar import CalendarYearRecord
from models.db import make_engine, session_scope
from policies.roles import Role
from services.accounts import create_user, ensure_organ

FIXTURE_2027 = (
    Path(__file__).parents[1] / "services/calendar/calendar_2027_TEST_FIXTURE_not_official.csv"
)


@pytest.fixture
def database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("GONGKAI_DATABASE_URL", database_url)
    monkeypatch.setenv("GONGKAI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine(database_url)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        organ = ensure_organ(session=session, code="gov", name=None, at=at)
        create_user(session=session, name="管理员", organ=organ, role=Role.ADMIN, at=at)
        create_user(session=session, name="公开办", organ=organ, role=Role.DISCLOSURE_OFFICE, at=at)
    engine.dispose()
    yield database_url
    get_settings.cache_clear()


def _versions(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(select(CalendarYearRecord).where(col(CalendarYearRecord.year) == 2027))
        count = len(rows.all())
    engine.dispose()
    return count


def test_import_stores_a_year_then_says_the_same_file_changes_nothing(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calendar", "import", str(FIXTURE_2027), "--by", "管理员"]) == 0
    assert "2027: stored as version 1" in capsys.readouterr().out
    assert main(["calendar", "import", str(FIXTURE_2027), "--by", "管理员"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert _versions(database) == 1


def test_a_bad_file_exits_1_naming_line_and_field_and_stores_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "2027.csv"
    text = FIXTURE_2027.read_text().replace("2027-10-03,holiday", "2027-10-03,vacation")
    bad.write_text(text.replace("number,TEST-FIXTURE-2027\n", ""))
    assert main(["calendar", "import", str(bad), "--by", "管理员"]) == 1
    err = capsys.readouterr().err
    assert "refused, nothing stored" in err
    assert "source.number: source field 'number' is missing" in err
    assert "line 10: kind: line 10: kind 'vacation' is unknown" in err
    assert _versions(database) == 0


def test_only_an_admin_imports(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "import", str(FIXTURE_2027), "--by", "公开办"]) == 1
    assert "only an admin" in capsys.readouterr().err
    assert _versions(database) == 0
