"""Run the Alembic migrations programmatically (the run command and the tests use this), and write
a new one from the models (`write_migration`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from models.db import make_engine

_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of this repository, optionally aimed at a database URL."""
    config = Config(str(_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(_ROOT / "migrations"))
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind an open connection to a revision."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at url to the newest schema.

    SQLite alters a table by copying it (batch mode), and with foreign keys enforced the old copy
    of a table that other rows refer to (users, documents, ...) cannot be dropped. So, as SQLite
    prescribes for schema changes (sqlite.org/lang_altertable.html), enforcement is off while the
    migrations run, and every reference is checked before the upgrade commits."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # a no-op inside a transaction: set before the upgrade's begins
                connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
                connection.commit()
            with connection.begin():
                upgrade_connection(connection, revision)
                if sqlite:
                    _check_references(connection)
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()
    finally:
        engine.dispose()


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        listed = "; ".join(f"{row[0]} row {row[1]} -> {row[2]}" for row in broken[:10])
        raise RuntimeError(f"the upgrade would leave {len(broken)} broken references: {listed}")


def write_migration(message: str, revision: str | None = None) -> Path:
    """Write the migration that brings a database at the newest revision to the models, as
    Alembic's autogenerate finds it (new enum values included: models/checks.py), compared on a
    scratch SQLite database; its path."""
    with tempfile.TemporaryDirectory(prefix="gongkai-migration-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'head.db'}"
        upgrade(url)
        written = command.revision(
            alembic_config(url), message=message, autogenerate=True, rev_id=revision
        )
    scripts = written if isinstance(written, list) else [written]
    script = scripts[0] if scripts else None
    assert script is not None, "alembic wrote no migration"
    return Path(script.path)
