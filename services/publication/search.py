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

On PostgreSQL a 文号 term holding 〕 and digits goes through the serial number's B-tree indexes
instead of the trigrams (_serial_match).

The total is said as counted: through the index up to TOTAL_CAP ("1,000 件以上" beyond), or, for
a short term or one common among the newest rows, among the newest RECENT_ROWS rows ("最近发布的
1,000 件中有 N 件"). Round trips cost more than these indexed queries, so a page counts its total
in its own query where it can, and each shape of statement is built once, its values bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.base import UTCDateTime
from models.db import table_of
from models.organs import Organ
from models.search import DOC_IRREGULAR, DOC_SERIAL, FTS_TABLE, PublicationSearch

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


def _bound(name: str, type_: Any = None) -> Any:
    return sa.bindparam(name, type_=type_ if type_ is not None else sa.Integer())


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a search's statements are made of; the values are bound when it runs. A shape's
    statements are built once (building one costs more than the database takes to answer it)."""

    dialect: str
    fields: tuple[str, ...]  # the searched columns with a term, in _FIELDS order
    organ: bool
    written_from: bool
    written_to: bool
    cursor: bool
    serial: bool = False  # PostgreSQL: a 文号 fragment found by its serial number (_serial_match)


def _contains(dialect: str, column: Any, term: Any) -> Any:
    """A plain substring test (no wildcard of any kind)."""
    function = sa.func.strpos if dialect == "postgresql" else sa.func.instr
    return function(column, term) > 0


def _trigram_match(shape: _Shape) -> Any:
    """The terms through the trigram index: LIKE (pg_trgm, backslash escapes being PostgreSQL's
    default) or one FTS5 MATCH of quoted phrases (column filters); see _values."""
    if shape.dialect == "postgresql":
        return sa.and_(
            *(
                _SEARCH.c[field].like(_bound(f"pattern_{field}", sa.Text()))
                for field in shape.fields
            )
        )
    matching: Any = (
        sa.select(sa.column("rowid"))
        .select_from(sa.table(FTS_TABLE))
        .where(sa.literal_column(FTS_TABLE).op("MATCH")(_bound("match", sa.Text())))
    )
    return _SEARCH.c.publication_id.in_(matching)


# A 文号 fragment holding 〕 and digits: the serial number it names (a prefix of it).
_SERIAL_FRAGMENT = re.compile(r"〕([0-9]+)")


def _serial_prefix(term: str) -> str | None:
    found = _SERIAL_FRAGMENT.search(term)
    return None if found is None else found.group(1)


def _serial_match(shape: _Shape) -> Any:
    """PostgreSQL: a 文号 fragment holding 〕 and digits D, through the B-tree indexes of
    migration 0011p. A 文号 holding the fragment and one 〕 only has that 〕 where the fragment
    has it, so its serial number starts with D (between D and D + ":", digits sorting before
    ":"); a 文号 with more than one 〕 is taken whatever its serial number. The substring test
    then keeps exactly the 文号 holding the fragment: nothing is missed. The expressions are
    literal, as the indexes are, so that a prepared statement's plan still uses them."""
    serial: Any = sa.literal_column(
        DOC_SERIAL.replace("doc_number", "publication_search.doc_number")
    )
    irregular: Any = sa.literal_column(
        DOC_IRREGULAR.replace("doc_number", "publication_search.doc_number")
    )
    by_serial = sa.and_(
        serial >= _bound("serial_from", sa.Text()), serial < _bound("serial_to", sa.Text())
    )
    return sa.and_(*_tests(shape), sa.or_(by_serial, irregular))


def _matched(shape: _Shape) -> Any:
    """The terms through an index: the 文号's serial number or the trigrams."""
    return _serial_match(shape) if shape.serial else _trigram_match(shape)


def _tests(shape: _Shape) -> list[Any]:
    return [
        _contains(shape.dialect, _SEARCH.c[field], _bound(f"term_{field}", sa.Text()))
        for field in shape.fields
    ]


def _organ_ids(session: Session, organ: str) -> list[int]:
    """Organs by code or a part of their name (the organs table: a few hundred rows, scanned)."""
    dialect = session.get_bind().dialect.name
    named = _contains(dialect, col(Organ.name), organ)
    rows = session.exec(select(Organ.id).where(sa.or_(col(Organ.code) == organ, named))).all()
    return [row for row in rows if row is not None]


def _filters(shape: _Shape) -> list[Any]:
    where: list[Any] = []
    if shape.organ:
        where.append(_SEARCH.c.organ_id.in_(sa.bindparam("organ_ids", expanding=True)))
    if shape.written_from:
        where.append(_SEARCH.c.written_on >= _bound("written_from", sa.Date()))
    if shape.written_to:
        where.append(_SEARCH.c.written_on <= _bound("written_to", sa.Date()))
    return where


def _after(shape: _Shape) -> list[Any]:
    if not shape.cursor:
        return []
    key = sa.tuple_(_SEARCH.c.published_at, _SEARCH.c.publication_id)
    return [key < sa.tuple_(_bound("after_at", UTCDateTime()), _bound("after_id"))]


def _ordered(where: list[Any], limit: Any) -> Any:
    return (
        sa.select(_SEARCH.c.publication_id, _SEARCH.c.published_at)
        .where(*where)
        .order_by(*_ORDER)
        .limit(limit)
    )


def _window_hits(where: list[Any], tests: list[Any]) -> Any:
    """The matches among the first `window` rows newest first (an ordered, bounded walk), at
    most `limit` of them."""
    walked = (
        sa.select(
            _SEARCH.c.publication_id,
            _SEARCH.c.published_at,
            sa.and_(*tests).label("hit"),
        )
        .where(*where)
        .order_by(*_ORDER)
        .limit(_bound("window"))
        .subquery()
    )
    # No ORDER BY again: both databases read a LIMITed ordered subquery in its order, so the
    # LIMIT stops the walk at the page's last hit (SQLite would sort the whole window first).
    # The page is ordered again when it is shown.
    return (
        sa.select(walked.c.publication_id, walked.c.published_at)
        .where(walked.c.hit)
        .limit(_bound("limit"))
    )


def _capped_count(where: list[Any]) -> Any:
    """How many rows match, counted up to `cap` (TOTAL_CAP + 1) through the index."""
    matching = sa.select(_SEARCH.c.publication_id).where(*where).limit(_bound("cap"))
    return sa.select(sa.func.count()).select_from(matching.subquery())


def _recent_counts(shape: _Shape) -> tuple[Any, Any]:
    """(rows walked, matches) among the newest `recent` (RECENT_ROWS) rows of the filters."""
    where = _filters(shape)
    walked = sa.select(_SEARCH.c.publication_id).where(*where).order_by(*_ORDER)
    window = (
        sa.select(sa.and_(*_tests(shape)).label("hit"))
        .where(*where)
        .order_by(*_ORDER)
        .limit(_bound("recent"))
        .subquery()
    )
    hits = sa.func.coalesce(sa.func.sum(sa.case((window.c.hit, 1), else_=0)), 0)
    return (
        sa.select(sa.func.count()).select_from(walked.limit(_bound("recent")).subquery()),
        sa.select(hits),
    )


@cache
def _catalogue_statement(shape: _Shape, shown: Shown) -> Any:
    """A page without search terms, with its total counted through the index (one query)."""
    page = _ordered([*_filters(shape), *_after(shape)], _bound("limit")).subquery()
    total = _capped_count(_filters(shape)).scalar_subquery()
    return shown(page).add_columns(total.label("counted"))


@cache
def _window_statement(shape: _Shape, shown: Shown) -> Any:
    """A page of the matches among the newest `window` rows after the cursor, with the
    matches counted among the newest `recent` rows (one query)."""
    page = _window_hits([*_filters(shape), *_after(shape)], _tests(shape)).subquery()
    walked, hits = _recent_counts(shape)
    return shown(page).add_columns(
        walked.scalar_subquery().label("walked"), hits.scalar_subquery().label("hits")
    )


@cache
def _trigram_statement(shape: _Shape, shown: Shown) -> Any:
    """A page of the matches through the trigram index, after the cursor."""
    where = [*_filters(shape), _matched(shape), *_after(shape)]
    return shown(_ordered(where, _bound("limit")).subquery())


@cache
def _trigram_count(shape: _Shape) -> Any:
    return _capped_count([*_filters(shape), _matched(shape)])


@cache
def _catalogue_count(shape: _Shape) -> Any:
    return _capped_count(_filters(shape))


@cache
def _recent_statement(shape: _Shape) -> Any:
    walked, hits = _recent_counts(shape)
    return sa.select(walked.scalar_subquery(), hits.scalar_subquery())


@cache
def _scan_end(shape: _Shape) -> Any:
    """The last row a bounded scan after the cursor reads (the `window`-th), if any."""
    return _ordered([*_filters(shape), *_after(shape)], 1).offset(_bound("last"))


def _values(
    shape: _Shape,
    filters: CatalogueFilters,
    organ_ids: list[int] | None,
    cursor: Cursor | None,
    limit: int,
) -> dict[str, Any]:
    """The bound values of a search's statements."""
    values: dict[str, Any] = {
        "limit": limit + 1,  # one more than a page: whether a page follows
        "cap": TOTAL_CAP + 1,
        "recent": RECENT_ROWS,
        "written_from": filters.written_from,
        "written_to": filters.written_to,
    }
    if organ_ids is not None:
        values["organ_ids"] = organ_ids
    if cursor is not None:
        values["after_at"], values["after_id"] = cursor.published_at, cursor.publication_id
    terms = filters.terms()
    for field, term in terms:
        values[f"term_{field}"] = term
        # LIKE with its wildcards as text (backslash escapes: PostgreSQL's default).
        values[f"pattern_{field}"] = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
    # One FTS5 MATCH of quoted phrases, a quote doubled inside its phrase.
    values["match"] = " AND ".join(
        f'{field} : "{term.replace(chr(34), chr(34) * 2)}"' for field, term in terms
    )
    return values


def _key(row: Any) -> Cursor:
    return Cursor(row.published_at, row.publication_id)


Shown = Callable[[Any], Any]  # the page's (publication_id, published_at) → the rows shown


def _page(rows: Sequence[Any], limit: int, total: Callable[[], Total], first: bool) -> SearchPage:
    following = _key(rows[limit - 1]) if len(rows) > limit else None
    # A first page with no page after it counted itself: its count is not needed.
    counted = Total(len(rows), False) if first and following is None else total()
    return SearchPage(list(rows[:limit]), following, counted)


def search_page(
    *,
    session: Session,
    filters: CatalogueFilters,
    cursor: Cursor | None,
    limit: int,
    shown: Shown,
) -> SearchPage:
    """One page of the catalogue or of a search, newest publication first: the rows `shown`
    makes of the page's (publication_id, published_at), in that order. Most pages take one
    query, their total counted in it."""
    dialect = session.get_bind().dialect.name
    organ_ids = None
    if filters.organ and filters.organ.strip():
        organ_ids = _organ_ids(session, filters.organ.strip())
        if not organ_ids:
            return SearchPage([], None, Total(0, False))
    terms = filters.terms()
    shape = _Shape(
        dialect,
        tuple(field for field, _ in terms),
        organ_ids is not None,
        filters.written_from is not None,
        filters.written_to is not None,
        cursor is not None,
    )
    serial = _serial_prefix(dict(terms).get("doc_number", "")) if dialect == "postgresql" else None
    values = _values(shape, filters, organ_ids, cursor, limit)
    if serial is not None:
        values["serial_from"], values["serial_to"] = serial, serial + ":"
    first = cursor is None
    if not terms:
        rows = session.execute(_catalogue_statement(shape, shown), values).all()

        def counted() -> Total:
            found = (
                rows[0].counted if rows else _run_count(session, _catalogue_count(shape), values)
            )
            return Total(min(found, TOTAL_CAP), found > TOTAL_CAP)

        return _page(_keyed(rows, 1), limit, counted, first)
    if not all(indexable(term) for _, term in terms):
        return _short_term_page(session, shape, values, limit, shown)
    values["window"] = RECENT_ROWS
    rows = session.execute(_window_statement(shape, shown), values).all()
    if len(rows) > limit:  # common among the newest rows: counted there
        return _page(_keyed(rows, 2), limit, lambda: _recent(rows, session, shape, values), first)
    shape = replace(shape, serial=serial is not None)
    rows = session.execute(_trigram_statement(shape, shown), values).all()

    def matched() -> Total:  # rarer: the index finds and counts them
        found = _run_count(session, _trigram_count(shape), values)
        return Total(min(found, TOTAL_CAP), found > TOTAL_CAP)

    return _page(rows, limit, matched, first)


def _keyed(rows: Sequence[Any], extra: int) -> list[Any]:
    """Rows as `shown` makes them (attributes kept for the cursor), the `extra` columns a
    statement added dropped."""
    return [_Keyed(row, extra) for row in rows]


class _Keyed(tuple[Any, ...]):
    """A row of a page without its added columns, keeping `published_at` and
    `publication_id` for the next page's cursor."""

    published_at: datetime
    publication_id: int

    def __new__(cls, row: Any, extra: int) -> _Keyed:
        kept = super().__new__(cls, tuple(row)[:-extra])
        kept.published_at, kept.publication_id = row.published_at, row.publication_id
        return kept


def _run_count(session: Session, statement: Any, values: dict[str, Any]) -> int:
    return int(session.execute(statement, values).scalar_one())


def _recent(rows: Sequence[Any], session: Session, shape: _Shape, values: dict[str, Any]) -> Total:
    """The matches among the newest RECENT_ROWS rows, said as counted there when the window is
    full (more rows may exist): from the page's own query, or one query when it had no row."""
    if rows:
        walked, count = rows[0].walked, rows[0].hits
    else:
        walked, count = session.execute(_recent_statement(shape), values).one()
    full = walked >= RECENT_ROWS
    return Total(count, full, RECENT_ROWS if full else None)


def _short_term_page(
    session: Session, shape: _Shape, values: dict[str, Any], limit: int, shown: Shown
) -> SearchPage:
    """A term too short for trigrams: a bounded newest-first scan, continued page by page."""
    values = {**values, "window": SHORT_TERM_SCAN_ROWS, "last": SHORT_TERM_SCAN_ROWS - 1}
    rows = session.execute(_window_statement(shape, shown), values).all()

    def total() -> Total:
        return _recent(rows, session, shape, values)

    last = None
    if len(rows) <= limit:
        last = session.execute(_scan_end(shape), values).first()
    page = _keyed(rows, 2)
    if last is None:  # a full page, or the scan reached the oldest row
        return _page(page, limit, total, not shape.cursor)
    return SearchPage(page, _key(last), total(), scan_stopped=True)
