"""The human steps of an application through one service (both doors), and releases through
the secrecy review with an expiring delivery link (issue 26; 条例 arts. 17, 30–37; both
databases)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session

from models.applications import Application
from models.documents import Document
from models.organs import Organ
from models.users import User
from models.versions import Version, VersionAttachment
from policies.application_replies import ReplyType
from policies.application_steps import Action, ApplicationStep
from policies.applications import ApplicantType, Channel
from policies.attributes import Attribute
from policies.calendar import SHANGHAI
from policies.roles import Role
from policies.statuses import Status
from services.accounts import assign_organ
from services.applications import (
    ApplicationAction,
    ApplicationRequest,
    clock_of,
    delivered_file,
    delivery_link,
    pending_releases,
    register_application,
    take_action,
)
from services.errors import Forbidden, Gone, NotFound, RequestInvalid
from tests.factories import (
    id_of,
    make_document,
    make_marking,
    make_organ,
    make_stored_file,
    make_user,
)

AT = datetime(2026, 9, 25, 10, tzinfo=SHANGHAI)
LATER = datetime(2026, 10, 12, 10, tzinfo=SHANGHAI)
KEY = b"test-delivery-key"
REQUEST = ApplicationRequest(
    applicant_type=ApplicantType.NATURAL_PERSON,
    applicant_name="赵六",
    applicant_id_number="110101198001011234",
    contact="zhao@example.cn",
    description="关于城区停车收费标准的通知",
    requested_form="电子文件",
    channel=Channel.ONLINE,
    confirmed_on=date(2026, 9, 25),
)


def _setup(session: Session) -> tuple[Organ, User, User, User, Application]:
    organ = make_organ(session)
    clerk = make_user(session, organ=organ, role=Role.DISCLOSURE_OFFICE, name="公开办科员")
    head = make_user(
        session, organ=organ, role=Role.DISCLOSURE_OFFICE, name="公开办主任", office_head=True
    )
    reviewer = make_user(session, organ=organ, role=Role.SECRECY_REVIEWER, name="保密员")
    application, _ = register_application(
        session=session, organ=organ, request=REQUEST, profile="national", at=AT
    )
    return organ, clerk, head, reviewer, application


def _do(
    session: Session, application: Application, person: User, action: Action, **kw: object
) -> None:
    take_action(
        session=session,
        application=application,
        act=ApplicationAction(action, **kw),  # type: ignore[arg-type]
        person=person,
        at=LATER,
    )


def _requested_document(session: Session, organ: Organ) -> Document:
    """A filed 依申请公开 document of this organ, as an application finds it."""
    return make_document(
        session,
        drafter=make_user(session, organ=organ),
        status=Status.FILED,
        marking={"attribute": Attribute.ON_REQUEST},
    )


def _at_reply(session: Session, application: Application, clerk: User, document: Document) -> None:
    """Take the application to its reply step: complete, the document identified, no
    consultation."""
    _do(session, application, clerk, Action.COMPLETE)
    _do(session, application, clerk, Action.IDENTIFIED, document_ids=(id_of(document),))
    _do(session, application, clerk, Action.CONSULTATIONS_DONE)


def test_a_release_waits_for_the_secrecy_review_then_an_expiring_link_works_条例_art_17(
    session: Session,
) -> None:
    organ, clerk, _, reviewer, application = _setup(session)
    document = _requested_document(session, organ)
    _at_reply(session, application, clerk, document)
    _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.DISCLOSED)
    assert application.step is ApplicationStep.RELEASE
    assert application.reply_type is None  # no reply before the review
    version = session.get(Version, document.current_version_id)
    assert version is not None
    assert [r.file_id for r in pending_releases(session, id_of(application))] == [
        version.main_file_id
    ]
    assert delivery_link(session, id_of(application), key=KEY) is None
    with pytest.raises(Forbidden):
        _do(session, application, clerk, Action.APPROVE_RELEASE)  # not a secrecy reviewer
    _do(session, application, reviewer, Action.APPROVE_RELEASE)
    session.commit()
    assert application.step is ApplicationStep.DONE
    assert application.reply_type == ReplyType.DISCLOSED.value
    link = delivery_link(session, id_of(application), key=KEY)
    assert link is not None
    token, expires = link
    file_id = pending_or_released_file(session, application)
    stored, name = delivered_file(
        session, token=token, file_id=file_id, at=LATER, address="1.2.3.4"
    )
    assert stored.id == file_id
    assert name == "通知.pdf"
    with pytest.raises(NotFound):
        delivered_file(session, token="0" * 64, file_id=file_id, at=LATER, address=None)
    with pytest.raises(Gone):
        delivered_file(
            session, token=token, file_id=file_id, at=expires + timedelta(seconds=1), address=None
        )


@pytest.mark.parametrize(
    "marked",
    [
        {"attribute": Attribute.WITHHELD, "reason_codes": ["NS-1"]},
        {"secrecy_level": "mimi", "secrecy_period_years": 10},
    ],
    ids=["不予公开", "classified"],
)
def test_a_link_sends_no_more_of_a_document_marked_withheld_after_its_release_条例_art_14(
    session: Session, marked: dict[str, object]
) -> None:
    """A release was reviewed for the document as it was marked then; once a later recorded
    decision marks it 不予公开 or classified (a new version), its link stops sending it: 410,
    and the link lists it no more."""
    from services.applications import delivery_files

    organ, clerk, _, reviewer, application = _setup(session)
    document = _requested_document(session, organ)
    _at_reply(session, application, clerk, document)
    _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.DISCLOSED)
    _do(session, application, reviewer, Action.APPROVE_RELEASE)
    link = delivery_link(session, id_of(application), key=KEY)
    assert link is not None
    token = link[0]
    file_id = pending_or_released_file(session, application)
    assert delivered_file(session, token=token, file_id=file_id, at=LATER, address=None)
    assert [r.file_id for r in delivery_files(session, token=token, at=LATER)] == [file_id]

    released = session.get(Version, document.current_version_id)
    assert released is not None
    changed = Version(
        document_id=id_of(document),
        number=2,
        submitted_by=released.submitted_by,
        submitted_at=LATER,
        main_file_id=released.main_file_id,
        main_file_name=released.main_file_name,
    )
    session.add(changed)
    session.flush()
    make_marking(session, version=changed, **({"attribute": Attribute.WITHHELD} | marked))
    document.current_version_id = changed.id
    session.add(document)
    session.flush()
    with pytest.raises(Gone, match="不予公开或涉密"):
        delivered_file(session, token=token, file_id=file_id, at=LATER, address=None)
    assert delivery_files(session, token=token, at=LATER) == []


def pending_or_released_file(session: Session, application: Application) -> int:
    from services.applications import released_files

    files = released_files(session, id_of(application))
    assert len(files) == 1
    return files[0].file_id


def test_a_withheld_document_is_not_proposed_for_release_条例_art_14(session: Session) -> None:
    organ, clerk, _, _, application = _setup(session)
    document = make_document(
        session,
        drafter=make_user(session, organ=organ),
        status=Status.FILED,
        marking={"attribute": Attribute.WITHHELD, "reason_codes": ["NS-6"]},
    )
    _at_reply(session, application, clerk, document)
    with pytest.raises(RequestInvalid, match="变更属性"):
        _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.DISCLOSED)
    _do(
        session,
        application,
        clerk,
        Action.REPLY,
        reply_type=ReplyType.WITHHELD,
        reason_codes=("NS-6",),
    )
    assert application.step is ApplicationStep.DONE
    assert application.reason_codes == ["NS-6"]


def test_the_unredacted_original_of_a_删减后公开_document_is_not_released_whole_条例_art_37(
    session: Session,
) -> None:
    organ, clerk, _, reviewer, application = _setup(session)
    document = make_document(
        session,
        drafter=make_user(session, organ=organ),
        status=Status.PUBLISHED,
        marking={"attribute": Attribute.REDACTED, "reason_codes": ["NS-4"]},
    )
    redacted = make_stored_file(session, original_name="删减版.pdf")
    session.add(
        VersionAttachment(
            version_id=document.current_version_id or 0,
            file_id=id_of(redacted),
            kind="redacted_version",
            file_name="删减版.pdf",
        )
    )
    _at_reply(session, application, clerk, document)
    with pytest.raises(RequestInvalid, match="删减后公开"):
        _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.DISCLOSED)
    assert pending_releases(session, id_of(application)) == []
    _do(
        session,
        application,
        clerk,
        Action.REPLY,
        reply_type=ReplyType.PARTIAL,
        reason_codes=("NS-4",),
    )
    assert [r.file_id for r in pending_releases(session, id_of(application))] == [id_of(redacted)]
    _do(session, application, reviewer, Action.APPROVE_RELEASE)
    assert application.step is ApplicationStep.DONE


def test_releases_approved_one_after_another_each_get_their_own_link_条例_art_40(
    session: Session,
) -> None:
    organ, clerk, _, reviewer, first = _setup(session)
    second, _ = register_application(
        session=session,
        organ=organ,
        request=replace(REQUEST, description="关于城区停车收费标准的解释"),
        profile="national",
        at=AT,
    )
    for application in (first, second):
        document = _requested_document(session, organ)
        _at_reply(session, application, clerk, document)
        _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.DISCLOSED)
        _do(session, application, reviewer, Action.APPROVE_RELEASE)  # no link looked at yet
        assert application.step is ApplicationStep.DONE
    links = [delivery_link(session, id_of(a), key=KEY) for a in (first, second)]
    tokens = {link[0] for link in links if link is not None}
    assert len(tokens) == 2


def test_one_extension_with_the_heads_consent_a_second_refused_条例_art_33(
    session: Session,
) -> None:
    _, clerk, head, _, application = _setup(session)
    _do(session, application, clerk, Action.COMPLETE)
    _do(session, application, clerk, Action.IDENTIFIED)
    _do(session, application, clerk, Action.CONSULTATIONS_DONE)
    _do(session, application, clerk, Action.REQUEST_EXTENSION, days=20)
    with pytest.raises(Forbidden, match="负责人"):
        _do(session, application, clerk, Action.APPROVE_EXTENSION)
    before = clock_of(session, application, LATER).reply_due_on
    _do(session, application, head, Action.APPROVE_EXTENSION)
    after = clock_of(session, application, LATER).reply_due_on
    assert before == date(2026, 10, 29)
    assert after == date(2026, 11, 26)
    _do(session, application, clerk, Action.REQUEST_EXTENSION, days=5)
    with pytest.raises(RequestInvalid, match="只能延长一次"):
        _do(session, application, head, Action.APPROVE_EXTENSION)


def test_an_action_outside_the_step_or_organ_is_refused(session: Session) -> None:
    _, clerk, _, _, application = _setup(session)
    with pytest.raises(RequestInvalid, match="不接受"):
        _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.OTHER)
    stranger = make_user(session, organ=make_organ(session), role=Role.DISCLOSURE_OFFICE)
    with pytest.raises(Forbidden, match="不属于"):
        _do(session, application, stranger, Action.COMPLETE)
    assert application.actions == 0


def test_a_supplement_restarts_and_no_supplement_abandons_条例_art_30(session: Session) -> None:
    _, clerk, _, _, application = _setup(session)
    _do(
        session,
        application,
        clerk,
        Action.REQUEST_SUPPLEMENT,
        on=date(2026, 10, 9),
        until=date(2026, 10, 16),
    )
    with pytest.raises(RequestInvalid, match="尚未届满"):
        _do(session, application, clerk, Action.ABANDONED)
    take_action(
        session=session,
        application=application,
        act=ApplicationAction(Action.ABANDONED, on=date(2026, 10, 19)),
        person=clerk,
        at=datetime(2026, 10, 19, 9, tzinfo=SHANGHAI),
    )
    assert application.step is ApplicationStep.DONE
    assert application.abandoned_on == date(2026, 10, 19)


def test_a_complete_application_meets_its_supplement_notice_window_条例_art_30(
    session: Session,
) -> None:
    from sqlmodel import col, select

    from models.deadlines import Deadline
    from policies.deadlines import DeadlineKind

    _, clerk, _, _, application = _setup(session)
    _do(session, application, clerk, Action.COMPLETE)
    notice = session.exec(
        select(Deadline).where(
            col(Deadline.application_id) == id_of(application),
            col(Deadline.kind) == DeadlineKind.APPLICATION_SUPPLEMENT.value,
        )
    ).one()
    assert notice.met_at == LATER


def test_only_a_disclosure_office_user_can_be_its_head_条例_art_33(session: Session) -> None:
    from services.accounts import create_user
    from services.errors import Conflict

    organ = make_organ(session)
    head = create_user(
        session=session,
        name="主任",
        organ=organ,
        role=Role.DISCLOSURE_OFFICE,
        at=AT,
        office_head=True,
    )
    assert head.office_head
    with pytest.raises(Conflict, match="head"):
        create_user(
            session=session, name="科员", organ=organ, role=Role.DRAFTER, at=AT, office_head=True
        )


def test_a_partial_release_reviews_exactly_the_redacted_file_条例_art_37(session: Session) -> None:
    from models.versions import VersionAttachment
    from services.applications import pending_releases
    from tests.factories import make_stored_file

    organ, clerk, _, reviewer, application = _setup(session)
    document = _requested_document(session, organ)
    _at_reply(session, application, clerk, document)
    partial = {"reply_type": ReplyType.PARTIAL, "reason_codes": ("NS-4",)}
    with pytest.raises(RequestInvalid, match="删减后的文件"):
        _do(session, application, clerk, Action.REPLY, **partial)
    redacted = make_stored_file(session)
    session.add(
        VersionAttachment(
            version_id=document.current_version_id or 0,
            file_id=id_of(redacted),
            kind="redacted_version",
            file_name="批复（删减）.pdf",
        )
    )
    session.flush()
    _do(session, application, clerk, Action.REPLY, **partial)
    assert [(r.file_id, r.file_name) for r in pending_releases(session, id_of(application))] == [
        (id_of(redacted), "批复（删减）.pdf")
    ]
    with pytest.raises(RequestInvalid, match="理由"):
        _do(session, application, reviewer, Action.REFUSE_RELEASE)
    _do(session, application, reviewer, Action.REFUSE_RELEASE, reason_codes=("NS-4",))
    assert application.step is ApplicationStep.REPLY  # the office replies anew
    assert application.reply_type is None


def test_a_release_of_another_organs_document_needs_a_reviewer_assigned_to_it_条例_art_17(
    session: Session,
) -> None:
    """保密法实施条例 2024 art. 42: the secrecy review of what is released is made by the
    document's own organ's reviewers, or those assigned to it."""
    _, clerk, _, reviewer, application = _setup(session)
    other = make_organ(session)
    document = _requested_document(session, other)
    _at_reply(session, application, clerk, document)
    _do(session, application, clerk, Action.REPLY, reply_type=ReplyType.DISCLOSED)
    assert application.step is ApplicationStep.RELEASE
    with pytest.raises(Forbidden, match="保密审查人"):
        _do(session, application, reviewer, Action.APPROVE_RELEASE)
    assert application.step is ApplicationStep.RELEASE
    assert application.reply_type is None
    assert [r.status for r in pending_releases(session, id_of(application))] == ["pending"]
    assert delivery_link(session, id_of(application), key=KEY) is None
    assign_organ(session=session, user=reviewer, organ=other, at=AT)
    _do(session, application, reviewer, Action.APPROVE_RELEASE)
    assert application.step is ApplicationStep.DONE
