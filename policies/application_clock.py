"""The application clock (domain §10 rule 20; §11 windows #5–#9), as a pure function over the
working-day calendar and the application's clock events.

- 补正 (条例 art. 30): the office may ask the applicant to supplement an unclear application
  once, within 7 WD of receipt (#5). While it waits the reply clock does not run; the clock
  restarts on receipt of the supplement (day zero is the day the supplement arrives). No
  supplement by the time the notice states: the application is abandoned.
- Reply (条例 art. 33 ¶2): within 20 WD of receipt, or of the supplement (#6).
- Extension (art. 33 ¶2): once, at most 20 WD (#7), with the disclosure-office head's consent and
  a notice to the applicant; the consent is a human step, recorded on the event.
- Consultations (arts. 32, 34; art. 33 ¶3: "不计算在前款规定的期限内"): a third party's or a
  co-producing agency's opinion, 15 WD each (#8, #9). The working days from the request to the
  answer are added to the reply window, at most the 15 WD the consulted party has: after them a
  co-producing agency's silence is consent (art. 34), and a third party's silence leaves the
  decision to the office (art. 32). An unanswered consultation pauses the clock until its answer
  or its 15th working day, whichever comes first.

The trigger day is day zero and a window ends at 24:00 of its last working day (domain §8.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from policies.calendar import WorkingDayCalendar, end_of_day
from policies.deadlines import Deadline, DeadlineKind
from policies.findings import Finding, Severity
from policies.units import WorkingDays

SUPPLEMENT_NOTICE_WITHIN = WorkingDays(7)  # 条例 art. 30: 自收到申请之日起7个工作日内，一次性
REPLY_WITHIN = WorkingDays(20)  # 条例 art. 33 ¶2: 自收到申请之日起20个工作日内予以答复
EXTENSION_AT_MOST = WorkingDays(20)  # 条例 art. 33 ¶2: 延长的期限最长不得超过20个工作日
CONSULTATION_WITHIN = WorkingDays(15)  # 条例 arts. 32, 34: 自收到征求意见书之日起15个工作日内
EXTENSIONS_ALLOWED = 1  # 条例 art. 33 ¶2: 可以延长答复期限 — one extension (domain §10 rule 20)
SUPPLEMENT_NOTICES_ALLOWED = 1  # 条例 art. 30: 一次性告知申请人作出补正

SOURCE_SUPPLEMENT = "条例 art. 30 (补正: 7个工作日内一次性告知; 答复期限自收到补正的申请之日起计算)"
SOURCE_REPLY = "条例 art. 33 ¶2 (20个工作日内予以答复)"
SOURCE_EXTENSION = (
    "条例 art. 33 ¶2 (经政府信息公开工作机构负责人同意并告知申请人，延长不超过20个工作日)"
)
SOURCE_CONSULTATION = "条例 arts. 32, 34, 33 ¶3 (征求意见 15个工作日，不计算在答复期限内)"


class ClockEventKind(StrEnum):
    """What happened to an application's clock."""

    RECEIVED = "received"  # art. 31 receipt date: day zero
    SUPPLEMENT_REQUESTED = "supplement_requested"  # art. 30 补正 notice; `until`: the stated time
    SUPPLEMENT_RECEIVED = "supplement_received"  # art. 30: the clock restarts
    CONSULTATION_REQUESTED = "consultation_requested"  # arts. 32, 34: the clock pauses
    CONSULTATION_ANSWERED = "consultation_answered"  # the clock runs again
    EXTENDED = "extended"  # art. 33 ¶2: `days`, with the head's approval
    REPLIED = "replied"  # art. 36: the reply is made


class ConsultedParty(StrEnum):
    """Who is consulted, and on which article."""

    THIRD_PARTY = "third_party"  # 第三方 (条例 art. 32)
    AGENCY = "agency"  # 共同制作的行政机关 (条例 art. 34): silence is consent

    @property
    def label(self) -> str:
        """The party as the office reads it."""
        return {
            "third_party": "第三方（条例第三十二条）",
            "agency": "共同制作机关（条例第三十四条）",
        }[self.value]


@dataclass(frozen=True, slots=True)
class ClockEvent:
    """One event on the clock: its kind, its day (Asia/Shanghai), and what it carries."""

    kind: ClockEventKind
    on: date
    days: int | None = None  # EXTENDED: the working days granted
    until: date | None = None  # SUPPLEMENT_REQUESTED: the time the notice gives the applicant
    party: ConsultedParty | None = None  # CONSULTATION_*: who is consulted
    consultation: str | None = None  # CONSULTATION_*: pairs an answer with its request
    approved_by_head: bool = False  # EXTENDED: the disclosure-office head's consent


class ClockState(StrEnum):
    """Where the clock stands."""

    RUNNING = "running"
    AWAITING_SUPPLEMENT = "awaiting_supplement"  # stopped until the supplement arrives
    ABANDONED = "abandoned"  # no supplement by the stated time (art. 30)
    PAUSED = "paused"  # a consultation is open (art. 33 ¶3)
    REPLIED = "replied"


@dataclass(frozen=True, slots=True)
class ReplyClock:
    """The application's clock: day zero, the reply's last day, what moved it, where it stands."""

    state: ClockState
    counted_from: date  # receipt, or receipt of the supplement
    reply_due_on: date | None  # None while waiting for a supplement, or abandoned
    reply_due_at: datetime | None  # 24:00 Asia/Shanghai of reply_due_on
    supplement_notice_due_on: date  # 7 WD from receipt (#5)
    paused_days: int  # working days of consultation (at most 15 each)
    extension_days: int
    provisional: bool  # counted into a year whose arrangement is not loaded
    window_days: int  # 20 + paused + extension: the working days from counted_from

    @property
    def basis(self) -> str:
        """The rule the reply date rests on, with what moved it."""
        parts = [f"{REPLY_WITHIN.days} 个工作日"]
        if self.paused_days:
            parts.append(f"征求意见 {self.paused_days} 个工作日不计入")
        if self.extension_days:
            parts.append(f"延长 {self.extension_days} 个工作日")
        return f"{SOURCE_REPLY}: {'，'.join(parts)}，自 {self.counted_from.isoformat()} 起算"


def _refused(rule: str, message: str, source: str) -> Finding:
    return Finding(f"application.{rule}", Severity.BLOCKING, message, source)


def supplement_notice_due(calendar: WorkingDayCalendar, received_on: date) -> date:
    """The last day the 补正 notice may be given: 7 WD after receipt (条例 art. 30)."""
    return calendar.add_working_days(received_on, SUPPLEMENT_NOTICE_WITHIN.days).value


def consultation_due(calendar: WorkingDayCalendar, requested_on: date) -> date:
    """The last day of a consulted party's 15 WD (条例 arts. 32, 34)."""
    return calendar.add_working_days(requested_on, CONSULTATION_WITHIN.days).value


def _paused(calendar: WorkingDayCalendar, start: date, end: date | None) -> int:
    """Working days a consultation pauses the clock: from its request to its answer, at most
    the 15 WD of arts. 32, 34 (an unanswered one: all 15)."""
    if end is None:
        return CONSULTATION_WITHIN.days
    return min(calendar.working_days_between(start, end).days, CONSULTATION_WITHIN.days)


def check_event(events: Iterable[ClockEvent], event: ClockEvent) -> list[Finding]:
    """Whether event may be added after events: 补正 once and within 7 WD, no reply clock
    change after the reply, one extension of at most 20 WD with the head's approval."""
    past = sorted(events, key=lambda e: e.on)
    kinds = [e.kind for e in past]
    findings: list[Finding] = []
    if ClockEventKind.REPLIED in kinds:
        return [_refused("replied", "该申请已答复，期限不再变化。", SOURCE_REPLY)]
    if past and event.on < past[-1].on:
        message = f"事件日期 {event.on} 早于上一事件 {past[-1].on}：请按发生顺序登记。"
        findings.append(_refused("order", message, SOURCE_REPLY))
    if event.kind is ClockEventKind.SUPPLEMENT_REQUESTED:
        findings += _check_supplement_request(past, event)
    elif event.kind is ClockEventKind.SUPPLEMENT_RECEIVED:
        if kinds.count(ClockEventKind.SUPPLEMENT_REQUESTED) <= kinds.count(
            ClockEventKind.SUPPLEMENT_RECEIVED
        ):
            findings.append(_refused("supplement.none", "没有待补正的通知。", SOURCE_SUPPLEMENT))
    elif event.kind is ClockEventKind.EXTENDED:
        findings += _check_extension(past, event)
    elif event.kind is ClockEventKind.CONSULTATION_ANSWERED:
        open_ = _open_consultations(past)
        if event.consultation not in open_:
            message = f"征求意见 {event.consultation!r} 未发出或已答复。"
            findings.append(_refused("consultation.unknown", message, SOURCE_CONSULTATION))
    elif event.kind is ClockEventKind.CONSULTATION_REQUESTED and event.party is None:
        message = "征求意见须注明对象：第三方（第三十二条）或共同制作机关（第三十四条）。"
        findings.append(_refused("consultation.party", message, SOURCE_CONSULTATION))
    return findings


def _check_supplement_request(past: list[ClockEvent], event: ClockEvent) -> list[Finding]:
    findings = []
    if any(e.kind is ClockEventKind.SUPPLEMENT_REQUESTED for e in past):
        message = "补正只能一次性告知，本申请已发出过补正通知。"
        findings.append(_refused("supplement.once", message, SOURCE_SUPPLEMENT))
    if event.until is None or event.until <= event.on:
        message = "补正通知须写明补正的合理期限（晚于通知日）。"
        findings.append(_refused("supplement.until", message, SOURCE_SUPPLEMENT))
    return findings


def _check_extension(past: list[ClockEvent], event: ClockEvent) -> list[Finding]:
    findings = []
    if sum(e.kind is ClockEventKind.EXTENDED for e in past) >= EXTENSIONS_ALLOWED:
        message = "答复期限只能延长一次，本申请已经延长。"
        findings.append(_refused("extension.once", message, SOURCE_EXTENSION))
    if event.days is None or not 0 < event.days <= EXTENSION_AT_MOST.days:
        message = f"延长期限须为 1 至 {EXTENSION_AT_MOST.days} 个工作日，收到 {event.days}。"
        findings.append(_refused("extension.days", message, SOURCE_EXTENSION))
    if not event.approved_by_head:
        message = "延长答复期限须经政府信息公开工作机构负责人同意。"
        findings.append(_refused("extension.approval", message, SOURCE_EXTENSION))
    return findings


def _open_consultations(events: Iterable[ClockEvent]) -> dict[str | None, ClockEvent]:
    open_: dict[str | None, ClockEvent] = {}
    for e in events:
        if e.kind is ClockEventKind.CONSULTATION_REQUESTED:
            open_[e.consultation] = e
        elif e.kind is ClockEventKind.CONSULTATION_ANSWERED:
            open_.pop(e.consultation, None)
    return open_


def reply_clock(
    calendar: WorkingDayCalendar, events: Iterable[ClockEvent], as_of: date
) -> ReplyClock:
    """The clock after events, seen on as_of: day zero, the reply's last day (20 WD, plus the
    consultations' working days and the extension), and its state (条例 arts. 30–34)."""
    ordered = sorted(events, key=lambda e: e.on)
    received = next((e for e in ordered if e.kind is ClockEventKind.RECEIVED), None)
    if received is None:
        raise ValueError("an application's clock starts with its receipt (条例 art. 31)")
    start, paused, extension = received.on, 0, 0
    requests: dict[str | None, ClockEvent] = {}
    awaiting: ClockEvent | None = None
    replied = False
    for e in ordered:
        if e.kind is ClockEventKind.SUPPLEMENT_REQUESTED:
            awaiting = e
        elif e.kind is ClockEventKind.SUPPLEMENT_RECEIVED:
            start, awaiting, paused = e.on, None, 0  # art. 30: counted afresh
        elif e.kind is ClockEventKind.CONSULTATION_REQUESTED:
            requests[e.consultation] = e
        elif e.kind is ClockEventKind.CONSULTATION_ANSWERED:
            asked = requests.pop(e.consultation)
            paused += _paused(calendar, asked.on, e.on)
        elif e.kind is ClockEventKind.EXTENDED:
            extension += e.days or 0
        elif e.kind is ClockEventKind.REPLIED:
            replied = True
    paused += sum(_paused(calendar, r.on, None) for r in requests.values())
    notice_due = supplement_notice_due(calendar, received.on)
    window = REPLY_WITHIN.days + paused + extension
    if awaiting is not None:
        assert awaiting.until is not None, "checked by check_event"
        state = ClockState.ABANDONED if as_of > awaiting.until else ClockState.AWAITING_SUPPLEMENT
        return ReplyClock(state, start, None, None, notice_due, paused, extension, False, window)
    due, provisional = calendar.add_working_days(start, window)
    if replied:
        state = ClockState.REPLIED
    elif requests:
        state = ClockState.PAUSED
    else:
        state = ClockState.RUNNING
    return ReplyClock(
        state, start, due, end_of_day(due), notice_due, paused, extension, provisional, window
    )


def application_deadlines(clock: ReplyClock) -> tuple[Deadline, ...]:
    """The deadlines an application's clock sets, stored and alerted like the other windows:
    the 补正 notice (#5) and the reply (#6; with pauses #8/#9 and the extension #7), the reply
    only while it can be counted (not while a supplement is awaited)."""
    notice = Deadline(
        DeadlineKind.APPLICATION_SUPPLEMENT,
        end_of_day(clock.supplement_notice_due_on),
        SOURCE_SUPPLEMENT,
        False,
    )
    if clock.reply_due_at is None:
        return (notice,)
    reply = Deadline(
        DeadlineKind.APPLICATION_REPLY,
        clock.reply_due_at,
        clock.basis,
        clock.provisional,
        clock.counted_from,
        clock.window_days,
    )
    return (notice, reply)
