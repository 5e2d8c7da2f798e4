"""Tokens: the look-up gives the active user holding an unrevoked token, and refuses the rest
(unknown, revoked, inactive user); an organ code names a registered organ — on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from models.users import User
from policies.roles import Role
from services.accounts import authenticate, issue_token, organ_id_for, revoke_token
from services.errors import RequestInvalid, Unauthenticated
from tests.factories import id_of, make_organ, make_user

AT = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def _user_with_token(session: Session, **overrides: object) -> tuple[User, str]:
    user = make_user(session, role=Role.SECRECY_REVIEWER, **overrides)
    _, token = issue_token(session=session, user=user, label="test", at=AT)
    session.commit()
    return user, token


def test_the_look_up_gives_the_user_holding_the_token(session: Session) -> None:
    user, token = _user_with_token(session)
    found = authenticate(session=session, token=token)
    assert found.id == id_of(user)
    assert found.role is Role.SECRECY_REVIEWER
    assert found.created_at == AT
    assert found.created_at.tzinfo is not None
    assert found.active is True


def test_an_unknown_revoked_or_inactive_token_is_refused(session: Session) -> None:
    _, token = _user_with_token(session)
    row, revoked = issue_token(session=session, user=make_user(session), label="old", at=AT)
    revoke_token(session=session, token_id=id_of(row), at=AT)
    _, inactive = _user_with_token(session, active=False)
    session.commit()
    assert authenticate(session=session, token=token).active
    for refused, reason in (
        ("gk_unknown", "unknown or revoked"),
        (revoked, "unknown or revoked"),
        (inactive, "not active"),
    ):
        with pytest.raises(Unauthenticated, match=reason):
            authenticate(session=session, token=refused)


def test_an_organ_code_names_a_registered_organ_or_is_a_bad_field(session: Session) -> None:
    organ = make_organ(session, code="wm")
    assert organ_id_for(session, "wm") == id_of(organ)
    with pytest.raises(RequestInvalid) as refused:
        organ_id_for(session, "nowhere")
    assert refused.value.findings[0].field == "organ"
    assert "unknown code 'nowhere'" in refused.value.message
