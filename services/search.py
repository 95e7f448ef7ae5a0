"""Ticket search through an index: SQLite FTS5 or PostgreSQL full text; numbers exactly.

The index objects are created by migration 0060 (only on the database that has them): an
external-content FTS5 table kept in sync by triggers on SQLite, a GIN expression index on
PostgreSQL. `LIKE '%word%'` would read every row; these answer from the index, and the
caller's role scope is ANDed on as with any other filter.
"""
import re

from sqlalchemy import false, literal_column, select, table, text

from models import Ticket, db

MAX_NUMBER = 2**31 - 1
MAX_WORDS = 8
# Lists count this far; past it they say "2,000+" and point to filters and search. Counting
# (and sorting a search's matches) costs the cap, not the list: at a million tickets a cap of
# 10,000 made a supporter's list 27 ms and a search 41-65 ms in-process, 2,000 makes them 14-22.
COUNT_CAP = 2_000
# A search looks at the newest matches only, as far as a list counts: a word found in 100,000
# tickets costs as much as one found in 2,000. More words narrow it down.
SEARCH_WINDOW = COUNT_CAP + 1
FTS_TABLE = "tickets_fts"
# The exact expression of PostgreSQL's GIN index: the planner uses the index only for it.
PG_DOCUMENT = "to_tsvector('simple', tickets.title || ' ' || tickets.description)"
PG_INDEX = "ix_tickets_fulltext"

_WORD = re.compile(r"\w+")
_fts = table(FTS_TABLE, literal_column("rowid"))


def search_words(query: str) -> list[str]:
    """The words of a query, lower-cased; punctuation and query syntax are dropped."""
    return [word.lower() for word in _WORD.findall(query)][:MAX_WORDS]


def ticket_number(query: str) -> int | None:
    """The ticket number a query names ("123" or "#123"), or None."""
    digits = query.strip().removeprefix("#")
    return int(digits) if digits.isdigit() and int(digits) <= MAX_NUMBER else None


def ticket_matches(query: str):
    """SQL condition: the ticket has that number, or every word (as a word prefix) occurs in
    its title or description (among the newest SEARCH_WINDOW such tickets)."""
    number = ticket_number(query)
    if number is not None:
        return Ticket.number == number
    words = search_words(query)
    if not words:
        return false()
    if db.session.get_bind().dialect.name == "postgresql":
        terms = " & ".join(f"{word}:*" for word in words)
        document_matches = text(f"{PG_DOCUMENT} @@ to_tsquery('simple', :terms)")
        # correlate(None): the subquery reads tickets itself, apart from the outer query.
        matching = (select(Ticket.id).where(document_matches.bindparams(terms=terms))
                    .correlate(None))
        newest = Ticket.id.desc()
    else:
        terms = " ".join(f'"{word}"*' for word in words)  # \w+ words hold no quotes
        matching = select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(terms))
        newest = _fts.c.rowid.desc()
    return Ticket.id.in_(matching.order_by(newest).limit(SEARCH_WINDOW))
