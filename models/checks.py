"""CHECK constraints on the columns that hold an enumerated value, generated from the policies'
enums by one helper (`enum_check`): the models declare them with it, and Alembic's autogenerate
compares them with the database through it (`compare_enum_checks`, registered in
migrations/env.py). A value added to an enum therefore needs one migration, which autogenerate
writes from the same helper: `python -m cli.main migration -m "…"` (README "Add a label").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import comparators
from alembic.operations import ops
from sqlalchemy.sql.naming import conv

_ENUM_CHECK = "enum_check"  # CheckConstraint.info key: generated here, compared by autogenerate
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


def enum_check(
    column: str, vocabulary: type[StrEnum] | Iterable[str], sql: str | None = None
) -> sa.CheckConstraint:
    """CHECK (column IN (…the values…)), named after the column (ck_<table>_<column> under the
    naming convention); `sql` for a condition derived from enums otherwise (e.g. which statuses
    belong to which stage)."""
    values = [str(value) for value in vocabulary]
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    condition = sql if sql is not None else f"{column} IN ({listed})"
    # A list of values compares as a set; a derived condition value by value, in order.
    return sa.CheckConstraint(condition, name=column, info={_ENUM_CHECK: sql is None or "ordered"})


def literals(sql: str) -> list[str]:
    """The quoted values of a condition, in order, as the database keeps them (PostgreSQL
    rewrites `x IN ('a', 'b')` to `x = ANY (ARRAY['a', 'b'])`: the values stay in order)."""
    return [value.replace("''", "'") for value in _LITERAL.findall(sql)]


def enum_checks(table: sa.Table) -> dict[str, sa.CheckConstraint]:
    """The table's generated CHECK constraints, by their full name."""
    constraints = [*table.constraints, *(c for column in table.columns for c in column.constraints)]
    return {
        str(constraint.name): constraint
        for constraint in constraints
        if isinstance(constraint, sa.CheckConstraint) and constraint.info.get(_ENUM_CHECK)
    }


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


def same_values(found: str, constraint: sa.CheckConstraint) -> bool:
    """Whether a condition found in the database allows what the generated constraint allows:
    the same values (a derived condition: the same values in the same order)."""
    wanted = literals(str(constraint.sqltext))
    if constraint.info[_ENUM_CHECK] == "ordered":
        return literals(found) == wanted
    return set(literals(found)) == set(wanted)
