"""Portal benchmark (issue 4): `.venv/bin/python bench/bench_portal.py [--documents N]`.

Creates a throwaway PostgreSQL database (GONGKAI_TEST_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432/test), migrates it, fills N published documents (default
100,000) with COPY — organs, files, documents, versions, publications and a validity change for
every 100th document — and then measures, in the same run, the median and p95 response time of
the real app (create_app, in-process through httpx's ASGI transport, HTML and feeds rendered) for:
the catalogue's first page, a deep page, a search, the Atom feed, the JSON feed and a document
page; against the baseline "bare indexed query of the same rows": the same SELECT(s) of the same
page straight through a SQLAlchemy Session. Prints the ratios (target ≤ 2×). The database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from api.app import create_app  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from services.publication.portal import (  # noqa: E402
    CatalogueFilters,
    _catalogue_select,
    catalogue_statement,
    feed_statements,
)

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PER_PAGE = 20
ROUNDS = 60
WARMUP = 5
T0 = datetime(2020, 1, 1, tzinfo=UTC)
TOPICS = ("春耕", "防汛", "教育", "医疗", "养老", "就业", "住房", "交通", "环保", "财政")
REDACTED_EVERY = 10
CHANGE_EVERY = 100


@contextmanager
def migrated_database(admin: psycopg.Connection[Any], label: str) -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database, migrated, for one benchmark run: its SQLAlchemy URL and
    its psycopg DSN; dropped when the block ends, however it ends. `admin`: autocommit."""
    name = f"gongkai_bench_{label}_{os.getpid()}"
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(url)
        yield url, dsn
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy(cursor: psycopg.Cursor[Any], table: str, columns: str, rows: Any) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill(dsn: str, n: int) -> float:
    """COPY n published documents with everything the portal reads; returns seconds taken."""
    start = time.perf_counter()
    organs = 50
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        _copy(
            cursor,
            "organs",
            "id, code, name, created_at",
            ((i, f"o{i}", f"麻江县第{i}局", T0) for i in range(1, organs + 1)),
        )
        _copy(
            cursor,
            "users",
            "id, name, organ_id, role, active, created_at",
            [(1, "bench", 1, "drafter", True, T0)],
        )

        def sha(i: int) -> str:
            return hashlib.sha256(f"bench-{i}".encode()).hexdigest()

        _copy(
            cursor,
            "stored_files",
            "id, sha256, size_bytes, media_type, original_name, storage_path, created_at",
            (
                (i, h, 4096, "application/pdf", "正文.pdf", f"{h[:2]}/{h}", T0)
                for i in range(1, n + 1)
                for h in (sha(i),)
            ),
        )

        def written(i: int) -> date:
            return date(2020, 1, 1) + timedelta(days=i * 2000 // n)

        def validity(i: int) -> str:
            return "repealed" if i % CHANGE_EVERY == 0 else "valid"

        _copy(
            cursor,
            "documents",
            "id, title, doc_number, organ_id, document_type, written_on, policy_profile, "
            "is_important_policy, issued_in_government_name, status, stage, status_changed_at, "
            "created_by, created_at, validity",
            (
                (
                    i,
                    f"关于做好{TOPICS[i % len(TOPICS)]}工作的通知（{i}）",
                    f"麻政发〔{written(i).year}〕{i}号",
                    1 + i % organs,
                    "notice",
                    written(i),
                    "national",
                    False,
                    False,
                    "published",
                    "done",
                    T0 + timedelta(minutes=i),
                    1,
                    T0,
                    validity(i),
                )
                for i in range(1, n + 1)
            ),
        )
        _copy(
            cursor,
            "versions",
            "id, document_id, number, submitted_by, submitted_at, main_file_id, main_file_name",
            ((i, i, 1, 1, T0, i, "x.txt") for i in range(1, n + 1)),
        )
        _copy(
            cursor,
            "publications",
            "id, document_id, version_id, published_at, marking_text, validity, index_number, "
            "publisher, idempotency_key, summary, file_id",
            (
                (
                    i,
                    i,
                    i,
                    T0 + timedelta(minutes=i),
                    "此件删减后公开" if i % REDACTED_EVERY == 0 else "此件公开发布",
                    validity(i),
                    f"o{1 + i % organs}-{written(i).year}-{i:06d}-1",
                    "portal",
                    f"publication-v{i}",
                    f"为做好{TOPICS[i % len(TOPICS)]}工作，现将有关事项通知如下。" * 4,
                    i,
                )
                for i in range(1, n + 1)
            ),
        )
        _copy(
            cursor,
            "validity_changes",
            "document_id, from_validity, to_validity, reason, actor, role, channel, "
            "amended_by_document_id, amended_by_reference, effective_on, recorded_at",
            (
                (
                    i,
                    "valid",
                    "repealed",
                    "被新文件废止",
                    "office",
                    "disclosure_office",
                    "api",
                    i + 1 if i % (2 * CHANGE_EVERY) == 0 and i < n else None,
                    f"麻政发〔2025〕{i}号",
                    date(2025, 1, 1),
                    T0 + timedelta(minutes=i + 1),
                )
                for i in range(CHANGE_EVERY, n + 1, CHANGE_EVERY)
            ),
        )
        for table in ("organs", "users", "stored_files", "documents", "versions", "publications"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        connection.commit()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("ANALYZE")
    return time.perf_counter() - start


def quantiles(timings: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def measure(
    client: httpx.AsyncClient, path: str, bare: Callable[[], object]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Interleave the real request and the bare query; (median, p95) of each."""
    real, base = [], []
    for round_ in range(WARMUP + ROUNDS):
        start = time.perf_counter()
        bare()
        middle = time.perf_counter()
        response = await client.get(path)
        end = time.perf_counter()
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        if round_ >= WARMUP:
            base.append(middle - start)
            real.append(end - middle)
    return quantiles(real), quantiles(base)


async def run(url: str, n: int, data_dir: Path) -> list[float]:
    settings = Settings(data_dir=data_dir, database_url=url, review_sweep_seconds=0)
    app = create_app(settings, sweep_reviews=False)
    engine = make_engine(url)
    deep_page = max(1, n // PER_PAGE // 2)
    search = CatalogueFilters(
        title="防汛", written_from=date(2023, 1, 1), written_to=date(2023, 12, 31)
    )
    sample_index = f"o{1 + (n // 2) % 50}-"

    def rows(statement: Any) -> Callable[[], object]:
        def query() -> object:
            with Session(engine) as session:
                return session.execute(statement).all()

        return query

    def feed() -> object:
        published, changes = feed_statements(50)
        with Session(engine) as session:
            return session.execute(published).all(), session.execute(changes).all()

    with Session(engine) as session:
        index_number = session.execute(
            _catalogue_select()
            .with_only_columns(_catalogue_select().selected_columns[0])
            .where(_catalogue_select().selected_columns[0].startswith(sample_index))
            .limit(1)
        ).scalar_one()
    page_statement = _catalogue_select().where(
        _catalogue_select().selected_columns[0] == index_number
    )
    cases = [
        (
            "catalogue page 1 (HTML)",
            "/portal",
            rows(catalogue_statement(CatalogueFilters(), limit=PER_PAGE + 1, offset=0)),
        ),
        (
            "catalogue page 1 (JSON)",
            "/portal/catalogue.json",
            rows(catalogue_statement(CatalogueFilters(), limit=PER_PAGE + 1, offset=0)),
        ),
        (
            f"catalogue page {deep_page} (HTML)",
            f"/portal?page={deep_page}",
            rows(
                catalogue_statement(
                    CatalogueFilters(), limit=PER_PAGE + 1, offset=(deep_page - 1) * PER_PAGE
                )
            ),
        ),
        (
            "search title+year (HTML)",
            "/portal?title=防汛&written_from=2023-01-01&written_to=2023-12-31",
            rows(catalogue_statement(search, limit=PER_PAGE + 1, offset=0)),
        ),
        ("Atom feed (50 + 50 rows)", "/portal/feed.atom", feed),
        ("JSON feed (50 + 50 rows)", "/portal/feed.json", feed),
        (
            "document page (info: 3 queries vs 1)",
            f"/portal/documents/{index_number}",
            rows(page_statement),
        ),
    ]
    ratios: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.bench") as client:
        for label, path, bare in cases:
            (real_median, real_p95), (bare_median, bare_p95) = await measure(client, path, bare)
            ratio = real_median / bare_median
            if not label.startswith("document page"):
                ratios.append(ratio)  # the target covers the catalogue and the feeds
            print(
                f"{label:32} real median {real_median:7.2f} ms (p95 {real_p95:7.2f}) | "
                f"bare query median {bare_median:6.2f} ms (p95 {bare_p95:6.2f}) | "
                f"ratio {ratio:4.2f}x"
            )
    engine.dispose()
    app.state.engine.dispose()
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000, help="published documents")
    args = parser.parse_args()
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable at {PG_ADMIN}: {error}")
        return 1
    with admin, migrated_database(admin, "portal") as (url, dsn):
        seconds = fill(dsn, args.documents)
        print(f"filled {args.documents:,} published documents in {seconds:.1f} s (COPY)")
        with tempfile.TemporaryDirectory(prefix="gongkai-bench-portal-") as tmp:
            ratios = asyncio.run(run(url, args.documents, Path(tmp)))
        worst = max(ratios)
        verdict = "meets" if worst <= 2 else "MISSES"
        print(f"worst ratio {worst:.2f}x: {verdict} the target (<= 2x the bare query)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
