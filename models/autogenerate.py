"""Alembic's autogenerate compares the generated CHECK constraints (models/checks.py) with the
database's: registered when migrations/env.py imports this module, so that only the processes
that migrate import Alembic.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import comparators
from alembic.operations import ops
from sqlalchemy.sql.naming import conv

from models.checks import enum_checks, same_values


@comparators.dispatch_for("table")
def compare_enum_checks(
    autogen_context: Any,
    modify_ops: ops.ModifyTableOps,
    schemaname: str | None,
    tablename: str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> None:
    """Autogenerate: recreate each generated CHECK whose values differ from the database's."""
    if conn_table is None or metadata_table is None:
        return  # a new or dropped table carries its constraints itself
    inspector = autogen_context.inspector
    found = {
        check["name"]: check["sqltext"]
        for check in inspector.get_check_constraints(tablename, schema=schemaname)
    }
    for name, constraint in enum_checks(metadata_table).items():
        wanted = str(constraint.sqltext)
        if name in found and same_values(found[name], constraint):
            continue
        if name in found:
            old = sa.CheckConstraint(found[name], name=conv(name))
            sa.Table(tablename, sa.MetaData(), old, schema=schemaname)
            modify_ops.ops.append(ops.DropConstraintOp.from_constraint(old))
        modify_ops.ops.append(
            ops.CreateCheckConstraintOp(conv(name), tablename, wanted, schema=schemaname)
        )
