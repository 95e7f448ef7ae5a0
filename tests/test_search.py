"""Ticket search goes through an index (SQLite FTS5, PostgreSQL full text) and stays role-scoped."""
import pytest
from sqlalchemy import delete, event, select, text

from models import Participant, Ticket, db
from services import search, tickets
from services.search import PG_DOCUMENT, PG_INDEX


def _numbers(html: str) -> set[int]:
    import re
    return {int(n) for n in re.findall(r'/admin/ticket/handle/(\d+)"', html)}


@pytest.fixture
def escalated(staff, make_ticket):
    """Three tickets: two at level 1, one escalated to level 3 by its level-1 assignee; the
    other level-1 supporter (`outsider`) never took part in it."""
    printer = make_ticket(title="Printer jams", description="The tray is stuck.")
    vpn = make_ticket(title="No network", description="The VPN client hangs at login.")
    secret = make_ticket(title="Printer in the vault", description="Level three only.")
    escalator = secret.assignee
    tickets.escalate(escalator, secret, 3)
    db.session.commit()
    outsider = next(s for s in (staff["l1"], staff["l1b"]) if s.id != escalator.id)
    return {"printer": printer, "vpn": vpn, "secret": secret, "outsider": outsider.username}


def test_search_finds_a_word_of_the_title_or_the_description(client, escalated):
    client.login("boss")
    by_title = _numbers(client.get("/admin/ticket/?search=printer").get_data(as_text=True))
    by_description = _numbers(client.get("/admin/ticket/?search=vpn").get_data(as_text=True))
    by_prefix = _numbers(client.get("/admin/ticket/?search=Print tray").get_data(as_text=True))
    assert by_title == {escalated["printer"].number, escalated["secret"].number}
    assert by_description == {escalated["vpn"].number}
    assert by_prefix == {escalated["printer"].number}


def test_search_respects_the_role_scope(app, client, escalated):
    client.login(escalated["outsider"])
    found = _numbers(client.get("/admin/readable/?search=printer").get_data(as_text=True))
    assert found == {escalated["printer"].number}
    assert _numbers(client.get("/admin/readable/?search=vault").get_data(as_text=True)) == set()
    level_three = app.test_client()
    level_three.login("l3a")
    found = _numbers(level_three.get("/admin/readable/?search=vault").get_data(as_text=True))
    assert found == {escalated["secret"].number}


def test_api_search_is_scoped_to_the_customer(client, escalated, make_user, make_ticket):
    other = make_user("other")
    make_ticket(other, title="Printer at home", description="x")
    client.login("other")
    answer = client.get("/api/v1/tickets?q=printer").get_json()
    assert [item["title"] for item in answer["items"]] == ["Printer at home"]


def test_number_search_is_exact(client, staff, make_ticket):
    for _ in range(12):
        make_ticket(title="Same title", description="x")
    client.login("boss")
    assert _numbers(client.get("/admin/ticket/?search=1").get_data(as_text=True)) == {1}
    assert _numbers(client.get("/admin/ticket/?search=%2312").get_data(as_text=True)) == {12}


def test_search_syntax_is_plain_words(client, escalated):
    client.login("boss")
    for query in ['"', "printer*", "NOT printer", "printer OR (", "' OR 1=1 --", "%_"]:
        response = client.get("/admin/ticket/", query_string={"search": query})
        assert response.status_code == 200, query


def test_search_uses_the_index_not_like(client, escalated):
    statements = []
    listener = lambda _c, _cur, statement, *_rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.login("boss")
        client.get("/admin/ticket/?search=printer")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    searches = [s for s in statements if "tickets_fts" in s or "to_tsquery" in s]
    # The matches are read once (PostgreSQL: the newest walked, then the index below them, if
    # needed); the capped count and the page then use their ids.
    assert 1 <= len(searches) <= 2
    assert not any("count(" in s.lower() for s in searches)
    assert not any(" LIKE " in s.upper() for s in statements)


@pytest.mark.parametrize("recent_scan", [50_000, 2])
def test_a_search_keeps_the_newest_matches_found_by_walk_or_by_index(
        monkeypatch, make_ticket, recent_scan):
    """PostgreSQL walks the newest RECENT_SCAN ids, then asks the index below them: with a
    walk of 2 the oldest ticket is found only through the index, and the window still holds
    the newest matches in order."""
    monkeypatch.setattr(search, "RECENT_SCAN", recent_scan)
    made = [make_ticket(title=f"Zebra crossing {n}", description="x") for n in range(5)]
    rare = make_ticket(title="Quokka sighting", description="x")
    made[0].title = "Quokka first"
    db.session.commit()
    newest_first = [t.id for t in reversed(made)]

    def matches(query, newest_only=True):
        newest_of = None if newest_only else search.EVERY_MATCH
        return db.session.scalars(select(Ticket.id).where(
            search.ticket_matches(query, newest_of)).order_by(Ticket.id.desc())).all()
    assert matches("zebra") == newest_first[:4]  # made[0] was renamed
    assert matches("quokka") == [rare.id, made[0].id]
    monkeypatch.setattr(search, "SEARCH_WINDOW", 2)
    assert matches("zebra") == newest_first[:2]
    assert matches("zebra", newest_only=False) == newest_first[:4]  # every match
    assert matches("nothing written") == []


@pytest.mark.parametrize("recent_scan", [50_000, 2])
def test_a_narrower_list_finds_its_matches_behind_the_newest_of_the_desk(
        monkeypatch, client, staff, make_user, make_ticket, recent_scan):
    """The desk's newest matches may all lie outside a supporter's scope or a filter: those
    lists keep the newest matches of their own, and exports every match. (PostgreSQL: with a
    walk of 2 the supporter's own ticket is found through the index.)"""
    monkeypatch.setattr(search, "SEARCH_WINDOW", 2)
    monkeypatch.setattr(search, "RECENT_SCAN", recent_scan)
    customer = make_user("anna")
    mine = make_ticket(customer, title="Printer on floor 1")
    for n in range(3):  # newer matches, escalated out of the level-1 supporter's sight
        ticket = make_ticket(customer, title=f"Printer on floor {n + 2}")
        tickets.escalate(ticket.assignee, ticket, level=3, assignee=staff["l3"])
        db.session.execute(delete(Participant).where(Participant.ticket_id == ticket.id))
    db.session.commit()
    reader = next(s for s in (staff["l1"], staff["l1b"]) if s.id != mine.assignee_id)
    client.login(reader.username)
    page = client.get("/admin/readable/?search=printer").get_data(as_text=True)
    assert "Printer on floor 1" in page and "Printer on floor 2" not in page
    client.logout()
    client.login("boss")  # a manager: the whole desk
    whole = client.get("/admin/ticket/?search=printer").get_data(as_text=True)
    assert "Printer on floor 4" in whole and "Printer on floor 1" not in whole  # newest 2
    narrowed = client.get("/admin/ticket/?search=printer&flt0_29=1")  # level equals 1
    assert "Printer on floor 1" in narrowed.get_data(as_text=True)
    exported = client.get("/admin/ticket/export/csv/?search=printer").get_data(as_text=True)
    assert sum("Printer on floor" in line for line in exported.splitlines()) == 4


def test_the_database_answers_search_from_the_index(app, escalated):
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH 'printer'"
        )).all()
        assert any("VIRTUAL TABLE INDEX" in row[-1] for row in plan)
        # The triggers keep the index in step with the tickets.
        escalated["vpn"].title = "Renamed completely"
        db.session.commit()
        hits = db.session.scalars(text(
            "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH 'renamed'")).all()
        assert hits == [escalated["vpn"].id]
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.scalars(text(
            f"EXPLAIN SELECT id FROM tickets WHERE {PG_DOCUMENT} @@ to_tsquery('simple', 'printer')"
        )).all()
        assert any(PG_INDEX in line for line in plan)
        db.session.rollback()
