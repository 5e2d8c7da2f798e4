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
    """Create or upgrade the database at url to the newest schema."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            upgrade_connection(connection, revision)
    finally:
        engine.dispose()


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
