"""The few Core statements on the upload's critical path, run on SQLite's own cursor: compiled once
per statement and dialect, each parameter converted by its column's type (SQLAlchemy's bind
processors: dates, enums, JSON), a driver error raised as SQLAlchemy raises it (an IntegrityError
is still `sqlalchemy.exc.IntegrityError`).

Why: SQLAlchemy's execution of a compiled statement (cache key, execution context, bind
processing, result object) costs more CPU than SQLite takes to run an INSERT, and a new document
takes seven statements on SQLite. On PostgreSQL it takes one (services/intake/rows.py), and a
lost connection there needs SQLAlchemy's own handling (the pool is invalidated), so every other
database runs them through SQLAlchemy as before. Engine events (`before_cursor_execute`) do not
see the statements run on the driver's cursor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

_Processor = Callable[[Any], Any]
_Statement = sa.Insert | sa.Update | sa.TextClause


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement as SQLite's driver runs it: its SQL, its parameters' names in order, the
    converter of each (None: passed as is), and the values the statement itself holds."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[_Processor | None, ...]
    given: dict[str, Any]

    def values(self, params: dict[str, Any]) -> list[Any]:
        if self.given:
            params = self.given | params
        try:
            return [
                params[name] if process is None else process(params[name])
                for name, process in zip(self.names, self.processors, strict=True)
            ]
        except KeyError as missing:  # as SQLAlchemy's execution reports it
            raise sa.exc.StatementError(
                f"A value is required for bind parameter {missing}", self.sql, params, None
            ) from None

    def run(self, connection: sa.Connection, params: dict[str, Any]) -> Any:
        """Run with one set of parameters; the first column of the first row returned, if any."""
        values = self.values(params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, values)
            row = cursor.fetchone() if cursor.description else None
        except connection.dialect.loaded_dbapi.Error as error:
            raise self._wrapped(error, params, connection.dialect) from error
        finally:
            cursor.close()
        return None if row is None else row[0]

    def run_many(self, connection: sa.Connection, params_list: Sequence[dict[str, Any]]) -> None:
        """Run once per set of parameters (the driver's executemany)."""
        rows = [self.values(params) for params in params_list]
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(self.sql, rows)
        except connection.dialect.loaded_dbapi.Error as error:
            raise self._wrapped(error, params_list, connection.dialect) from error
        finally:
            cursor.close()

    def _wrapped(self, error: Exception, params: Any, dialect: sa.Dialect) -> BaseException:
        return sa.exc.DBAPIError.instance(
            self.sql, params, error, dialect.loaded_dbapi.Error, dialect=dialect
        )


@lru_cache(maxsize=64)
def _compiled(statement: _Statement, dialect: sa.Dialect, keys: tuple[str, ...]) -> _Compiled:
    """Compiled for parameters with these keys (an INSERT writes exactly their columns)."""
    columns = list(keys) if isinstance(statement, sa.Insert) else None
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    assert compiled.positional, "SQLite's driver takes positional parameters"
    names = tuple(compiled.positiontup or ())
    binds = compiled.binds
    if defaulted := _defaulted(statement, names, keys):
        # Its value would come from SQLAlchemy's execution (a Python-side default), skipped here.
        raise ValueError(f"give a value for {', '.join(defaulted)} (its default is not applied)")
    processors = tuple(
        binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    given = {name: binds[name].effective_value for name in names if not binds[name].required}
    return _Compiled(compiled.string, names, processors, given)


def _defaulted(statement: _Statement, names: tuple[str, ...], keys: tuple[str, ...]) -> list[str]:
    """The columns this statement sets to their Python-side default (insert) or update value."""
    if isinstance(statement, sa.TextClause):
        return []
    columns = statement.table.c
    kind = "default" if isinstance(statement, sa.Insert) else "onupdate"
    return [
        name
        for name in names
        if name not in keys and name in columns and getattr(columns[name], kind) is not None
    ]


def _on_driver(connection: sa.Connection) -> bool:
    return connection.dialect.name == "sqlite"


def execute_one(connection: sa.Connection, statement: _Statement, params: dict[str, Any]) -> Any:
    """Run the statement with these parameters; the first column of the first row it returns
    (an INSERT … RETURNING id: the new id), or None."""
    if not _on_driver(connection):
        result = connection.execute(statement, params)
        return result.scalar() if result.returns_rows else None
    return _compiled(statement, connection.dialect, tuple(params)).run(connection, params)


def execute_many(
    connection: sa.Connection, statement: _Statement, params_list: Sequence[dict[str, Any]]
) -> None:
    """Run the statement once per set of parameters (all with the same keys)."""
    if not _on_driver(connection):
        connection.execute(statement, list(params_list))
        return
    _compiled(statement, connection.dialect, tuple(params_list[0])).run_many(
        connection, params_list
    )
