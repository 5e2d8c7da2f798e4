"""Tokens: the look-up gives the active user holding an unrevoked token, and refuses the rest
(unknown, revoked, inactive user); an organ code names a registered organ — on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from models.users import User
from policies.roles import Role
from services.accounts import (
    assign_organ,
    authenticate,
    create_user,
    decides_for_organ,
    find_user,
    issue_token,
    organ_id_for,
    revoke_token,
)
from services.errors import Conflict, NotFound, RequestInvalid, Unauthenticated
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


def test_a_login_is_unique_across_organs_and_a_clashing_name_gets_its_organ(
    session: Session,
) -> None:
    # Issue 21: names are unique per organ only, so a typed name could resolve to the wrong person.
    first = create_user(
        session=session, name="李明", organ=make_organ(session, code="wm"), role=Role.SIGNER, at=AT
    )
    second = create_user(
        session=session, name="李明", organ=make_organ(session, code="zw"), role=Role.SIGNER, at=AT
    )
    assert (first.login, second.login) == ("李明", "李明@zw")
    assert find_user(session=session, login="李明@zw").id == id_of(second)
    with pytest.raises(Conflict, match="login '李明' is taken"):
        create_user(
            session=session,
            name="李",
            organ=make_organ(session),
            role=Role.SIGNER,
            at=AT,
            login="李明",
        )
    with pytest.raises(NotFound):
        find_user(session=session, login="李")


def test_a_reviewer_decides_for_their_own_organ_and_the_organs_assigned_to_them(
    session: Session,
) -> None:
    home, other = make_organ(session), make_organ(session)
    reviewer = make_user(session, organ=home, role=Role.SECRECY_REVIEWER)
    office = make_user(session, organ=home, role=Role.DISCLOSURE_OFFICE)
    assert decides_for_organ(session=session, user=reviewer, organ_id=id_of(home))
    assert not decides_for_organ(session=session, user=reviewer, organ_id=id_of(other))
    assert decides_for_organ(session=session, user=office, organ_id=id_of(other))
    drafter = make_user(session, organ=home, role=Role.DRAFTER)
    assert decides_for_organ(session=session, user=drafter, organ_id=id_of(home))
    assert not decides_for_organ(session=session, user=drafter, organ_id=id_of(other))

    assign_organ(session=session, user=reviewer, organ=other, at=AT)
    assign_organ(session=session, user=reviewer, organ=other, at=AT)  # idempotent
    assert decides_for_organ(session=session, user=reviewer, organ_id=id_of(other))
    with pytest.raises(Conflict, match="only secrecy_reviewer, signer"):
        assign_organ(session=session, user=office, organ=other, at=AT)
