"""Issue 23: generated documents (attribute, classification, reasons, document type, profile)
through generated sequences of the engine's steps and people's decisions (approve, return,
escalate, determine, change the attribute, file, material arriving, publication attempts, a
re-review's conversion), on the real services and a real database (SQLite).

Invariant: no classified, withheld, escalated-undetermined or unreviewed version, and no
unreviewed file, is ever published (先审查、后公开: 保密法实施条例 2024 art. 42; 条例 art. 17;
实施条例 2024 art. 5). Examples per the hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.db import id_of
from models.decisions import Decision
from models.documents import Document
from models.publications import InterpretationMaterial, Publication
from models.rereviews import CONVERTIBLE
from models.versions import Marking, Version, VersionAttachment
from policies.attributes import Attribute
from policies.document_types import DocumentType
from policies.legal_reasons import REASONS
from policies.profiles import PROFILES
from policies.roles import Role
from policies.secrecy_levels import SecrecyLevel
from policies.statuses import Status
from policies.steps import Choice, DecisionKind, Step, step_waiting_in
from services.errors import DomainError
from services.publication.publishing import JsonFileSink, publish_version
from services.review import change_status, decide_rereview, record_decision
from services.review.rereviews import add_rereviews, new_rereview
from tests.factories import T0, make_document, make_organ, make_stored_file, make_user

DECIDERS = (Role.SECRECY_REVIEWER, Role.DISCLOSURE_OFFICE, Role.SIGNER, Role.DRAFTER)
CLEARED = {DecisionKind.APPROVE, DecisionKind.CHANGE_ATTRIBUTE, DecisionKind.DETERMINE}
REVIEW_STEPS = (Step.SECRECY_REVIEW.value, Step.DETERMINATION.value)

documents = st.fixed_dictionaries(
    {
        # biased towards what can be published, so that the invariant is tested often
        "attribute": st.just(Attribute.PROACTIVE) | st.sampled_from(Attribute),
        "secrecy_level": st.just(SecrecyLevel.NONE) | st.sampled_from(SecrecyLevel),
        "reason_codes": st.lists(st.sampled_from(sorted(REASONS)), max_size=2),
        "document_type": st.sampled_from(DocumentType),
        "policy_profile": st.sampled_from(sorted(PROFILES)),
        "is_important_policy": st.booleans(),
        "redacted_version": st.booleans(),
    }
)
noise = st.lists(
    st.one_of(
        st.tuples(  # None: the step the document waits at, decided by that step's role
            st.just("decide"),
            st.none() | st.sampled_from(Step),
            st.just(Choice.APPROVE) | st.sampled_from(Choice),
            st.none() | st.sampled_from(DECIDERS),
            st.none() | st.sampled_from(Attribute),
            st.lists(st.sampled_from(sorted(REASONS)), max_size=2),
        ),
        # the flow's own moves: mostly the start of the secrecy review, sometimes any other
        st.tuples(st.just("engine"), st.just(Status.SECRECY_REVIEW) | st.sampled_from(Status)),
        st.just(("material",)),  # 解读材料 arrives
        st.just(("publish",)),
        st.just(("publish",)),
        st.tuples(st.just("convert"), st.sampled_from(CONVERTIBLE)),
    ),
    max_size=14,
)
# The way through review to publication (start, decide each waiting step, material, publish),
# its steps scattered among the noise, so that publication is often reached and often refused.
_WAITING = ("decide", None, Choice.APPROVE, None, None, [])
THROUGH = (("engine", Status.SECRECY_REVIEW), _WAITING, ("material",), _WAITING, _WAITING)


@st.composite
def events(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """Noise, with the way through review and a publication attempt mixed in (or not)."""
    sequence: list[tuple[Any, ...]] = draw(noise)
    position = 0
    for step in (*THROUGH, ("publish",)) if draw(st.booleans()) else ():
        position = draw(st.integers(position, len(sequence)))
        sequence.insert(position, step)
        position += 1
    return sequence


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: the property is about the services' rules, the backends are tested apart."""
    return sqlite_database_url


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(facts=documents, steps=events())
def test_issue_23_nothing_unreviewed_classified_withheld_or_escalated_is_ever_published(
    engine: Engine, tmp_path: Path, facts: dict[str, Any], steps: list[tuple[Any, ...]]
) -> None:
    with Session(engine) as session:  # never committed: each example leaves nothing behind
        document_id, people = _document(session, facts)
        for step in steps:
            _attempt(session, document_id, people, step, tmp_path)
        event(f"published {_check_publications(session, document_id)} time(s)")


def _document(session: Session, facts: dict[str, Any]) -> tuple[int, dict[Role, Any]]:
    organ = make_organ(session)
    drafter = make_user(session, organ=organ)
    people = {role: make_user(session, organ=organ, role=role) for role in DECIDERS[:-1]}
    people[Role.DRAFTER] = drafter
    attribute, level = facts["attribute"], facts["secrecy_level"]
    if level.is_classified:
        attribute = Attribute.WITHHELD  # the only lawful marking of a secret (实施条例 2024 art. 5)
    document = make_document(
        session,
        drafter=drafter,
        marking={
            "attribute": attribute,
            "secrecy_level": level,
            "reason_codes": facts["reason_codes"],
        },
        document_type=facts["document_type"],
        policy_profile=facts["policy_profile"],
        is_important_policy=facts["is_important_policy"],
    )
    if facts["redacted_version"]:
        session.add(
            VersionAttachment(
                version_id=document.current_version_id or 0,
                file_id=id_of(make_stored_file(session)),
                kind="redacted_version",
                file_name="删减版.pdf",
            )
        )
    return id_of(document), people


def _attempt(
    session: Session, document_id: int, people: dict[Role, Any], step: tuple[Any, ...], out: Path
) -> None:
    """One step; a refusal (a domain error or a constraint) leaves the record as it was."""
    savepoint = session.begin_nested()
    try:
        _run(session, document_id, people, step, out)
    except (DomainError, IntegrityError):
        savepoint.rollback()
        return
    savepoint.commit()


def _run(
    session: Session, document_id: int, people: dict[Role, Any], step: tuple[Any, ...], out: Path
) -> None:
    document = session.get(Document, document_id)
    assert document is not None
    version_id = document.current_version_id or 0
    kind = step[0]
    if kind == "decide":
        _, at_step, choice, role, new_attribute, codes = step
        at_step = at_step or step_waiting_in(document.status)
        if at_step is None:
            return
        role = role or at_step.role
        record_decision(
            session=session,
            document_id=document_id,
            version_id=version_id,
            step=at_step,
            decision=choice.value,
            actor=people[role],
            actor_name=people[role].name,
            role=role,
            channel="api",
            at=T0,
            reason_codes=codes,
            comment="依据审查意见",
            new_attribute=new_attribute,
        )
    elif kind == "engine":
        change_status(session=session, document_id=document_id, target=step[1], reason=None, at=T0)
    elif kind == "material":
        session.add(
            InterpretationMaterial(
                document_id=document_id,
                file_id=id_of(make_stored_file(session)),
                kind="interpretation_material",
                file_name="解读.txt",
                received_at=T0,
            )
        )
        session.flush()
    elif kind == "publish":
        publish_version(
            session=session,
            document_id=document_id,
            version_id=version_id,
            publisher=JsonFileSink(out / "portal"),
            at=T0,
        )
    elif kind == "convert":
        _convert(session, document_id, people, step[1])


def _convert(session: Session, document_id: int, people: dict[Role, Any], to: Attribute) -> None:
    """A periodic re-review of the (filed) document decided as a conversion (条例 art. 18)."""
    document = session.get(Document, document_id)
    assert document is not None
    task = new_rereview(
        document_id=document_id,
        version_id=document.current_version_id or 0,
        kind="periodic",
        cycle=f"c{len(session.exec(select(Decision)).all())}",
        due_at=T0,
        basis="条例 art. 18",
        at=T0,
    )
    (recorded,) = add_rereviews(session, [task], at=T0)
    decide_rereview(
        session,
        rereview_id=id_of(recorded),
        decision="convert",
        to_attribute=to,
        reason_codes=[] if to is Attribute.PROACTIVE else ["NS-6"],
        explanation="情况变化",
        actor=people[Role.DISCLOSURE_OFFICE],
        channel="api",
        at=T0,
    )


def _check_publications(session: Session, document_id: int) -> int:
    """Check every publication of the document; how many there are."""
    publications = session.exec(
        select(Publication).where(col(Publication.document_id) == document_id)
    ).all()
    for publication in publications:
        version = session.get(Version, publication.version_id)
        assert version is not None
        marking = session.exec(select(Marking).where(col(Marking.version_id) == version.id)).one()
        assert marking.attribute.is_published, "a withheld version was published"
        assert not marking.secrecy_level.is_classified, "a classified version was published"
        reviews = session.exec(
            select(Decision)
            .where(
                col(Decision.version_id) == version.id,
                col(Decision.step).in_(REVIEW_STEPS),
            )
            .order_by(col(Decision.id))
        ).all()
        assert reviews, "an unreviewed version was published"
        last = reviews[-1]
        assert last.kind in CLEARED, f"published after '{last.kind}' (escalated-undetermined?)"
        assert last.attribute_after is marking.attribute, "published under an unreviewed marking"
        files = {version.main_file_id} | set(
            session.exec(
                select(VersionAttachment.file_id).where(
                    col(VersionAttachment.version_id) == version.id
                )
            ).all()
        )
        assert publication.file_id in files, "a file of another version was published"
    return len(publications)
