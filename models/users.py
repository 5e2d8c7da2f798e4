"""People who take part in the review, and the API tokens they authenticate with."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_column, utc_column
from policies.roles import Role


class UserBase(SQLModel):
    """A person's sign-in name (unique across organs), name, unit and review role."""

    login: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=100)
    organ_id: int = Field(foreign_key="organs.id", index=True)
    active: bool = True


class User(UserBase, table=True):
    """A drafter, reviewer, office clerk, signer or administrator."""

    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("organ_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    role: Role = Field(sa_column=enum_column(Role, "role"))
    created_at: datetime = Field(sa_column=utc_column())
    # 政府信息公开工作机构负责人: a disclosure-office user who may consent to extending an
    # application's reply (条例 art. 33 ¶2).
    office_head: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class OrganAssignment(SQLModel, table=True):
    """An organ, besides their own, for whose documents a secrecy reviewer or signer decides."""

    __tablename__ = "organ_assignments"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    organ_id: int = Field(foreign_key="organs.id", primary_key=True)
    assigned_at: datetime = Field(sa_column=utc_column())


class UserPublic(UserBase):
    """A user as shown to clients."""

    id: int
    role: Role


class ApiToken(SQLModel, table=True):
    """A bearer token for the intake API; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint("length(token_hash) = 64", name="token_hash_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class OneTimeCodeSecret(SQLModel, table=True):
    """A person's TOTP secret (RFC 6238), encrypted with a key kept outside the database, and
    the last time step a code of theirs was accepted (each step is accepted once)."""

    __tablename__ = "one_time_code_secrets"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    secret_encrypted: str = Field(max_length=500)
    enrolled_at: datetime = Field(sa_column=utc_column())
    last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))


class BrowserSession(SQLModel, table=True):
    """A browser's sign-in (office dashboard, reviewer pages): the cookie holds a random id, only
    its sha256 is stored; it ends at expires_at, or earlier when revoked (sign-out)."""

    __tablename__ = "browser_sessions"
    __table_args__ = (sa.CheckConstraint("length(id_hash) = 64", name="id_hash_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
