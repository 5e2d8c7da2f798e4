"""The portal's search (issue 27): 名称, 文号, 发布机构 and the reviewed text, newest first,
paged by cursor, on PostgreSQL (pg_trgm) and SQLite (FTS5 trigram).

Every term is plain text: `%`, `_`, quotes and FTS5 syntax are searched for as characters (a
substring test, case-sensitive on both databases). A term is served by one of two paths:

- a term holding a run of three letters or digits goes through the trigram index, after a
  probe of the newest RECENT_ROWS rows, which answers a common term at once;
- a shorter term (征地, 公开, 税), which trigrams cannot serve, is a bounded scan: at most
  SHORT_TERM_SCAN_ROWS rows newest first per page. When the bound is reached before the page is
  full the page says so and its cursor continues the scan from where it stopped: nothing is
  missed, older matches are one "continue" away.

The total is said as counted: through the index up to TOTAL_CAP ("1,000 件以上" beyond), or, for
a short term or one common among the newest rows, among the newest RECENT_ROWS rows ("最近发布的
1,000 件中有 N 件").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.base import UTCDateTime
from models.db import table_of
from models.organs import Organ
from models.search import FTS_TABLE, PublicationSearch

MAX_TERM_CHARS = 100  # a longer search term is refused (422)
# The newest rows a search tries by substring first, and counts its total in when the term is
# common there (a short term: always): counting every match of a common term costs a scan.
RECENT_ROWS = 1_000
SHORT_TERM_SCAN_ROWS = 20_000  # the bound of one page of a 1-2 character search (bench_portal)
TOTAL_CAP = 1_000  # totals counted through the index stop here: "1,000 件以上"
_TRIGRAM_RUN = re.compile(r"[^\W_]{3}")  # what pg_trgm takes a trigram from: letters and digits
_FIELDS = ("haystack", "title", "doc_number")  # q, title, doc_number


@dataclass(frozen=True, slots=True)
class CatalogueFilters:
    """The catalogue search: any words (`q`: 名称, 文号, 发布机构, text), words of the title, 文号,
    organ (code or name), 成文日期 range."""

    title: str | None = None
    doc_number: str | None = None
    organ: str | None = None
    written_from: date | None = None
    written_to: date | None = None
    q: str | None = None

    def terms(self) -> list[tuple[str, str]]:
        """(searched column, term) of each non-empty search term."""
        given = zip(_FIELDS, (self.q, self.title, self.doc_number), strict=True)
        return [(field, term.strip()) for field, term in given if term and term.strip()]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the last row's publication instant and id (newest first)."""

    published_at: datetime
    publication_id: int


@dataclass(frozen=True, slots=True)
class Total:
    """How many publications match: `count`, exact unless `at_least`; `within` names the
    newest rows it was counted in (a short term), None when it counts all."""

    count: int
    at_least: bool
    within: int | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """The rows of one page in order, the next page's cursor, the total, and whether a bounded
    scan stopped at its bound (the cursor then continues the scan)."""

    rows: list[Any]
    next_cursor: Cursor | None
    total: Total
    scan_stopped: bool = False


def indexable(term: str) -> bool:
    """Whether the trigram index can serve the term: it holds three letters or digits in a row."""
    return _TRIGRAM_RUN.search(term) is not None


_SEARCH = table_of(PublicationSearch)
_ORDER = (_SEARCH.c.published_at.desc(), _SEARCH.c.publication_id.desc())


def _contains(dialect: str, column: Any, term: str) -> Any:
    """A plain substring test (no wildcard of any kind)."""
    function = sa.func.strpos if dialect == "postgresql" else sa.func.instr
    return function(column, term) > 0


def _trigram_match(dialect: str, terms: list[tuple[str, str]]) -> Any:
    """The terms through the trigram index: LIKE (pg_trgm, backslash escapes being PostgreSQL's
    default) or one FTS5 MATCH of quoted phrases (column filters)."""
    if dialect == "postgresql":
        return sa.and_(
            *(
                _SEARCH.c[field].like(
                    "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"  # wildcards as text
                )
                for field, term in terms
            )
        )
    phrase = " AND ".join(
        f'{field} : "{term.replace(chr(34), chr(34) * 2)}"' for field, term in terms
    )
    matching: Any = (
        sa.select(sa.column("rowid"))
        .select_from(sa.table(FTS_TABLE))
        .where(sa.literal_column(FTS_TABLE).op("MATCH")(phrase))
    )
    return _SEARCH.c.publication_id.in_(matching)


def _organ_ids(session: Session, organ: str) -> list[int]:
    """Organs by code or a part of their name (the organs table: a few hundred rows, scanned)."""
    dialect = session.get_bind().dialect.name
    named = _contains(dialect, col(Organ.name), organ)
    rows = session.exec(select(Organ.id).where(sa.or_(col(Organ.code) == organ, named))).all()
    return [row for row in rows if row is not None]


def _filters(filters: CatalogueFilters, organ_ids: list[int] | None) -> list[Any]:
    where: list[Any] = []
    if organ_ids is not None:
        where.append(_SEARCH.c.organ_id.in_(organ_ids))
    if filters.written_from:
        where.append(_SEARCH.c.written_on >= filters.written_from)
    if filters.written_to:
        where.append(_SEARCH.c.written_on <= filters.written_to)
    return where


def _after(cursor: Cursor | None) -> list[Any]:
    if cursor is None:
        return []
    key = sa.tuple_(_SEARCH.c.published_at, _SEARCH.c.publication_id)
    return [
        key
        < sa.tuple_(
            sa.literal(cursor.published_at, UTCDateTime()), sa.literal(cursor.publication_id)
        )
    ]


def _ordered(where: list[Any], limit: int) -> Any:
    return (
        sa.select(_SEARCH.c.publication_id, _SEARCH.c.published_at)
        .where(*where)
        .order_by(*_ORDER)
        .limit(limit)
    )


def _window_hits(where: list[Any], tests: list[Any], window: int, limit: int) -> Any:
    """The matches among the first `window` rows newest first (an ordered, bounded walk)."""
    walked = (
        sa.select(
            _SEARCH.c.publication_id,
            _SEARCH.c.published_at,
            sa.and_(*tests).label("hit"),
        )
        .where(*where)
        .order_by(*_ORDER)
        .limit(window)
        .subquery()
    )
    # No ORDER BY again: both databases read a LIMITed ordered subquery in its order, so the
    # LIMIT stops the walk at the page's last hit (SQLite would sort the whole window first).
    # The page is ordered again when it is shown.
    return (
        sa.select(walked.c.publication_id, walked.c.published_at).where(walked.c.hit).limit(limit)
    )


def _count(statement: Any, session: Session) -> Total:
    counted = session.execute(
        sa.select(sa.func.count()).select_from(statement.limit(TOTAL_CAP + 1).subquery())
    ).scalar_one()
    return Total(min(counted, TOTAL_CAP), counted > TOTAL_CAP)


def _key(row: Any) -> Cursor:
    return Cursor(row.published_at, row.publication_id)


Shown = Callable[[Any], Any]  # the page's (publication_id, published_at) → the rows shown


def _fetch(session: Session, statement: Any, shown: Shown) -> list[Any]:
    return list(session.execute(shown(statement.subquery())).all())


def _page(rows: list[Any], limit: int, total: Callable[[], Total], first: bool) -> SearchPage:
    following = _key(rows[limit - 1]) if len(rows) > limit else None
    # A first page with no page after it counted itself: no count query.
    counted = Total(len(rows), False) if first and following is None else total()
    return SearchPage(rows[:limit], following, counted)


def search_page(
    *,
    session: Session,
    filters: CatalogueFilters,
    cursor: Cursor | None,
    limit: int,
    shown: Shown,
) -> SearchPage:
    """One page of the catalogue or of a search, newest publication first: the rows `shown`
    makes of the page's (publication_id, published_at), in that order."""
    dialect = session.get_bind().dialect.name
    organ_ids = None
    if filters.organ and filters.organ.strip():
        organ_ids = _organ_ids(session, filters.organ.strip())
        if not organ_ids:
            return SearchPage([], None, Total(0, False))
    where = _filters(filters, organ_ids)
    after = [*where, *_after(cursor)]
    terms = filters.terms()
    first = cursor is None
    if not terms:
        rows = _fetch(session, _ordered(after, limit + 1), shown)
        everything = sa.select(_SEARCH.c.publication_id).where(*where)
        return _page(rows, limit, lambda: _count(everything, session), first)
    tests = [_contains(dialect, _SEARCH.c[field], term) for field, term in terms]
    if not all(indexable(term) for _, term in terms):
        return _short_term_page(session, where, tests, cursor, limit, shown)
    rows = _fetch(session, _window_hits(after, tests, RECENT_ROWS, limit + 1), shown)
    if len(rows) > limit:  # common among the newest rows: counted there
        return _page(rows, limit, lambda: _recent_total(session, where, tests), first)
    matched = [*where, _trigram_match(dialect, terms)]  # rarer: the index finds and counts them
    rows = _fetch(session, _ordered([*matched, *_after(cursor)], limit + 1), shown)
    everything = sa.select(_SEARCH.c.publication_id).where(*matched)
    return _page(rows, limit, lambda: _count(everything, session), first)


def _recent_total(session: Session, where: list[Any], tests: list[Any]) -> Total:
    """The matches among the newest RECENT_ROWS rows, in one query, said as counted there when
    the window is full (more rows may exist)."""
    window = (
        sa.select(sa.and_(*tests).label("hit"))
        .where(*where)
        .order_by(*_ORDER)
        .limit(RECENT_ROWS)
        .subquery()
    )
    hits = sa.func.coalesce(sa.func.sum(sa.case((window.c.hit, 1), else_=0)), 0)
    walked, count = session.execute(sa.select(sa.func.count(), hits)).one()
    full = walked >= RECENT_ROWS
    return Total(count, full, RECENT_ROWS if full else None)


def _short_term_page(
    session: Session,
    where: list[Any],
    tests: list[Any],
    cursor: Cursor | None,
    limit: int,
    shown: Shown,
) -> SearchPage:
    """A term too short for trigrams: a bounded newest-first scan, continued page by page."""

    def total() -> Total:
        return _recent_total(session, where, tests)

    bounded = [*where, *_after(cursor)]
    rows = _fetch(session, _window_hits(bounded, tests, SHORT_TERM_SCAN_ROWS, limit + 1), shown)
    last = None
    if len(rows) <= limit:
        last = session.execute(_ordered(bounded, 1).offset(SHORT_TERM_SCAN_ROWS - 1)).first()
    if last is None:  # a full page, or the scan reached the oldest row
        return _page(rows, limit, total, cursor is None)
    return SearchPage(rows, _key(last), total(), scan_stopped=True)
