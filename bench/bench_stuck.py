"""Stuck-documents benchmark (issue 5), run by hand: `.venv/bin/python bench/bench_stuck.py`.

On a throwaway PostgreSQL database (created and dropped here) it fills `--documents` documents
(default 1,000,000) with INSERT ... SELECT generate_series: ~1 % waiting in a stage with an
allowance (entries skewed to the last weeks, so a few thousand are stuck), the rest done; one
stage-allowance deadline per document (left unmet when the stage ends, as the engine does), a
publication deadline for 30 % (a few hundred unmet and overdue), one status-change audit event
per document (0.1 % of them 退文). Then VACUUM ANALYZE and, in the same run:

- the list (`stuck_list`: a page of 50 with ages, deadlines, holders and links) against a bare
  indexed SELECT of the same 50 rows with the same columns (plain SQL, same cutoffs, same index:
  ids from an index-only ordered scan, joined to documents, organs, drafter and stored deadline);
- the counts per stage and organ (`stuck_counts`) against the same counting SQL run bare;
- the whole call (`stuck_documents`: list + counts) against the bare page + bare counts in one
  transaction, and against the bare page alone; p50/p95 → ratios (targets: p95 ≤ 50 ms and
  ≤ 3×). Every call, service or bare, is one committed read transaction, as the app's are;
- the dashboard page `GET /office/dashboard` through the real app (uvicorn) → median (target
  ≤ 200 ms), with `GET /office/stuck` for reference.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import make_engine, session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from policies.calendar import SHANGHAI  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, ensure_organ, issue_token  # noqa: E402
from services.calendar import profile_calendars  # noqa: E402
from services.office.stuck import (  # noqa: E402
    StuckFilters,
    counts_statement,
    stuck_conditions,
    stuck_counts,
    stuck_documents,
    stuck_list,
)

PG_ADMIN = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
AS_OF = datetime(2026, 10, 16, 10, 0, tzinfo=SHANGHAI)
ORGANS = 50
RUNS = 60
PAGE = 50

FILL = """
INSERT INTO documents (title, doc_number, organ_id, document_type, written_on, policy_profile,
    is_important_policy, issued_in_government_name, status, stage, status_changed_at,
    flow_run_id, created_by, created_at, validity)
SELECT '关于印发第' || g || '号管理办法的通知', '测政发〔2026〕' || g || '号', 1 + g % {organs},
    'normative', date '2026-01-05', 'national', false, false, status,
    CASE status
        WHEN 'office_prereview' THEN 'marking' WHEN 'secrecy_review' THEN 'secrecy_review'
        WHEN 'escalated' THEN 'secrecy_review' WHEN 'awaiting_interpretation' THEN 'interpretation'
        WHEN 'awaiting_signoff' THEN 'publication' WHEN 'returned' THEN 'intake'
        ELSE 'done' END,
    entered, md5(g::text)::uuid::text, 1 + g % {organs}, entered, 'valid'
FROM (
    SELECT g, CASE
            WHEN u < 0.004 THEN 'secrecy_review' WHEN u < 0.005 THEN 'office_prereview'
            WHEN u < 0.007 THEN 'awaiting_interpretation' WHEN u < 0.010 THEN 'awaiting_signoff'
            WHEN u < 0.0105 THEN 'escalated' WHEN u < 0.0115 THEN 'returned'
            WHEN u < 0.85 THEN 'published' ELSE 'filed' END AS status,
        CASE WHEN u < 0.0115 THEN :as_of - v * v * interval '40 days'
            ELSE :as_of - interval '20 days' - v * interval '700 days' END AS entered
    FROM (SELECT g, random() AS u, random() AS v FROM generate_series(1, :n) AS g) AS r
) AS s
"""
STAGE_DEADLINES = """
INSERT INTO deadlines (document_id, kind, due_at, basis, provisional, created_at)
SELECT id, 'stage_allowance', status_changed_at + interval '9 days',
    'local allowance for ' || status || ': 7 WD (national; no national limit)', false,
    status_changed_at
FROM documents
"""
PUBLICATION_DEADLINES = """
INSERT INTO deadlines (document_id, kind, due_at, basis, provisional, met_at, created_at)
SELECT id, 'publication_ceiling', status_changed_at + interval '28 days',
    '条例 art. 26: 自形成或者变更之日起20个工作日内', false,
    CASE WHEN id % 1000 = 7 THEN NULL ELSE status_changed_at + interval '1 day' END,
    status_changed_at
FROM documents WHERE id % 10 < 3
"""
AUDIT = """
INSERT INTO audit_events (occurred_at, actor, role, channel, action, document_id, before, after,
    reason)
SELECT status_changed_at, 'system', 'system', 'system', 'status.changed', id,
    '{"status": "submitted"}'::json, json_build_object('status', status, 'stage', stage),
    CASE WHEN status = 'returned' THEN '退文: 缺少公开属性' END
FROM documents
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fill(url: str, documents: int) -> tuple[float, str]:
    """Organs, users, documents, deadlines and audit events; then VACUUM ANALYZE."""
    engine = make_engine(url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        organs = [
            ensure_organ(session=session, code=f"o{i:02d}", name=f"测试县第{i}局", at=at)
            for i in range(1, ORGANS + 1)
        ]
        for organ in organs:  # user i belongs to organ i (ids in the same order)
            create_user(
                session=session, name=f"拟稿人{organ.code}", organ=organ, role=Role.DRAFTER, at=at
            )
        office = create_user(
            session=session, name="公开办", organ=organs[0], role=Role.DISCLOSURE_OFFICE, at=at
        )
        _, token = issue_token(session=session, user=office, label="bench", at=at)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(sa.text("SELECT setseed(0.42)"))
        for sql, params in (
            (FILL.format(organs=ORGANS), {"n": documents, "as_of": AS_OF}),
            (STAGE_DEADLINES, {}),
            (PUBLICATION_DEADLINES, {}),
            (AUDIT, {}),
        ):
            connection.execute(sa.text(sql), params)
    engine.dispose()
    with psycopg.connect(_dsn(url), autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")
    return time.perf_counter() - started, token


def office_token(url: str) -> str:
    """A fresh token for the office user of a kept database."""
    from sqlmodel import select

    from models.users import User

    engine = make_engine(url)
    with session_scope(engine) as session:
        office = session.exec(select(User).where(User.role == Role.DISCLOSURE_OFFICE)).one()
        _, token = issue_token(session=session, user=office, label="bench", at=datetime.now(UTC))
    engine.dispose()
    return token


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def bare_statements(engine: Any) -> tuple[str, str, str, str]:
    """Plain SQL on the same index, same cutoffs, no ORM and no Python work:

    - the bare page: the same 50 rows with the same columns the list returns for each (document,
      organ, drafter, stored stage deadline), the page's ids from an index-only ordered scan of
      ix_documents_waiting, joined to the rest;
    - the naive one-step SELECT of the same rows, for reference;
    - the counts per status, level and organ (`counts_statement` with its values written in);
    - the plan of the bare page."""
    from models.deadlines import Deadline
    from models.documents import Document
    from models.organs import Organ
    from models.users import User

    with session_scope(engine) as session:
        calendars = profile_calendars(session)
    where = stuck_conditions(AS_OF, 0.8, StuckFilters(), calendars)
    page = (
        sa.select(Document.id, Document.status_changed_at)
        .where(*where)
        .order_by(Document.status_changed_at, Document.id)
        .limit(PAGE)
        .subquery("page")
    )
    columns = (
        Document.id,
        Document.title,
        Document.doc_number,
        Document.organ_id,
        Document.status,
        Document.status_changed_at,
        Document.policy_profile,
        Document.flow_run_id,
        Document.created_by,
        Organ.code,
        Organ.name,
        User.name,
        Deadline.id,
        Deadline.due_at,
    )
    stage_deadline = sa.and_(
        Deadline.document_id == Document.id, Deadline.kind == "stage_allowance"
    )
    bare = (
        sa.select(*columns)
        .select_from(page)
        .join(Document, Document.id == page.c.id)
        .join(Organ, Organ.id == Document.organ_id)
        .join(User, User.id == Document.created_by)
        .outerjoin(Deadline, stage_deadline)
        .order_by(page.c.status_changed_at, page.c.id)
    )
    naive = (
        sa.select(*columns)
        .join(Organ, Organ.id == Document.organ_id)
        .join(User, User.id == Document.created_by)
        .outerjoin(Deadline, stage_deadline)
        .where(*where)
        .order_by(Document.status_changed_at, Document.id)
        .limit(PAGE)
    )

    def literal(statement: Any) -> str:
        return str(statement.compile(engine, compile_kwargs={"literal_binds": True}))

    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN " + literal(bare))
        plan = "\n".join(r[0] for r in rows)
    counted = counts_statement(AS_OF, 0.8, StuckFilters(), calendars)
    assert counted is not None
    counts = literal(counted)
    return literal(bare), literal(naive), counts, plan


def measure(url: str) -> dict[str, Any]:
    """The service's calls and the plain SQL, warmed up, then timed interleaved (the same load on
    each). Every call is one committed read transaction, as the app's read requests are (a
    rollback would make psycopg drop its prepared statements, and every call would be planned
    again, the bare SQL's too)."""
    engine = make_engine(url)
    bare_sql, naive_sql, counts_sql, plan = bare_statements(engine)
    found: dict[str, Any] = {}

    def service() -> list[int]:
        with session_scope(engine) as session:
            report = stuck_documents(session, as_of=AS_OF, limit=PAGE)
        found["report"] = report
        return [item.document_id for item in report.items]

    def listed() -> list[int]:
        with session_scope(engine) as session:
            return [item.document_id for item in stuck_list(session, as_of=AS_OF, limit=PAGE)]

    def counted() -> list[int]:
        with session_scope(engine) as session:
            found["counts"] = stuck_counts(session, as_of=AS_OF)
        return found["ids"]

    def plain(*statements: str) -> list[int]:
        with engine.begin() as connection:
            for sql in statements:
                ids = [row[0] for row in connection.exec_driver_sql(sql)]
        return ids

    def bare_counts() -> list[int]:
        with engine.begin() as connection:
            found["bare_counts"] = connection.exec_driver_sql(counts_sql).all()
        return found["ids"]

    found["ids"] = service()
    runs = {
        "service": service,
        "list": listed,
        "counts": counted,
        "bare": lambda: plain(bare_sql),
        "naive": lambda: plain(naive_sql),
        "bare counts": bare_counts,
        "bare+counts": lambda: plain(counts_sql, bare_sql),
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    ids: dict[str, list[int]] = {}
    for round_ in range(RUNS + 10):
        for name, run in runs.items():
            started = time.perf_counter()
            ids[name] = run()
            if round_ >= 10:  # warm-up: caches, prepared statements
                samples[name].append(time.perf_counter() - started)
    engine.dispose()
    assert all(found_ids == ids["service"] for found_ids in ids.values()), "same rows"
    bare_total = sum(int(row[-1]) for row in found["bare_counts"])
    assert found["report"].total == found["counts"].overdue + found["counts"].near == bare_total
    return {"samples": samples, "ids": ids["service"], "report": found["report"], "plan": plan}


def serve(url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "GONGKAI_DATABASE_URL": url,
        "GONGKAI_DATA_DIR": str(data_dir),
        "GONGKAI_REVIEW_SWEEP_SECONDS": "0",
        "GONGKAI_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    command += ["--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the app did not start")


def time_http(base: str, path: str, token: str) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[float] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(RUNS // 2 + 3):
            started = time.perf_counter()
            response = client.get(path, params={"as_of": AS_OF.isoformat()})
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            if i >= 3:  # warm-up
                samples.append(elapsed)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", metavar="DATABASE", help="measure a database kept by --keep (no fill, kept)"
    )
    args = parser.parse_args()
    name = args.reuse or f"gongkai_bench_stuck_{os.getpid()}"
    try:
        admin = psycopg.connect(_dsn(PG_ADMIN), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"[postgresql] not reachable ({error}): skipped")
        return 0
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    if not args.reuse:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        if args.reuse:
            token = office_token(url)
        else:
            upgrade(url)
            seconds, token = fill(url, args.documents)
            print(
                f"filled {args.documents:,} documents (+ deadlines, audit events): {seconds:.1f} s"
            )
        measured = measure(url)
        report, samples = measured["report"], measured["samples"]
        print(
            f"stuck: {report.total:,} documents ({report.overdue:,} overdue, {report.near:,} near) "
            f"in {len(report.by_organ)} organs; page of {len(measured['ids'])}"
        )
        p = {name: percentiles(values) for name, values in samples.items()}

        def line(label: str, name: str) -> None:
            print(f"{label:<46} p50 {p[name][0] * 1e3:5.2f} ms, p95 {p[name][1] * 1e3:5.2f} ms")

        def ratio(label: str, name: str, baseline: str) -> None:
            r50, r95 = p[name][0] / p[baseline][0], p[name][1] / p[baseline][1]
            verdict = "met" if r95 <= 3 else "MISSED"
            print(f"{label:<46} p50 {r50:4.2f}x, p95 {r95:4.2f}x (<= 3x: {verdict})")

        line("stuck_documents (list + counts)", "service")
        line("stuck_list (page of 50, described)", "list")
        line("stuck_counts (per stage and organ)", "counts")
        line("bare indexed SELECT, same 50 rows", "bare")
        line("(naive one-step SELECT, same rows)", "naive")
        line("bare counts SQL, same counts", "bare counts")
        line("bare page + bare counts, one transaction", "bare+counts")
        print(f"p95 of stuck_documents <= 50 ms: {'met' if p['service'][1] <= 0.05 else 'MISSED'}")
        ratio("ratio list / bare page", "list", "bare")
        ratio("ratio counts / bare counts", "counts", "bare counts")
        ratio("ratio list + counts / bare page + counts", "service", "bare+counts")
        ratio("ratio list + counts / bare page alone", "service", "bare")
        plan = measured["plan"]
        print("bare plan:\n  " + plan.replace("\n", "\n  "))
        with __import__("tempfile").TemporaryDirectory() as data_dir:
            server, base = serve(url, Path(data_dir))
            page = time_http(base, "/office/dashboard", token)
            api = time_http(base, "/office/stuck", token)
        print(
            f"GET /office/dashboard median {statistics.median(page) * 1000:.1f} ms "
            f"(target <= 200 ms: {'met' if statistics.median(page) <= 0.2 else 'MISSED'}); "
            f"GET /office/stuck median {statistics.median(api) * 1000:.1f} ms"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if not (args.keep or args.reuse):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
