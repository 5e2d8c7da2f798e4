"""Window-alert and re-review sweep benchmark (issue 4), run by hand:
`.venv/bin/python bench/bench_windows.py [--documents N] [--runs N]`.

On a throwaway PostgreSQL database (created and dropped here) it fills `--documents` documents
(default 100,000) with INSERT ... SELECT generate_series: every one has a 20 WD publication
ceiling and half a 2-hour local window, met for all but ~1 % (the documents still waiting);
~0.5 % have an open 3 WD interpretation deadline; 15 % are filed 不予公开, a tenth of them with a
secrecy-expiry deadline. Then VACUUM ANALYZE and, in the same run:

- `check_windows` (the scheduled flow's work every 10 minutes) in the steady state, when every
  crossed threshold was alerted by an earlier run: median against a bare indexed SELECT of the
  same open rows (plain SQL, same index) → ratio; plus the first run, which raises the alerts;
- `create_due_rereviews` + `create_expiry_rereviews` in the steady state (the daily flow's
  rerun) against a bare SELECT of the filed candidates → ratio.
The plans of both bare queries are printed to show the index in use.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import make_engine, session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from policies.calendar import SHANGHAI  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ  # noqa: E402
from services.publication.windows import check_windows  # noqa: E402
from services.review import create_due_rereviews, create_expiry_rereviews  # noqa: E402

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
AS_OF = datetime(2026, 10, 16, 10, 0, tzinfo=SHANGHAI)
ORGANS = 20

FILL = """
INSERT INTO documents (title, doc_number, organ_id, document_type, written_on, policy_profile,
    is_important_policy, issued_in_government_name, status, stage, status_changed_at,
    created_by, created_at, validity)
SELECT '关于印发第' || g || '号管理办法的通知', '测政发〔2026〕' || g || '号', 1 + g % {organs},
    'normative', date '2026-01-05', CASE WHEN g % 2 = 0 THEN 'majiang' ELSE 'wuming' END,
    false, false,
    CASE WHEN g % 100 < 15 THEN 'filed' WHEN g % 100 = 99 THEN 'awaiting_signoff'
        ELSE 'published' END,
    CASE WHEN g % 100 < 15 THEN 'done' WHEN g % 100 = 99 THEN 'publication' ELSE 'done' END,
    :as_of - ((g * 37) % 800) * interval '1 day', 1 + g % {organs},
    :as_of - ((g * 37) % 800) * interval '1 day', 'valid'
FROM generate_series(1, :n) AS g
"""
VERSIONS = """
INSERT INTO stored_files (sha256, size_bytes, media_type, original_name, storage_path, created_at)
VALUES (repeat('0', 64), 1, 'text/plain', 'x.txt', '00/x', :as_of);
INSERT INTO versions (document_id, number, submitted_by, submitted_at, main_file_id,
    main_file_name)
SELECT id, 1, created_by, created_at, 1, 'x.txt' FROM documents;
UPDATE documents SET current_version_id = versions.id FROM versions
WHERE versions.document_id = documents.id;
INSERT INTO markings (version_id, attribute, secrecy_level, marking_text, reason_codes)
SELECT v.id, CASE WHEN d.status = 'filed' THEN 'withheld' ELSE 'proactive' END, 'none',
    CASE WHEN d.status = 'filed' THEN '此件不公开' ELSE '此件公开发布' END,
    CASE WHEN d.status = 'filed' THEN '["NS-6"]'::json ELSE '[]'::json END
FROM versions v JOIN documents d ON d.id = v.document_id
"""
DEADLINES = """
INSERT INTO deadlines (document_id, version_id, kind, due_at, basis, provisional, met_at,
    created_at)
SELECT id, current_version_id, 'publication_ceiling', status_changed_at + interval '28 days',
    '条例 art. 26: 自形成或者变更之日起20个工作日内', false,
    CASE WHEN status = 'awaiting_signoff' THEN NULL ELSE status_changed_at + interval '1 day' END,
    status_changed_at
FROM documents WHERE status <> 'filed';
INSERT INTO deadlines (document_id, version_id, kind, due_at, basis, provisional, met_at,
    created_at)
SELECT id, current_version_id, 'publication_local', status_changed_at + interval '2 hours',
    'seed 000 §三(二十二): 印发之后的2小时内 (majiang)', false,
    CASE WHEN status = 'awaiting_signoff' THEN NULL ELSE status_changed_at + interval '1 hour' END,
    status_changed_at
FROM documents WHERE status <> 'filed' AND policy_profile = 'majiang';
INSERT INTO deadlines (document_id, version_id, kind, due_at, basis, provisional, met_at,
    created_at)
SELECT id, current_version_id, 'interpretation', status_changed_at + interval '5 days',
    'seeds 002 §二(十三), 004 §二(五): 文件公开3个工作日内', false,
    CASE WHEN id % 200 = 1 THEN NULL ELSE status_changed_at + interval '2 days' END,
    status_changed_at
FROM documents WHERE status = 'published' AND policy_profile = 'wuming';
INSERT INTO deadlines (document_id, version_id, kind, due_at, basis, provisional, created_at)
SELECT id, current_version_id, 'secrecy_expiry', status_changed_at + interval '100 days',
    '保密法 2024 arts. 20, 24', false, status_changed_at
FROM documents WHERE status = 'filed' AND id % 10 = 0
"""
BARE_WINDOWS = """
SELECT deadlines.id, deadlines.kind, deadlines.due_at, deadlines.basis, documents.title,
    documents.doc_number, documents.organ_id, documents.policy_profile
FROM deadlines JOIN documents ON documents.id = deadlines.document_id
WHERE deadlines.met_at IS NULL
    AND deadlines.kind IN ('publication_local', 'publication_ceiling', 'interpretation')
    AND documents.status <> 'filed'
ORDER BY deadlines.due_at, deadlines.id
"""
BARE_FILED = """
SELECT documents.id, documents.status_changed_at FROM documents
JOIN markings ON markings.version_id = documents.current_version_id
WHERE documents.status = 'filed' AND documents.status_changed_at <= %(cutoff)s
    AND markings.attribute IN ('on_request', 'withheld')
"""


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fill(url: str, documents: int) -> float:
    engine = make_engine(url)
    at = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    with session_scope(engine) as session:
        for i in range(1, ORGANS + 1):
            organ = ensure_organ(session=session, code=f"o{i:02d}", name=f"测试县第{i}局", at=at)
            create_user(session=session, name=f"拟稿人{i}", organ=organ, role=Role.DRAFTER, at=at)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(sa.text(FILL.format(organs=ORGANS)), {"n": documents, "as_of": AS_OF})
        for sql in (VERSIONS + ";" + DEADLINES).split(";"):
            if sql.strip():
                connection.execute(sa.text(sql), {"as_of": AS_OF})
    engine.dispose()
    with psycopg.connect(_dsn(url), autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def timed(engine: sa.Engine, work: object, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        with Session(engine) as session:
            work(session)  # type: ignore[operator]
            session.commit()
        samples.append(time.perf_counter() - started)
    return samples


def bare(url: str, sql: str, params: dict[str, object], runs: int) -> tuple[list[float], int, str]:
    samples, rows = [], 0
    with psycopg.connect(_dsn(url)) as raw:
        for _ in range(runs):
            started = time.perf_counter()
            rows = len(raw.execute(sql, params).fetchall())  # type: ignore[arg-type]
            raw.rollback()
            samples.append(time.perf_counter() - started)
        plan = "\n".join(r[0] for r in raw.execute("EXPLAIN " + sql, params))  # type: ignore[arg-type]
    return samples, rows, plan


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench_windows")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    name = f"gongkai_bench_windows_{os.getpid()}"
    admin_url = make_url(PG_ADMIN)
    with psycopg.connect(_dsn(PG_ADMIN), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        seconds = fill(url, args.documents)
        print(f"filled {args.documents:,} documents with deadlines in {seconds:.1f} s")
        engine = make_engine(url)
        first = timed(engine, lambda s: check_windows(s, at=AS_OF, shares=(0.5,)), 1)[0]
        with Session(engine) as session:
            raised = session.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one()
        steady = timed(engine, lambda s: check_windows(s, at=AS_OF, shares=(0.5,)), args.runs)
        base, rows, plan = bare(url, BARE_WINDOWS, {}, args.runs)
        w_med, b_med = statistics.median(steady), statistics.median(base)
        print(f"open windows: {rows:,}; first check raised {raised:,} alerts in {first:.3f} s")
        print(
            f"check_windows (steady) median {w_med * 1000:.1f} ms; bare indexed SELECT of the "
            f"same rows {b_med * 1000:.1f} ms; ratio {w_med / b_med:.2f}x"
        )
        print("bare plan:\n  " + plan.replace("\n", "\n  "))

        def rereviews(session: Session) -> None:
            create_due_rereviews(session, at=AS_OF)
            create_expiry_rereviews(session, at=AS_OF)

        first_r = timed(engine, rereviews, 1)[0]
        with Session(engine) as session:
            created = session.execute(sa.text("SELECT count(*) FROM rereviews")).scalar_one()
        steady_r = timed(engine, rereviews, args.runs)
        cutoff = AS_OF.replace(year=AS_OF.year - 1)
        base_r, rows_r, plan_r = bare(url, BARE_FILED, {"cutoff": cutoff}, args.runs)
        r_med, br_med = statistics.median(steady_r), statistics.median(base_r)
        print(
            f"re-reviews: {created:,} created by the first run in {first_r:.3f} s "
            f"({rows_r:,} filed candidates)"
        )
        print(
            f"re-review sweep (steady) median {r_med * 1000:.1f} ms; bare SELECT of the "
            f"candidates {br_med * 1000:.1f} ms; ratio {r_med / br_med:.2f}x"
        )
        print("bare plan:\n  " + plan_r.replace("\n", "\n  "))
        engine.dispose()
    finally:
        with psycopg.connect(_dsn(PG_ADMIN), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
