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
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    checkouts = {BASE: args.base.resolve(), THIS: ROOT}
    names = [f"gongkai_compare_{os.getpid()}_{app}" for app in checkouts]
    data = Path(tempfile.mkdtemp(prefix="gongkai-compare-"))
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    tokens: dict[str, str] = {}
    try:
        for (app, checkout), name in zip(checkouts.items(), names, strict=True):
            url = database(args.database, name, data)
            upgrade(url)
            tokens[app] = token_for(url)
            env = app_env(url, data / app)
            servers[app] = serve(["--factory", "api.app:create_app"], env, checkout)
        (data / BARE).mkdir()
        servers[BARE] = serve(["bench.bare_upload:app"], {"BARE_UPLOAD_DIR": str(data / BARE)})
        urls = {target: url for target, (_, url) in servers.items()}
        headers = {app: {"Authorization": f"Bearer {token}"} for app, token in tokens.items()}
        routes = {BASE: REAL, THIS: REAL, BARE: BARE_ROUTE}
        timings = interleaved(urls, headers | {BARE: {}}, args.rounds, routes)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)
        drop(args.database, names)
        shutil.rmtree(data, ignore_errors=True)
    medians = {target: statistics.median(values) * 1000 for target, values in timings.items()}
    for target, median in medians.items():
        print(f"[{args.database}] {target:<5} median {median:6.2f} ms")
    for app in (BASE, THIS):
        print(f"[{args.database}] ratio {app} / bare {medians[app] / medians[BARE]:.2f}x")
    per_round = statistics.median(a / b for a, b in zip(timings[THIS], timings[BASE], strict=True))
    print(f"[{args.database}] this / base, median of per-round ratios: {per_round:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
