"""Window alerts: every open publication and interpretation window is checked at an instant, and
each (window, threshold) is alerted once (domain §10 rules 12, 13; §11 windows #1–#3).

Thresholds are shares of the window in its own unit (policies.windows); the whole window spent
(overdue) is always alerted. A met deadline (met_at set at publication) raises nothing, and a
document filed instead of published is not watched. Keys carry the due instant, so a window that
is recomputed (a new version signed off) is alerted afresh while a rerun raises nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.alerts import Alert
from models.deadlines import Deadline
from models.documents import Document
from policies.calendar import SHANGHAI, WorkingDayCalendar, deadline_text
from policies.deadlines import DeadlineKind
from policies.profiles import get_profile
from policies.statuses import Status
from policies.windows import (
    DEFAULT_SHARES,
    OVERDUE,
    WATCHED_KINDS,
    threshold_label,
    thresholds_crossed,
    window_start,
    window_unit,
)
from services.calendar import profile_calendars
from services.office.alerts import AlertSpec, raise_alerts
from services.timestamps import require_aware

ALERT_SHARE = "window.share"
ALERT_OVERDUE = "window.overdue"
_KEY_BATCH = 1000
_WHAT = {
    DeadlineKind.PUBLICATION_LOCAL: "网上公开（印发后时限）",
    DeadlineKind.PUBLICATION_CEILING: "网上公开（20个工作日上限）",
    DeadlineKind.INTERPRETATION: "政策解读材料发布",
}


@dataclass(frozen=True)
class WindowReport:
    """What one check did: windows looked at and the alerts raised (their keys)."""

    checked: int
    raised: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpenWindow:
    """What a check needs of an unmet deadline and its document (columns, not whole rows)."""

    deadline_id: int
    kind: DeadlineKind
    due_at: datetime
    basis: str
    provisional: bool
    created_at: datetime
    document_id: int
    title: str
    doc_number: str | None
    organ_id: int
    policy_profile: str


def window_key(window: OpenWindow, share: float) -> str:
    """The alert key of one threshold of one window: once per window, due instant and share."""
    due = window.due_at.astimezone(SHANGHAI).strftime("%Y%m%dT%H%M")
    return f"window:{window.deadline_id}:{due}:{threshold_label(share)}"


def _open_windows(session: Session) -> list[OpenWindow]:
    # ix_deadlines_open (met_at, due_at) finds the open rows; a document filed instead of
    # published keeps its stored windows, but nobody has to publish it any more.
    rows = session.execute(
        sa.select(
            col(Deadline.id),
            col(Deadline.kind),
            col(Deadline.due_at),
            col(Deadline.basis),
            col(Deadline.provisional),
            col(Deadline.created_at),
            col(Document.id),
            col(Document.title),
            col(Document.doc_number),
            col(Document.organ_id),
            col(Document.policy_profile),
        )
        .join(Document, col(Document.id) == col(Deadline.document_id))
        .where(
            col(Deadline.met_at).is_(None),
            col(Deadline.closed_at).is_(None),
            col(Deadline.kind).in_([k.value for k in WATCHED_KINDS]),
            col(Document.status) != Status.FILED,
        )
        .order_by(col(Deadline.due_at), col(Deadline.id))
    ).all()
    return [OpenWindow(r[0], DeadlineKind(r[1]), *r[2:]) for r in rows]


def _crossed(
    window: OpenWindow, at: datetime, shares: tuple[float, ...], calendar: WorkingDayCalendar
) -> tuple[float, ...]:
    profile = get_profile(window.policy_profile)
    due, kind = window.due_at, window.kind
    unit = window_unit(kind, profile)
    if at >= due:  # spent: every threshold; no need to find where the window started
        return thresholds_crossed(due, due, at, unit, calendar, shares)
    if kind is DeadlineKind.PUBLICATION_LOCAL and profile.publish_after_issue is None:
        start = window.created_at  # the profile changed since: count from when it was set
    else:
        start = window_start(kind, due, profile, calendar)
    return thresholds_crossed(start, due, at, unit, calendar, shares)


def _existing(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), _KEY_BATCH):
        chunk = keys[i : i + _KEY_BATCH]
        found.update(session.exec(select(Alert.key).where(col(Alert.key).in_(chunk))).all())
    return found


def _message(window: OpenWindow, share: float) -> str:
    number = f"（{window.doc_number}）" if window.doc_number else ""
    due = deadline_text(window.due_at, provisional=window.provisional)
    state = "已逾期" if share >= OVERDUE else f"时限已过{threshold_label(share)}"
    what = f"《{window.title}》{number} {_WHAT[window.kind]}{state}"
    return f"{what}：应于 {due}前完成；依据 {window.basis}"


def check_windows(
    session: Session, *, at: datetime, shares: Iterable[float] = DEFAULT_SHARES
) -> WindowReport:
    """Raise one alert per open window and threshold crossed at `at` (shares of the window in
    its own unit, and overdue); thresholds already alerted raise nothing."""
    require_aware(at)
    wanted = tuple(shares)
    rows = _open_windows(session)
    calendars = profile_calendars(session)
    candidates = [
        (window_key(window, share), window, share)
        for window in rows
        for share in _crossed(window, at, wanted, calendars[window.policy_profile])
    ]
    known = _existing(session, [key for key, _, _ in candidates])
    specs = [
        AlertSpec(
            key=key,
            kind=ALERT_OVERDUE if share >= OVERDUE else ALERT_SHARE,
            threshold=threshold_label(share),
            message=_message(window, share),
            document_id=window.document_id,
            organ_id=window.organ_id,
            payload={
                "deadline_id": window.deadline_id,
                "deadline_kind": window.kind.value,
                "due_at": window.due_at.isoformat(),
                "basis": window.basis,
                "share": share,
                "provisional": window.provisional,
            },
        )
        for key, window, share in candidates
        if key not in known
    ]
    raised = raise_alerts(session, specs, at=at)
    return WindowReport(checked=len(rows), raised=tuple(raised))
