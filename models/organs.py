"""Issuing organs and units (发文机关/单位)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_column


class OrganBase(SQLModel):
    """What identifies an organ: a stable code and its official name."""

    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)


class Organ(OrganBase, table=True):
    """An issuing organ or unit."""

    __tablename__ = "organs"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=utc_column())


class OrganCreate(OrganBase):
    """The fields a caller supplies to register an organ."""


class OrganPublic(OrganBase):
    """An organ as shown to clients."""

    id: int
