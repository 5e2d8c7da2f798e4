"""The document list's pages: newest first, by keyset after a position or by offset."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.users import User
from policies.roles import Role
from services.documents import DocumentFilters, ListPosition, list_documents
from tests.factories import T0, id_of, make_document, make_organ, make_user


def _pages(session: Session, user: User, limit: int) -> list[list[int]]:
    pages: list[list[int]] = []
    after: ListPosition | None = None
    while True:
        page = list_documents(
            session=session, user=user, filters=DocumentFilters(), limit=limit, after=after
        )
        pages.append([id_of(d) for d in page.documents])
        if page.next_after is None:
            return pages
        after = page.next_after


def test_keyset_pages_give_every_document_once_newest_first_with_ties_broken_by_id(
    session: Session,
) -> None:
    drafter = make_user(session)
    # Three documents share one creation time: the id orders them within it.
    times = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1), T0 + timedelta(hours=1)]
    times += [T0 + timedelta(days=1)]
    documents = [make_document(session, drafter=drafter, created_at=at) for at in times]
    newest_first = [id_of(d) for d in sorted(documents, key=lambda d: (d.created_at, d.id))][::-1]

    pages = _pages(session, drafter, limit=2)

    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    whole = list_documents(session=session, user=drafter, filters=DocumentFilters(), limit=5)
    assert [id_of(d) for d in whole.documents] == newest_first
    assert (whole.total, whole.next_after) == (5, None)


def test_a_document_added_between_pages_neither_shifts_nor_repeats_the_next_page(
    session: Session,
) -> None:
    drafter = make_user(session)
    older = [
        make_document(session, drafter=drafter, created_at=T0 + timedelta(minutes=n))
        for n in range(4)
    ]
    first = list_documents(session=session, user=drafter, filters=DocumentFilters(), limit=2)
    assert first.next_after is not None
    make_document(session, drafter=drafter, created_at=T0 + timedelta(days=1))

    by_cursor = list_documents(
        session=session, user=drafter, filters=DocumentFilters(), limit=2, after=first.next_after
    )
    by_offset = list_documents(
        session=session, user=drafter, filters=DocumentFilters(), limit=2, offset=2
    )

    assert [id_of(d) for d in by_cursor.documents] == [id_of(older[1]), id_of(older[0])]
    assert by_cursor.next_after is None
    assert by_cursor.total == 5
    # By offset, the new document pushed one of the first page's documents onto this one.
    assert id_of(older[2]) in [id_of(d) for d in by_offset.documents]


def test_a_drafter_pages_through_their_own_organs_documents_only(session: Session) -> None:
    drafter = make_user(session)
    other = make_user(session, organ=make_organ(session))
    office = make_user(session, organ=make_organ(session), role=Role.DISCLOSURE_OFFICE)
    own = [
        make_document(session, drafter=drafter, created_at=T0 + timedelta(minutes=n))
        for n in range(3)
    ]
    theirs = [
        make_document(session, drafter=other, created_at=T0 + timedelta(minutes=n))
        for n in range(3)
    ]

    seen_by_drafter = [n for page in _pages(session, drafter, limit=2) for n in page]
    assert sorted(seen_by_drafter) == sorted(id_of(d) for d in own)
    seen_by_office = [n for page in _pages(session, office, limit=2) for n in page]
    assert sorted(seen_by_office) == sorted(id_of(d) for d in own + theirs)
