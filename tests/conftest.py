"""Database fixtures: every database test runs on SQLite and on PostgreSQL, each test isolated.

- `database_url` (parametrized, ids "sqlite" and "postgresql"): a URL to a migrated, empty database
  for this test. Build an app or an engine from it.
- `engine`: an engine on that database. `session`: a Session on `engine` (tests commit it).
- SQLite: one migrated template file per run, copied per test.
- PostgreSQL: a throwaway database `gongkai_test_<pid>` at GONGKAI_TEST_POSTGRES_URL (default
  postgresql://postgres@127.0.0.1:5432/test), migrated once, truncated before each test, dropped
  at the end. Unreachable → skipped locally (noted in the summary), a failure when CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (registers every table)
from models.calendar import seed_package_years
from models.db import make_engine
from models.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
_unreachable: list[str] = []


def _psycopg_dsn(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated throwaway PostgreSQL database for this run, dropped at the end."""
    admin_dsn = _psycopg_dsn(POSTGRES_ADMIN_URL)
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        host = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
        reason = f"PostgreSQL at {host} not reachable: database tests ran on SQLite only"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI must test PostgreSQL): {error}")
        _unreachable.append(reason)
        pytest.skip(reason)
    name = f"gongkai_test_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """One engine for the run's PostgreSQL database (connections are reused across tests)."""
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    # Row-level audit triggers do not fire on TRUNCATE, so this also empties audit_events.
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # The calendar years the migration seeds are part of an "empty" database (0009c).
        seed_package_years(connection, at=datetime.now(UTC))


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgresql"],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated, empty database for this test, on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "gongkai.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    _truncate_all(request.getfixturevalue("postgres_engine"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    """An engine on this test's database."""
    if make_url(database_url).get_backend_name() == "postgresql":
        yield request.getfixturevalue("postgres_engine")
        return
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on this test's database; the test decides when to commit."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright, one per run (tests/browser_support.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when PostgreSQL was not tested."""
    for reason in _unreachable:
        terminalreporter.write_line(reason, yellow=True, bold=True)
