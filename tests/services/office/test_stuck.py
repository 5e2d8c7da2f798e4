"""The office monitor on SQLite and PostgreSQL: stuck documents across the 2026 National Day,
filters and counts, overdue windows, 退文 history, re-reviews, escalations, and the stuck alerts
(each once per document, stage entry and threshold)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from sqlmodel import Session, select

from models.alerts import Alert
from models.deadlines import Deadline
from models.documents import Document
from models.organs import Organ
from models.rereviews import Rereview
from policies.attributes import Attribute
from policies.calendar import SHANGHAI, WorkingDayCalendar
from policies.profiles import PROFILES
from policies.roles import Role
from policies.statuses import Stage, Status
from policies.steps import Step
from policies.stuck import StuckLevel
from services.office.alerts import WebhookNotifier, deliver_pending
from services.office.digest import raise_stuck_alerts
from services.office.overview import (
    dashboard,
    escalations,
    overdue_deadlines,
    pending_rereviews,
    returned_history,
)
from services.office.stuck import StuckFilters, stuck_counts, stuck_documents, stuck_list
from services.review import change_status, open_step
from tests.browser_support import serve_app
from tests.factories import id_of, make_document, make_organ, make_user

UI = "http://prefect.test:4200"


def at(m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SHANGHAI)


AS_OF = at(10, 16, 10)  # Friday 2026-10-16 10:00 Asia/Shanghai


@dataclass
class World:
    organ_a: Organ
    organ_b: Organ
    late_secrecy: Document  # entered 09-29, 7 WD over National Day: overdue, age 9
    fresh_secrecy: Document  # entered 10-09: inside its allowance
    near_signoff: Document  # entered 10-13 09:00, 3 WD: 84 % used
    late_prereview: Document  # organ B, withheld, entered 09-28, 5 WD: overdue
    late_interpretation: Document  # held by its drafter
    published: Document  # left the stage; its stage-allowance row is stale


def _waiting(
    session: Session, status: Status, entered: datetime, step: Step, **kw: Any
) -> Document:
    document = make_document(session, status=status, status_changed_at=entered, **kw)
    open_step(
        session=session,
        document_id=id_of(document),
        version_id=document.current_version_id or 0,
        step=step,
        at=entered,
    )
    return document


@pytest.fixture
def world(session: Session) -> World:
    organ_a, organ_b = make_organ(session, code="a"), make_organ(session, code="b")
    drafter_a = make_user(session, organ=organ_a, name="张拟稿")
    drafter_b = make_user(session, organ=organ_b)
    published = _waiting(
        session, Status.SECRECY_REVIEW, at(8, 3, 9), Step.SECRECY_REVIEW, drafter=drafter_a
    )
    published.status, published.stage = Status.PUBLISHED, Stage.DONE
    published.status_changed_at = at(8, 10, 9)
    session.add(published)
    world = World(
        organ_a=organ_a,
        organ_b=organ_b,
        late_secrecy=_waiting(
            session,
            Status.SECRECY_REVIEW,
            at(9, 29, 10),
            Step.SECRECY_REVIEW,
            drafter=drafter_a,
            doc_number="测政办发〔2026〕9号",
            flow_run_id="5f0c1c1e-0000-4000-8000-000000000001",
        ),
        fresh_secrecy=_waiting(
            session, Status.SECRECY_REVIEW, at(10, 9, 10), Step.SECRECY_REVIEW, drafter=drafter_a
        ),
        near_signoff=_waiting(
            session, Status.AWAITING_SIGNOFF, at(10, 13, 9), Step.SIGN_OFF, drafter=drafter_a
        ),
        late_prereview=_waiting(
            session,
            Status.OFFICE_PREREVIEW,
            at(9, 28, 10),
            Step.OFFICE_PREREVIEW,
            drafter=drafter_b,
            marking={"attribute": Attribute.WITHHELD, "reason_codes": ["state_secret"]},
        ),
        late_interpretation=_waiting(
            session,
            Status.AWAITING_INTERPRETATION,
            at(10, 9, 9),
            Step.INTERPRETATION,
            drafter=drafter_a,
        ),
        published=published,
    )
    session.commit()
    return world


def _ids(report: Any) -> list[int]:
    return [item.document_id for item in report.items]


def test_past_its_secrecy_allowance_across_national_day(session: Session, world: World) -> None:
    report = stuck_documents(session, as_of=AS_OF, flow_run_ui=UI)
    late = next(i for i in report.items if i.document_id == world.late_secrecy.id)
    # Entered Tue 09-29; 7 WD = 09-30, 10-08, 10-09, Sat 10-10 (调休 make-up), 10-12, 10-13,
    # 10-14 → due 10-14 24:00. Age at Fri 10-16: 09-30, 10-08, 10-09, 10-10, 10-12..10-16 = 9.
    assert late.age_working_days == 9
    assert late.due_at == at(10, 15)
    assert late.level is StuckLevel.OVERDUE
    assert late.stage is Stage.SECRECY_REVIEW
    assert late.held_by_role is Role.SECRECY_REVIEWER
    assert late.doc_number == "测政办发〔2026〕9号"
    assert late.organ_code == "a"
    stored = session.exec(
        select(Deadline).where(Deadline.document_id == world.late_secrecy.id)
    ).one()
    assert late.deadline_id == stored.id  # the deadline open_step stored for this entry
    assert late.flow_run_url == f"{UI}/runs/flow-run/5f0c1c1e-0000-4000-8000-000000000001"


def test_inside_the_allowance_or_out_of_the_stage_is_not_listed(
    session: Session, world: World
) -> None:
    ids = _ids(stuck_documents(session, as_of=AS_OF))
    assert world.fresh_secrecy.id not in ids  # 10-09 + 7 WD = end of 10-19; 5.42 WD = 77 % used
    assert world.published.id not in ids  # its stage-allowance row stays unmet, but it left
    assert ids == [
        world.late_prereview.id,
        world.late_secrecy.id,
        world.late_interpretation.id,
        world.near_signoff.id,
    ]  # oldest entry first


def test_near_versus_overdue(session: Session, world: World) -> None:
    report = stuck_documents(session, as_of=AS_OF, near_share=0.8)
    levels = {i.document_id: i.level for i in report.items}
    # Sign-off 3 WD from Tue 10-13 09:00: due 10-16 24:00; used at 10-16 10:00: 10-14, 10-15
    # and 0.42 of 10-16 = 2.42 of 3 WD = 81 % ≥ 80 %.
    assert levels[world.near_signoff.id] is StuckLevel.NEAR
    assert (report.overdue, report.near, report.total) == (3, 1, 4)
    assert world.near_signoff.id not in _ids(stuck_documents(session, as_of=AS_OF, near_share=0.9))
    # Interpretation 3 WD from Fri 10-09: 10-10, 10-12, 10-13 → overdue since 10-14 00:00.
    assert levels[world.late_interpretation.id] is StuckLevel.OVERDUE
    interp = next(i for i in report.items if i.document_id == world.late_interpretation.id)
    assert interp.held_by_role is Role.DRAFTER
    assert interp.held_by_name == "张拟稿"


def test_as_of_reports_the_past(session: Session, world: World) -> None:
    # On Sat 10-10 (调休, worked) 10:00 the 09-29 document had used 09-30, 10-08, 10-09 and
    # 0.42 of 10-10: 3.42 of 7 WD (49 %), not listed; the 09-28 pre-review 09-29, 09-30, 10-08,
    # 10-09 + 0.42 = 4.42 of 5 WD (88 %): near.
    report = stuck_documents(session, as_of=at(10, 10, 10))
    assert world.late_secrecy.id not in _ids(report)
    levels = {i.document_id: i.level for i in report.items}
    assert levels[world.late_prereview.id] is StuckLevel.NEAR


def test_filters_and_counts(session: Session, world: World) -> None:
    by_organ = stuck_documents(
        session, as_of=AS_OF, filters=StuckFilters(organ_id=world.organ_b.id)
    )
    assert _ids(by_organ) == [world.late_prereview.id]
    by_stage = stuck_documents(
        session, as_of=AS_OF, filters=StuckFilters(stage=Stage.SECRECY_REVIEW)
    )
    assert _ids(by_stage) == [world.late_secrecy.id]
    withheld = stuck_documents(
        session, as_of=AS_OF, filters=StuckFilters(attribute=Attribute.WITHHELD)
    )
    assert _ids(withheld) == [world.late_prereview.id]
    near_only = stuck_documents(session, as_of=AS_OF, filters=StuckFilters(level=StuckLevel.NEAR))
    assert _ids(near_only) == [world.near_signoff.id]
    overdue_only = stuck_documents(
        session, as_of=AS_OF, filters=StuckFilters(level=StuckLevel.OVERDUE)
    )
    assert world.near_signoff.id not in _ids(overdue_only)
    assert overdue_only.total == 3

    report = stuck_documents(session, as_of=AS_OF, limit=2, offset=1)
    assert _ids(report) == [world.late_secrecy.id, world.late_interpretation.id]
    assert {r.key: (r.overdue, r.near) for r in report.by_stage} == {
        "marking": (1, 0),
        "secrecy_review": (1, 0),
        "interpretation": (1, 0),
        "publication": (0, 1),
    }
    assert {r.key: (r.overdue, r.near) for r in report.by_organ} == {"a": (2, 1), "b": (1, 0)}


def test_counts_per_level_and_a_stage_without_allowance(session: Session, world: World) -> None:
    # The counts are range scans per status and level: the level filter keeps one range only,
    # and a stage with no allowance (intake) has nothing to count or list.
    near_only = stuck_documents(session, as_of=AS_OF, filters=StuckFilters(level=StuckLevel.NEAR))
    assert {r.key: (r.overdue, r.near) for r in near_only.by_stage} == {"publication": (0, 1)}
    overdue_b = stuck_documents(
        session,
        as_of=AS_OF,
        filters=StuckFilters(level=StuckLevel.OVERDUE, organ_id=world.organ_b.id),
    )
    assert {r.key: (r.overdue, r.near) for r in overdue_b.by_organ} == {"b": (1, 0)}
    assert {r.key: (r.overdue, r.near) for r in overdue_b.by_stage} == {"marking": (1, 0)}
    intake = stuck_documents(session, as_of=AS_OF, filters=StuckFilters(stage=Stage.INTAKE))
    assert (intake.total, intake.items, intake.by_stage, intake.by_organ) == (0, [], [], [])


def test_the_list_and_the_counts_alone_agree_with_the_whole_report(
    session: Session, world: World
) -> None:
    filters = StuckFilters(level=StuckLevel.OVERDUE)
    report = stuck_documents(session, as_of=AS_OF, filters=filters, limit=2, offset=1)
    listed = stuck_list(session, as_of=AS_OF, filters=filters, limit=2, offset=1)
    counted = stuck_counts(session, as_of=AS_OF, filters=filters)
    assert [item.document_id for item in listed] == _ids(report)
    assert (counted.by_stage, counted.by_organ) == (report.by_stage, report.by_organ)
    assert (counted.overdue, counted.near) == (report.overdue, report.near) == (3, 0)


def test_the_stuck_statements_carry_their_values_in_the_sql_text() -> None:
    # No bound parameter is left (filters aside): the SQL text is the same until the cutoffs
    # move, so PostgreSQL reuses a prepared plan instead of planning every call again.
    from services.office import stuck

    calendars = {name: WorkingDayCalendar.from_package() for name in PROFILES}
    query = stuck._query(AS_OF, 0.8, None, calendars)
    page = stuck._page_statement(query.shape).compile()
    counts = stuck._counts_statement(query.shape)
    assert counts is not None
    for compiled in (page, counts.compile()):
        bound = set(compiled.params) - {p.key for p in compiled.literal_execute_params}
        assert bound == set()
    filtered = stuck._query(AS_OF, 0.8, StuckFilters(organ_id=1), calendars)
    compiled = stuck._page_statement(filtered.shape).compile()
    assert set(compiled.params) - {p.key for p in compiled.literal_execute_params} == {"organ_id"}


def test_the_digest_pages_through_every_stuck_document(session: Session, world: World) -> None:
    # Pages of one: every stuck document is alerted, however the set is cut.
    assert raise_stuck_alerts(session, as_of=AS_OF, batch=1) == 4
    assert raise_stuck_alerts(session, as_of=AS_OF, batch=3) == 0
    session.commit()
    keys = session.exec(select(Alert.key).where(Alert.kind == "stuck")).all()
    assert len(keys) == 4


def test_bad_share_and_page_are_refused(session: Session, world: World) -> None:
    from services.errors import RequestInvalid

    with pytest.raises(RequestInvalid, match="near share must be above 0 and below 1"):
        stuck_documents(session, as_of=AS_OF, near_share=1.2)
    with pytest.raises(RequestInvalid, match="limit must be"):
        stuck_documents(session, as_of=AS_OF, limit=0)


def test_overdue_windows_returned_rereviews_and_escalations(session: Session, world: World) -> None:
    def deadline(document: Document, kind: str, due: datetime, met: datetime | None = None) -> None:
        session.add(
            Deadline(
                document_id=id_of(document),
                kind=kind,
                due_at=due,
                basis="条例 art. 26",
                met_at=met,
                created_at=due,
            )
        )

    deadline(world.late_secrecy, "publication_ceiling", at(10, 12))
    deadline(world.fresh_secrecy, "publication_ceiling", at(10, 12), met=at(10, 11))  # met
    deadline(world.near_signoff, "publication_ceiling", at(10, 30))  # not yet due
    deadline(world.late_prereview, "interpretation", at(10, 14))
    returned = make_document(session, status=Status.SUBMITTED)
    change_status(
        session=session,
        document_id=id_of(returned),
        target=Status.RETURNED,
        actor="system",
        role=Role.SYSTEM,
        channel="system",
        reason="退文: 缺少公开属性",
        at=at(10, 15, 9),
    )
    escalated = make_document(
        session, status=Status.ESCALATED, status_changed_at=at(10, 12, 9), organ_id=world.organ_b.id
    )
    session.add(
        Rereview(
            document_id=id_of(world.published),
            version_id=world.published.current_version_id or 0,
            kind="periodic",
            cycle="2026-10-01",
            basis="条例 art. 18",
            due_at=at(10, 1),
            created_at=at(10, 1),
        )
    )
    session.commit()

    overdue = overdue_deadlines(session, as_of=AS_OF)
    assert (overdue.publication, overdue.interpretation) == (1, 1)
    assert {r.key: (r.overdue, r.near) for r in overdue.by_organ} == {"a": (1, 0), "b": (0, 1)}
    assert [o.document_id for o in overdue.oldest] == [
        world.late_secrecy.id,
        world.late_prereview.id,
    ]

    history = returned_history(session)
    assert [(h.document_id, h.reason) for h in history] == [(returned.id, "退文: 缺少公开属性")]

    # Domain §10 rules 10, 16: open, but overdue only 20 WD after it fell due (the National Day
    # rest adds nothing; decide by the end of Tue 11-03, policies/test_deadlines.py).
    pending = pending_rereviews(session, as_of=AS_OF)
    assert (pending.open, pending.overdue) == (1, 0)
    assert pending.items[0].decide_by == at(11, 4)
    assert not pending.items[0].overdue
    late = pending_rereviews(session, as_of=at(11, 4, 0, 1))
    assert (late.open, late.overdue) == (1, 1)
    assert late.items[0].overdue

    count, items = escalations(session, as_of=AS_OF)
    assert count == 1
    assert items[0].document_id == escalated.id
    assert items[0].age_working_days == 4  # 10-13, 10-14, 10-15, 10-16

    board = dashboard(session, as_of=AS_OF, flow_run_ui=UI)
    assert board.stuck.total == 4
    assert board.escalated == 1


def test_each_stuck_alert_is_sent_once_per_threshold(session: Session, world: World) -> None:
    received: list[str] = []
    receiver = FastAPI()

    @receiver.post("/hook")
    async def hook(request: Request) -> Response:
        received.extend(alert["key"] for alert in (await request.json())["alerts"])
        return Response(status_code=204)

    with serve_app(receiver) as base:
        notifier = WebhookNotifier(f"{base}/hook")
        for _ in range(2):  # a rerun raises nothing new and delivers nothing twice
            raise_stuck_alerts(session, as_of=AS_OF)
            session.commit()
            deliver_pending(session, notifier, at=AS_OF)
            session.commit()
        assert len(received) == 4
        assert len(set(received)) == 4
        thresholds = {k.split(":")[0:2][1]: k.rsplit(":", 1)[1] for k in received}
        assert thresholds[str(world.near_signoff.id)] == "near"
        assert thresholds[str(world.late_secrecy.id)] == "overdue"

        # Sat 10-17 01:00: the near sign-off is overdue (a new alert for the new threshold
        # only) and the 10-09 secrecy review has used 6 of 7 WD (near, its first alert).
        later = at(10, 17, 1)
        assert raise_stuck_alerts(session, as_of=later) == 2
        assert raise_stuck_alerts(session, as_of=later) == 0
        session.commit()
        deliver_pending(session, notifier, at=later)
        session.commit()
        new = {(int(k.split(":")[1]), k.split(":")[2], k.split(":")[-1]) for k in received[4:]}
        assert new == {
            (world.near_signoff.id, "awaiting_signoff", "overdue"),
            (world.fresh_secrecy.id, "secrecy_review", "near"),
        }

        # The overdue secrecy document goes back and re-enters the stage: new alerts again.
        document = session.get(Document, world.late_secrecy.id)
        assert document is not None
        document.status_changed_at = at(9, 30, 8)
        session.add(document)
        session.commit()
        assert raise_stuck_alerts(session, as_of=later) == 1
        session.commit()
        deliver_pending(session, notifier, at=later + timedelta(minutes=1))
        session.commit()
    assert len(received) == 7
    assert len(set(received)) == 7
    alerts = session.exec(select(Alert).where(Alert.kind == "stuck")).all()
    assert len(alerts) == 7
    assert all(a.notified_at is not None for a in alerts)
    first = next(a for a in alerts if a.document_id == world.late_secrecy.id)
    assert "secrecy_review" in first.message
    assert "7 WD" in first.message
    assert first.organ_id == world.organ_a.id
    assert first.raised_at == AS_OF.astimezone(UTC)
