"""What an attacker holding the engine's own database credentials does to the audit record:
drop the append-only triggers, edit or delete rows, and rebuild the hash chain with the engine's
own algorithm (models/chain.py). Shared by the chain's tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from models.chain import append_links

ROOT = Path(__file__).resolve().parents[2]
APPEND_ONLY = ("audit_events", "decisions", "audit_chain")


def trigger_sql(dialect: str, table: str, create: bool) -> list[str]:
    """The append-only triggers of one table, as the migrations write them."""
    if dialect == "sqlite":
        if not create:
            return [f"DROP TRIGGER {table}_no_{e}" for e in ("update", "delete")]
        message = f"{table} is append-only: UPDATE and DELETE are refused"
        return [
            f"CREATE TRIGGER {table}_no_{e.lower()} BEFORE {e} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for e in ("UPDATE", "DELETE")
        ]
    if not create:
        return [f"DROP TRIGGER {table}_append_only ON {table}"]
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()"
    ]


def set_triggers(engine: Engine, *, create: bool) -> None:
    """Drop (or put back) the append-only triggers of the chained tables and the chain."""
    with engine.begin() as connection:
        for table in APPEND_ONLY:
            for statement in trigger_sql(engine.dialect.name, table, create=create):
                connection.execute(sa.text(statement))


def linked_entries(connection: Connection) -> list[tuple[str, int]]:
    """The (table, id) of every link, in the chain's order."""
    rows = connection.execute(
        sa.text("SELECT entry_table, entry_id FROM audit_chain ORDER BY seq")
    ).all()
    return [(str(row[0]), int(row[1])) for row in rows]


def rebuild_chain(connection: Connection, entries: Sequence[tuple[str, int]]) -> tuple[int, str]:
    """Throw the chain away and link these entries afresh, in this order, as stored now: every
    link recomputed with the engine's own algorithm. The new head."""
    connection.execute(sa.text("DELETE FROM audit_chain"))
    return append_links(connection, entries, at=datetime.now(UTC))


def verify_cli(engine: Engine, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`gongkai verify-audit` on this database, in a process of its own."""
    url = engine.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "verify-audit", *args],
        cwd=ROOT,
        env={"GONGKAI_DATABASE_URL": url, "GONGKAI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
