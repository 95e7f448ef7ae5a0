"""The fast paths: query counts that do not grow with rows, capped deep pages, streamed export."""
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select

from extensions import is_query
from models import Comment, Service, Ticket, db
from services import accounts, tickets

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(config):
    return {**config, "SQL_COUNT_HEADER": True}


@contextmanager
def counted_queries():
    """The statements (not BEGIN/COMMIT) the database receives inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        if is_query(statement):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _add_comments(ticket, author, count: int) -> None:
    """Conversation filler (the services are exercised elsewhere; here only the reading)."""
    db.session.add_all(Comment(ticket_id=ticket.id, author_id=author.id, body=f"Reply {n}")
                       for n in range(count))
    db.session.commit()


def _handling_queries(client, number: int) -> int:
    with counted_queries() as statements:
        response = client.get(f"/admin/ticket/handle/{number}")
    assert response.status_code == 200
    assert response.headers["X-SQL-Statements"] == str(len(statements))
    return len(statements)


def test_handling_page_with_200_comments_takes_at_most_6_queries(client, staff, make_ticket):
    made = [make_ticket() for _ in range(3)]
    short, long = [t for t in made if t.assignee_id == made[0].assignee_id][:2]  # same reader
    tickets.add_comment(short.assignee, short, "Internal look", internal=True)
    tickets.add_comment(long.assignee, long, "Internal look", internal=True)
    db.session.commit()
    _add_comments(short, short.customer, 3)
    _add_comments(long, long.customer, 200)
    client.login(long.assignee.username)
    for ticket in (long, short):  # the first visit also marks the assignment notice read
        client.get(f"/admin/ticket/handle/{ticket.number}")
    assert _handling_queries(client, long.number) <= 6
    assert _handling_queries(client, long.number) == _handling_queries(client, short.number)
    page = client.get(f"/admin/ticket/handle/{long.number}").get_data(as_text=True)
    assert page.count('class="comment') == 201


def test_api_submission_is_assigned_in_at_most_13_queries_and_answers_without_reading_back(
        client, staff, make_user):
    """Token, number, SLA policy and holidays, supporter, the insert carrying its assignee,
    load, participant, two events, notice, the major-incident check (the first report is its
    look-alike, and its proposals): 13; nothing after the commit (the answer is what was
    written, not read back)."""
    customer = make_user("anna")
    headers = {"Authorization": f"Bearer {accounts.create_token(customer, 'tests')}"}
    db.session.commit()
    report = {"title": "Printer offline", "description": "Again.", "type": "incident"}
    client.post("/api/v1/tickets", headers=headers, json=report)  # the token's first use is noted
    with counted_queries() as statements:
        response = client.post("/api/v1/tickets", headers=headers, json=report)
    assert response.status_code == 201, response.json
    assert len(statements) == int(response.headers["X-SQL-Statements"]) <= 13
    db.session.expire_all()
    stored = db.session.scalar(select(Ticket).where(Ticket.number == response.json["number"]))
    assert response.json["assignee"] == stored.assignee.username == staff["l1b"].username
    assert response.json["status"] == stored.status.value


def test_grid_queries_do_not_grow_with_rows(client, demo, make_ticket):
    services = db.session.scalars(select(Service)).all()  # the demo's catalog
    customers = [demo[name] for name in ("Kunde", "CustomerJannet", "CustomerRaul")]
    make_ticket(customers[0], service=services[0])
    client.login("admin", "helpdesk-demo")
    with counted_queries() as few:
        client.get("/admin/ticket/")
    for n in range(30):
        make_ticket(customers[n % 3], service=services[n % len(services)])
    with counted_queries() as many:
        page = client.get("/admin/ticket/").get_data(as_text=True)
    assert len(re.findall(r"/admin/ticket/handle/\d+", page)) == 31
    assert len(many) == len(few) <= 4
    supporter = client.application.test_client()
    supporter.login("LevelOneSupporter1", "helpdesk-demo")
    for grid in ("my-tickets", "readable", "queue"):
        with counted_queries() as statements:
            assert supporter.get(f"/admin/{grid}/").status_code == 200
        assert len(statements) <= 4, grid


def test_deep_pages_stop_at_the_cap_with_a_hint_to_filter(client, staff, make_ticket, monkeypatch):
    from views.admin import base
    monkeypatch.setattr(base, "COUNT_CAP", 4)
    for _ in range(7):
        make_ticket()
    client.login("boss")
    first = client.get("/admin/ticket/?page=0").get_data(as_text=True)
    assert "4+" in first and 'id="deep-page-hint"' in first
    deep = client.get("/admin/ticket/?page=100000").get_data(as_text=True)
    # page size 50 > cap: the first page is also the last one anybody can reach
    assert re.findall(r"/admin/ticket/handle/(\d+)", deep) == ["7", "6", "5", "4", "3", "2", "1"]
    narrowed = client.get("/admin/ticket/?search=%237").get_data(as_text=True)
    assert 'id="deep-page-hint"' not in narrowed


def test_csv_export_streams_before_reading_the_rows(client, staff, make_user, make_ticket):
    anna = make_user("anna")
    for n in range(3):
        make_ticket(anna, title=f"-{n} looks like a formula", description="x")
    client.login("boss")
    with counted_queries() as statements:
        response = client.get("/admin/ticket/export/csv/", buffered=False)
        body = iter(response.response)
        header = next(body)
        read_before_first_chunk = [s for s in statements if "tickets.title" in s]
        rest = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
    response.close()
    assert (header if isinstance(header, str) else header.decode()).startswith("Number,Title")
    assert read_before_first_chunk == []  # the header left before the rows were asked for
    assert any("tickets.title" in s for s in statements)
    assert rest.decode().count("\n") == 3
    assert all(line.split(",")[1].startswith("'-") for line in rest.decode().splitlines())


def test_a_web_worker_does_not_import_migrations_or_spreadsheet_writers(tmp_path):
    """Alembic (through Flask-Migrate) and the XLSX writers are 11-13 MB a worker would hold
    for nothing: `flask db` and an XLSX export import them when they run."""
    probe = ("import sys; from app import create_app; create_app(); print(' '.join(sorted("
             "m for m in ('alembic', 'flask_migrate', 'mako', 'xlsxwriter', 'openpyxl') "
             "if m in sys.modules)))")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/probe.db", "SECRET_KEY": "probe"}
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    assert found == ""
