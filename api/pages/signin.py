"""The browser sign-in form shared by the office dashboard and the reviewer pages."""

from __future__ import annotations

from html import escape

from api.pages import template

_LOGIN = template("login.html")


def login_page(
    *, title: str, action: str, path: str, hours: int, csrf: str, next_url: str, error: str | None
) -> str:
    """A sign-in form (office dashboard, reviewer pages), with the reason of a refused attempt;
    its CSRF token is the one set in the sign-in's cookie."""
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    return _LOGIN.substitute(
        title=escape(title),
        action=escape(action),
        path=escape(path),
        hours=hours,
        csrf=escape(csrf),
        next=escape(next_url),
        error=message,
    )
