"""The one place that renders HTML: the public portal (`portal`), the office dashboard and its
sign-in (`office`), the printable annual report (`annual_report`). Plain templates (beside this
module, under `templates/`) and the standard library; every value is escaped where it is
written into a page."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from fastapi.responses import HTMLResponse

from services.validation import shown_safely

TEMPLATES = Path(__file__).parent / "templates"
# Office pages: scripts only from this origin (no inline script), styles inline, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

# Portal pages: no script at all, the stylesheet from this origin, forms only to this origin.
PUBLIC_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def escape(text: str) -> str:
    """Text written into a page: refused characters replaced (shown_safely), then escaped."""
    return html.escape(shown_safely(text))


def template(name: str) -> Template:
    """A page template from templates/."""
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def private_html(body: str, status_code: int = 200) -> HTMLResponse:
    """An HTML response for a signed-in person's page: the security headers, never cached."""
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


def public_html(body: str, status_code: int = 200) -> HTMLResponse:
    """An HTML response for a public portal page: no script may run on it, it is never framed."""
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={
            "Content-Security-Policy": PUBLIC_CSP,
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "X-Content-Type-Options": "nosniff",
        },
    )
