"""The migrations build exactly the schema the SQLModel metadata describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.autogenerate  # noqa: F401  (every table; the comparator of the generated CHECKs)
from models.search import outside_metadata


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": outside_metadata}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
