"""The office dashboard: the page shell (templates/) and the board, rendered here. No
framework: the page swaps in a fresh board from /office/dashboard/board every few seconds
(templates/dashboard.js)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from api.pages import TEMPLATES, escape, template
from policies.calendar import SHANGHAI, age_text, deadline_text
from policies.deadlines import DeadlineKind
from services.office.overview import Dashboard
from services.office.stuck import CountRow, StuckDocument

_PAGE = template("dashboard.html")
SCRIPT = (TEMPLATES / "dashboard.js").read_text(encoding="utf-8")


def dashboard_page(*, user_name: str, board_html: str, board_url: str, refresh_seconds: int) -> str:
    """The whole page around a rendered board."""
    return _PAGE.substitute(
        user_name=escape(user_name),
        board_html=board_html,
        board_url=escape(board_url),
        refresh_seconds=refresh_seconds,
        refresh_ms=refresh_seconds * 1000,
    )


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return escape(moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def _table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]], tid: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(headers)}">—</td></tr>'
    return (
        f'<h2>{caption}</h2><table id="{tid}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _stuck_row(item: StuckDocument) -> list[str]:
    holder = item.held_by_role.value if item.held_by_role else ""
    if item.held_by_name:
        holder += f" ({item.held_by_name})"
    run = (
        f'<a href="{escape(item.flow_run_url)}" target="_blank" rel="noopener">flow run</a>'
        if item.flow_run_url
        else ""
    )
    return [
        f'<a class="document" href="/office/documents/{item.document_id}">'
        f"#{item.document_id} {escape(item.title)}</a>",
        escape(item.doc_number or ""),
        escape(item.organ_name),
        escape(item.stage.value),
        escape(holder),
        _when(item.entered_at),
        escape(deadline_text(item.due_at, provisional=item.provisional)),
        escape(age_text(item.age_working_days, provisional=item.provisional))
        + f" / {escape(item.allowance)}",
        f'<span class="{item.level.value}">{item.level.value}</span>',
        run,
    ]


def _counts(rows: Sequence[CountRow]) -> list[list[str]]:
    return [[escape(r.label or r.key), str(r.overdue), str(r.near), str(r.total)] for r in rows]


def board_html(data: Dashboard) -> str:
    """The board: stuck list and counts, overdue windows, 退文, re-reviews, escalations."""
    stuck = data.stuck
    summary = (
        f'<p class="meta" id="as-of">As of {_when(stuck.as_of)} Asia/Shanghai · '
        f'<span id="stuck-total">{stuck.total}</span> stuck ({stuck.overdue} overdue, '
        f"{stuck.near} near at {round(stuck.near_share * 100)} %) · showing "
        f"{len(stuck.items)}</p>"
    )
    warning = (
        f'<p class="warning" id="calendar-warning">{escape(data.calendar_warning)}</p>'
        if data.calendar_warning
        else ""
    )
    parts = [
        warning + summary,
        _table(
            "Stuck documents (超期/临期)",
            [
                "Document",
                "文号",
                "Organ",
                "Stage",
                "Held by",
                "In stage since",
                "Due",
                "Age / allowance",
                "Level",
                "Prefect",
            ],
            (_stuck_row(i) for i in stuck.items),
            "stuck",
        ),
        _table(
            f"Stranded reviews ({len(stuck.stranded)}): the review run ended at a human step; "
            "restart with POST /office/documents/{id}/restart-review or gongkai restart-review",
            ["Document", "Status", "Run state", "Found"],
            (
                [
                    f'<a href="/office/documents/{r.document_id}">#{r.document_id} '
                    f"{escape(r.title)}</a>",
                    escape(r.status.value),
                    escape(r.run_state),
                    _when(r.detected_at),
                ]
                for r in stuck.stranded
            ),
            "stranded",
        ),
        _table(
            "By stage",
            ["Stage", "Overdue", "Near", "Total"],
            _counts(stuck.by_stage),
            "by-stage",
        ),
        _table(
            "By organ",
            ["Organ", "Overdue", "Near", "Total"],
            _counts(stuck.by_organ),
            "by-organ",
        ),
        _table(
            f"Overdue publications ({data.overdue.publication}) and interpretations "
            f"({data.overdue.interpretation})",
            ["Document", "Organ", "Window", "Due", "Basis"],
            (
                [
                    f'<a href="/office/documents/{o.document_id}">#{o.document_id} '
                    f"{escape(o.title)}</a>",
                    escape(o.organ_code),
                    escape(o.kind),
                    escape(deadline_text(o.due_at, provisional=o.provisional)),
                    escape(o.basis),
                ]
                for o in data.overdue.oldest
            ),
            "overdue",
        ),
        _table(
            "退文 history (latest)",
            ["Document", "When", "By", "Reason"],
            (
                [
                    f'<a href="/office/documents/{r.document_id}">#{r.document_id} '
                    f"{escape(r.title)}</a>",
                    _when(r.occurred_at),
                    escape(f"{r.actor} ({r.role.value}, {r.channel})"),
                    escape(r.reason or ""),
                ]
                for r in data.returned
            ),
            "returned",
        ),
        _table(
            f"Pending re-reviews ({data.rereviews.open}, {data.rereviews.overdue} overdue)",
            ["Document", "Kind", "Due", "Decide by", "Overdue"],
            (
                [
                    f'<a href="/office/documents/{r.document_id}">#{r.document_id} '
                    f"{escape(r.title)}</a>",
                    escape(r.kind),
                    _when(r.due_at),
                    _when(r.decide_by),
                    "yes" if r.overdue else "",
                ]
                for r in data.rereviews.items
            ),
            "rereviews",
        ),
        _table(
            f"Applications: open deadlines ({len(data.applications)})",
            ["Application", "Organ", "Received", "Deadline", "Due", "Basis", "Overdue"],
            (
                [
                    escape(a.number),
                    escape(a.organ_code),
                    a.received_on.isoformat(),
                    "答复" if a.kind is DeadlineKind.APPLICATION_REPLY else "补正告知",
                    escape(deadline_text(a.due_at, provisional=a.provisional)),
                    escape(a.basis),
                    "yes" if a.overdue else "",
                ]
                for a in data.applications
            ),
            "applications",
        ),
        _table(
            f"Escalations ({data.escalated})",
            ["Document", "Organ", "Escalated since", "Age"],
            (
                [
                    f'<a href="/office/documents/{e.document_id}">#{e.document_id} '
                    f"{escape(e.title)}</a>",
                    escape(e.organ_code),
                    _when(e.since),
                    escape(age_text(e.age_working_days, provisional=e.provisional)),
                ]
                for e in data.escalations
            ),
            "escalations",
        ),
    ]
    return "\n".join(parts)
