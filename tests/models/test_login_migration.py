"""Migration 0009u: existing users get a login unique across organs (issue 21)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from models.migrate import alembic_config, upgrade_connection

AT = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def test_existing_users_get_their_name_as_login_or_organ_qualified_when_names_clash(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0009c")
        for organ_id, code in ((1, "wm"), (2, "zw")):
            connection.execute(
                sa.text("INSERT INTO organs (id, code, name, created_at) VALUES (:i, :c, :c, :t)"),
                {"i": organ_id, "c": code, "t": AT},
            )
        for user_id, name, organ_id in ((1, "李明", 1), (2, "李明", 2), (3, "王芳", 1)):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, name, organ_id, active, role, created_at) "
                    "VALUES (:i, :n, :o, true, 'signer', :t)"
                ),
                {"i": user_id, "n": name, "o": organ_id, "t": AT},
            )
        upgrade_connection(connection)
        logins = connection.execute(sa.text("SELECT id, login FROM users ORDER BY id")).all()
    assert [tuple(row) for row in logins] == [(1, "李明@wm"), (2, "李明@zw"), (3, "王芳")]
