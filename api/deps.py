"""Dependencies: the unit of work, the current user from the bearer token, role guards, and
documents loaded and authorised before a route runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from config.settings import Settings
from models.db import is_disconnect, make_engine, session_scope
from models.documents import Document
from models.driver import execute_one
from models.users import User
from policies.roles import Role
from services.accounts import authenticate_on
from services.documents import visible_document
from services.errors import Forbidden, Unauthenticated

WRITE = "gongkai_write"
SQLITE_BUSY_MS = 60_000
POOL_RECYCLE_SECONDS = 1800


_BEGIN, _BEGIN_IMMEDIATE = sa.text("BEGIN"), sa.text("BEGIN IMMEDIATE")


def make_api_engine(url: str) -> Engine:
    """The API's engine; on SQLite, write transactions take the lock at BEGIN (IMMEDIATE) so
    concurrent uploads queue on the busy timeout instead of failing on a stale read snapshot.

    On PostgreSQL no ping precedes each checkout (a round trip on every request): connections
    are recycled after POOL_RECYCLE_SECONDS, and a connection found dead (server restart) makes
    SQLAlchemy recreate the pool; the first statement of a request — the token look-up — and the
    submission's unit of work retry once on such a disconnect (`models.db.is_disconnect`)."""
    if make_url(url).get_backend_name() != "sqlite":
        return make_engine(
            url,
            pool_size=10,
            max_overflow=30,
            pool_pre_ping=False,
            pool_recycle=POOL_RECYCLE_SECONDS,
        )
    engine = make_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _manual_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
        # Writers queue on the lock; 32 concurrent uploads outwait the default 5 s.
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        execute_one(connection, _BEGIN_IMMEDIATE if immediate else _BEGIN, {})

    return engine


def now() -> datetime:
    """The current instant (UTC)."""
    return datetime.now(UTC)


# Pure look-ups are `async def`: FastAPI runs sync dependencies in the threadpool, and each hop
# there costs more than the look-up itself.
async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The app's engine."""
    engine: Engine = request.app.state.engine
    return engine


def _unit_of_work(engine: Engine, *, write: bool) -> Iterator[Session]:
    bind = engine.execution_options(**{WRITE: True}) if write else engine
    with session_scope(bind) as session:
        yield session


def write_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """The request's unit of work: commits once before the response is sent, rolls back on error."""
    yield from _unit_of_work(engine, write=True)


def read_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A unit of work for reading."""
    yield from _unit_of_work(engine, write=False)


# scope="function": the commit happens before the response goes out, so a 201 is never lost.
SessionDep = Annotated[Session, Depends(write_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]

_bearer = HTTPBearer(auto_error=False, description="A token from `gongkai create-token`.")


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return credentials.credentials


def current_user(engine: EngineDep, credentials: BearerCredentials) -> User:
    """The person behind the bearer token (one read of its own), else 401."""
    token = _bearer_token(credentials)
    # Not in the request's write transaction: that one begins only after the upload is received,
    # so neither SQLite's write lock nor a PostgreSQL transaction is held while bytes arrive. One
    # SELECT needs no transaction of its own: on PostgreSQL it runs in autocommit, which saves the
    # BEGIN and ROLLBACK round trips; on SQLite the driver's cursor runs it without a BEGIN too
    # (services.accounts.authenticate_on).
    bind = _lookup_bind(engine)
    try:
        return _authenticate(bind, token)
    except sa.exc.DBAPIError as error:
        if not is_disconnect(error):
            raise
        return _authenticate(bind, token)  # once, on a fresh connection


@lru_cache(maxsize=8)
def _lookup_bind(engine: Engine) -> Engine:
    # Made once per engine: each execution_options(isolation_level=…) call builds an engine and
    # registers an event listener on it: ~40 µs of CPU per request, measured, until it was cached.
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _authenticate(bind: Engine, token: str) -> User:
    with bind.connect() as connection:  # one Core SELECT: no ORM session per request
        return authenticate_on(connection, token)


CurrentUser = Annotated[User, Depends(current_user)]


def check_role(user: User, roles: tuple[Role, ...]) -> User:
    """The user, if their role is one of these (403 otherwise)."""
    if user.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"role '{user.role}' may not do this; needs one of: {names}")
    return user


def require_roles(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only these roles through (403 otherwise)."""

    async def guard(user: CurrentUser) -> User:
        return check_role(user, roles)

    return guard


def authenticate_meanwhile(
    engine: Engine, credentials: HTTPAuthorizationCredentials | None, *roles: Role
) -> asyncio.Future[User]:
    """Start the token look-up and the role check in the threadpool and return at once: an upload
    route receives its body meanwhile (the look-up is then off the request's critical path) and
    awaits the user before anything touches the database. Without a bearer header the request
    is refused at once (401), before a byte of the body is read; a token refused while the body
    arrives stops the reading (`api.uploads.receive_form`)."""
    _bearer_token(credentials)
    future = asyncio.ensure_future(
        run_in_threadpool(lambda: check_role(current_user(engine, credentials), roles))
    )
    # Marks the outcome as seen even if the request ends before awaiting it (no asyncio warning).
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


Submitter = Annotated[User, Depends(require_roles(Role.DRAFTER, Role.ADMIN))]
Drafter = Annotated[User, Depends(require_roles(Role.DRAFTER))]


def document_or_404(
    session: ReadSessionDep, user: CurrentUser, document_id: Annotated[int, Path(ge=1)]
) -> Document:
    """The document, if it exists and the user may see it (drafters: own organ only; 404 else)."""
    return visible_document(session=session, user=user, document_id=document_id)


DocumentDep = Annotated[Document, Depends(document_or_404)]
