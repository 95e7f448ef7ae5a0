"""Mass assignment: fields that are not on a form (role, level, owner, assignee, customer,
number, status, internal, author, pin) posted anyway change nothing, on the portal, the
backoffice and the API (Znuny CVE-2025-26846: the API update path skipped the check)."""
from sqlalchemy import select

from models import Comment, Document, Role, Status, Ticket, User, db

EXTRA = {"role": "admin", "level": "3", "assignee": "l2a", "assignee_id": "4",
         "customer": "bob", "customer_id": "999", "number": "4242", "status": "closed",
         "priority": "P1", "impact": "high", "internal": "1", "author_id": "1",
         "pinned_as": "sla", "id": "77", "session_token": "x", "password_hash": "x",
         "active": "y", "away": "y", "open_ticket_count": "99"}


def _ticket() -> Ticket:
    db.session.rollback()
    return db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))


def test_portal_forms_ignore_fields_they_do_not_have(client, staff, make_user):
    anna, bob = make_user("anna"), make_user("bob")
    client.login("anna")
    client.post_form("/tickets/new", {**EXTRA, "title": "Printer", "description": "Broken",
                                      "type": "incident", "urgency": "low", "service": ""})
    ticket = _ticket()
    assert (ticket.customer_id, ticket.number, ticket.status, ticket.level) == \
        (anna.id, 1, Status.OPEN, 1)
    assert ticket.assignee_id == staff["l1"].id and ticket.priority.value == "P4"
    client.post_form(f"/tickets/{ticket.number}/reply", {**EXTRA, "body": "More"})
    comment = db.session.scalar(select(Comment))
    assert (comment.internal, comment.author_id) == (False, anna.id)
    assert _ticket().status == Status.OPEN
    client.post_form("/account", {**EXTRA, "prefs-language": "da", "prefs-submit": "1"})
    db.session.rollback()
    me = db.session.get(User, anna.id)
    assert (me.role, me.level, me.active, me.language) == (Role.CUSTOMER, None, True, "da")
    assert bob.id != ticket.customer_id


def test_backoffice_forms_ignore_fields_they_do_not_have(client, staff, make_ticket,
                                                         make_user):
    ticket = make_ticket(make_user("anna"))
    client.login("l1a")
    client.post_form(f"/admin/ticket/handle/{ticket.number}/respond",
                     {**EXTRA, "status": "", "body": "Hello"})
    client.post_form(f"/admin/ticket/handle/{ticket.number}/triage",
                     {**EXTRA, "type": "request", "impact": "", "urgency": ""})
    after = _ticket()
    assert (after.level, after.assignee_id, after.customer_id, after.number) == \
        (1, staff["l1"].id, ticket.customer_id, ticket.number)
    assert after.status == Status.OPEN
    client.post_form("/admin/document/new/", {**EXTRA, "title": "Mine", "body": "x"})
    document = db.session.scalar(select(Document))
    assert (document.pinned_as, document.author_id) == (None, staff["l1"].id)
    client.post_form("/admin/away", {**EXTRA})
    db.session.rollback()
    me = db.session.get(User, staff["l1"].id)
    assert (me.role, me.level, me.active) == (Role.SUPPORTER, 1, True)


def test_api_refuses_fields_it_does_not_take(client, staff, make_user):
    from services import accounts
    anna = make_user("anna")
    token = accounts.create_token(anna, "script")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    new = {"title": "Printer", "description": "Broken", "type": "incident"}
    for field, value in [("assignee", "l2a"), ("level", 3), ("customer", "bob"),
                         ("number", 4242), ("status", "closed"), ("priority", "P1")]:
        answer = client.post("/api/v1/tickets", json={**new, field: value}, headers=bearer)
        assert answer.status_code == 422, field
    assert db.session.scalar(select(Ticket)) is None
    number = client.post("/api/v1/tickets", json=new, headers=bearer).get_json()["number"]
    for patch in ({"assignee": "l1b"}, {"level": 3}, {"customer": "bob"}, {"number": 1},
                  {"priority": "P1", "reason": "mine"}, {"type": "request"}):
        answer = client.patch(f"/api/v1/tickets/{number}", json=patch, headers=bearer)
        assert answer.status_code in (403, 422), patch
    answer = client.post(f"/api/v1/tickets/{number}/comments",
                         json={"body": "x", "internal": True}, headers=bearer)
    assert answer.status_code == 403
    ticket = _ticket()
    assert (ticket.assignee_id, ticket.level, ticket.customer_id, ticket.priority.value) == \
        (staff["l1"].id, 1, anna.id, "P3")
