"""Writing a submission's new rows with Core statements instead of the session's unit of work:
building the row objects (`new_row`), inserting them (`insert_row` when its id is needed and the
session keeps it, `insert_rows` otherwise), and pointing a document at its new version.

Why: on the 201 path the ORM's per-row work — SQLModel's __init__ setting each attribute through
change tracking (~50 µs a row), the flush's unit of work — cost more than the statements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value
from sqlmodel import Session, SQLModel

from models.db import table_of
from models.documents import Document
from models.versions import Version

_Model = TypeVar("_Model", bound=SQLModel)
_Row = TypeVar("_Row", Document, Version)


def row_id(row: Any) -> int:
    """The primary key of a flushed row (a bug if it has none yet)."""
    assert isinstance(row.id, int), f"{row!r} has no id yet"
    return row.id


def new_row(model: type[_Model], **values: Any) -> _Model:
    """A new row object of a table model with its defaults and the values given, built the way
    the ORM builds a row it loads (the class's __new__, values set directly, no __init__): ~3 µs
    instead of ~50 µs. Like SQLModel's __init__ for a table model, nothing is validated; an
    unknown name is refused. For rows written with `insert_row` or `insert_rows`."""
    names, defaults, factories = _fields_of(model)
    unknown = values.keys() - names
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {', '.join(sorted(unknown))}")
    row: _Model = manager_of_class(model).new_instance()
    attributes = row.__dict__
    attributes.update(defaults)
    for name, factory in factories.items():
        attributes[name] = factory()
    attributes.update(values)
    return row


@lru_cache(maxsize=32)
def _fields_of(
    model: type[SQLModel],
) -> tuple[frozenset[str], dict[str, Any], dict[str, Callable[[], Any]]]:
    """The model's field names, plain defaults, and default factories (called for each row)."""
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif field.default is not PydanticUndefined:
            defaults[name] = field.default
    return frozenset(model.model_fields), defaults, factories


def insert_row(session: Session, row: _Row) -> _Row:
    """Write one new row with a single Core INSERT … RETURNING id instead of an ORM flush, then
    let the session hold it as a persistent row: later changes to it (a document's status) are
    flushed as updates, and `session.get` finds it without reading it back. Every column is taken
    from the object as built (its defaults included), as the ORM would have written it."""
    table = table_of(type(row))
    values = {key: getattr(row, key) for key in _column_keys(table)}
    new_id = session.connection().execute(_insert_returning_id(table), values).scalar_one()
    set_committed_value(row, "id", new_id)
    make_transient_to_detached(row)
    session.add(row)
    return row


def insert_new_document(
    session: Session, document: Document, version: Version, rows: Sequence[SQLModel]
) -> None:
    """Write a new document, its version 1 (the document pointing to it) and the version's new
    rows, whose document_id and version_id columns are the new document's and version's (set on
    the objects too). The session then holds the document and the version as loaded rows.

    On PostgreSQL in ONE statement: the version's id drawn from its sequence first, so that the
    document can point to it (the foreign key is checked at the end of the statement), then the
    inserts as data-modifying WITH queries — one round trip instead of three (~0.5 ms each in
    the server). SQLite, which has no data-modifying WITH, gets one statement each."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        insert_row(session, document)
        version.document_id = row_id(document)
        insert_row(session, version)
        _point_rows_to(rows, document, version)
        point_to_version_with_rows(session, document, version, rows)
        return
    documents, versions = table_of(Document), table_of(Version)
    params = {
        f"d_{key}": getattr(document, key)
        for key in _column_keys(documents)
        if key not in _DOCUMENT_FROM_NEW
    }
    params |= {
        f"v_{key}": getattr(version, key)
        for key in _column_keys(versions)
        if key not in _VERSION_FROM_NEW
    }
    groups = _values_by_table(rows)
    for n, values_list in enumerate(groups.values()):
        for i, values in enumerate(values_list):
            params.update({f"t{n}_{i}_{k}": v for k, v in values.items() if k not in _ROW_FROM_NEW})
    shape = tuple((table, len(values_list)) for table, values_list in groups.items())
    statement = _insert_new_document(connection.dialect, shape)
    document_id, version_id = connection.execute(statement, params).one()
    set_committed_value(document, "id", document_id)
    set_committed_value(document, "current_version_id", version_id)
    set_committed_value(version, "id", version_id)
    set_committed_value(version, "document_id", document_id)
    for row in (document, version):
        make_transient_to_detached(row)
        session.add(row)
    _point_rows_to(rows, document, version)


# Where the new ids come from in the single statement (PostgreSQL).
_DOCUMENT_FROM_NEW = {"current_version_id": "vid.id"}
_VERSION_FROM_NEW = {"document_id": "d.id"}
_ROW_FROM_NEW = {"document_id": "v.document_id", "version_id": "v.id"}


def _point_rows_to(rows: Sequence[SQLModel], document: Document, version: Version) -> None:
    ids = {"document_id": document.id, "version_id": version.id}
    for row in rows:
        for key in _column_keys(table_of(type(row))):
            if key in ids:
                setattr(row, key, ids[key])


@lru_cache(maxsize=64)
def _insert_new_document(
    dialect: sa.Dialect, shape: tuple[tuple[sa.Table, int], ...]
) -> sa.TextClause:
    """WITH vid AS (SELECT nextval(…)), d AS (INSERT INTO documents …), v AS (INSERT INTO
    versions …), t0 AS (INSERT INTO … SELECT … FROM v), … SELECT v.document_id, v.id FROM v, for
    this many rows per table: text with typed, cast parameters (a row per SELECT, joined with
    UNION ALL, needs the casts), built and compiled once per shape."""
    documents, versions = table_of(Document), table_of(Version)
    binds: list[sa.BindParameter[Any]] = []
    quote = dialect.identifier_preparer.quote

    def columns(table: sa.Table) -> str:
        return ", ".join(quote(table.c[key].name) for key in _column_keys(table))

    def selected(table: sa.Table, sources: dict[str, str], prefix: str) -> str:
        values = []
        for key in _column_keys(table):
            if key in sources:
                values.append(sources[key])
                continue
            column = table.c[key]
            binds.append(sa.bindparam(f"{prefix}_{key}", type_=column.type))
            values.append(f"CAST(:{prefix}_{key} AS {column.type.compile(dialect=dialect)})")
        return ", ".join(values)

    sequence = f"pg_get_serial_sequence('{versions.name}', 'id')"
    document_values = selected(documents, _DOCUMENT_FROM_NEW, "d")
    version_values = selected(versions, _VERSION_FROM_NEW, "v")
    ctes = [
        f"vid AS (SELECT nextval({sequence}) AS id)",
        f"d AS (INSERT INTO {quote(documents.name)} ({columns(documents)}) "
        f"SELECT {document_values} FROM vid RETURNING id)",
        f"v AS (INSERT INTO {quote(versions.name)} (id, {columns(versions)}) "
        f"SELECT vid.id, {version_values} FROM vid, d RETURNING id, document_id)",
    ]
    for n, (table, count) in enumerate(shape):
        rows = " UNION ALL ".join(
            f"SELECT {selected(table, _ROW_FROM_NEW, f't{n}_{i}')} FROM v" for i in range(count)
        )
        ctes.append(f"t{n} AS (INSERT INTO {quote(table.name)} ({columns(table)}) {rows})")
    sql = "WITH " + ", ".join(ctes) + " SELECT v.document_id, v.id FROM v"
    return sa.text(sql).bindparams(*binds)


def insert_rows(session: Session, rows: Sequence[SQLModel]) -> None:
    """Write new rows that this transaction does not change afterwards (a version's marking,
    findings, new deadlines, attachments, its audit event) with one Core INSERT per table —
    executemany for several rows. In the order given per table, each table in the order it first
    appears (rows may only point to rows written before them). The rows stay outside the session
    and get no id: nothing reads them back in this transaction."""
    connection = session.connection()
    for table, values_list in _values_by_table(rows).items():
        connection.execute(_insert(table), values_list)


def _values_by_table(rows: Sequence[SQLModel]) -> dict[sa.Table, list[dict[str, Any]]]:
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    for row in rows:
        table = table_of(type(row))
        values = {key: getattr(row, key) for key in _column_keys(table)}
        by_table.setdefault(table, []).append(values)
    return by_table


def point_to_version_with_rows(
    session: Session, document: Document, version: Version, rows: Sequence[SQLModel]
) -> None:
    """Point the document at its new version and write the version's new rows (as
    `set_current_version` and `insert_rows` do). On PostgreSQL in ONE statement: the inserts as
    data-modifying WITH queries of the UPDATE, one round trip instead of one per table and one
    for the update (each ~0.2 ms). SQLite has no data-modifying WITH: one statement each."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        set_current_version(session, document, version)
        insert_rows(session, rows)
        return
    groups = _values_by_table(rows)
    params: dict[str, Any] = {"document_id": row_id(document), "version_id": row_id(version)}
    for n, values_list in enumerate(groups.values()):
        for i, values in enumerate(values_list):
            params.update({f"t{n}_{i}_{key}": value for key, value in values.items()})
    shape = tuple((table, len(values_list)) for table, values_list in groups.items())
    connection.execute(_update_with_inserts(connection.dialect, shape), params)
    set_committed_value(document, "current_version_id", version.id)


@lru_cache(maxsize=64)
def _update_with_inserts(
    dialect: sa.Dialect, shape: tuple[tuple[sa.Table, int], ...]
) -> sa.TextClause:
    """WITH t0 AS (INSERT …), t1 AS (INSERT …) UPDATE documents SET current_version_id …, for
    this many rows per table: text with typed parameters, built and compiled once per shape."""
    documents = table_of(Document)
    quote = dialect.identifier_preparer.quote
    ctes, binds = (
        [],
        [
            sa.bindparam("document_id", type_=documents.c.id.type),
            sa.bindparam("version_id", type_=documents.c.current_version_id.type),
        ],
    )
    for n, (table, count) in enumerate(shape):
        keys = _column_keys(table)
        rows = []
        for i in range(count):
            rows.append("(" + ", ".join(f":t{n}_{i}_{key}" for key in keys) + ")")
            binds += [sa.bindparam(f"t{n}_{i}_{key}", type_=table.c[key].type) for key in keys]
        columns = ", ".join(quote(table.c[key].name) for key in keys)
        values = ", ".join(rows)
        ctes.append(f"t{n} AS (INSERT INTO {quote(table.name)} ({columns}) VALUES {values})")
    update = (
        f"UPDATE {quote(documents.name)} SET current_version_id = :version_id "
        "WHERE id = :document_id"
    )
    sql = ("WITH " + ", ".join(ctes) + " " if ctes else "") + update
    return sa.text(sql).bindparams(*binds)


def set_current_version(session: Session, document: Document, version: Version) -> None:
    """Point the document at its new version with one Core UPDATE, and record the value as the
    session's committed state, so the session does not write it again (other pending changes to
    the document are flushed as before)."""
    session.connection().execute(
        _set_current_version(), {"document_id": row_id(document), "version_id": row_id(version)}
    )
    set_committed_value(document, "current_version_id", version.id)


@lru_cache(maxsize=32)
def _column_keys(table: sa.Table) -> tuple[str, ...]:
    return tuple(column.key for column in table.c if column.key != "id")


@lru_cache(maxsize=32)
def _insert(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


@lru_cache(maxsize=8)
def _insert_returning_id(table: sa.Table) -> sa.Insert:
    return sa.insert(table).returning(table.c.id)


@lru_cache(maxsize=1)
def _set_current_version() -> sa.Update:
    table = table_of(Document)
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("document_id"))
        .values(current_version_id=sa.bindparam("version_id"))
    )
