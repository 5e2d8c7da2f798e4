"""One-time codes in tests: enrol people, and the code a person's authenticator shows that the
engine has not accepted yet (a later step within the accepted drift when the current one is
spent, else wait for the next step)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.users import OneTimeCodeSecret, User
from services.one_time_codes import DRIFT_STEPS, STEP_SECONDS, code_at, enrol

KEY = Fernet.generate_key()  # the tests' GONGKAI_TOTP_KEY


def enrol_users(engine: Engine, *logins: str, key: bytes = KEY) -> None:
    """Give these people a one-time-code secret."""
    with Session(engine) as session:
        for login in logins:
            user = session.exec(select(User).where(col(User.login) == login)).one()
            enrol(session=session, user=user, key=key, at=datetime.now(UTC))
        session.commit()


def fresh_code(engine: Engine, login: str, key: bytes = KEY) -> str:
    """A code of this person the engine will accept now (a step after the last one it took)."""
    while True:
        with Session(engine) as session:
            user = session.exec(select(User).where(col(User.login) == login)).one()
            secret = session.get(OneTimeCodeSecret, user.id)
            assert secret is not None, f"{login} is not enrolled"
            now = datetime.now(UTC)
            current = int(now.timestamp()) // STEP_SECONDS
            # One step of margin: the engine checks a moment later than this.
            for drift in range(-DRIFT_STEPS + 1, DRIFT_STEPS + 1):
                if secret.last_step is None or current + drift > secret.last_step:
                    moment = now + timedelta(seconds=drift * STEP_SECONDS)
                    return code_at(session=session, user=user, key=key, at=moment)
        time.sleep(STEP_SECONDS - now.timestamp() % STEP_SECONDS + 0.1)
