"""Document list benchmark (issue 3, GET /documents): `.venv/bin/python
bench/bench_document_list.py [--documents N]`.

Creates a throwaway PostgreSQL database (GONGKAI_TEST_POSTGRES_URL), migrates it, fills N
documents with COPY (bench_portal.fill, default 100,000) and vacuums them as autovacuum would,
then times the real app (create_app, in-process through httpx's ASGI transport) answering a
disclosure-office user, who sees every document, and a drafter, who sees their organ's: the
first page, a page halfway down by `offset` and the same page by `cursor`. Then it drops the
list's two indexes (revision 0007) and times the same requests again: the baseline, as the list
ran before them, in the same run. Prints medians and the ratio of each to its baseline. The
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.cursors import encode_cursor  # noqa: E402
from bench.bench_portal import PG_ADMIN, migrated_database  # noqa: E402
from bench.bench_portal import fill_postgres as fill  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.db import make_engine, session_scope  # noqa: E402
from models.organs import Organ  # noqa: E402
from policies.roles import Role  # noqa: E402
from services.accounts import create_user, issue_token  # noqa: E402
from services.documents import ListPosition  # noqa: E402

ROUNDS = 30
WARM_UP = 3
PER_PAGE = 50
INDEXES = ("ix_documents_created", "ix_documents_organ_created")


def tokens(url: str) -> dict[str, str]:
    """A disclosure-office user's and a drafter's bearer token (organ 1)."""
    engine = make_engine(url)
    made = {}
    at = datetime.now(UTC)
    with session_scope(engine) as session:
        organ = session.get(Organ, 1)
        assert organ is not None
        for role in (Role.DISCLOSURE_OFFICE, Role.DRAFTER):
            user = create_user(
                session=session, name=f"list-{role.value}", organ=organ, role=role, at=at
            )
            _, made[role.value] = issue_token(session=session, user=user, label="bench", at=at)
    engine.dispose()
    return made


def halfway(dsn: str, organ_id: int | None) -> tuple[int, str]:
    """The offset of the list's middle and the cursor of the page that ends just before it."""
    where = "" if organ_id is None else f"WHERE organ_id = {organ_id}"
    with psycopg.connect(dsn) as connection:
        total = connection.execute(f"SELECT count(*) FROM documents {where}").fetchone()
        assert total is not None
        offset = total[0] // 2
        row = connection.execute(
            f"SELECT created_at, id FROM documents {where} ORDER BY created_at DESC, id DESC "
            "LIMIT 1 OFFSET %s",
            (offset - 1,),
        ).fetchone()
    assert row is not None
    return offset, encode_cursor(ListPosition(row[0], row[1]))


async def median_ms(client: httpx.AsyncClient, path: str, token: str) -> tuple[float, list[int]]:
    """Median latency of GET path, and the ids of the page it returned."""
    timings, ids = [], []
    for round_ in range(WARM_UP + ROUNDS):
        start = time.perf_counter()
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, (path, response.text[:300])
        ids = [item["id"] for item in response.json()["items"]]
        if round_ >= WARM_UP:
            timings.append(elapsed)
    return statistics.median(timings) * 1000, ids


async def measure(url: str, cases: list[tuple[str, str, str]], data_dir: Path) -> dict[str, float]:
    settings = Settings(data_dir=data_dir, database_url=url, review_sweep_seconds=0)
    app = create_app(settings, sweep_reviews=False)
    results: dict[str, float] = {}
    pages: dict[str, list[int]] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://list.bench") as client:
        for label, path, token in cases:
            results[label], pages[label] = await median_ms(client, path, token)
    for who in ("office", "drafter"):  # the same page, whichever way it was asked for
        assert pages[f"{who}: halfway by offset"] == pages[f"{who}: halfway by cursor"], who
    app.state.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    args = parser.parse_args()
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable at {PG_ADMIN}: {error}")
        return 1
    with admin, migrated_database(admin, "list") as (url, dsn):
        print(f"filled {args.documents:,} documents in {fill(dsn, args.documents):.1f} s")
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE documents")  # as autovacuum leaves it
        made = tokens(url)
        cases = []
        for who, role, organ_id in (
            ("office", Role.DISCLOSURE_OFFICE, None),
            ("drafter", Role.DRAFTER, 1),
        ):
            token = made[role.value]
            offset, cursor = halfway(dsn, organ_id)
            base = f"/documents?limit={PER_PAGE}"
            cases += [
                (f"{who}: first page", base, token),
                (f"{who}: halfway by offset", f"{base}&offset={offset}", token),
                (f"{who}: halfway by cursor", f"{base}&cursor={cursor}", token),
            ]
        with tempfile.TemporaryDirectory(prefix="gongkai-bench-list-") as tmp:
            indexed = asyncio.run(measure(url, cases, Path(tmp)))
            with psycopg.connect(dsn, autocommit=True) as connection:
                for index in INDEXES:
                    connection.execute(f"DROP INDEX {index}")
                connection.execute("ANALYZE documents")
            baseline = asyncio.run(measure(url, cases, Path(tmp)))
        for label, _, _ in cases:
            print(
                f"{label:28} {indexed[label]:7.2f} ms | without the list indexes "
                f"{baseline[label]:7.2f} ms | ratio {indexed[label] / baseline[label]:4.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
