"""Dependencies: the request's unit of work, every way a person proves who they are, role guards,
and documents loaded and authorised before a route runs.

Who someone is, in one place: a bearer token (`Authorization: Bearer …`, every route), or — for
reading pages in a browser — a browser session's HttpOnly cookie set by a sign-in form
(api/signin.py: `/office` GET routes accept the office one; SameSite=Strict). Tokens and
sessions are looked up in a short connection of their own before the route reads a byte of the
request body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from config.settings import Settings
from models.db import commit_unit_of_work
from models.documents import Document
from models.users import User
from policies.roles import Role
from services.accounts import authenticate, browser_session_user
from services.documents import visible_document
from services.errors import Forbidden, Unauthenticated
from services.publication.publishing import Publisher, configured_publisher
from services.validation import Id

OFFICE_COOKIE = "gongkai_office"
OFFICE_ROLES = (Role.DISCLOSURE_OFFICE, Role.ADMIN)
T = TypeVar("T")


def now() -> datetime:
    """The current instant (UTC)."""
    return datetime.now(UTC)


# Pure look-ups are `async def`: FastAPI runs sync dependencies in the threadpool.
async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The app's engine."""
    engine: Engine = request.app.state.engine
    return engine


async def write_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed once before the response is sent, rolled back on
    an error. Its transaction begins at its first statement (after the upload is received). A
    route may commit it in its own worker-thread call (`run_and_commit`); then nothing is left."""
    session = Session(request.app.state.writer, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await run_in_threadpool(session.close)  # rolls back
        raise
    if session.in_transaction():
        await run_in_threadpool(_commit_and_close, session)
    else:
        session.close()  # committed already: no connection held, nothing to send


def _commit_and_close(session: Session) -> None:
    with session:
        commit_unit_of_work(session)


async def run_and_commit(session: Session, work: Callable[[], T]) -> T:
    """Run a route's work on the request's unit of work and commit it in the same worker-thread
    call, before the response is sent: one hand-over between the event loop and a thread fewer
    than committing in the dependency afterwards. An error rolls it back (`write_session`)."""

    def unit() -> T:
        result = work()
        commit_unit_of_work(session)
        return result

    return await run_in_threadpool(unit)


def read_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session for reading."""
    with Session(engine) as session:
        yield session


# scope="function": the commit happens before the response goes out, so a 201 is never lost.
SessionDep = Annotated[Session, Depends(write_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_publisher(settings: SettingsDep) -> Publisher:
    """The configured publisher: the portal (default) or a CMS webhook (GONGKAI_PUBLISHER)."""
    return configured_publisher(settings)


PublisherDep = Annotated[Publisher, Depends(get_publisher)]
EngineDep = Annotated[Engine, Depends(get_engine)]

_bearer = HTTPBearer(auto_error=False, description="A token from `gongkai create-token`.")
_cookie = APIKeyCookie(
    name=OFFICE_COOKIE,
    auto_error=False,
    description="A browser session set by POST /office/login (HttpOnly, SameSite=Strict, "
    "/office): a random id, not the token.",
)
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
OfficeCookie = Annotated[str | None, Depends(_cookie)]


def user_with_token(engine: Engine, token: str) -> User:
    """The person holding this token (in a short session of its own), else Unauthenticated."""
    with _one_statement(engine).connect() as connection:
        return authenticate(session=connection, token=token)


def user_with_browser_session(engine: Engine, session_id: str) -> User:
    """The person signed in with this browser session (unexpired, unrevoked), else
    Unauthenticated."""
    with _one_statement(engine).connect() as connection:
        return browser_session_user(session=connection, session_id=session_id, at=now())


@lru_cache(maxsize=8)
def _one_statement(engine: Engine) -> Engine:
    # One SELECT needs no transaction: on PostgreSQL it runs in autocommit, without the BEGIN and
    # ROLLBACK round trips. Made once per engine (each execution_options call builds one).
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def check_role(user: User, roles: tuple[Role, ...]) -> User:
    """The user, if their role is one of these (403 otherwise)."""
    if user.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"role '{user.role}' may not do this; needs one of: {names}")
    return user


def current_user(engine: EngineDep, credentials: Bearer) -> User:
    """The person behind the bearer token, else 401."""
    if credentials is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return user_with_token(engine, credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets only these roles through (403 otherwise)."""

    async def guard(user: CurrentUser) -> User:
        return check_role(user, roles)

    return guard


def office_reader(engine: EngineDep, credentials: Bearer, cookie: OfficeCookie) -> User:
    """The office clerk or admin behind the bearer token or the /office browser session (GET
    routes under /office only); else 401/403."""
    if credentials is not None:
        return check_role(user_with_token(engine, credentials.credentials), OFFICE_ROLES)
    if not cookie:
        raise Unauthenticated("send 'Authorization: Bearer <token>' or sign in at /office/login")
    return check_role(user_with_browser_session(engine, cookie), OFFICE_ROLES)


Submitter = Annotated[User, Depends(require_roles(Role.DRAFTER, Role.ADMIN))]
Drafter = Annotated[User, Depends(require_roles(Role.DRAFTER))]
Office = Annotated[User, Depends(require_roles(*OFFICE_ROLES))]
OfficeReader = Annotated[User, Depends(office_reader)]


def document_or_404(
    session: ReadSessionDep, user: CurrentUser, document_id: Annotated[Id, Path()]
) -> Document:
    """The document, if it exists and the user may see it (drafters: own organ only; 404 else)."""
    return visible_document(session=session, user=user, document_id=document_id)


DocumentDep = Annotated[Document, Depends(document_or_404)]
