"""The API's token look-up (`authenticate_on`: SQLAlchemy's statement run on the driver's cursor,
values converted by the columns' types) gives the user exactly as the ORM reads it, applies the
same rules, and leaves driver errors to SQLAlchemy to report — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import is_disconnect
from models.users import User
from policies.roles import Role
from services.accounts import authenticate, authenticate_on, issue_token, revoke_token
from services.errors import Unauthenticated
from tests.factories import id_of, make_user

AT = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def _user_with_token(session: Session, **overrides: object) -> tuple[User, str]:
    user = make_user(session, role=Role.SECRECY_REVIEWER, **overrides)
    _, token = issue_token(session=session, user=user, label="test", at=AT)
    session.commit()
    return user, token


def test_the_look_up_gives_the_user_as_the_orm_reads_it(engine: Engine, session: Session) -> None:
    user, token = _user_with_token(session)
    expected = authenticate(session=session, token=token)
    with engine.connect() as connection:
        found = authenticate_on(connection, token)
    assert found.model_dump() == expected.model_dump()
    assert found.id == id_of(user)
    assert found.role is Role.SECRECY_REVIEWER
    assert found.created_at == AT
    assert found.created_at.tzinfo is not None
    assert found.active is True


def test_an_unknown_revoked_or_inactive_token_is_refused(engine: Engine, session: Session) -> None:
    _, token = _user_with_token(session)
    row, revoked = issue_token(session=session, user=make_user(session), label="old", at=AT)
    revoke_token(session=session, token_id=id_of(row), at=AT)
    _, inactive = _user_with_token(session, active=False)
    session.commit()
    with engine.connect() as connection:
        assert authenticate_on(connection, token).active
        for refused, reason in (
            ("gk_unknown", "unknown or revoked"),
            (revoked, "unknown or revoked"),
            (inactive, "not active"),
        ):
            with pytest.raises(Unauthenticated, match=reason):
                authenticate_on(connection, refused)


def test_a_lost_connection_is_reported_by_sqlalchemy(engine: Engine, session: Session) -> None:
    _, token = _user_with_token(session)
    with engine.connect() as connection:
        connection.connection.dbapi_connection.close()  # type: ignore[union-attr]
        with pytest.raises(sa.exc.DBAPIError) as raised:
            authenticate_on(connection, token)
    assert is_disconnect(raised.value)  # the API retries once on a fresh connection
    with engine.connect() as connection:
        assert authenticate_on(connection, token).role is Role.SECRECY_REVIEWER
