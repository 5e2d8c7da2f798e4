"""Office statistics and annual-report benchmark (issue 5), run by hand:
`.venv/bin/python bench/bench_statistics.py [--documents N]`.

On a throwaway PostgreSQL database (created and dropped here) it fills `--documents` documents
(default 50,000) over 2025–2026 with INSERT ... SELECT generate_series: one version, file and
marking each (80 % 主动公开, 15 % 不予公开 with a reason code, 5 % 依申请公开), 85 % published
(with a publication) and the rest filed, 行政规范性文件 for one in five; two status-change audit
events per document (into secrecy review, then out of it), 1 % returned once. Then VACUUM
ANALYZE and, in the same run, the median and p95 of:

- `office_statistics` for the year 2026 (everything the JSON/CSV endpoints return);
- `build_annual_report` for 2026 (computed 第二十条第（一）项 cells + validation);
- the baseline: bare SQL reading the rows the statistics read (issued documents joined to their
  markings, and the year's status-change events of the documents that moved), no Python work.

It prints each figure and the ratios service ÷ baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import make_engine, session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ  # noqa: E402
from services.office.annual_report import build_annual_report  # noqa: E402
from services.office.statistics import Period, office_statistics  # noqa: E402

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
RUNS = 9
YEAR = 2026

FILL = [
    """
    INSERT INTO stored_files (sha256, size_bytes, media_type, original_name, storage_path,
        created_at)
    SELECT md5(g::text) || md5((g + 1)::text), 1024, 'application/pdf', '通知.pdf',
        'bench/' || g, timestamptz '2025-01-01 00:00+00'
    FROM generate_series(1, :n) AS g
    """,
    """
    INSERT INTO documents (title, organ_id, document_type, written_on, policy_profile,
        is_important_policy, issued_in_government_name, status, stage, status_changed_at,
        created_by, created_at, validity)
    SELECT '关于印发第' || g || '号办法的通知', 1,
        CASE WHEN g % 5 = 0 THEN 'normative' ELSE 'notice' END,
        date '2025-01-01' + (g % 730), 'national', false, false,
        CASE WHEN g % 100 < 85 THEN 'published' ELSE 'filed' END, 'done',
        timestamptz '2025-01-01 01:00+00' + (g % 730) * interval '1 day' + interval '50 hours',
        1, timestamptz '2025-01-01 01:00+00' + (g % 730) * interval '1 day', 'valid'
    FROM generate_series(1, :n) AS g
    """,
    """
    INSERT INTO versions (document_id, number, submitted_by, submitted_at, main_file_id,
        main_file_name)
    SELECT id, 1, 1, created_at, id, 'x.txt' FROM documents
    """,
    "UPDATE documents SET current_version_id = id",
    """
    INSERT INTO markings (version_id, attribute, secrecy_level, reason_codes, marking_text)
    SELECT id,
        CASE WHEN status = 'published' THEN 'proactive'
             WHEN id % 3 = 0 THEN 'on_request' ELSE 'withheld' END,
        'none',
        CASE WHEN status = 'published' THEN '[]'::json ELSE '["NS-5"]'::json END,
        CASE WHEN status = 'published' THEN '此件公开发布' ELSE '此件不公开' END
    FROM documents
    """,
    """
    INSERT INTO publications (document_id, version_id, published_at, marking_text, validity,
        index_number, publisher, idempotency_key)
    SELECT id, id, status_changed_at, '此件公开发布', 'valid', 'bench-' || id, 'local',
        'publication-v' || id
    FROM documents WHERE status = 'published'
    """,
    """
    INSERT INTO audit_events (occurred_at, actor, role, channel, action, document_id, version_id,
        before, after)
    SELECT created_at + interval '2 hours', 'system', 'system', 'system', 'status.changed', id,
        id, '{"status": "submitted", "stage": "intake"}'::json,
        '{"status": "secrecy_review", "stage": "secrecy_review"}'::json
    FROM documents
    UNION ALL
    SELECT status_changed_at, 'system', 'system', 'system', 'status.changed', id, id,
        '{"status": "secrecy_review", "stage": "secrecy_review"}'::json,
        json_build_object('status', status, 'stage', 'done')
    FROM documents
    UNION ALL
    SELECT created_at + interval '1 hour', 'system', 'system', 'system', 'submission.returned',
        id, id, NULL, NULL
    FROM documents WHERE id % 100 = 0
    """,
]

BASELINE = [
    """
    SELECT m.attribute, m.reason_codes FROM documents d
    JOIN markings m ON m.version_id = d.current_version_id
    WHERE d.status IN ('published', 'filed') AND d.written_on BETWEEN :start AND :end
    """,
    """
    SELECT a.document_id, a.occurred_at, a.before, a.after FROM audit_events a
    WHERE a.action = 'status.changed' AND a.occurred_at < :until AND a.document_id IN (
        SELECT document_id FROM audit_events
        WHERE action = 'status.changed' AND occurred_at >= :since AND occurred_at < :until)
    """,
]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fill(url: str, documents: int) -> float:
    """One organ and drafter, then the documents and their trail; VACUUM ANALYZE."""
    engine = make_engine(url)
    at = datetime(2025, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        organ = ensure_organ(session=session, code="bench", name="测试县人民政府办公室", at=at)
        create_user(session=session, name="拟稿人", organ=organ, role=Role.DRAFTER, at=at)
    started = time.perf_counter()
    with engine.begin() as connection:
        for sql in FILL:
            connection.execute(sa.text(sql), {"n": documents})
    engine.dispose()
    with psycopg.connect(_dsn(url), autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Median and p95 of RUNS calls, in seconds."""
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (RUNS - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50_000)
    args = parser.parse_args()
    try:
        admin = psycopg.connect(_dsn(PG_ADMIN), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"[postgresql] not reachable ({error}): skipped")
        return 0
    name = f"gongkai_bench_statistics_{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        print(f"filled {args.documents:,} documents (+ trail) in {fill(url, args.documents):.1f} s")
        engine = make_engine(url)
        period = Period.year(YEAR)
        since, until = period.instants
        params = {"start": period.start, "end": period.end, "since": since, "until": until}

        def baseline() -> None:
            with engine.connect() as connection:
                for sql in BASELINE:
                    connection.execute(sa.text(sql), params).all()

        def stats() -> None:
            with Session(engine) as session:
                office_statistics(session=session, period=period)

        def report() -> None:
            with Session(engine) as session:
                build_annual_report(session=session, year=YEAR)

        with Session(engine) as session:
            figures = office_statistics(session=session, period=period)
        print(
            f"{YEAR}: issued {figures.documents_issued:,}, share {figures.proactive_share}, "
            f"退文 {figures.returns:,}, publications {figures.publications:,}"
        )
        b50, b95 = timed(baseline)
        s50, s95 = timed(stats)
        r50, r95 = timed(report)
        engine.dispose()
        print(f"baseline (bare SQL, same rows): p50 {b50 * 1e3:8.1f} ms  p95 {b95 * 1e3:8.1f} ms")
        print(f"office_statistics:              p50 {s50 * 1e3:8.1f} ms  p95 {s95 * 1e3:8.1f} ms")
        print(f"build_annual_report:            p50 {r50 * 1e3:8.1f} ms  p95 {r95 * 1e3:8.1f} ms")
        print(f"ratio statistics ÷ baseline:    p50 {s50 / b50:6.2f}×   p95 {s95 / b95:6.2f}×")
        print(f"ratio report ÷ baseline:        p50 {r50 / b50:6.2f}×   p95 {r95 / b95:6.2f}×")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
