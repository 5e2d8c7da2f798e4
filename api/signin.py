"""The browser sign-in shared by the office dashboard (/office) and the reviewer pages (/review).

A browser cannot send a bearer header, so a person signs in once with their token in a form:
- the form carries a CSRF token that must equal the one in a short-lived HttpOnly cookie set
  with the form (double submit), and a POST whose Origin is another site is refused (no login
  CSRF: a foreign page cannot sign a browser in as someone else);
- the token is checked (role), then a browser session is opened: the cookie holds a random id,
  the database only its sha256, with an expiry; signing out revokes it. The token itself never
  goes into a cookie.
Each sign-in has its own cookie, scoped to its path, HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.deps import EngineDep, check_role, now, user_with_browser_session, user_with_token
from api.pages import private_html
from api.pages.signin import login_page
from models.db import commit_unit_of_work
from models.users import User
from policies.roles import Role
from services.accounts import open_browser_session, revoke_browser_session
from services.errors import Forbidden, Unauthenticated
from services.review.reading import READERS

SESSION_LIFETIME = timedelta(hours=12)
CSRF_COOKIE = "gongkai_csrf"
CSRF_MAX_AGE_SECONDS = 3600


@dataclass(frozen=True)
class SignIn:
    """One browser sign-in: its cookie and path, who may use it, its form and its home page."""

    title: str
    cookie: str
    path: str
    roles: tuple[Role, ...]
    home: str

    @property
    def action(self) -> str:
        """Where the form posts."""
        return f"{self.path}/login"

    def form(
        self, *, next_url: str = "", error: str | None = None, status_code: int = 200
    ) -> HTMLResponse:
        """The form with a fresh CSRF token, set in its cookie too."""
        csrf = secrets.token_urlsafe(32)
        response = private_html(
            login_page(
                title=self.title,
                action=self.action,
                path=self.path,
                hours=int(SESSION_LIFETIME.total_seconds() // 3600),
                csrf=csrf,
                next_url=self._next(next_url),
                error=error,
            ),
            status_code=status_code,
        )
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            httponly=True,
            samesite="strict",
            path=self.action,
            max_age=CSRF_MAX_AGE_SECONDS,
        )
        return response

    def sign_in(
        self, request: Request, engine: Engine, *, token: str, csrf_token: str, next_url: str
    ) -> Response:
        """Check origin, CSRF token and the person's token and role; then open a browser
        session, set its cookie and go on (to next_url, a page under this path, or home)."""
        cross_site = _cross_site(request)
        if cross_site or not _same_secret(request.cookies.get(CSRF_COOKIE), csrf_token):
            reason = cross_site or "the sign-in form expired or came from elsewhere: sign in again"
            return self.form(next_url=next_url, error=reason, status_code=403)
        try:
            user = check_role(user_with_token(engine, token.strip()), self.roles)
        except (Unauthenticated, Forbidden) as error:
            code = 401 if isinstance(error, Unauthenticated) else 403
            return self.form(next_url=next_url, error=error.message, status_code=code)
        with Session(request.app.state.writer) as session:
            _, session_id = open_browser_session(
                session=session, user=user, at=now(), lifetime=SESSION_LIFETIME
            )
            commit_unit_of_work(session)
        response = RedirectResponse(self._next(next_url) or self.home, status_code=303)
        response.set_cookie(
            self.cookie,
            session_id,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path=self.path,
            max_age=int(SESSION_LIFETIME.total_seconds()),
        )
        response.delete_cookie(CSRF_COOKIE, path=self.action, httponly=True, samesite="strict")
        return response

    def sign_out(self, request: Request) -> Response:
        """Revoke this browser's session and forget its cookie."""
        session_id = request.cookies.get(self.cookie)
        if session_id:
            with Session(request.app.state.writer) as session:
                revoke_browser_session(session=session, session_id=session_id, at=now())
                commit_unit_of_work(session)
        response = RedirectResponse(self.action, status_code=303)
        response.delete_cookie(self.cookie, path=self.path, httponly=True, samesite="strict")
        return response

    def user(self, engine: Engine, session_id: str | None) -> User:
        """The person signed in with this cookie, if their role may use this sign-in."""
        if not session_id:
            raise Unauthenticated(f"sign in at {self.action}")
        return check_role(user_with_browser_session(engine, session_id), self.roles)

    def _next(self, next_url: str) -> str:
        """next_url if it is a page under this sign-in's path (never another site), else ""."""
        parts = urlsplit(next_url)
        if parts.scheme or parts.netloc or not parts.path.startswith(f"{self.path}/"):
            return ""
        return next_url


def form_refusal(request: Request, cookie: str, given: str) -> str:
    """Why a browser form POST is refused ("" if it is not): sent from another site, or its
    CSRF token not the one in its own cookie (the one CSRF check of every browser form)."""
    cross_site = _cross_site(request)
    if cross_site:
        return cross_site
    if not _same_secret(request.cookies.get(cookie), given):
        return "the form expired or came from elsewhere: open it again"
    return ""


def _same_secret(expected: str | None, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(str(expected), given)


def _cross_site(request: Request) -> str:
    """Why this POST comes from another site ("" if it does not): a foreign Origin, or the
    browser's Sec-Fetch-Site saying it is not our own origin. (Our pages send no referrer, so
    a browser sends `Origin: null` with their forms: that alone says nothing; the CSRF token
    and Sec-Fetch-Site decide.)"""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin not in (None, "null", own):
        return f"sign-in refused: the form was sent from {origin}, not from {own}"
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "sign-in refused: the form was sent from another site"
    return ""


_HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}


def add_sign_in_routes(router: APIRouter, signin: SignIn, *, who: str) -> None:
    """The sign-in form, its POST and the sign-out, on a router under signin.path."""

    @router.get("/login", response_class=HTMLResponse, summary=f"Sign-in form for {who}")
    def login_form(next: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
        """A form that takes a token once and opens a browser session (api/signin.py)."""
        return signin.form(next_url=next)

    @router.post(
        "/login",
        response_class=HTMLResponse,
        status_code=303,
        responses={  # a refusal shows the form again (HTML), not the JSON error shape
            401: {"description": "Unknown or revoked token: the form again", "content": _HTML},
            403: {
                "description": "Refused (role, or the form's token): the form again",
                "content": _HTML,
            },
            303: {"description": f"Signed in: on to the page asked for, or {signin.home}"},
        },
        summary=f"Exchange a token of {who} for a browser session (HttpOnly cookie for "
        f"{signin.path})",
    )
    def login(
        request: Request,
        engine: EngineDep,
        token: Annotated[str, Form(min_length=1)],
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        """Check origin and CSRF token, then the token and its role; open a browser session,
        set its cookie and go on."""
        return signin.sign_in(request, engine, token=token, csrf_token=csrf_token, next_url=next)

    @router.post("/logout", status_code=303, summary="End the browser session and clear its cookie")
    def logout(request: Request) -> Response:
        """Sign this browser out: its session is revoked, not merely forgotten."""
        return signin.sign_out(request)


OFFICE_SIGNIN = SignIn(
    title="政务公开办 · 文件审查看板",
    cookie="gongkai_office",
    path="/office",
    roles=(Role.DISCLOSURE_OFFICE, Role.ADMIN),
    home="/office/dashboard",
)

REVIEW_SIGNIN = SignIn(
    title="审查人 · 文件审阅 (reviewers)",
    cookie="gongkai_review",
    path="/review",
    roles=READERS,
    home="/review/",
)
