"""Column types and naming shared by every table: aware UTC timestamps, enums stored as values."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

from models.checks import enum_check

# Stable constraint names, so migrations and both databases agree on them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Default factories for table models. Plain functions, not the `list` / `dict` builtins: pydantic
# inspects a default factory's signature on every construction that uses it, and a builtin's
# signature is parsed from its text signature each time (~70 µs, against ~5 µs for a function).
def empty_list() -> list[Any]:
    """A new empty list (a column's default)."""
    return []


def empty_dict() -> dict[str, Any]:
    """A new empty dict (a column's default)."""
    return {}


def json_value(value: Any) -> Any:
    """A JSON-ready value: instants as ISO 8601, enums as their values, the rest as it is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC; SQLite returns it aware too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC text and re-attach UTC when reading.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """A policy enum stored as its string value (its CHECK constraint: `enum_check`)."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def enum_column(enum: type[StrEnum], name: str, **kwargs: Any) -> sa.Column[Any]:
    """A NOT NULL column holding a policy enum, with its CHECK constraint (`enum_check`); pass
    nullable=True to allow NULL."""
    kwargs.setdefault("nullable", False)
    return sa.Column(name, enum_type(enum), enum_check(name, enum), **kwargs)


def utc_column(**kwargs: Any) -> sa.Column[Any]:
    """A NOT NULL aware-UTC timestamp column (pass nullable=True to allow NULL)."""
    kwargs.setdefault("nullable", False)
    return sa.Column(UTCDateTime(), **kwargs)


def json_list_column() -> sa.Column[Any]:
    """A JSON list of strings (e.g. reason codes), never NULL."""
    return sa.Column(sa.JSON(), nullable=False, default=list)


@lru_cache(maxsize=64)
def table_of(model: type[SQLModel]) -> sa.Table:
    """The table a table model maps (for Core statements written beside the ORM)."""
    mapper = sa.inspect(model)
    assert mapper is not None, f"{model.__name__} is not a table model"
    table = mapper.local_table
    assert isinstance(table, sa.Table)
    return table


def id_of(row: Any) -> int:
    """The primary key of a row written in this unit of work (flushed); a bug if it has none."""
    assert isinstance(row.id, int), f"{row!r} has no id yet"
    return row.id
