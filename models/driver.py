"""Core statements on a request's critical path, run on the database driver's own cursor:
compiled once per statement and dialect, each parameter converted by its column's type
(SQLAlchemy's bind processors: dates, enums, JSON), a selected row's values by their columns'
types, a driver error raised as SQLAlchemy raises it (an IntegrityError is still
`sqlalchemy.exc.IntegrityError`).

Why: SQLAlchemy's execution of a compiled statement (cache key, execution context, bind
processing, result object) costs more CPU than SQLite takes to run an INSERT, and a new document
takes seven statements on SQLite (`execute_one`, `execute_many`; on PostgreSQL it takes one,
services/intake/rows.py, and a lost connection there needs SQLAlchemy's own handling — the pool
is invalidated —, so other databases run them through SQLAlchemy as before). The token look-up
of every request (`fetch_one`) runs on the driver's cursor on every database; its caller runs it
again through SQLAlchemy when the driver fails (services/accounts.py). Engine events
(`before_cursor_execute`) do not see the statements run on the driver's cursor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

_Processor = Callable[[Any], Any]
_Statement = sa.Insert | sa.Update | sa.Select[Any] | sa.TextClause


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement as the dialect's driver runs it: its SQL, its parameters' names (in order, for
    a positional paramstyle), the converter of each (None: passed as is), the values the
    statement itself holds, and the converters of a selected row's columns."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: tuple[_Processor | None, ...]
    given: dict[str, Any]
    results: tuple[_Processor | None, ...]

    def values(self, params: dict[str, Any]) -> list[Any] | dict[str, Any]:
        if self.given:
            params = self.given | params
        try:
            values = [
                params[name] if process is None else process(params[name])
                for name, process in zip(self.names, self.processors, strict=True)
            ]
        except KeyError as missing:  # as SQLAlchemy's execution reports it
            raise sa.exc.StatementError(
                f"A value is required for bind parameter {missing}", self.sql, params, None
            ) from None
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def fetch(self, connection: sa.Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run with one set of parameters; the first row it returns (its values converted by
        the selected columns' types), or None."""
        values = self.values(params)
        try:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(self.sql, values)
                row = cursor.fetchone() if cursor.description else None
            finally:
                cursor.close()
        except connection.dialect.loaded_dbapi.Error as error:
            raise self._wrapped(error, params, connection.dialect) from error
        if row is None or not self.results:
            return None if row is None else tuple(row)
        return tuple(
            value if process is None else process(value)
            for process, value in zip(self.results, row, strict=True)
        )

    def run_many(self, connection: sa.Connection, params_list: Sequence[dict[str, Any]]) -> None:
        """Run once per set of parameters (the driver's executemany)."""
        rows: list[Any] = [self.values(params) for params in params_list]
        try:
            cursor = connection.connection.cursor()
            try:
                cursor.executemany(self.sql, rows)
            finally:
                cursor.close()
        except connection.dialect.loaded_dbapi.Error as error:
            raise self._wrapped(error, params_list, connection.dialect) from error

    def _wrapped(self, error: Exception, params: Any, dialect: sa.Dialect) -> BaseException:
        return sa.exc.DBAPIError.instance(
            self.sql, params, error, dialect.loaded_dbapi.Error, dialect=dialect
        )


@lru_cache(maxsize=64)
def _compiled(statement: _Statement, dialect: sa.Dialect, keys: tuple[str, ...]) -> _Compiled:
    """Compiled for parameters with these keys (an INSERT writes exactly their columns)."""
    columns = list(keys) if isinstance(statement, sa.Insert) else None
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    binds = compiled.binds
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(binds)
    if defaulted := _defaulted(statement, names, keys):
        # Its value would come from SQLAlchemy's execution (a Python-side default), skipped here.
        raise ValueError(f"give a value for {', '.join(defaulted)} (its default is not applied)")
    processors = tuple(
        binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    given = {name: binds[name].effective_value for name in names if not binds[name].required}
    results: tuple[_Processor | None, ...] = ()
    if isinstance(statement, sa.Select):
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
    return _Compiled(compiled.string, names, compiled.positional, processors, given, results)


def _defaulted(statement: _Statement, names: tuple[str, ...], keys: tuple[str, ...]) -> list[str]:
    """The columns this statement sets to their Python-side default (insert) or update value."""
    if isinstance(statement, sa.TextClause | sa.Select):
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
    row = _compiled(statement, connection.dialect, tuple(params)).fetch(connection, params)
    return None if row is None else row[0]


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


def fetch_one(
    connection: sa.Connection, statement: sa.Select[Any], params: dict[str, Any]
) -> tuple[Any, ...] | None:
    """The first row the query selects, its values converted by its columns' types, or None: on
    the driver's cursor, on every database."""
    return _compiled(statement, connection.dialect, tuple(params)).fetch(connection, params)
