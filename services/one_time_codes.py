"""One-time codes (RFC 6238 TOTP, `pyotp`) that prove a decision in the Prefect UI is the named
reviewer's own: enrolment gives the authenticator app its secret (an otpauth:// URI), kept
encrypted (Fernet, `cryptography`) with a key held outside the database; a code is accepted once
per person and time step, so a code seen once is worthless afterwards (issue 21)."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session

from models.db import table_of
from models.users import OneTimeCodeSecret, User
from services.errors import DomainError
from services.timestamps import require_aware

ISSUER = "gongkai"
DIGITS = 6
STEP_SECONDS = 30
# Codes of the step before and after are accepted too (clock drift, a code typed at a step's end).
DRIFT_STEPS = 1


_USED = "this one-time code of {login} was used already; wait for the next code"


class CodeRefused(DomainError):
    """A one-time code that does not prove who the reviewer is (missing, wrong, used, none)."""


def enrol(*, session: Session, user: User, key: bytes, at: datetime) -> str:
    """A new secret for this person (replacing any earlier one), stored encrypted; the
    otpauth:// URI their authenticator app reads (shown once)."""
    assert user.id is not None
    secret = pyotp.random_base32()
    row = session.get(OneTimeCodeSecret, user.id) or OneTimeCodeSecret(
        user_id=user.id, secret_encrypted="", enrolled_at=require_aware(at)
    )
    row.secret_encrypted = Fernet(key).encrypt(secret.encode("ascii")).decode("ascii")
    row.enrolled_at = require_aware(at)
    row.last_step = None
    session.add(row)
    session.flush()
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.login, issuer_name=ISSUER
    )


def verify_code(*, session: Session, user: User, code: str, key: bytes, at: datetime) -> int:
    """Accept this person's code once, in the caller's transaction; its time step. Refused
    (CodeRefused, with what to do) when there is no code, no enrolment, a wrong or expired code,
    or a code of a step already accepted (a replay, also by a concurrent request)."""
    code = code.strip().replace(" ", "")
    if not code:
        raise CodeRefused(
            f"no one-time code: enter the {DIGITS}-digit code from {user.login}'s authenticator"
        )
    row = session.get(OneTimeCodeSecret, user.id)
    if row is None:
        raise CodeRefused(
            f"{user.login} has no authenticator enrolled: `gongkai enrol-totp --user {user.login}`"
        )
    if not (code.isascii() and code.isdigit()):
        raise CodeRefused(f"the one-time code is wrong or expired for {user.login}")
    totp = _totp(row, key)
    step = _matching_step(totp, code, require_aware(at))
    if step is None:
        if row.last_step is not None and hmac.compare_digest(
            totp.generate_otp(row.last_step), code
        ):  # the last code accepted, replayed after its window: say so
            raise CodeRefused(_USED.format(login=user.login))
        raise CodeRefused(f"the one-time code is wrong or expired for {user.login}")
    accepted = session.execute(
        sa.update(_SECRETS)
        .where(
            _SECRETS.c.user_id == user.id,
            sa.or_(_SECRETS.c.last_step.is_(None), _SECRETS.c.last_step < step),
        )
        .values(last_step=step)
        .returning(_SECRETS.c.user_id)
    ).first()
    if accepted is None:
        raise CodeRefused(_USED.format(login=user.login))
    return step


def code_at(*, session: Session, user: User, key: bytes, at: datetime) -> str:
    """The code this person's authenticator shows at `at` (for their own tooling and tests)."""
    row = session.get(OneTimeCodeSecret, user.id)
    if row is None:
        raise CodeRefused(f"{user.login} has no authenticator enrolled")
    return _totp(row, key).at(require_aware(at))


def _totp(row: OneTimeCodeSecret, key: bytes) -> pyotp.TOTP:
    try:
        secret = Fernet(key).decrypt(row.secret_encrypted.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise CodeRefused(
            "the stored secret cannot be read with the configured key (GONGKAI_TOTP_KEY or "
            "<data_dir>/totp.key changed): enrol again with `gongkai enrol-totp`"
        ) from None
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def _matching_step(totp: pyotp.TOTP, code: str, at: datetime) -> int | None:
    for drift in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        moment = at + timedelta(seconds=drift * STEP_SECONDS)
        if hmac.compare_digest(totp.at(moment), code):
            return int(totp.timecode(moment))
    return None


_SECRETS = table_of(OneTimeCodeSecret)
