"""The portal's Chinese search needs a PostgreSQL database whose LC_CTYPE is a UTF-8 locale: pg_trgm
takes trigrams from letters as the ctype classifies them, and under the C locale no Chinese
character is one (issue 27). The check runs at start-up and the app refuses to serve without it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from api.app import create_app
from config.settings import Settings
from models.db import make_engine
from services.publication.search_index import SearchLocaleUnsupported, search_locale_problem
from tests.conftest import POSTGRES_ADMIN_URL


def test_the_test_databases_index_chinese_by_trigrams(engine: Engine) -> None:
    assert search_locale_problem(engine) is None
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            trigrams = connection.execute(sa.text("SELECT show_trgm('征地')")).scalar_one()
        assert trigrams  # C.UTF-8 classifies 征 and 地 as letters


@pytest.fixture
def c_locale_url() -> Iterator[str]:
    """A PostgreSQL database created with LC_CTYPE 'C' and pg_trgm installed."""
    admin_url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    name = f"search_c_locale_{os.getpid()}"
    try:
        admin = psycopg.connect(
            admin_url.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable: {error}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C' LC_CTYPE 'C'"
        )
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        try:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("CREATE EXTENSION pg_trgm")
            yield url
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_c_locale_database_is_refused_at_start_up_with_the_fix(
    c_locale_url: str, tmp_path: Path
) -> None:
    engine = make_engine(c_locale_url)
    try:
        problem = search_locale_problem(engine)
    finally:
        engine.dispose()
    assert problem is not None
    assert "'C'" in problem
    assert "LC_CTYPE 'C.UTF-8'" in problem  # the fix, spelled out

    app = create_app(
        Settings(data_dir=tmp_path, database_url=c_locale_url, review_sweep_seconds=0),
        sweep_reviews=False,
    )

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    # On a thread of its own: an earlier test (Playwright's sync API) may leave an event loop
    # running on the main thread, where asyncio.run refuses to start.
    with (
        ThreadPoolExecutor(1) as thread,
        pytest.raises(SearchLocaleUnsupported, match="pg_trgm ignores Chinese"),
    ):
        thread.submit(asyncio.run, start()).result()
    app.state.engine.dispose()
