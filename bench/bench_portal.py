"""Portal benchmark (issues 4, 27): `.venv/bin/python bench/bench_portal.py [--documents N]
[--sqlite-documents M] [--only postgresql|sqlite] [--keep NAME | --reuse NAME]`.

PostgreSQL (GONGKAI_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test): a
throwaway database `search_bench_portal_<pid>`, migrated, filled with N published documents
(default 1,000,000) by COPY — organs, files, documents, versions, kept readings, publications,
the search record, a validity change for every 100th — with per-row triggers off and the
trigram indexes built after the COPY; dropped at the end. `--keep NAME` fills the database NAME
instead and keeps it; `--reuse NAME` measures a database so kept without filling it again (it is
upgraded to the head migration first, so an index added since is built on its rows). SQLite:
a temporary file with M (default 100,000) documents inserted in batches, the FTS5 index filled
by the migration's triggers.

Measured in the same run, interleaved, p50 and p95: the real app (create_app, in-process through
httpx's ASGI transport, HTML rendered), the service call (catalogue_page / portal_document, no
HTTP) and the baseline "bare indexed query of the same rows" (one SQL statement of the page's
catalogue columns; the app's page is checked to list the same documents first) for: catalogue
page 1, a deep cursor page (half-way), searches for 征地 (2 characters: the bounded scan), 政务公开
(4: the trigram path), a 文号 fragment and an organ, and a document page. Targets: p95 <= 50 ms
on PostgreSQL at 1M and <= 2x the bare query. The machine's load is printed: the figures of a
shared machine are noisy, compare ratios from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from api.app import create_app  # noqa: E402
from api.cursors import decode_position, encode_position  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.search import (  # noqa: E402
    DOC_IRREGULAR,
    DOC_NUMBER_INDEXES,
    DOC_SERIAL,
    FTS_TABLE,
    TRIGRAM_INDEXES,
    haystack_of,
)
from services.publication.portal import catalogue_page, portal_document  # noqa: E402
from services.publication.search import CatalogueFilters, Cursor  # noqa: E402

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PER_PAGE = 20
ROUNDS = 60
WARMUP = 5
T0 = datetime(2020, 1, 1, tzinfo=UTC)
ORGANS = 50
REDACTED_EVERY = 10
CHANGE_EVERY = 100


@contextmanager
def migrated_database(
    admin: psycopg.Connection[Any], label: str, *, keep: str | None = None
) -> Iterator[tuple[str, str]]:
    """A new PostgreSQL database, migrated, for one benchmark run: its SQLAlchemy URL and its
    psycopg DSN. Throwaway (dropped when the block ends, however it ends) unless `keep` names
    it: then it replaces any database of that name and stays, even when a measurement fails
    after the fill (the fill commits once, so a failed fill leaves it empty). `admin`:
    autocommit."""
    name = keep or f"search_bench_{label}_{os.getpid()}"
    url, dsn = _database_url(name)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(url)
        yield url, dsn
    finally:
        if keep is None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_url(name: str) -> tuple[str, str]:
    """The SQLAlchemy URL and the psycopg DSN of database `name` on PG_ADMIN's server."""
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return url, dsn


def reused_database(admin: psycopg.Connection[Any], name: str) -> tuple[str, str, int]:
    """A database kept by an earlier `--keep` run, upgraded to the head migration (new indexes
    are built on its rows), with the number of published documents it holds."""
    found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if found is None:
        raise SystemExit(f"no database {name!r}: fill it first with --keep {name}")
    url, dsn = _database_url(name)
    upgrade(url)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(CURRENT_VERSIONS)  # a database filled before the portal asked for it
        row = connection.execute("SELECT count(*) FROM publication_search").fetchone()
        connection.execute("ANALYZE")
    n = int(row[0]) if row else 0
    if n == 0:
        raise SystemExit(f"database {name!r} holds no published documents: fill it with --keep")
    return url, dsn, n


# Titles and texts: topics and sentences a county's catalogue holds, so that 征地 and 政务公开 are
# common terms (each in about one document of twelve) and a 文号 fragment is rare.
TOPICS = (
    "春耕",
    "防汛",
    "教育",
    "医疗",
    "养老",
    "就业",
    "住房",
    "交通",
    "环保",
    "财政",
    "征地拆迁",
    "政务公开",
)
SENTENCES = (
    "为进一步做好{t}工作，根据有关规定，结合本县实际，现将有关事项通知如下。",
    "各乡镇人民政府、县直各部门要高度重视，明确责任分工，确保各项任务落到实处。",
    "对{t}中发现的问题，要及时研究解决，重大情况及时报告县人民政府。",
    "本通知自印发之日起施行，由县{t}工作领导小组办公室负责解释。",
    "加强监督检查，将工作落实情况纳入年度目标考核。",
    "涉及群众切身利益的事项，要依法依规公开，主动接受社会监督。",
    "请于每季度末将工作进展情况报送县人民政府办公室。",
)


def _published(i: int, n: int) -> dict[str, Any]:
    """The values of the i-th published document (1-based) of n."""
    written = date(2020, 1, 1) + timedelta(days=i * 2000 // n)
    topic = TOPICS[i % len(TOPICS)]
    title = f"关于做好{topic}工作的通知（{i}）"
    doc_number = f"麻政发〔{written.year}〕{i}号"
    organ = 1 + i % ORGANS
    picks = [SENTENCES[(i * k + k) % len(SENTENCES)] for k in (1, 3, 5)]
    text = "".join(sentence.format(t=topic) for sentence in picks)
    return {
        "title": title,
        "doc_number": doc_number,
        "organ": organ,
        "written": written,
        "text": f"{title}\n{text}",
        "validity": "repealed" if i % CHANGE_EVERY == 0 else "valid",
        "at": T0 + timedelta(minutes=i),
        "index": f"o{organ}-{written.year}-{i:06d}-1",
    }


def _organ_name(organ: int) -> str:
    return f"麻江县第{organ}局"


def _sha(i: int) -> str:
    return hashlib.sha256(f"bench-{i}".encode()).hexdigest()


def tables(n: int) -> Iterator[tuple[str, str, Iterator[tuple[Any, ...]]]]:
    """(table, columns, rows) of n published documents with everything the portal reads."""
    yield (
        "organs",
        "id, code, name, created_at",
        ((o, f"o{o}", _organ_name(o), T0) for o in range(1, ORGANS + 1)),
    )
    yield (
        "users",
        "id, login, name, organ_id, role, active, created_at",
        iter([(1, "bench", "bench", 1, "drafter", True, T0)]),
    )
    yield (
        "stored_files",
        ("id, sha256, size_bytes, media_type, original_name, storage_path, created_at"),
        (
            (i, h, 4096, "text/plain", "正文.txt", f"{h[:2]}/{h}", T0)
            for i in range(1, n + 1)
            for h in (_sha(i),)
        ),
    )
    yield (
        "documents",
        (
            "id, title, doc_number, organ_id, document_type, written_on, policy_profile, "
            "is_important_policy, issued_in_government_name, status, stage, status_changed_at, "
            "created_by, created_at, validity"
        ),
        (
            (
                i,
                d["title"],
                d["doc_number"],
                d["organ"],
                "notice",
                d["written"],
                "national",
                False,
                False,
                "published",
                "done",
                d["at"],
                1,
                T0,
                d["validity"],
            )
            for i in range(1, n + 1)
            for d in (_published(i, n),)
        ),
    )
    yield (
        "versions",
        ("id, document_id, number, submitted_by, submitted_at, main_file_id, main_file_name"),
        ((i, i, 1, 1, T0, i, "正文.txt") for i in range(1, n + 1)),
    )
    yield (
        "file_readings",
        "id, file_id, text, findings, ocr_pages, read_at",
        ((i, i, _published(i, n)["text"], "[]", "[]", T0) for i in range(1, n + 1)),
    )
    yield (
        "publications",
        (
            "id, document_id, version_id, published_at, marking_text, validity, index_number, "
            "publisher, idempotency_key, summary, file_id"
        ),
        (
            (
                i,
                i,
                i,
                d["at"],
                "此件删减后公开" if i % REDACTED_EVERY == 0 else "此件公开发布",
                d["validity"],
                d["index"],
                "portal",
                f"publication-v{i}",
                d["text"][:120],
                i,
            )
            for i in range(1, n + 1)
            for d in (_published(i, n),)
        ),
    )
    yield (
        "publication_search",
        ("publication_id, organ_id, published_at, written_on, title, doc_number, haystack"),
        (
            (
                i,
                d["organ"],
                d["at"],
                d["written"],
                d["title"],
                d["doc_number"],
                haystack_of(d["title"], d["doc_number"], _organ_name(d["organ"]), d["text"]),
            )
            for i in range(1, n + 1)
            for d in (_published(i, n),)
        ),
    )
    yield (
        "validity_changes",
        (
            "document_id, from_validity, to_validity, reason, actor, role, channel, "
            "amended_by_document_id, amended_by_reference, effective_on, recorded_at"
        ),
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


SERIAL_TABLES = ("organs", "users", "stored_files", "documents", "versions", "publications")
# Document i's version is version i, its current one: the portal shows the publication of a
# document's current version only (a withdrawn older one stays withdrawn).
CURRENT_VERSIONS = "UPDATE documents SET current_version_id = id WHERE current_version_id IS NULL"


def fill_postgres(dsn: str, n: int) -> float:
    """COPY n published documents; the trigram indexes are built after the COPY (one sort
    each, not a million insertions). Returns the seconds taken."""
    start = time.perf_counter()
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        # The rows are consistent by construction: no foreign-key or audit trigger per row.
        cursor.execute("SET session_replication_role = replica")
        for name, _ in (*TRIGRAM_INDEXES, *DOC_NUMBER_INDEXES):
            cursor.execute(f"DROP INDEX {name}")
        for table, columns, rows in tables(n):
            began = time.perf_counter()
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            print(f"  COPY {table}: {time.perf_counter() - began:.1f} s", flush=True)
        cursor.execute(CURRENT_VERSIONS)
        for table in SERIAL_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, column in TRIGRAM_INDEXES:
            began = time.perf_counter()
            cursor.execute(
                f"CREATE INDEX {name} ON publication_search USING gin ({column} gin_trgm_ops)"
            )
            print(f"  CREATE INDEX {name}: {time.perf_counter() - began:.1f} s", flush=True)
        for name, indexed in DOC_NUMBER_INDEXES:
            cursor.execute(f"CREATE INDEX {name} ON publication_search {indexed}")
        connection.commit()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def fill_sqlite(url: str, n: int) -> float:
    """INSERT n published documents in batches (SQLite has no COPY); the migration's triggers
    fill the FTS5 index as the app's writes do. Returns the seconds taken."""
    start = time.perf_counter()
    engine = make_engine(url)
    with engine.begin() as connection:
        for table, columns, rows in tables(n):
            names = [c.strip() for c in columns.split(",")]
            insert = sa.text(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in names)})"
            )
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(dict(zip(names, (_sqlite_value(v) for v in row), strict=True)))
                if len(batch) == 10_000:
                    connection.execute(insert, batch)
                    batch = []
            if batch:
                connection.execute(insert, batch)
        connection.exec_driver_sql(CURRENT_VERSIONS)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - start


def _sqlite_value(value: Any) -> Any:
    """A value as the app's SQLite columns hold it: instants as naive UTC text, days as ISO."""
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    if isinstance(value, date):
        return value.isoformat()
    return value


def quantiles(timings: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def bare_page(dialect: str, where: str) -> str:
    """The bare indexed query of one page: the catalogue's columns of the matching rows, newest
    first, one more than a page (what the app needs to know whether a page follows)."""
    return (
        "SELECT p.index_number, d.title, d.doc_number, p.summary, d.written_on, o.name, "
        "p.marking_text, p.validity, p.published_at FROM publication_search s "
        "JOIN publications p ON p.id = s.publication_id JOIN documents d ON d.id = p.document_id "
        f"JOIN organs o ON o.id = d.organ_id WHERE {where} "
        f"ORDER BY s.published_at DESC, s.publication_id DESC LIMIT {PER_PAGE + 1}"
    )


def _match(dialect: str, field: str, term: str) -> str:
    """The bare SQL of an indexed substring match (terms here hold no quote or wildcard)."""
    if dialect == "postgresql":
        return f"s.{field} LIKE '%{term}%'"
    return (
        f"s.publication_id IN (SELECT rowid FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH '{field} : \"{term}\"')"
    )


def _doc_number(dialect: str, fragment: str) -> str:
    """The bare SQL of a 文号 fragment holding 〕 and digits: on PostgreSQL through the serial
    number's index (migration 0011p), as the app finds it; on SQLite through FTS5."""
    if dialect != "postgresql":
        return _match(dialect, "doc_number", fragment)
    found = re.search(r"〕([0-9]+)", fragment)
    assert found is not None, fragment
    serial = found.group(1)
    column = DOC_SERIAL.replace("doc_number", "s.doc_number")
    return (
        f"strpos(s.doc_number, '{fragment}') > 0 AND (({column} >= '{serial}' AND "
        f"{column} < '{serial}:') OR {DOC_IRREGULAR.replace('doc_number', 's.doc_number')})"
    )


def _scan(dialect: str, term: str) -> str:
    function = "strpos" if dialect == "postgresql" else "instr"
    return f"{function}(s.haystack, '{term}') > 0"


def cases(engine: Any, n: int) -> list[tuple[str, str, str]]:
    """(label, path, bare SQL) of every measured case."""
    dialect = engine.dialect.name
    with engine.connect() as connection:
        deep = connection.execute(
            sa.text(
                "SELECT published_at, publication_id FROM publication_search "
                "ORDER BY published_at DESC, publication_id DESC LIMIT 1 OFFSET :deep"
            ),
            {"deep": n // 2},
        ).one()
        index_number = connection.execute(
            sa.text("SELECT index_number FROM publications WHERE id = :i"), {"i": n // 2}
        ).scalar_one()
    deep_at = deep[0] if isinstance(deep[0], datetime) else datetime.fromisoformat(deep[0])
    deep_cursor = Cursor(deep_at.replace(tzinfo=deep_at.tzinfo or UTC), deep[1])
    deep = (deep_cursor.published_at, deep_cursor.publication_id)
    deep_literal = (
        f"'{deep_cursor.published_at.isoformat()}'::timestamptz"
        if dialect == "postgresql"
        else f"'{_sqlite_value(deep_cursor.published_at)}'"
    )
    fragment = f"〔{date(2020, 1, 1).year + 3}〕{n // 2 // 10}"  # about 11 documents of 2023
    organ = 7
    return [
        ("catalogue page 1", "/portal", bare_page(dialect, "1 = 1")),
        (
            f"catalogue deep cursor ({n // 2:,} rows in)",
            f"/portal?cursor={encode_position(*deep)}",
            bare_page(dialect, f"(s.published_at, s.publication_id) < ({deep_literal}, {deep[1]})"),
        ),
        ("search 征地 (2 chars)", "/portal?q=征地", bare_page(dialect, _scan(dialect, "征地"))),
        (
            "search 政务公开 (4 chars)",
            "/portal?q=政务公开",
            bare_page(dialect, _match(dialect, "haystack", "政务公开")),
        ),
        (
            f"search 文号 {fragment}",
            f"/portal?doc_number={fragment}",
            bare_page(dialect, _doc_number(dialect, fragment)),
        ),
        (
            f"search organ {_organ_name(organ)}",
            f"/portal?organ={_organ_name(organ)}",
            bare_page(dialect, f"s.organ_id = {organ}"),
        ),
        (
            "document page",
            f"/portal/documents/{index_number}",
            bare_page(dialect, f"p.index_number = '{index_number}'"),
        ),
    ]


async def measure(
    client: httpx.AsyncClient, path: str, bare: Callable[[], object], service: Callable[[], object]
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Interleave the bare query, the service call and the real request; (median, p95) of each."""
    real, base, served = [], [], []
    for round_ in range(WARMUP + ROUNDS):
        start = time.perf_counter()
        bare()
        middle = time.perf_counter()
        service()
        later = time.perf_counter()
        response = await client.get(path)
        end = time.perf_counter()
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        if round_ >= WARMUP:
            base.append(middle - start)
            served.append(later - middle)
            real.append(end - later)
    return quantiles(real), quantiles(served), quantiles(base)


def service_call(engine: Any, path: str) -> Callable[[], object]:
    """The service behind a path (no HTTP, no HTML): catalogue_page or portal_document."""
    url = httpx.URL(path)
    if url.path.startswith("/portal/documents/"):
        index_number = unquote(url.path.rsplit("/", 1)[1])

        def page() -> object:
            with Session(engine) as session:
                return portal_document(session=session, index_number=index_number)

        return page
    params = dict(url.params)
    filters = CatalogueFilters(
        title=params.get("title"),
        doc_number=params.get("doc_number"),
        organ=params.get("organ"),
        q=params.get("q"),
    )
    cursor = Cursor(*decode_position(params["cursor"])) if "cursor" in params else None

    def catalogue() -> object:
        with Session(engine) as session:
            return catalogue_page(session=session, filters=filters, cursor=cursor, limit=PER_PAGE)

    return catalogue


async def run(url: str, n: int, data_dir: Path) -> list[tuple[str, float, float, float, float]]:
    """Each case: (label, real p50, real p95, bare p50, bare p95) in ms; checks first that the
    app's page and the bare query list the same documents."""
    settings = Settings(data_dir=data_dir, database_url=url, review_sweep_seconds=0)
    app = create_app(settings, sweep_reviews=False)
    engine = make_engine(url)
    results = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.bench") as client:
        for label, path, sql in cases(engine, n):

            def bare(sql: str = sql) -> object:
                with Session(engine) as session:
                    return session.execute(sa.text(sql)).all()

            same = [row[0] for row in bare()][:PER_PAGE]  # type: ignore[attr-defined]
            if not path.startswith("/portal/documents/"):
                shown = await client.get(path, headers={"Accept": "application/json"})
                listed = [item["index_number"] for item in shown.json()["items"]]
                assert listed == same, (label, listed[:3], same[:3])
            (real_p50, real_p95), (service_p50, service_p95), (bare_p50, bare_p95) = await measure(
                client, path, bare, service_call(engine, path)
            )
            results.append((label, real_p50, real_p95, bare_p50, bare_p95))
            print(
                f"  {label:38} app p50 {real_p50:6.1f} p95 {real_p95:6.1f} ms "
                f"({real_p50 / bare_p50:4.1f}x, p95 {real_p95 / bare_p95:4.1f}x) | "
                f"service p50 {service_p50:6.1f} p95 {service_p95:6.1f} "
                f"({service_p50 / bare_p50:4.1f}x, p95 {service_p95 / bare_p95:4.1f}x) | "
                f"bare p50 {bare_p50:6.1f} p95 {bare_p95:6.1f}",
                flush=True,
            )
    engine.dispose()
    app.state.engine.dispose()
    return results


def verdict(
    results: list[tuple[str, float, float, float, float]], *, p95_target: float | None
) -> None:
    """Print the worst ratio and p95 against the targets."""
    worst_ratio = max(r[2] / r[4] for r in results)
    worst_p95 = max(r[2] for r in results)
    print(
        f"  worst p95 ratio {worst_ratio:.2f}x (target <= 2x), worst p95 {worst_p95:.1f} ms", end=""
    )
    print(f" (target <= {p95_target:.0f} ms)" if p95_target else "")


def load() -> str:
    """The machine's load (the benchmark shares it)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def bench_postgres(n: int, *, keep: str | None = None, reuse: str | None = None) -> int:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable at {PG_ADMIN}: {error}")
        return 1
    with admin:
        if reuse is not None:
            url, _, n = reused_database(admin, reuse)
            print(f"PostgreSQL: reusing {reuse!r}, {n:,} published documents")
            _bench_postgres_filled(url, n)
            return 0
        with migrated_database(admin, "portal", keep=keep) as (url, dsn):
            seconds = fill_postgres(dsn, n)
            print(f"PostgreSQL: filled {n:,} published documents in {seconds:.1f} s (COPY)")
            _bench_postgres_filled(url, n)
        if keep is not None:
            print(f"  kept as {keep!r}: run again with --reuse {keep}")
    return 0


def _bench_postgres_filled(url: str, n: int) -> None:
    print(f"  {load()}")
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-portal-") as tmp:
        results = asyncio.run(run(url, n, Path(tmp)))
    verdict(results, p95_target=50)
    print(f"  {load()}")


def bench_sqlite(n: int) -> int:
    with tempfile.TemporaryDirectory(prefix="gongkai-bench-portal-") as tmp:
        url = f"sqlite:///{tmp}/portal.db"
        upgrade(url)
        seconds = fill_sqlite(url, n)
        print(f"SQLite: filled {n:,} published documents in {seconds:.1f} s (INSERT, FTS5)")
        print(f"  {load()}")
        results = asyncio.run(run(url, n, Path(tmp)))
        verdict(results, p95_target=None)
        print(f"  {load()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000, help="on PostgreSQL")
    parser.add_argument("--sqlite-documents", type=int, default=100_000, help="on SQLite")
    parser.add_argument("--only", choices=("postgresql", "sqlite"), help="one database only")
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument(
        "--keep",
        metavar="NAME",
        help="fill the PostgreSQL database NAME (replacing one of that name) and keep it",
    )
    kept.add_argument(
        "--reuse",
        metavar="NAME",
        help="measure the PostgreSQL database NAME kept by --keep (no fill; --documents unused)",
    )
    args = parser.parse_args()
    status = 0
    if args.only != "sqlite":
        status |= bench_postgres(args.documents, keep=args.keep, reuse=args.reuse)
    if args.only != "postgresql":
        status |= bench_sqlite(args.sqlite_documents)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
