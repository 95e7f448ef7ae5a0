# ruff: noqa: F811 -- fixtures from tests.api_support are imported, then used as arguments
"""Ticket actions through the API: escalate, take, link and unlink to a major incident."""
import threading
import time

import pytest
from sqlalchemy import select, text, update

from models import AuditEvent, Ticket, db
from services import tickets
from tests.api_support import API, auth, call, people, ticket  # noqa: F401


def test_escalate_to_a_level_goes_to_its_least_loaded_supporter(client, auth, people, ticket):
    response = call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people["l1"],
                    json={"level": 2})
    assert response.status_code == 200
    assert (response.get_json()["level"], response.get_json()["assignee"]) == (2, "l2a")
    # l1 took part, so still reads it; l1b did not.
    assert call(client, auth, "GET", f"/tickets/{ticket.number}", people["l1"]).status_code == 200
    assert call(client, auth, "GET", f"/tickets/{ticket.number}",
                people["l1b"]).status_code == 404


def test_escalate_to_a_named_supporter_takes_their_level(client, auth, people, ticket):
    response = call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people["l1"],
                    json={"assignee": "l3a"})
    assert (response.get_json()["level"], response.get_json()["assignee"]) == (3, "l3a")


@pytest.mark.parametrize("user, payload, status", [
    ("l1", {}, 422),
    ("l1", {"level": 1}, 422),
    ("l1", {"level": 4}, 422),
    ("l1", {"assignee": "nobody"}, 422),
    ("l1", {"level": 2, "assignee": "l3a"}, 422),
    ("l1", {"level": 2, "extra": 1}, 422),
    ("manager", {"assignee": "nobody"}, 403),  # refused before the name is looked at
])
def test_bad_escalations_are_refused(client, auth, people, ticket, user, payload, status):
    response = call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people[user],
                    json=payload)
    assert response.status_code == status


def test_only_admins_move_a_ticket_down(client, auth, people, ticket):
    call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people["l1"],
         json={"level": 2})
    assert call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people["l2"],
                json={"level": 1}).status_code == 403
    assert call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people["admin"],
                json={"level": 1}).status_code == 200


def test_take_assigns_a_queued_ticket_and_not_an_assigned_one(client, auth, people, ticket,
                                                             make_ticket):
    assert call(client, auth, "POST", f"/tickets/{ticket.number}/take",
                people["l1b"]).status_code == 403
    people["l1"].away = people["l1b"].away = True
    db.session.commit()
    queued = make_ticket(people["owner"])
    people["l1b"].away = False
    db.session.commit()
    taken = call(client, auth, "POST", f"/tickets/{queued.number}/take", people["l1b"])
    assert taken.status_code == 200 and taken.get_json()["assignee"] == "l1b"


@pytest.fixture
def parent(people, make_ticket):
    return make_ticket(people["other"], title="All printers are down")


def test_link_and_unlink_are_logged_and_shown_to_the_customer(client, auth, people, ticket,
                                                              parent):
    linked = call(client, auth, "POST", f"/tickets/{ticket.number}/link", people["l1"],
                  json={"parent": parent.number})
    assert linked.status_code == 200 and linked.get_json()["parent"] == parent.number
    again = call(client, auth, "POST", f"/tickets/{ticket.number}/link", people["l1"],
                 json={"parent": parent.number})
    assert again.status_code == 200  # already so: nothing to do
    unlinked = call(client, auth, "DELETE", f"/tickets/{ticket.number}/link", people["l1"])
    assert unlinked.status_code == 200 and unlinked.get_json()["parent"] is None
    history = call(client, auth, "GET", f"/tickets/{ticket.number}",
                   people["owner"]).get_json()["history"]
    assert [(e["action"], e["old"], e["new"]) for e in history if "link" in e["action"]] == [
        ("linked", None, f"#{parent.number}"), ("unlinked", f"#{parent.number}", None)]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "linked")) == 1


def test_link_conflicts_and_bad_parents(client, auth, people, ticket, parent, make_ticket):
    l1, url = people["l1"], f"/tickets/{ticket.number}/link"
    assert call(client, auth, "DELETE", url, l1).status_code == 409  # not linked
    assert call(client, auth, "POST", url, l1, json={"parent": ticket.number}).status_code == 422
    assert call(client, auth, "POST", url, l1, json={"parent": 99999}).status_code == 422
    assert call(client, auth, "POST", url, l1, json={"parent": "x"}).status_code == 422
    assert call(client, auth, "POST", url, l1, json={}).status_code == 422
    assert call(client, auth, "POST", url, l1, json={"parent": parent.number}).status_code == 200
    # (in other words: a report like the children of an open major incident would join it)
    other_parent = make_ticket(people["other"], title="Another outage",
                               description="The phones are dead.")
    conflict = call(client, auth, "POST", url, l1, json={"parent": other_parent.number})
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "conflict"
    # A parent cannot become a child, and a child cannot become a parent.
    assert call(client, auth, "POST", f"/tickets/{parent.number}/link", people["admin"],
                json={"parent": other_parent.number}).status_code == 422
    assert call(client, auth, "POST", f"/tickets/{other_parent.number}/link", people["admin"],
                json={"parent": ticket.number}).status_code == 422


def test_a_parent_the_caller_cannot_read_looks_missing(client, auth, people, ticket, make_ticket):
    make_ticket(people["other"])  # to l1b, then l1, then l1b again
    make_ticket(people["other"])
    hidden = make_ticket(people["other"], title="Level three business")
    assert hidden.assignee_id == people["l1b"].id
    tickets.escalate(people["admin"], hidden, level=3)
    db.session.commit()
    unreadable = call(client, auth, "POST", f"/tickets/{ticket.number}/link", people["l1"],
                      json={"parent": hidden.number})
    missing = call(client, auth, "POST", f"/tickets/{ticket.number}/link", people["l1"],
                   json={"parent": 99999})
    assert unreadable.status_code == missing.status_code == 422
    assert unreadable.get_json() == missing.get_json()


def test_me_and_documents(client, auth, people):
    me = call(client, auth, "GET", "/me", people["l2"]).get_json()
    assert (me["username"], me["role"], me["level"]) == ("l2a", "supporter", 2)
    missing = call(client, auth, "GET", "/documents/sla", None)
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"


def test_pinned_documents_come_as_markdown_and_sanitised_html(client, demo):
    sla = client.get("/api/v1/documents/sla").get_json()
    catalog = client.get("/api/v1/documents/service-catalog").get_json()
    assert sla["title"] and sla["markdown"] and sla["html"].startswith("<")
    assert "Printservice" in catalog["markdown"] and catalog["updated_at"].endswith("Z")


def test_a_ticket_taken_meanwhile_is_not_taken_again(app, client, auth, people, make_ticket):
    """Two supporters take one queued ticket at the same moment: the second request waits for
    the first and is refused, instead of overwriting it (PostgreSQL; SQLite's writers take
    turns, tests/test_writer_gate.py)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    people["l1"].away = people["l1b"].away = True
    db.session.commit()
    queued = make_ticket(people["owner"])
    people["l1b"].away = False
    db.session.commit()
    headers = auth(people["l1b"])
    answers = []
    with db.engine.connect() as first:  # the first supporter's transaction, mid-take
        first.execute(select(Ticket.id).where(Ticket.id == queued.id).with_for_update())

        def take_as_the_second_supporter():
            with app.app_context():
                answers.append(app.test_client().post(f"{API}/tickets/{queued.number}/take",
                                                      headers=headers))

        second = threading.Thread(target=take_as_the_second_supporter)
        second.start()
        wait_until_blocked_on_a_lock(first)
        first.execute(update(Ticket).where(Ticket.id == queued.id)
                      .values(assignee_id=people["l1"].id))
        first.commit()
        second.join(timeout=10)
    assert answers[0].status_code == 403
    db.session.expire_all()
    assert db.session.get(Ticket, queued.id).assignee_id == people["l1"].id


def wait_until_blocked_on_a_lock(connection, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))  # read afresh each time
        waiting = connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")).scalar()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the second request never waited for the first")


def test_usernames_are_found_in_any_case(client, auth, people, ticket, runner):
    moved = call(client, auth, "PATCH", f"/tickets/{ticket.number}", people["l1"],
                 json={"assignee": "L1B"})
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "l1b"
    listed = call(client, auth, "GET", "/tickets?assignee=L1B", people["admin"]).get_json()
    assert [item["number"] for item in listed["items"]] == [ticket.number]
    token = runner.invoke(args=["users", "token", "ANNA"]).output.split()[-1]
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}
                      ).get_json()["username"] == "anna"


def test_a_level_must_be_a_whole_number(client, auth, people, ticket):
    answer = call(client, auth, "POST", f"/tickets/{ticket.number}/escalate", people["l1"],
                  json={"level": 2.5})
    assert answer.status_code == 422
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).level == 1
