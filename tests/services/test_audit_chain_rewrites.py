"""Issue 21, the attacker's side: someone holding the engine's own database credentials drops
the append-only triggers, changes history (edits, deletes, truncates, inserts) and rebuilds the
whole chain with the engine's own algorithm. The chain alone then holds — the limit README's
"The audit record" states — but a head kept outside the database no longer matches, nor do the
heads the daily verification recorded, unless those were rewritten too. Values stored so that
they read back differently, or cannot be read, are breaks, never a crash of the verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from models.db import session_scope
from services.audit import record_event
from services.audit_chain import (
    CHAIN_BROKEN_ALERT,
    ChainReport,
    KeptHead,
    check_chain_daily,
    verify_chain,
)
from tests.services.chain_support import linked_entries, rebuild_chain, verify_cli

DAY = datetime(2025, 3, 5, 8, 0, tzinfo=UTC)


def _verify(engine: Engine, kept: Sequence[KeptHead] = ()) -> ChainReport:
    with engine.connect() as connection:
        return verify_chain(connection=connection, kept=kept)


def _head(engine: Engine) -> KeptHead:
    report = _verify(engine)
    assert report.valid, report.first_break
    return KeptHead(report.count, report.head_hash)


def _delete_entry(connection: Connection, table: str, entry_id: int) -> None:
    connection.execute(sa.text(f"DELETE FROM {table} WHERE id = :id"), {"id": entry_id})


def test_an_edit_with_every_link_recomputed_holds_alone_and_breaks_a_kept_head(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    kept = _head(attacker)
    with attacker.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET actor = 'forger' WHERE id = :id"),
            {"id": recorded["event"]},
        )
        rebuild_chain(connection, linked_entries(connection))
    assert _verify(attacker).valid  # what no chain can tell on its own
    report = _verify(attacker, [kept])
    assert report.first_break is not None
    assert report.first_break.seq == kept.count
    assert "rewritten" in report.first_break.problem
    done = verify_cli(attacker, tmp_path, "--kept-head", f"{kept.count}:{kept.head_hash}")
    assert done.returncode == 1, done.stdout
    assert f"link {kept.count}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_truncated_tail_holds_alone_and_falls_short_of_a_kept_count(
    attacker: Engine, recorded: dict[str, int]
) -> None:
    kept = _head(attacker)
    with attacker.begin() as connection:
        last_two = linked_entries(connection)[-2:]
        connection.execute(sa.text("DELETE FROM audit_chain WHERE seq > :n"), {"n": kept.count - 2})
        for table, entry_id in last_two:
            _delete_entry(connection, table, entry_id)
    assert _verify(attacker).count == kept.count - 2
    assert _verify(attacker).valid
    report = _verify(attacker, [kept])
    assert report.first_break is not None
    assert report.first_break.seq == kept.count
    assert f"{kept.count - 2} links, fewer than the {kept.count}" in report.first_break.problem


def test_an_entry_deleted_in_the_middle_with_the_chain_rebuilt_breaks_a_kept_head(
    attacker: Engine, recorded: dict[str, int]
) -> None:
    kept = _head(attacker)
    with attacker.begin() as connection:
        _delete_entry(connection, "audit_events", recorded["event"])
        rest = [e for e in linked_entries(connection) if e != ("audit_events", recorded["event"])]
        rebuild_chain(connection, rest)
    assert _verify(attacker).valid
    report = _verify(attacker, [kept])
    assert report.first_break is not None
    assert "fewer than" in report.first_break.problem


def test_a_forged_entry_inserted_in_the_middle_with_the_chain_rebuilt_breaks_a_kept_head(
    attacker: Engine, recorded: dict[str, int]
) -> None:
    kept = _head(attacker)
    with session_scope(attacker) as session:  # the forged entry, written as the engine writes
        forged = record_event(session=session, action="decision.recorded", actor="sun", at=DAY)
    with attacker.begin() as connection:
        entries = [e for e in linked_entries(connection) if e != ("audit_events", forged.id)]
        entries.insert(1, ("audit_events", forged.id or 0))
        rebuild_chain(connection, entries)
    assert _verify(attacker).valid
    report = _verify(attacker, [kept])
    assert report.first_break is not None
    assert report.first_break.seq == kept.count
    assert "rewritten" in report.first_break.problem


def test_a_rebuilt_chain_breaks_the_heads_the_daily_verification_recorded(
    attacker: Engine, recorded: dict[str, int]
) -> None:
    with session_scope(attacker) as session:
        day_report = check_chain_daily(session=session, at=DAY)
    assert day_report.valid
    with attacker.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET actor = 'forger' WHERE id = :id"),
            {"id": recorded["event"]},
        )
        rebuild_chain(connection, linked_entries(connection))
    report = _verify(attacker)
    assert report.first_break is not None
    assert report.first_break.seq == day_report.count
    assert "recorded on 2025-03-05" in report.first_break.problem
    with session_scope(attacker) as session:
        next_day = check_chain_daily(session=session, at=DAY.replace(day=6))
        kinds = session.execute(sa.text("SELECT kind FROM alerts ORDER BY id")).scalars().all()
    assert not next_day.valid
    assert kinds[-1] == CHAIN_BROKEN_ALERT


def test_the_kept_lines_of_the_daily_alert_are_checked_from_a_file(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    with session_scope(attacker) as session:
        check_chain_daily(session=session, at=DAY)
        line = session.execute(sa.text("SELECT message FROM alerts")).scalar_one()
    register = tmp_path / "register.txt"
    register.write_text(f"# the office's register\n\n{line}\n", encoding="utf-8")
    done = verify_cli(attacker, tmp_path, "--kept-heads", str(register))
    assert done.returncode == 0, done.stderr
    assert "1 kept head matches" in done.stdout
    with attacker.begin() as connection:  # the recorded head rewritten too: only the file is left
        connection.execute(sa.text("DELETE FROM alerts"))
        connection.execute(
            sa.text("UPDATE decisions SET kind = 'return' WHERE id = :id"),
            {"id": recorded["decision"]},
        )
        rebuild_chain(connection, linked_entries(connection))
    assert verify_cli(attacker, tmp_path).returncode == 0
    done = verify_cli(attacker, tmp_path, "--kept-heads", str(register))
    assert done.returncode == 1
    assert "register.txt line 3" in done.stderr
    register.write_text("no head here\n", encoding="utf-8")
    done = verify_cli(attacker, tmp_path, "--kept-heads", str(register))
    assert done.returncode == 2
    assert "line 1" in done.stderr


@pytest.mark.parametrize(
    "after",
    ['{"n": 1.0, "文": "公开"}', '{"n": true, "文": "公开"}'],
    ids=["1 → 1.0", "1 → true"],
)
def test_a_json_value_changed_to_an_equal_comparing_one_is_named(
    attacker: Engine, recorded: dict[str, int], after: str
) -> None:
    """Python holds 1 == 1.0 == True; the record holds three different values."""
    cast = "CAST(:after AS json)" if attacker.dialect.name == "postgresql" else ":after"
    with attacker.begin() as connection:
        connection.execute(
            sa.text(f"UPDATE audit_events SET after = {cast} WHERE id = :id"),
            {"after": after, "id": recorded["event"]},
        )
    report = _verify(attacker)
    assert report.first_break is not None
    assert report.first_break.entry_id == recorded["event"]
    assert "after:" in report.first_break.problem


def test_the_same_json_written_with_other_spacing_and_key_order_still_holds(
    attacker: Engine, recorded: dict[str, int]
) -> None:
    cast = "CAST(:after AS json)" if attacker.dialect.name == "postgresql" else ":after"
    with attacker.begin() as connection:
        connection.execute(
            sa.text(f"UPDATE audit_events SET after = {cast} WHERE id = :id"),
            {"after": '{ "文" : "公开",  "n" : 1 }', "id": recorded["event"]},
        )
    report = _verify(attacker)
    assert report.valid, report.first_break


def test_a_stored_value_that_cannot_be_read_is_a_break_not_a_crash(
    attacker: Engine, recorded: dict[str, int], tmp_path: Path
) -> None:
    unreadable = "infinity" if attacker.dialect.name == "postgresql" else "not a time"
    with attacker.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET occurred_at = :at WHERE id = :id"),
            {"at": unreadable, "id": recorded["event"]},
        )
    report = _verify(attacker)
    assert report.first_break is not None
    assert report.first_break.entry_id == recorded["event"]
    assert "cannot be read" in report.first_break.problem
    done = verify_cli(attacker, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    with session_scope(attacker) as session:
        assert not check_chain_daily(session=session, at=DAY).valid
        kinds = session.execute(sa.text("SELECT kind FROM alerts")).scalars().all()
    assert kinds == [CHAIN_BROKEN_ALERT]


def test_a_record_truncated_behind_its_triggers_breaks_the_recorded_heads(
    engine: Engine, recorded: dict[str, int]
) -> None:
    """PostgreSQL's row triggers refuse UPDATE and DELETE, not TRUNCATE: the table owner empties
    the record without dropping a trigger, and the empty chain holds on its own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE is refused by the triggers")
    with session_scope(engine) as session:
        day_report = check_chain_daily(session=session, at=DAY)
    with engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_chain, audit_events, decisions CASCADE"))
    report = _verify(engine)
    assert report.count == 0
    assert report.first_break is not None
    assert f"0 links, fewer than the {day_report.count}" in report.first_break.problem
