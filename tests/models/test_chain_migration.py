"""Issue 21: migration 0009a builds the hash chain for the audit events already recorded, oldest
first, so that an existing database verifies as valid after the upgrade (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from models.db import make_engine
from models.migrate import upgrade
from services.audit_chain import verify_chain
from tests.conftest import POSTGRES_ADMIN_URL, _psycopg_dsn

BEFORE_CHAIN = "0008h"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"gongkai_chain_{os.getpid()}"
    try:
        admin = psycopg.connect(
            _psycopg_dsn(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable: {error}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield (
                make_url(POSTGRES_ADMIN_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_links_every_audit_event_recorded_before_it(fresh_url: str) -> None:
    upgrade(fresh_url, BEFORE_CHAIN)
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as connection:
            for n in (3, 1, 2):  # recorded out of order: the chain follows the time
                at = datetime(2025, 3, n, tzinfo=UTC)
                connection.execute(
                    sa.text(
                        "INSERT INTO audit_events (occurred_at, actor, role, channel, action, "
                        "after) VALUES (:at, 'office', 'disclosure_office', 'api', 'test.old', "
                        ":after)"
                    ),
                    {
                        "at": at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at,
                        "after": f'{{"n": {n}}}',
                    },
                )
        upgrade(fresh_url)
        with engine.connect() as connection:
            report = verify_chain(connection=connection)
            order = connection.execute(
                sa.text("SELECT entry_id FROM audit_chain ORDER BY seq")
            ).scalars()
            assert list(order) == [2, 3, 1]
        assert report.valid, report.first_break
        assert report.count == 3
    finally:
        engine.dispose()
