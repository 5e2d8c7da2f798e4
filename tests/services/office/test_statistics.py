"""Office statistics on a small known dataset, on SQLite and PostgreSQL (issue 5; seed 003 §一
"主动公开文件数约占制发文件数的比例达40%")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from models.documents import Document
from models.organs import Organ
from models.publications import InterpretationMaterial
from models.users import User
from models.versions import RecordedFinding
from policies.attributes import Attribute
from policies.roles import Role
from policies.statuses import Status
from policies.steps import Step
from policies.validity import Validity
from services.office.statistics import Period, office_statistics, stage_stays
from services.publication.publishing import JsonFileSink, publish_version
from services.publication.validity import change_validity
from services.review import change_status, recheck_marking, record_decision
from tests.factories import (
    clear_for_publication,
    id_of,
    make_document,
    make_organ,
    make_stored_file,
    make_user,
)

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai
H = timedelta(hours=1)


@dataclass
class Dataset:
    """The documents of the known dataset and the people who handled them."""

    organ: Organ
    drafter: User
    reviewer: User
    published: list[int]
    withheld: int
    returned_at_intake: int
    returned_by_reviewer: int
    other_organ_doc: int


def _move(session: Session, document_id: int, target: Status, at: datetime) -> None:
    change_status(
        session=session,
        document_id=document_id,
        target=target,
        actor="system",
        role=Role.SYSTEM,
        channel="system",
        reason="test",
        at=at,
    )


def _normative(session: Session, drafter: User, attribute: Attribute, **fields: object) -> int:
    marking: dict[str, object] = {"attribute": attribute}
    if attribute is Attribute.WITHHELD:
        marking |= {"reason_codes": ["NS-5"], "reason_explanation": "条例第十六条第一款"}
    return id_of(
        make_document(
            session,
            drafter=drafter,
            marking=marking,
            document_type="行政规范性文件",
            written_on=date(2026, 2, 27),
            created_at=T,
            status_changed_at=T,
            **fields,
        )
    )


def build_dataset(session: Session, portal: Path) -> Dataset:
    """Two 主动公开 documents published (one with its 解读材料 published, one later amended),
    one 不予公开 filed (NS-5), two 退文 (intake findings; reviewer NS-4), all written in 2026;
    one more issued document in another organ.

    Stays (hours): intake 2, 4, 6, 1; secrecy review 24, 48, 12, 2; publication 4, 8."""
    organ = make_organ(session)
    drafter = make_user(session, organ=organ)
    reviewer = make_user(session, organ=organ, role=Role.SECRECY_REVIEWER, name="审查人")
    sink = JsonFileSink(portal)
    published = []
    for intake, secrecy, publication in ((2, 24, 4), (4, 48, 8)):
        doc = _normative(session, drafter, Attribute.PROACTIVE)
        _move(session, doc, Status.SECRECY_REVIEW, T + intake * H)
        _move(session, doc, Status.AWAITING_SIGNOFF, T + (intake + secrecy) * H)
        document = session.get(Document, doc)
        assert document is not None
        clear_for_publication(session, document)
        publish_version(
            session=session,
            document_id=doc,
            version_id=document.current_version_id or 0,
            publisher=sink,
            at=T + (intake + secrecy + publication) * H,
        )
        published.append(doc)
    session.add(
        InterpretationMaterial(
            document_id=published[0],
            file_id=id_of(make_stored_file(session)),
            kind="interpretation_material",
            file_name="解读.txt",
            received_at=T,
            published_at=T + 40 * H,
        )
    )
    change_validity(
        session=session,
        document_id=published[1],
        to=Validity.AMENDED,
        reason="部分条款被修改",
        actor="公开办",
        role=Role.DISCLOSURE_OFFICE,
        channel="api",
        at=T + 100 * H,
        publisher=sink,
        amended_by_reference="测政发〔2026〕3号",
    )
    withheld = _normative(session, drafter, Attribute.WITHHELD)
    _move(session, withheld, Status.SECRECY_REVIEW, T + 6 * H)
    _move(session, withheld, Status.FILED, T + 18 * H)
    # 退文 at the marking re-check: 不予公开 without a coded reason (domain §10 rule 4).
    at_intake = id_of(
        make_document(
            session,
            drafter=drafter,
            marking={"attribute": Attribute.WITHHELD},
            written_on=date(2026, 3, 1),
            created_at=T,
            status_changed_at=T,
        )
    )
    document = session.get(Document, at_intake)
    assert document is not None
    recheck_marking(
        session=session,
        document_id=at_intake,
        version_id=document.current_version_id or 0,
        at=T + H,
    )
    by_reviewer = _normative(session, drafter, Attribute.PROACTIVE)
    _move(session, by_reviewer, Status.SECRECY_REVIEW, T + H)
    document = session.get(Document, by_reviewer)
    assert document is not None
    record_decision(
        session=session,
        document_id=by_reviewer,
        version_id=document.current_version_id or 0,
        step=Step.SECRECY_REVIEW,
        decision="return",
        actor=reviewer,
        actor_name=reviewer.name,
        role=Role.SECRECY_REVIEWER,
        channel="api",
        at=T + 3 * H,
        reason_codes=["NS-4"],
        comment="含第三方个人信息",
    )
    other = make_document(
        session,
        document_type="行政规范性文件",
        written_on=date(2026, 5, 1),
        status=Status.PUBLISHED,
        created_at=T,
        status_changed_at=T,
    )
    session.commit()
    return Dataset(
        organ, drafter, reviewer, published, withheld, at_intake, by_reviewer, id_of(other)
    )


def test_statistics_on_a_known_dataset_seed_003(session: Session, tmp_path: Path) -> None:
    data = build_dataset(session, tmp_path / "portal")
    stats = office_statistics(session=session, period=Period.year(2026), organ_id=data.organ.id)
    # Issued: review concluded (2 published + 1 filed); the two returned drafts are not issued.
    assert stats.documents_issued == 3
    assert stats.by_attribute == {"proactive": 2, "on_request": 0, "redacted": 0, "withheld": 1}
    assert stats.proactive == 2
    assert stats.proactive_share == 0.6667
    assert stats.withholding_reasons == {"NS-5": 1}
    # 退文: one by the engine's check (its blocking findings), one by the reviewer (NS-4).
    assert stats.returns == 2
    intake_rules = set(
        session.exec(
            select(RecordedFinding.rule).where(col(RecordedFinding.severity) == "blocking")
        ).all()
    )
    assert "reason.code_required" in intake_rules
    assert stats.return_reasons == {"NS-4": 1} | dict.fromkeys(intake_rules, 1)
    assert stats.decisions_by_kind == {"return": 1}
    assert stats.decisions_by_reason == {"NS-4": 1}
    medians = {k: v.median_hours for k, v in stats.stage_times.items()}
    assert medians["intake"] == 3.0  # stays 1, 2, 4, 6
    assert medians["secrecy_review"] == 18.0  # stays 2, 12, 24, 48
    assert medians["publication"] == 6.0  # stays 4, 8
    assert medians["interpretation"] is None
    assert stats.publications == 2
    assert stats.interpretations_published == 1
    assert stats.validity_changes == {"amended": 1}
    everywhere = office_statistics(session=session, period=Period.year(2026))
    assert everywhere.documents_issued == 4  # the other organ's document too
    assert everywhere.proactive_share == 0.75


def test_a_period_excludes_what_lies_outside_it_domain_11_row_15(
    session: Session, tmp_path: Path
) -> None:
    data = build_dataset(session, tmp_path / "portal")
    # 27 Feb 2026 (the 成文日期 of the normative drafts) is outside March.
    march = office_statistics(
        session=session, period=Period(date(2026, 3, 1), date(2026, 3, 31)), organ_id=data.organ.id
    )
    assert march.documents_issued == 0
    assert march.returns == 2  # both returns happened on 2 March
    assert march.publications == 2
    last_year = office_statistics(session=session, period=Period.year(2025))
    assert last_year.documents_issued == 0
    assert last_year.proactive_share is None
    assert last_year.returns == 0
    assert all(v.median_hours is None for v in last_year.stage_times.values())


def test_the_csv_metrics_carry_every_figure(session: Session, tmp_path: Path) -> None:
    data = build_dataset(session, tmp_path / "portal")
    stats = office_statistics(session=session, period=Period.year(2026), organ_id=data.organ.id)
    metrics = {(m, k): v for m, k, v in stats.metrics()}
    assert metrics[("documents_issued", "")] == 3
    assert metrics[("proactive_share", "")] == 0.6667
    assert metrics[("return_reasons", "NS-4")] == 1
    assert metrics[("stage_median_hours", "secrecy_review")] == 18.0
    assert metrics[("stage_stays", "publication")] == 2


def test_a_document_without_status_changes_has_no_completed_stays() -> None:
    assert stage_stays(T, []) == []
