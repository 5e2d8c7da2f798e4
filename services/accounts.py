"""People and their credentials: random bearer tokens, shown once, stored as sha256; browser
sessions opened with a token (a random id in the cookie, stored as sha256, with an expiry and
revocation — never the token itself); the organs a reviewer decides for."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.db import table_of
from models.organs import Organ
from models.users import ApiToken, BrowserSession, OrganAssignment, User
from policies.roles import ORGAN_SCOPED_ROLES, Role
from services.errors import Conflict, NotFound, RequestInvalid, Unauthenticated, field_finding
from services.timestamps import require_aware

TOKEN_PREFIX = "gk_"
# Who decides for the documents of every organ: the disclosure office (条例 art. 4) and admins.
ALL_ORGAN_ROLES = frozenset({Role.DISCLOSURE_OFFICE, Role.ADMIN})


def hash_token(token: str) -> str:
    """The sha256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_organ(*, session: Session, code: str, name: str | None, at: datetime) -> Organ:
    """The organ with this code, registered (under name, default the code) if it is new."""
    organ = session.exec(select(Organ).where(col(Organ.code) == code)).first()
    if organ is None:
        organ = Organ(code=code, name=name or code, created_at=require_aware(at))
        session.add(organ)
        session.flush()
    return organ


def organ_id_for(session: Session, code: str, field: str = "organ") -> int:
    """The id of the organ with this code; an unknown code is a bad request field (422)."""
    organ_id = session.exec(select(Organ.id).where(col(Organ.code) == code)).first()
    if organ_id is None:
        raise RequestInvalid(
            f"{field}: unknown code '{code}'", [field_finding(field, "a registered organ code")]
        )
    return organ_id


def create_user(
    *,
    session: Session,
    name: str,
    organ: Organ,
    role: Role,
    at: datetime,
    login: str | None = None,
    office_head: bool = False,
) -> User:
    """Register a person in an organ with one review role (not the engine's own SYSTEM role);
    office_head: the disclosure office's head (条例 art. 33 ¶2), a disclosure-office role only.

    Their login is unique across organs: by default the name, or `name@organ-code` when someone
    in another organ already signs in with that name."""
    if role is Role.SYSTEM:
        raise Conflict("the system role belongs to the engine, not to people")
    if office_head and role is not Role.DISCLOSURE_OFFICE:
        raise Conflict("only a disclosure_office user can be the office's head")
    clash = session.exec(
        select(User).where(col(User.organ_id) == organ.id, col(User.name) == name)
    ).first()
    if clash is not None:
        raise Conflict(f"user '{name}' already exists in organ '{organ.code}'")
    if login is None:
        login = f"{name}@{organ.code}" if _login_taken(session, name) else name
    elif _login_taken(session, login):
        raise Conflict(f"the login '{login}' is taken; choose another")
    assert organ.id is not None
    user = User(
        login=login,
        name=name,
        organ_id=organ.id,
        role=role,
        created_at=require_aware(at),
        office_head=office_head,
    )
    session.add(user)
    session.flush()
    return user


def _login_taken(session: Session, login: str) -> bool:
    return session.exec(select(User.id).where(col(User.login) == login)).first() is not None


def find_user(*, session: Session, login: str) -> User:
    """The user who signs in with this login (unique across organs), or NotFound."""
    user = session.exec(select(User).where(col(User.login) == login.strip())).first()
    if user is None:
        raise NotFound(f"no user signs in as '{login}'")
    return user


def assign_organ(*, session: Session, user: User, organ: Organ, at: datetime) -> OrganAssignment:
    """Let a secrecy reviewer or signer decide for the documents of one more organ (idempotent)."""
    if user.role not in ORGAN_SCOPED_ROLES:
        roles = ", ".join(sorted(role.value for role in ORGAN_SCOPED_ROLES))
        raise Conflict(f"only {roles} are assigned to organs; {user.login} is '{user.role}'")
    assert user.id is not None
    assert organ.id is not None
    row = session.get(OrganAssignment, (user.id, organ.id))
    if row is None:
        row = OrganAssignment(user_id=user.id, organ_id=organ.id, assigned_at=require_aware(at))
        session.add(row)
        session.flush()
    return row


def decides_for_organ(*, session: Session, user: User, organ_id: int) -> bool:
    """Whether this person may decide for documents of this organ: anyone for their own organ,
    a secrecy reviewer or signer also for the organs assigned to them, a drafter only their own
    (an office clerk or admin decides for every organ)."""
    if user.organ_id == organ_id or user.role in ALL_ORGAN_ROLES:
        return True
    if user.role not in ORGAN_SCOPED_ROLES:
        return False
    assigned = session.exec(
        select(OrganAssignment.user_id).where(
            col(OrganAssignment.user_id) == user.id, col(OrganAssignment.organ_id) == organ_id
        )
    ).first()
    return assigned is not None


def issue_token(*, session: Session, user: User, label: str, at: datetime) -> tuple[ApiToken, str]:
    """A new bearer token for user: the row (hash only) and the plain token, shown once."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    row = ApiToken(
        token_hash=hash_token(plain), user_id=user.id, label=label, created_at=require_aware(at)
    )
    session.add(row)
    session.flush()
    return row, plain


def revoke_token(*, session: Session, token_id: int, at: datetime) -> ApiToken:
    """Revoke a token from now on, and end its holder's browser sessions: a session opened with
    a token that others may hold would otherwise outlive it (sessions do not record which token
    opened them). Revoking twice keeps the first time."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = require_aware(at)
        session.add(row)
        session.flush()
        holder = session.get(User, row.user_id)
        if holder is not None:
            revoke_browser_sessions_of(session=session, user=holder, at=at)
    return row


def authenticate(*, session: Session | sa.Connection, token: str) -> User:
    """The active user holding this unrevoked token, or Unauthenticated. One SELECT, the user
    built from its row (a session or a bare connection: the API looks tokens up on a connection
    of their own, without a session's bookkeeping)."""
    found = session.execute(_TOKEN_LOOKUP, {"token_hash": hash_token(token)}).first()
    if found is None or found.token_revoked_at is not None:
        raise Unauthenticated("the bearer token is unknown or revoked")
    user = User.model_validate(found._mapping)
    if not user.active:
        raise Unauthenticated("the token's user is not active")
    return user


def open_browser_session(
    *, session: Session, user: User, at: datetime, lifetime: timedelta
) -> tuple[BrowserSession, str]:
    """A new browser session for user: the row (hash only) and the plain id for the cookie."""
    plain = secrets.token_urlsafe(32)
    assert user.id is not None
    row = BrowserSession(
        id_hash=hash_token(plain),
        user_id=user.id,
        created_at=require_aware(at),
        expires_at=require_aware(at) + lifetime,
    )
    session.add(row)
    session.flush()
    return row, plain


def browser_session_user(
    *, session: Session | sa.Connection, session_id: str, at: datetime
) -> User:
    """The active user of this unexpired, unrevoked browser session, or Unauthenticated."""
    found = session.execute(_SESSION_LOOKUP, {"id_hash": hash_token(session_id)}).first()
    if found is None or found.session_revoked_at is not None:
        raise Unauthenticated("not signed in (or signed out): sign in again")
    if found.session_expires_at <= require_aware(at):
        raise Unauthenticated("the sign-in has expired: sign in again")
    user = User.model_validate(found._mapping)
    if not user.active:
        raise Unauthenticated("the signed-in user is not active")
    return user


def revoke_browser_session(*, session: Session, session_id: str, at: datetime) -> bool:
    """End a browser session now (sign-out); whether there was one to end."""
    ended = session.execute(
        sa.update(_SESSIONS)
        .where(_SESSIONS.c.id_hash == hash_token(session_id), _SESSIONS.c.revoked_at.is_(None))
        .values(revoked_at=require_aware(at))
        .returning(_SESSIONS.c.id)
    ).first()
    return ended is not None


def revoke_browser_sessions_of(*, session: Session, user: User, at: datetime) -> int:
    """End every open browser session of this person (e.g. a lost laptop); how many."""
    ended = session.execute(
        sa.update(_SESSIONS)
        .where(_SESSIONS.c.user_id == user.id, _SESSIONS.c.revoked_at.is_(None))
        .values(revoked_at=require_aware(at))
        .returning(_SESSIONS.c.id)
    ).all()
    return len(ended)


_USERS = table_of(User)
_SESSIONS = table_of(BrowserSession)
_SESSION_LOOKUP = (
    sa.select(
        *_USERS.c,
        _SESSIONS.c.revoked_at.label("session_revoked_at"),
        _SESSIONS.c.expires_at.label("session_expires_at"),
    )
    .join_from(_USERS, _SESSIONS, _SESSIONS.c.user_id == _USERS.c.id)
    .where(_SESSIONS.c.id_hash == sa.bindparam("id_hash"))
)
_TOKEN_LOOKUP = (
    sa.select(*_USERS.c, table_of(ApiToken).c.revoked_at.label("token_revoked_at"))
    .join_from(_USERS, table_of(ApiToken), table_of(ApiToken).c.user_id == _USERS.c.id)
    .where(table_of(ApiToken).c.token_hash == sa.bindparam("token_hash"))
)
