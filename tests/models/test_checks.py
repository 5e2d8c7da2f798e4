"""The CHECK constraints on enum columns are generated from the policies' enums by one helper
(models/checks.py): the migrated schema holds exactly the enums' values, on SQLite and
PostgreSQL, and a value added to an enum is a change that autogenerate writes as a migration."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.autogenerate  # noqa: F401  (every table; the comparator of the generated CHECKs)
from models.checks import enum_checks, literals, same_values
from policies.attributes import Attribute
from policies.statuses import Status


def test_the_migrated_checks_hold_exactly_the_values_of_the_enums(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    compared = 0
    for table in SQLModel.metadata.sorted_tables:
        found = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        for name, constraint in enum_checks(table).items():
            assert name in found, f"{name} is missing from the migrated schema"
            assert same_values(found[name], constraint), name
            compared += 1
    assert compared >= 25  # every enum column of every table
    attribute = enum_checks(SQLModel.metadata.tables["markings"])["ck_markings_attribute"]
    assert literals(str(attribute.sqltext)) == [a.value for a in Attribute]
    stages = enum_checks(SQLModel.metadata.tables["documents"])
    assert set(literals(str(stages["ck_documents_status"].sqltext))) == {s.value for s in Status}


def test_a_value_added_to_an_enum_is_a_migration_autogenerate_writes(engine: Engine) -> None:
    metadata = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(metadata)
    check = enum_checks(metadata.tables["markings"])["ck_markings_attribute"]
    values = ", ".join(f"'{a.value}'" for a in Attribute)
    check.sqltext = sa.text(f"attribute IN ({values}, 'internal')")

    def markings_only(name: Any, type_: str, parent: Any) -> bool:
        return type_ != "table" or name == "markings"

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": markings_only, "compare_type": True}
        )
        differences = compare_metadata(context, metadata)
    dropped = [d for d in differences if d[0] == "remove_constraint"]
    added = [d for d in differences if d[0] == "add_constraint"]
    assert [d[1].name for d in dropped] == ["ck_markings_attribute"]
    assert [d[1].name for d in added] == ["ck_markings_attribute"]
    assert "'internal'" in str(added[0][1].sqltext)
