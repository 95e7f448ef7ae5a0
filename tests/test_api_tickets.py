# ruff: noqa: F811 -- fixtures from tests.api_support are imported, then used as arguments
"""Tickets through the API: what each caller sees, what they may change, and every refusal."""
import pytest

from models import Service, Status, db
from services import tickets
from tests.api_support import NEW_TICKET, auth, call, people, ticket  # noqa: F401


def test_a_script_opens_follows_and_comments_on_an_incident(client, auth, people):
    anna = people["owner"]
    created = call(client, auth, "POST", "/tickets", anna, json={**NEW_TICKET, "urgency": "high"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["number"] > 0 and body["priority"] == "P2" and body["assignee"] == "l1a"
    assert body["customer"] == "anna" and body["parent"] is None and body["warnings"] == []
    assert body["created_at"].endswith("Z")
    assert created.headers["Location"] == f"/api/v1/tickets/{body['number']}"
    reply = call(client, auth, "POST", f"/tickets/{body['number']}/comments", anna,
                 json={"body": "Any news?"})
    assert reply.status_code == 201 and reply.get_json()["author"] == "anna"
    read = call(client, auth, "GET", f"/tickets/{body['number']}", anna).get_json()
    assert [c["body"] for c in read["comments"]] == ["Any news?"]
    assert read["history"][0]["action"] == "created"


def test_a_customer_never_sees_internal_notes_or_staff_history(client, auth, people, ticket):
    l1 = people["l1"]
    for payload in ({"body": "Public answer"}, {"body": "Staff only", "internal": True}):
        assert call(client, auth, "POST", f"/tickets/{ticket.number}/comments", l1,
                    json=payload).status_code == 201
    assert call(client, auth, "PATCH", f"/tickets/{ticket.number}", l1,
                json={"priority": "P1", "reason": "CEO's printer"}).status_code == 200
    seen = call(client, auth, "GET", f"/tickets/{ticket.number}", people["owner"]).get_json()
    assert [c["body"] for c in seen["comments"]] == ["Public answer"]
    assert "CEO" not in str(seen["history"])
    assert {e["action"] for e in seen["history"]} <= {"created", "assigned", "status"}
    staff_view = call(client, auth, "GET", f"/tickets/{ticket.number}", l1).get_json()
    assert [c["internal"] for c in staff_view["comments"]] == [False, True]
    assert any(e["action"] == "priority" for e in staff_view["history"])


def test_a_customer_token_never_lists_or_finds_another_customers_ticket(client, auth, people,
                                                                      make_ticket):
    """Zammad CVE-2022-40816: the scope holds on the API transport as on the pages."""
    mine = make_ticket(people["owner"], title="Mine")
    theirs = make_ticket(people["other"], title="Theirs")
    for query in ("", "?q=Theirs", f"?q={theirs.number}", "?assignee=l1b", "?per_page=100"):
        listed = call(client, auth, "GET", f"/tickets{query}", people["owner"]).get_json()
        assert theirs.number not in [t["number"] for t in listed["items"]]
        assert listed["total"] == len(listed["items"]) <= 1
    assert call(client, auth, "GET", f"/tickets/{mine.number}", people["owner"]).status_code == 200
    for method, suffix, body in (("GET", "", None), ("PATCH", "", {"status": "closed"}),
                                 ("POST", "/comments", {"body": "hi"})):
        response = call(client, auth, method, f"/tickets/{theirs.number}{suffix}",
                        people["owner"], json=body)
        assert response.status_code == 404


def test_the_list_pages_in_a_stable_order_with_a_total(client, auth, people, make_ticket):
    numbers = [make_ticket(people["owner"], title=f"T{i}").number for i in range(5)]
    first = call(client, auth, "GET", "/tickets?per_page=2", people["admin"]).get_json()
    second = call(client, auth, "GET", "/tickets?per_page=2&page=2", people["admin"]).get_json()
    assert (first["total"], first["page"], first["per_page"]) == (5, 1, 2)
    assert [t["number"] for t in first["items"] + second["items"]] == numbers[::-1][:4]
    beyond = call(client, auth, "GET", "/tickets?page=9", people["admin"]).get_json()
    assert beyond["items"] == [] and beyond["total"] == 5


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "page=0", "page=-1",
                                   "page=x", "status=lost", "level=4", "colour=red"])
def test_bad_list_parameters_are_refused_with_422(client, auth, people, query):
    response = call(client, auth, "GET", f"/tickets?{query}", people["admin"])
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid" and body["message"] and "query" in body["errors"]


def test_the_list_filters(client, auth, people, make_ticket):
    printer = make_ticket(people["owner"], title="Printer jam")
    users = Service(name="Brugeradministration")
    db.session.add(users)
    access = make_ticket(people["other"], title="New account", type="request",
                         urgency="high", service=users)
    admin = people["admin"]
    tickets.change_status(admin, printer, "pending")
    db.session.commit()

    def numbers(query):
        body = call(client, auth, "GET", f"/tickets?{query}", admin).get_json()
        return [t["number"] for t in body["items"]]

    assert numbers("status=pending") == [printer.number]
    assert numbers("type=request") == [access.number]
    assert numbers("priority=P2") == [access.number]
    assert numbers("assignee=l1a") == [printer.number]
    assert numbers("level=1") == [access.number, printer.number]
    assert numbers("level=2") == []
    assert numbers("q=jam") == [printer.number]
    assert numbers(f"q={access.number}") == [access.number]
    assert numbers("q=100%25") == []


def test_secrets_are_masked_and_the_writer_is_warned(client, auth, people, ticket):
    created = call(client, auth, "POST", "/tickets", people["owner"], json={
        **NEW_TICKET, "description": "Min adgangskode er Hemmelig123 og CPR 010190-1234"})
    body = created.get_json()
    assert "Hemmelig123" not in body["description"] and "010190-1234" not in body["description"]
    assert len(body["warnings"]) == 2
    reply = call(client, auth, "POST", f"/tickets/{ticket.number}/comments", people["l1"],
                 json={"body": "TeamViewer ID: 123 456 789"}).get_json()
    assert "123 456 789" not in reply["body"] and reply["warnings"]


@pytest.mark.parametrize("payload, field", [
    ({**NEW_TICKET, "priority": "P1"}, "priority"),
    ({"description": "x", "type": "incident"}, "title"),
    ({**NEW_TICKET, "type": "question"}, "type"),
    ({**NEW_TICKET, "title": "x" * 201}, "title"),
    ({**NEW_TICKET, "title": "nul\x00byte"}, "title"),
    ({**NEW_TICKET, "urgency": "extreme"}, "urgency"),
    ({**NEW_TICKET, "service": "Rocket science"}, "service"),
])
def test_invalid_new_tickets_are_refused_with_the_field(client, auth, people, payload, field):
    response = call(client, auth, "POST", "/tickets", people["owner"], json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_a_request_needs_a_covered_service(client, auth, people):
    db.session.add_all([Service(name="Printservice", covered=True),
                        Service(name="Kaffe", covered=False)])
    db.session.commit()
    request = {**NEW_TICKET, "type": "request"}
    assert call(client, auth, "POST", "/tickets", people["owner"],
                json={**request, "service": "Kaffe"}).status_code == 422
    created = call(client, auth, "POST", "/tickets", people["owner"],
                   json={**request, "service": "Printservice"})
    assert created.status_code == 201 and created.get_json()["service"] == "Printservice"


@pytest.mark.parametrize("data, content_type, status", [
    ("{not json", "application/json", 400),
    ("[1, 2]", "application/json", 422),
    ("title=x", "application/x-www-form-urlencoded", 422),
])
def test_unreadable_bodies_are_refused_as_json(client, auth, people, data, content_type, status):
    response = client.post("/api/v1/tickets", data=data, content_type=content_type,
                           headers=auth(people["owner"]))
    assert response.status_code == status
    assert set(response.get_json()) >= {"code", "message"}


def test_patch_changes_type_triage_priority_status_and_assignee(client, auth, people, ticket):
    l1 = people["l1"]
    changed = call(client, auth, "PATCH", f"/tickets/{ticket.number}", l1, json={
        "type": "request", "impact": "high", "urgency": "high", "status": "pending"}).get_json()
    assert (changed["type"], changed["priority"], changed["status"]) == ("request", "P1", "pending")
    overridden = call(client, auth, "PATCH", f"/tickets/{ticket.number}", l1,
                      json={"priority": "P4", "reason": "Can wait"}).get_json()
    assert overridden["priority"] == "P4"
    moved = call(client, auth, "PATCH", f"/tickets/{ticket.number}", l1, json={"assignee": "l1b"})
    assert moved.get_json()["assignee"] == "l1b"
    # l1 no longer holds it.
    assert call(client, auth, "PATCH", f"/tickets/{ticket.number}", l1,
                json={"status": "open"}).status_code == 403


@pytest.mark.parametrize("payload, status", [
    ({}, 422),
    ({"priority": "P1"}, 422),
    ({"reason": "because"}, 422),
    ({"status": "archived"}, 422),
    ({"assignee": "nobody"}, 422),
    ({"assignee": "l2a"}, 422),  # another level: that is escalation
    ({"assignee": "l1a"}, 422),  # already assigned
    ({"colour": "red"}, 422),
])
def test_invalid_patches_change_nothing(client, auth, people, ticket, payload, status):
    response = call(client, auth, "PATCH", f"/tickets/{ticket.number}", people["l1"], json=payload)
    assert response.status_code == status
    assert response.get_json()["code"] == "invalid"


def test_a_failed_patch_is_all_or_nothing(client, auth, people, ticket):
    response = call(client, auth, "PATCH", f"/tickets/{ticket.number}", people["l1"],
                    json={"type": "request", "assignee": "nobody"})
    assert response.status_code == 422
    db.session.refresh(ticket)
    assert ticket.type.value == "incident"


@pytest.mark.parametrize("payload", [{"status": "open"}, {"status": "resolved"},
                                     {"urgency": "high"}, {"status": "closed", "type": "request"}])
def test_a_customer_may_only_close_their_ticket(client, auth, people, ticket, payload):
    response = call(client, auth, "PATCH", f"/tickets/{ticket.number}", people["owner"],
                    json=payload)
    assert response.status_code == 403
    db.session.refresh(ticket)
    assert ticket.status == Status.OPEN


def test_nobody_replies_on_a_closed_ticket(client, auth, people, ticket):
    call(client, auth, "PATCH", f"/tickets/{ticket.number}", people["owner"],
         json={"status": "closed"})
    for user in (people["owner"], people["l1"], people["admin"]):
        assert call(client, auth, "POST", f"/tickets/{ticket.number}/comments", user,
                    json={"body": "again"}).status_code == 403


@pytest.mark.parametrize("url", ["/tickets/0", "/tickets/2147483647", "/tickets/99999999999999",
                                 "/tickets/abc", "/nothing"])
def test_unknown_addresses_are_404_json(client, auth, people, url):
    response = call(client, auth, "GET", url, people["admin"])
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_a_wrong_method_is_405_json(client, auth, people):
    response = call(client, auth, "PUT", "/me", people["admin"])
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"
