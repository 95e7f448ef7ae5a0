"""The ticket grids, the handling page and bulk actions, through HTTP with CSRF on."""
import pytest
from sqlalchemy import delete, func, select

from models import (
    AuditEvent,
    CannedReply,
    Comment,
    Notification,
    Participant,
    Status,
    Ticket,
    db,
)
from services import tickets


def _reload(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_supporter_start_page_lists_my_tickets_and_marks_unread(client, staff, make_user,
                                                                make_ticket):
    customer = make_user("anna")
    ticket = make_ticket(customer)
    other = make_ticket(customer)
    assert ticket.assignee_id == staff["l1"].id and other.assignee_id == staff["l1b"].id
    client.login("anna")
    client.post_form(f"/tickets/{ticket.number}/reply", {"body": "Any news?"})
    client.logout()
    client.login("l1a")
    start = client.get("/admin/", follow_redirects=True)
    html = start.get_data(as_text=True)
    assert start.status_code == 200
    assert f"/admin/ticket/handle/{ticket.number}" in html
    assert f"/admin/ticket/handle/{other.number}" not in html
    assert "new reply" in html
    client.get(f"/admin/ticket/handle/{ticket.number}")
    assert "new reply" not in client.get("/admin/my-tickets/").get_data(as_text=True)


def test_queue_lists_my_level_and_take_assigns_an_unassigned_ticket(client, make_user,
                                                                    make_ticket):
    ticket = make_ticket()  # nobody at level 1 yet: it waits in the queue
    make_user("l1a", "supporter", level=1)
    client.login("l1a")
    queue = client.get("/admin/queue/").get_data(as_text=True)
    assert f"/admin/ticket/handle/{ticket.number}" in queue
    token = client.csrf_token("/admin/queue/")
    answer = client.post("/admin/queue/action/", data={
        "csrf_token": token, "action": "take", "rowid": [str(ticket.id)]},
        follow_redirects=True)
    assert "1 ticket(s) changed." in answer.get_data(as_text=True)
    assert _reload(ticket).assignee.username == "l1a"


def test_handling_page_replies_and_sets_pending_with_one_notification(client, staff,
                                                                     make_ticket):
    ticket = make_ticket()
    client.login("l1a")
    page = client.get(f"/admin/ticket/handle/{ticket.number}")
    assert page.status_code == 200
    answer = client.post_form(f"/admin/ticket/handle/{ticket.number}/respond",
                              {"body": "Er din PC forbundet til internettet?",
                               "status": "pending"})
    assert answer.status_code == 302
    ticket = _reload(ticket)
    assert ticket.status == Status.PENDING
    notes = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == ticket.customer_id))
    assert notes == 1


def test_canned_reply_is_filled_with_the_customer_name(client, staff, make_user, make_ticket):
    ticket = make_ticket(make_user("jannet"))
    db.session.add(CannedReply(title="Hello", body="Hej {customer}, tak for din henvendelse."))
    db.session.commit()
    client.login("l1a")
    page = client.get(f"/admin/ticket/handle/{ticket.number}").get_data(as_text=True)
    assert "Hej jannet, tak for din henvendelse." in page
    reply = db.session.scalar(select(CannedReply))
    client.post_form(f"/admin/ticket/handle/{ticket.number}/respond", {"canned": reply.id})
    body = db.session.scalar(select(Comment.body).where(Comment.ticket_id == ticket.id))
    assert body == "Hej jannet, tak for din henvendelse."


def test_refused_operation_is_a_flash_not_an_error(client, staff, make_ticket):
    ticket = make_ticket()  # assigned to l1a
    client.login("l1b")
    answer = client.post_form(f"/admin/ticket/handle/{ticket.number}/status",
                              {"status": "resolved"}, follow_redirects=True)
    assert answer.status_code == 200
    assert "Only the assignee or an admin changes this ticket." in answer.get_data(as_text=True)
    assert _reload(ticket).status == Status.OPEN


def test_escalate_and_priority_from_the_handling_page(client, staff, make_ticket):
    ticket = make_ticket()
    client.login("l1a")
    client.post_form(f"/admin/ticket/handle/{ticket.number}/priority",
                     {"priority": "P1", "reason": "The CEO cannot print"})
    client.post_form(f"/admin/ticket/handle/{ticket.number}/escalate",
                     {"level": "2", "assignee": ""})
    ticket = _reload(ticket)
    assert (ticket.priority.value, ticket.level, ticket.assignee.username) == ("P1", 2, "l2a")


def test_staff_opening_the_portal_ticket_land_on_the_handling_page(client, staff, make_ticket):
    ticket = make_ticket()
    client.login("l1a")
    answer = client.get(f"/tickets/{ticket.number}")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/admin/ticket/handle/{ticket.number}")


def test_bulk_status_reports_changes_and_refusals(client, staff, make_ticket):
    mine = make_ticket()
    theirs = make_ticket()
    assert theirs.assignee_id == staff["l1b"].id
    client.login("l1a")
    token = client.csrf_token("/admin/readable/")
    answer = client.post("/admin/readable/action/", data={
        "csrf_token": token, "action": "status", "rowid": [str(mine.id), str(theirs.id)]})
    form_url = answer.headers["Location"]
    assert "/admin/ticket/bulk/status" in form_url
    form = client.get(form_url)
    assert form.status_code == 200
    answer = client.post_form("/admin/ticket/bulk/status", {
        "ids": [str(mine.id), str(theirs.id)], "status": "resolved"}, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "1 ticket(s) changed." in html
    assert f"#{theirs.number} refused: Only the assignee or an admin changes this ticket." in html
    assert _reload(mine).status == Status.RESOLVED and _reload(theirs).status == Status.OPEN
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.ticket_id == mine.id, AuditEvent.action == "status"))
    assert events == 1
    # Again: nothing to change, and the report says so instead of counting it as changed.
    again = client.post_form("/admin/ticket/bulk/status", {
        "ids": [str(mine.id)], "status": "resolved"}, follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "0 ticket(s) changed." in html
    assert f"Already so, nothing to change: #{mine.number}" in html


def test_bulk_link_offers_only_major_incidents_the_supporter_may_read(client, staff,
                                                                      make_ticket):
    hidden = make_ticket(title="Hele netværket er nede")
    hidden.is_major = True
    tickets.escalate(hidden.assignee, hidden, level=3, assignee=staff["l3"])
    db.session.execute(delete(Participant).where(Participant.ticket_id == hidden.id))
    visible = make_ticket(title="Printerne på 2. sal")
    visible.is_major = True
    mine = make_ticket()
    db.session.commit()
    client.login(mine.assignee.username)
    form = client.get(f"/admin/ticket/bulk/link?ids={mine.id}").get_data(as_text=True)
    assert "Printerne på 2. sal" in form and "Hele netværket er nede" not in form


def test_a_bulk_refusal_names_the_field_it_is_about(client, staff, make_ticket):
    ticket = make_ticket()
    client.login("l1a")
    answer = client.post_form("/admin/ticket/bulk/priority", {
        "ids": [str(ticket.id)], "priority": "P1", "reason": ""}, follow_redirects=True)
    assert f"#{ticket.number} refused: Reason: This field is required." in answer.get_data(
        as_text=True)
    assert _reload(ticket).priority.value != "P1"


def test_bulk_with_foreign_ids_refuses_them_as_unknown(client, staff, make_ticket):
    make_ticket()
    ticket = make_ticket()  # l1b's; they escalate it out of l1a's reach
    tickets.escalate(staff["l1b"], ticket, level=3)
    db.session.commit()
    client.login("l1a")
    answer = client.post_form("/admin/ticket/bulk/status", {
        "ids": [str(ticket.id)], "status": "resolved"}, follow_redirects=True)
    assert f"id {ticket.id} refused: No such ticket." in answer.get_data(as_text=True)
    assert _reload(ticket).status == Status.OPEN


def test_grid_count_is_capped(client, staff, make_ticket, monkeypatch):
    from views.admin import base
    monkeypatch.setattr(base, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket()
    client.login("root")
    assert "2+" in client.get("/admin/ticket/").get_data(as_text=True)


def test_grid_pages_stop_at_the_count_cap(client, staff, make_ticket, monkeypatch):
    from views.admin import base
    monkeypatch.setattr(base, "COUNT_CAP", 2)  # fewer than a page: the first page is the last
    for _ in range(3):
        make_ticket()
    client.login("root")
    deep = client.get("/admin/ticket/?page=999999")
    assert deep.status_code == 200
    assert "/admin/ticket/handle/1" in deep.get_data(as_text=True)


@pytest.mark.parametrize("argument", ["_method=DELETE", "_external=1", "_anchor=x",
                                      "_scheme=javascript"])
def test_url_for_arguments_in_a_grid_address_are_dropped_not_a_500(client, staff, argument):
    client.login("root")
    for grid in ("/admin/ticket/", "/admin/user/", "/admin/service/"):
        assert client.get(f"{grid}?search=x&{argument}").status_code == 200, grid
    client.logout()
    client.login(staff["l1"].username)  # sent on from the desk's grid to the readable one
    assert client.get(f"/admin/ticket/?{argument}", follow_redirects=True).status_code == 200
