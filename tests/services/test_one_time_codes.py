"""One-time codes (issue 21): a decision in the Prefect UI is proved by the named reviewer's own
TOTP code, accepted once per person and time step; the secret is kept encrypted — on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session

from models.users import OneTimeCodeSecret, User
from policies.roles import Role
from services.one_time_codes import CodeRefused, enrol, verify_code
from tests.factories import make_user

KEY = Fernet.generate_key()
AT = datetime(2026, 10, 12, 2, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step


def _enrolled(session: Session) -> tuple[User, pyotp.TOTP]:
    user = make_user(session, role=Role.SECRECY_REVIEWER, login="li")
    uri = enrol(session=session, user=user, key=KEY, at=AT)
    return user, pyotp.parse_uri(uri)  # type: ignore[return-value]


def test_enrolment_gives_an_otpauth_uri_and_stores_the_secret_encrypted(session: Session) -> None:
    user = make_user(session, role=Role.SIGNER, login="sun")
    uri = enrol(session=session, user=user, key=KEY, at=AT)
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("otpauth", "totp", "/gongkai:sun")
    secret = parse_qs(parsed.query)["secret"][0]
    stored = session.get(OneTimeCodeSecret, user.id)
    assert stored is not None
    assert secret not in stored.secret_encrypted
    assert Fernet(KEY).decrypt(stored.secret_encrypted.encode()).decode() == secret


def test_a_code_is_accepted_once_per_time_step_and_a_replay_is_refused(session: Session) -> None:
    user, totp = _enrolled(session)
    step = verify_code(session=session, user=user, code=totp.at(AT), key=KEY, at=AT)
    assert step == totp.timecode(AT)
    with pytest.raises(CodeRefused, match="used already"):
        verify_code(session=session, user=user, code=totp.at(AT), key=KEY, at=AT)
    later = AT + timedelta(seconds=30)
    assert (
        verify_code(session=session, user=user, code=totp.at(later), key=KEY, at=later) == step + 1
    )
    # An older step's code inside the drift window, or the last code long after, is a replay.
    with pytest.raises(CodeRefused, match="used already"):
        verify_code(session=session, user=user, code=totp.at(AT), key=KEY, at=later)
    with pytest.raises(CodeRefused, match="used already"):
        verify_code(
            session=session, user=user, code=totp.at(later), key=KEY, at=later + timedelta(hours=1)
        )


@pytest.mark.parametrize(
    ("code", "refusal"),
    [
        ("", "no one-time code"),
        ("000000x", "wrong or expired"),
        ("１２３４５６", "wrong or expired"),  # full-width digits are not a code
        ("expired", "wrong or expired"),
    ],
)
def test_a_missing_malformed_or_expired_code_is_refused(
    session: Session, code: str, refusal: str
) -> None:
    user, totp = _enrolled(session)
    if code == "expired":
        code = totp.at(AT - timedelta(minutes=2))
    with pytest.raises(CodeRefused, match=refusal):
        verify_code(session=session, user=user, code=code, key=KEY, at=AT)


def test_someone_not_enrolled_or_a_changed_key_is_refused_with_what_to_do(
    session: Session,
) -> None:
    user, totp = _enrolled(session)
    stranger = make_user(session, role=Role.SIGNER, login="wang")
    with pytest.raises(CodeRefused, match="gongkai enrol-totp --user wang"):
        verify_code(session=session, user=stranger, code=totp.at(AT), key=KEY, at=AT)
    with pytest.raises(CodeRefused, match="enrol again"):
        verify_code(session=session, user=user, code=totp.at(AT), key=Fernet.generate_key(), at=AT)
