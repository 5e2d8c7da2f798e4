"""Compare POST /documents of two checkouts in one run: `.venv/bin/python bench/compare_upload.py
--base PATH [--rounds N] [--database sqlite|postgresql]`.

PATH is another checkout of the project (for example `git worktree add /tmp/base HEAD~1`); it
runs with this checkout's virtual environment. Three uvicorn servers, each on its own data
folder and database: the app from PATH ("base"), the app from this checkout ("this"), and the
bare streaming route (bench/bare_upload.py). Each round posts a fresh random 2 MB PDF to each, in
a shuffled order, so that the machine's changing speed falls on all three alike. Prints the
medians, each app's ratio to the bare route, and the median of the per-round ratios this / base:
the figure to quote for a change (bench_upload.py measures the target itself). Prefect is
pointed at a closed port, as in bench_upload.py.

The rounds run in two halves, each on freshly started servers, the two apps started in one order
for the first half and in the other for the second: two server processes of the same code differ
by up to 4 % within a run (one instance against another), so each half's ratio is printed and
the figure to quote is their geometric mean. Comparing a checkout with itself, that mean came
out at 0.989x and 1.024x (200 rounds each): this tool's noise.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_upload import BARE as BARE_ROUTE  # noqa: E402
from bench.bench_upload import (  # noqa: E402
    PG_ADMIN,
    REAL,
    app_env,
    interleaved,
    serve,
    token_for,
)
from models.migrate import upgrade  # noqa: E402

BASE, THIS, BARE = "base", "this", "bare"


def database(kind: str, name: str, data: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{data / name}.db"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return sa.make_url(PG_ADMIN).set(database=name).render_as_string(False)


def drop(kind: str, names: list[str]) -> None:
    if kind == "sqlite":
        return
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def half(
    args: argparse.Namespace, order: list[str], data: Path, rounds: int
) -> dict[str, list[float]]:
    """`rounds` interleaved rounds against fresh servers, the apps started in `order`."""
    checkouts = {BASE: args.base.resolve(), THIS: ROOT}
    names = {app: f"gongkai_compare_{os.getpid()}_{app}" for app in checkouts}
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    tokens: dict[str, str] = {}
    data.mkdir(parents=True)
    try:
        for app in order:
            url = database(args.database, names[app], data)
            upgrade(url)
            tokens[app] = token_for(url)
            env = app_env(url, data / app)
            servers[app] = serve(["--factory", "api.app:create_app"], env, checkouts[app])
        (data / BARE).mkdir()
        servers[BARE] = serve(["bench.bare_upload:app"], {"BARE_UPLOAD_DIR": str(data / BARE)})
        urls = {target: url for target, (_, url) in servers.items()}
        headers = {app: {"Authorization": f"Bearer {token}"} for app, token in tokens.items()}
        routes = {BASE: REAL, THIS: REAL, BARE: BARE_ROUTE}
        return interleaved(urls, headers | {BARE: {}}, rounds, routes)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)
        drop(args.database, list(names.values()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="gongkai-compare-"))
    timings: dict[str, list[float]] = {BASE: [], THIS: [], BARE: []}
    per_half: list[float] = []
    try:
        for n, order in enumerate(([BASE, THIS], [THIS, BASE])):
            measured = half(args, order, data / f"half{n}", args.rounds // 2)
            for target, values in measured.items():
                timings[target] += values
            ratios = zip(measured[THIS], measured[BASE], strict=True)
            per_half.append(statistics.median(a / b for a, b in ratios))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    medians = {target: statistics.median(values) * 1000 for target, values in timings.items()}
    for target, median in medians.items():
        print(f"[{args.database}] {target:<5} median {median:6.2f} ms")
    for app in (BASE, THIS):
        print(f"[{args.database}] ratio {app} / bare {medians[app] / medians[BARE]:.2f}x")
    first, second = per_half
    print(
        f"[{args.database}] this / base, median of per-round ratios: {first:.3f}x with base "
        f"started first, {second:.3f}x with this started first; "
        f"geometric mean {math.sqrt(first * second):.3f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
