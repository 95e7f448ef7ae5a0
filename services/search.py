"""Ticket search through an index: SQLite FTS5 or PostgreSQL full text; numbers exactly.

The index objects are created by migrations 0060 and 0090 (only on the database that has
them): an external-content FTS5 table kept in sync by triggers on SQLite, a stored tsvector
column with a GIN index on PostgreSQL. `LIKE '%word%'` would read every row; these answer from
the index, and the caller's role scope is ANDed on as with any other filter.
"""
import functools
import json
import re

from sqlalchemy import Integer, any_, bindparam, false, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY

from models import Ticket, db
from services import parse_id

MAX_WORDS = 8
# Lists count this far; past it they say "2,000+" and point to filters and search. Counting
# (and sorting a search's matches) costs the cap, not the list: at a million tickets a cap of
# 10,000 made a supporter's list 27 ms and a search 41-65 ms in-process, 2,000 makes them 14-22.
COUNT_CAP = 2_000
# A search looks at the newest matches only, as far as a list counts: a word found in 100,000
# tickets costs as much as one found in 2,000. More words narrow it down.
SEARCH_WINDOW = COUNT_CAP + 1
FTS_TABLE = "tickets_fts"
# PostgreSQL: the stored tsvector of title and description, and its GIN index.
PG_DOCUMENT = "search_document"
PG_INDEX = "ix_tickets_fulltext"
# PostgreSQL walks this many newest ids before it turns to the GIN index (5-25 ms at 1M).
RECENT_SCAN = 50_000
_WORD = re.compile(r"\w+")
_fts = table(FTS_TABLE, literal_column("rowid"))


def search_words(query: str) -> list[str]:
    """The words of a query, lower-cased; punctuation and query syntax are dropped."""
    return [word.lower() for word in _WORD.findall(query)][:MAX_WORDS]


def ticket_number(query: str) -> int | None:
    """The ticket number a query names ("123" or "#123"), or None."""
    return parse_id(query.strip().removeprefix("#"))


EVERY_MATCH = object()


def ticket_matches(query: str, newest_of=EVERY_MATCH):
    """SQL condition: the ticket has that number, or every word (as a word prefix) occurs in
    its title or description.

    `newest_of` keeps only the newest SEARCH_WINDOW matches of a list, as far as the list
    counts and pages: None for the whole desk, or a select of Ticket.id (the list's scope and
    filters) so that newer matches outside it do not crowd its own out. By default every
    match counts (an export, the API's exact totals).

    A list narrower than the desk walks its matches newest first through its own conditions
    until the window is full. Otherwise the desk's newest matches are read: fewer than the
    window are all there are, and travel as a list of ids; for every match of a word found
    more often, the lookup becomes a subquery."""
    number = ticket_number(query)
    if number is not None:
        return Ticket.number == number
    words = search_words(query)
    if not words:
        return false()
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        terms = " & ".join(f"{word}:*" for word in words)
    else:
        terms = " ".join(f'"{word}"*' for word in words)  # \w+ words hold no quotes
    if newest_of is None or newest_of is EVERY_MATCH:
        ids = _desk_matches(terms, postgresql)
        if len(ids) == SEARCH_WINDOW and newest_of is EVERY_MATCH:
            return _matching(terms, postgresql)
    else:  # the desk's matches first cost a supporter's search a third of its time
        ids = _newest_matches_of(newest_of, terms, postgresql)
    if postgresql:
        # One array parameter: an IN list of 2,001 parameters cost PostgreSQL 10 ms to plan.
        return Ticket.id == any_(bindparam("search_ids", ids, type_=ARRAY(Integer)))
    # Read once, not as a subquery: a grid counts and pages the same matches. They go back as
    # one JSON parameter: an IN list of 2,001 parameters, rendered and bound anew for the
    # count and for the page, cost 2.3 ms more per search.
    listed = func.json_each(json.dumps(ids)).table_valued("value")
    return Ticket.id.in_(select(listed.c.value))


def _desk_matches(terms: str, postgresql: bool) -> list[int]:
    if postgresql:
        return _postgresql_matches(terms)
    return db.session.scalars(_sqlite_matches(terms).order_by(_fts.c.rowid.desc())
                              .limit(SEARCH_WINDOW)).all()


def _sqlite_matches(terms: str):
    return select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(terms))


def _matching(terms: str, postgresql: bool):
    if postgresql:
        return text(f"tickets.{PG_DOCUMENT} @@ to_tsquery('simple', :terms)"
                    ).bindparams(terms=terms)
    return Ticket.id.in_(_sqlite_matches(terms))


def _newest_matches_of(listed, terms: str, postgresql: bool) -> list[int]:
    """The newest SEARCH_WINDOW matches among the ids `listed` selects: the word's matches
    walked newest first, each checked against the list's conditions, until the window is
    full (a rare word's few matches are all read)."""
    if postgresql:
        return _postgresql_newest_of(listed, terms)
    else:
        newest = (listed.join(_fts, _fts.c.rowid == Ticket.id)
                  .where(literal_column(FTS_TABLE).op("MATCH")(terms))
                  .order_by(_fts.c.rowid.desc()))
    return db.session.scalars(newest.limit(SEARCH_WINDOW)).all()


def _postgresql_newest_of(listed, terms: str) -> list[int]:
    """As _postgresql_matches, within a list: the newest RECENT_SCAN ids walked through the
    list's conditions, then the GIN index's matches below them (materialized: asked with the
    list's conditions, the planner read every match and sorted them, 150 ms). The walk reads
    the newest ids in a fenced subquery, as the desk's does: with the match on the table
    itself the planner took every match of a common word from the GIN index (100,000 of them,
    41 ms) instead of walking until the window was full (7 ms)."""
    floor = literal_column(f"(SELECT max(id) FROM tickets) - {int(RECENT_SCAN)}")  # noqa: S608  # nosec B608
    newest = listed.order_by(Ticket.id.desc()).limit(SEARCH_WINDOW)
    recent = (select(Ticket.id, literal_column(PG_DOCUMENT).label("document"))
              .where(Ticket.id > floor).order_by(Ticket.id.desc()).limit(RECENT_SCAN)
              .subquery("recent"))
    match = text("recent.document @@ to_tsquery('simple', :terms)").bindparams(terms=terms)
    found = db.session.scalars(newest.join(recent, recent.c.id == Ticket.id).where(match)).all()
    if len(found) == SEARCH_WINDOW:
        return found
    indexed = select(Ticket.id).where(_matching(terms, True)).cte().prefix_with("MATERIALIZED")
    older = newest.where(Ticket.id <= floor, Ticket.id.in_(select(indexed.c.id)))
    return found + db.session.scalars(older.limit(SEARCH_WINDOW - len(found))).all()


def _postgresql_matches(terms: str) -> list[int]:
    """The newest SEARCH_WINDOW matches. The planner cannot tell a common prefix from a rare
    one (it guesses 2% for both), and walking ids newest first costs a second for a word
    nobody wrote, so both ways are taken on purpose: the newest RECENT_SCAN tickets are walked
    (a common word fills the window there), then the older ones are looked up in the GIN
    index (what is still missing is rare there, so few rows are read)."""
    recent, older = _postgresql_queries(RECENT_SCAN)
    found = db.session.scalars(recent, {"terms": terms, "window": SEARCH_WINDOW}).all()
    if len(found) == SEARCH_WINDOW:
        return found
    return found + db.session.scalars(older, {"terms": terms,
                                              "window": SEARCH_WINDOW - len(found)}).all()


@functools.cache
def _postgresql_queries(scan: int):
    """The walk over the newest `scan` ids and the index lookup below them. The floor is SQL,
    not a parameter (with a parameter the planner sorted the whole range); the subquery's
    LIMIT keeps it from being flattened. The lookup names no id range: with one, the planner
    guessed a third of the table and walked it (160 ms for a word nobody wrote) instead of
    asking the GIN index (0.3 ms). Only an int and module constants are formatted in; the
    words travel as :terms (bandit B608)."""
    floor = f"(SELECT max(id) FROM tickets) - {int(scan)}"  # noqa: S608  # nosec B608
    match = f"{PG_DOCUMENT} @@ to_tsquery('simple', :terms)"
    recent = text(
        f"SELECT id FROM (SELECT id, {PG_DOCUMENT} FROM tickets WHERE id > {floor} "  # noqa: S608  # nosec B608
        f"ORDER BY id DESC LIMIT {int(scan)}) AS recent WHERE {match} ORDER BY id DESC LIMIT :window")
    older = text(
        f"WITH found AS MATERIALIZED (SELECT id FROM tickets WHERE {match}) "  # noqa: S608  # nosec B608
        f"SELECT id FROM found WHERE id <= {floor} ORDER BY id DESC LIMIT :window")
    return recent, older
