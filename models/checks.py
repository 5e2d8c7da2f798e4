"""CHECK constraints on the columns that hold an enumerated value, generated from the policies'
enums by one helper (`enum_check`): the models declare them with it, and Alembic's autogenerate
compares them with the database through it (`compare_enum_checks` in models/autogenerate.py,
registered by migrations/env.py: only a process that migrates imports Alembic, not every one
that imports the models, such as each flow run's). A value added to an enum therefore needs one
migration, which autogenerate writes from the same helper: `python -m cli.main migration -m "…"`
(README "Add a label").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

import sqlalchemy as sa

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


def same_values(found: str, constraint: sa.CheckConstraint) -> bool:
    """Whether a condition found in the database allows what the generated constraint allows:
    the same values (a derived condition: the same values in the same order)."""
    wanted = literals(str(constraint.sqltext))
    if constraint.info[_ENUM_CHECK] == "ordered":
        return literals(found) == wanted
    return set(literals(found)) == set(wanted)
