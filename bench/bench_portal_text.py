"""The document page's text (issue 27): `.venv/bin/python bench/bench_portal_text.py`.

Publishes one document per text length through the review's own path (the secrecy stage's
pre-screen keeps each file's reading, publish_version checks the marking on it) on SQLite and on
a throwaway PostgreSQL database (GONGKAI_TEST_POSTGRES_URL), then times the real app (create_app,
in-process through httpx's ASGI transport) answering GET /portal/documents/{索引号}. The
baseline is the same page of a document whose file no review read, so it shows no text: each
ratio is what showing the text costs. A reading keeps up to 2,000,000 characters; the page shows
200,000 (services/publication/texts.py), so the largest case measures the bound. Prints the
median and p95 of each case and its ratio to the baseline of the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from bench.bench_portal import PG_ADMIN, migrated_database  # noqa: E402
from config.settings import Settings  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from tests.publication_helpers import publish, publish_reviewed  # noqa: E402

ROUNDS = 40
WARM_UP = 3
LENGTHS = (2_000, 20_000, 200_000, 2_000_000)  # characters of the published file's text


def _text(chars: int) -> str:
    line = "　　第一条 为了规范政府信息公开工作，根据有关法律法规，结合本地实际，制定本办法。"
    lines = [line] * (chars // len(line) + 1)
    return "\n".join(lines)[:chars]


async def _time(app: Any, path: str) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        seconds = []
        for round_ in range(WARM_UP + ROUNDS):
            start = time.perf_counter()
            answer = await client.get(path)
            elapsed = time.perf_counter() - start
            assert answer.status_code == 200, answer.text[:200]
            if round_ >= WARM_UP:
                seconds.append(elapsed)
    return seconds


def run(database_url: str, data_dir: Path, label: str) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    app = create_app(settings)
    engine = app.state.engine
    cases = {"no text (baseline)": publish(engine, settings, read=False, title="未读取的文件")}
    for chars in LENGTHS:
        cases[f"{chars:,} characters"] = publish_reviewed(
            engine, settings, title=f"正文 {chars} 字的文件", text=_text(chars)
        )
    print(f"\n{label}: GET /portal/documents/{{索引号}}, {ROUNDS} rounds each")
    print(f"{'case':<22}{'median ms':>11}{'p95 ms':>9}{'× baseline':>12}{'page KB':>9}")
    baseline = 0.0
    for name, publication in cases.items():
        path = f"/portal/documents/{publication.index_number}"
        seconds = sorted(asyncio.run(_time(app, path)))
        median = statistics.median(seconds)
        p95 = seconds[int(0.95 * (len(seconds) - 1))]
        baseline = baseline or median
        size = asyncio.run(_size(app, path))
        print(
            f"{name:<22}{median * 1000:>11.2f}{p95 * 1000:>9.2f}"
            f"{median / baseline:>11.2f}×{size / 1024:>9.0f}"
        )
    engine.dispose()


async def _size(app: Any, path: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        return len((await client.get(path)).content)


def main() -> None:
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        sqlite = folder / "gongkai.db"
        upgrade(f"sqlite:///{sqlite}")
        run(f"sqlite:///{sqlite}", folder / "sqlite-data", "SQLite")
        admin = stack.enter_context(psycopg.connect(_dsn(PG_ADMIN), autocommit=True))
        url, _ = stack.enter_context(migrated_database(admin, "portalpages_text"))
        run(url, folder / "pg-data", "PostgreSQL")
    print("\nMeasured on a shared machine: compare ratios within one run, not absolute times.")


def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
