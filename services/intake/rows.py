"""Writing a submission's new rows with Core statements instead of the session's unit of work:
building the row objects (`new_row`), inserting them (`insert_row` when its id is needed and the
session keeps it, `insert_rows` otherwise), and pointing a document at its new version.

Why: on the 201 path the ORM's per-row work — SQLModel's __init__ setting each attribute through
change tracking (~50 µs a row), the flush's unit of work — cost more than the statements. On
SQLite the statements run on the driver's cursor (models/driver.py); on PostgreSQL a new document
is one statement (`insert_new_document`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col, select

from models.db import table_of
from models.documents import Document
from models.driver import execute_many, execute_one
from models.files import StoredFile
from models.versions import Version
from services.storage import insert_stored_file

_Row = TypeVar("_Row", Document, Version)


def row_id(row: Any) -> int:
    """The primary key of a flushed row (a bug if it has none yet)."""
    assert isinstance(row.id, int), f"{row!r} has no id yet"
    return row.id


@dataclass(frozen=True, slots=True)
class FileRef:
    """Stands for the id of a stored file that the statement writing the row also writes (a new
    document's files: `insert_new_document`); equal for equal content, like the id it stands for."""

    sha256: str


def file_id_of(stored: StoredFile) -> int | FileRef:
    """The stored file's id, or, for a row still to be written, a FileRef to it."""
    return FileRef(stored.sha256) if stored.id is None else stored.id


def insert_row(session: Session, row: _Row) -> _Row:
    """Write one new row with a single Core INSERT … RETURNING id instead of an ORM flush, then
    let the session hold it as a persistent row: later changes to it (a document's status) are
    flushed as updates, and `session.get` finds it without reading it back. Every column is taken
    from the object as built (its defaults included), as the ORM would have written it."""
    table = table_of(type(row))
    new_id = execute_one(session.connection(), _insert_returning_id(table), _values_of(row))
    assert isinstance(new_id, int), f"no id returned for the new {table.name} row"
    set_committed_value(row, "id", new_id)
    make_transient_to_detached(row)
    session.add(row)
    return row


def insert_new_document(
    session: Session,
    document: Document,
    version: Version,
    rows: Sequence[SQLModel],
    files: Sequence[StoredFile] = (),
) -> None:
    """Write a new document, its version 1 (the document pointing to it), the version's new
    rows, whose document_id and version_id columns are the new document's and version's (set on
    the objects too), and `files`: stored files without an id yet (`services.storage.
    file_to_store`), which the version and the rows point to with a FileRef. The session then
    holds the document and the version as loaded rows; the files and the rows get their ids.

    On PostgreSQL in ONE statement: the files inserted (content already recorded is found
    instead), the version's id drawn from its sequence, so that the document can point to it
    (the foreign key is checked at the end of the statement), then the inserts as data-modifying
    WITH queries — one round trip instead of four (~0.5 ms each in the server). SQLite, which has
    no data-modifying WITH, gets one statement each."""
    connection = session.connection()
    to_write = [stored for stored in files if stored.id is None]
    if connection.dialect.name != "postgresql":
        for stored in to_write:
            _take(stored, insert_stored_file(session, _values_of(stored)))
        _resolve_file_refs(version, rows, files)
        insert_row(session, document)
        version.document_id = row_id(document)
        insert_row(session, version)
        _point_rows_to(rows, document, version)
        point_to_version_with_rows(session, document, version, rows)
        return
    distinct = list({stored.sha256: stored for stored in to_write}.values())
    file_number = {stored.sha256: j for j, stored in enumerate(distinct)}
    params: dict[str, Any] = {}
    refs: dict[str, int] = {}  # the columns that hold a new file's id: that file's number

    def add(prefix: str, values: dict[str, Any], skip: dict[str, str]) -> None:
        for key, value in values.items():
            if key in skip:
                continue
            if isinstance(value, FileRef):  # found by the file's own sha256 parameter
                refs[f"{prefix}_{key}"] = file_number[value.sha256]
                continue
            params[f"{prefix}_{key}"] = value

    for j, stored in enumerate(distinct):
        add(f"f{j}", _values_of(stored), {})
    add("d", _values_of(document), _DOCUMENT_FROM_NEW)
    add("v", _values_of(version), _VERSION_FROM_NEW)
    groups = _values_by_table(rows)
    for n, values_list in enumerate(groups.values()):
        for i, values in enumerate(values_list):
            add(f"t{n}_{i}", values, _ROW_FROM_NEW)
    shape = tuple((table, len(values_list)) for table, values_list in groups.items())
    statement = _insert_new_document(connection.dialect, shape, len(distinct), tuple(refs.items()))
    # A file recorded meanwhile by a concurrent upload of the same content is not in this
    # statement's snapshot: then nothing is written and the statement runs again (once), seeing it.
    for _attempt in range(2):
        written = connection.execute(statement, params).first()
        if written is not None:
            break
    else:
        raise AssertionError("a new document's files were neither inserted nor found")
    document_id, version_id, file_ids = written
    set_committed_value(document, "id", document_id)
    set_committed_value(document, "current_version_id", version_id)
    set_committed_value(version, "id", version_id)
    set_committed_value(version, "document_id", document_id)
    for row in (document, version):
        make_transient_to_detached(row)
        session.add(row)
    _point_rows_to(rows, document, version)
    _set_file_ids(session, to_write, file_ids or {})
    _resolve_file_refs(version, rows, files)


def _values_of(row: SQLModel) -> dict[str, Any]:
    """The row's column values, all but its id, as the object holds them."""
    return {key: getattr(row, key) for key in _column_keys(table_of(type(row)))}


def _set_file_ids(session: Session, files: Sequence[StoredFile], new: dict[str, int]) -> None:
    """Give the files their ids: written by the statement (`new`, by sha256), or recorded before
    (read back, as services.storage.store_file returns them: the row as first recorded)."""
    recorded = [stored.sha256 for stored in files if stored.sha256 not in new]
    found = {}
    if recorded:
        found = {
            row.sha256: row
            for row in session.exec(
                select(StoredFile).where(col(StoredFile.sha256).in_(recorded))
            ).all()
        }
    for stored in files:
        if stored.sha256 in new:
            stored.id = new[stored.sha256]
        else:
            _take(stored, found[stored.sha256])


def _take(stored: StoredFile, recorded: StoredFile) -> None:
    stored.id = recorded.id
    for key, value in _values_of(recorded).items():
        setattr(stored, key, value)


def _resolve_file_refs(
    version: Version, rows: Sequence[SQLModel], files: Sequence[StoredFile]
) -> None:
    """Replace each FileRef on the version and the rows by the file's id (the files have theirs)."""
    ids = {stored.sha256: stored.id for stored in files}
    if isinstance(version.main_file_id, FileRef):
        main_file_id = ids[version.main_file_id.sha256]
        if version.id is None:
            version.main_file_id = main_file_id
        else:  # held by the session as written: not a change to flush
            set_committed_value(version, "main_file_id", main_file_id)
    for row in rows:
        for key in _column_keys(table_of(type(row))):
            value = getattr(row, key)
            if isinstance(value, FileRef):
                setattr(row, key, ids[value.sha256])


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
    dialect: sa.Dialect,
    shape: tuple[tuple[sa.Table, int], ...],
    file_count: int,
    refs: tuple[tuple[str, int], ...],
) -> sa.TextClause:
    """WITH f AS (INSERT INTO stored_files … ON CONFLICT DO NOTHING), files AS (those and the
    ones recorded before), vid AS (SELECT nextval(…) if every file is there), d AS (INSERT INTO
    documents …), v AS (INSERT INTO versions …), t0 AS (INSERT INTO … SELECT … FROM v), … SELECT
    v.document_id, v.id, {sha256: id} of the new files FROM v, for this many files and rows per
    table, the columns in `refs` holding the id of the file with that number (found by the file's
    own sha256 parameter): text with typed parameters, built and compiled once per shape. Every
    parameter is typed in the SQL (a row per SELECT, joined with UNION ALL, needs it): by the cast
    the driver's dialect renders for its type, or else by a CAST. No row comes back when a file is
    missing (see `insert_new_document`).

    Kept short: for a document with one file and no attachments the statement stays within
    psycopg's limits for caching its conversion to PostgreSQL's placeholders (4,096 bytes and 50
    parameters), which otherwise runs again on every upload (~0.1 ms)."""
    documents, versions, stored_files = table_of(Document), table_of(Version), table_of(StoredFile)
    binds: list[sa.BindParameter[Any]] = []
    quote = dialect.identifier_preparer.quote
    file_of = dict(refs)

    def typed(name: str, type_: sa.types.TypeEngine[Any]) -> str:
        bind = sa.bindparam(name, type_=type_)
        binds.append(bind)
        if "::" in str(bind.compile(dialect=dialect)):  # the dialect renders %(name)s::TYPE
            return f":{name}"
        return f"CAST(:{name} AS {type_.compile(dialect=dialect)})"

    def columns(table: sa.Table) -> str:
        return ", ".join(quote(table.c[key].name) for key in _column_keys(table))

    def selected(table: sa.Table, sources: dict[str, str], prefix: str) -> str:
        values = []
        for key in _column_keys(table):
            if key in sources:
                values.append(sources[key])
                continue
            name = f"{prefix}_{key}"
            if name in file_of:
                values.append(f"(SELECT id FROM files WHERE sha256 = :f{file_of[name]}_sha256)")
                continue
            values.append(typed(name, table.c[key].type))
        return ", ".join(values)

    ctes = []
    vid_condition = ""
    if file_count:
        new_files = ", ".join(f"({selected(stored_files, {}, f'f{j}')})" for j in range(file_count))
        shas = ", ".join(f":f{j}_sha256" for j in range(file_count))
        files_table = quote(stored_files.name)
        ctes += [
            f"f AS (INSERT INTO {files_table} ({columns(stored_files)}) VALUES {new_files} "
            "ON CONFLICT DO NOTHING RETURNING id, sha256)",
            f"files AS (SELECT id, sha256 FROM f UNION ALL "
            f"SELECT id, sha256 FROM {files_table} WHERE sha256 IN ({shas}))",
        ]
        vid_condition = f" WHERE (SELECT count(*) FROM files) = {file_count}"
    sequence = f"pg_get_serial_sequence('{versions.name}', 'id')"
    document_values = selected(documents, _DOCUMENT_FROM_NEW, "d")
    version_values = selected(versions, _VERSION_FROM_NEW, "v")
    ctes += [
        f"vid AS (SELECT nextval({sequence}) AS id{vid_condition})",
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
    new_ids = "(SELECT json_object_agg(sha256, id) FROM f)" if file_count else "NULL"
    sql = "WITH " + ", ".join(ctes) + f" SELECT v.document_id, v.id, {new_ids} FROM v"
    return sa.text(sql).bindparams(*binds)


def insert_rows(session: Session, rows: Sequence[SQLModel]) -> None:
    """Write new rows that this transaction does not change afterwards (a version's marking,
    findings, new deadlines, attachments, its audit event) with one Core INSERT per table —
    executemany for several rows. In the order given per table, each table in the order it first
    appears (rows may only point to rows written before them). The rows stay outside the session
    and get no id: nothing reads them back in this transaction."""
    connection = session.connection()
    for table, values_list in _values_by_table(rows).items():
        execute_many(connection, _insert(table), values_list)


def _values_by_table(rows: Sequence[SQLModel]) -> dict[sa.Table, list[dict[str, Any]]]:
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    for row in rows:
        by_table.setdefault(table_of(type(row)), []).append(_values_of(row))
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
    execute_one(
        session.connection(),
        _set_current_version(),
        {"document_id": row_id(document), "version_id": row_id(version)},
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
