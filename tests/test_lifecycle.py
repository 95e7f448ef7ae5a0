"""The ticket lifecycle through the portal (customers) and the services (supporters)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from models import (
    AuditEvent,
    Comment,
    Notification,
    Participant,
    Priority,
    Service,
    Status,
    Ticket,
    TicketType,
    User,
    db,
)
from services import Forbidden, Invalid, NotFound, tickets
from services.assignment import recount_loads
from services.search import ticket_matches


def submit_via_portal(client, title="Jeg kan ikke printe", description="Der sker ikke noget.",
                      **fields):
    data = {"title": title, "description": description, "type": "incident", "service": "",
            "urgency": "medium", **fields}
    return client.post_form("/tickets/new", data)


def test_submission_numbers_assigns_and_logs(client, make_user, staff):
    make_user("anna")
    client.login("anna")
    response = submit_via_portal(client)
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert response.headers["Location"] == f"/tickets/{ticket.number}"
    assert (ticket.number, ticket.level, ticket.status, ticket.type) == (
        1, 1, Status.OPEN, TicketType.INCIDENT)
    assert ticket.priority == Priority.P3 and ticket.assignee_id == staff["l1"].id
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id)).all()
    assert actions == ["created", "assigned"]
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "assigned the ticket to l1a" in page


@pytest.mark.parametrize("urgency, priority", [("high", "P2"), ("medium", "P3"), ("low", "P4")])
def test_new_ticket_priority_follows_the_stated_urgency(client, make_user, urgency, priority):
    make_user("anna")
    client.login("anna")
    submit_via_portal(client, urgency=urgency)
    assert db.session.scalar(select(Ticket.priority)) == Priority(priority)


def test_invalid_submission_shows_errors_and_creates_nothing(client, make_user):
    make_user("anna")
    client.login("anna")
    response = submit_via_portal(client, title="", type="bogus")
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    unknown_service = submit_via_portal(client, service="999")
    assert unknown_service.status_code == 200
    assert "Not a valid choice." in unknown_service.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_staff_cannot_submit_through_the_portal(client, staff):
    client.login("l1a")
    assert submit_via_portal(client).status_code == 403


def test_assignment_prefers_fewest_open_then_least_recent_then_lowest_id(make_user, make_ticket):
    first = make_user("first", "supporter", level=1)
    second = make_user("second", "supporter", level=1)
    make_user("away", "supporter", level=1, away=True)
    make_user("gone", "supporter", level=1, active=False)
    a, b, c = (make_ticket().assignee_id for _ in range(3))
    assert (a, b, c) == (first.id, second.id, first.id)


def test_tie_goes_to_the_supporter_assigned_least_recently(make_user, make_ticket):
    first = make_user("first", "supporter", level=1)
    second = make_user("second", "supporter", level=1)
    t1 = make_ticket()
    assert t1.assignee_id == first.id
    tickets.change_status(first, t1, "resolved")
    db.session.commit()
    assert make_ticket().assignee_id == second.id


def test_with_nobody_available_the_ticket_waits_in_the_queue(client, make_user):
    make_user("anna")
    make_user("away", "supporter", level=1, away=True)
    client.login("anna")
    assert submit_via_portal(client).status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.assignee_id is None and ticket.status == Status.OPEN
    assert "In the queue" in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)


def test_seed_scenario_one_customer_side(client, demo):
    client.login("Kunde", "helpdesk-demo")
    submit_via_portal(client, description="Når jeg åbner et dokument i Word og trykker på print, "
                                          "sker der ikke noget.")
    ticket = db.session.scalar(select(Ticket))
    supporter = demo["LevelOneSupporter1"]
    assert ticket.assignee_id == supporter.id
    tickets.reply_and_set_status(supporter, ticket, "Er din PC forbundet til internettet?",
                                 "pending")
    db.session.commit()
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Support is waiting for your answer" in page
    assert "Er din PC forbundet til internettet?" in page
    client.post_form(f"/tickets/{ticket.number}/reply", {"body": "Nej, ups…"})
    db.session.refresh(ticket)
    assert ticket.status == Status.OPEN
    tickets.change_status(db.session.get(User, supporter.id), ticket, "resolved")
    db.session.commit()
    assert "This ticket is resolved" in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)


def test_seed_scenario_two_assignment_and_escalation(demo, make_ticket):
    make_ticket(demo["Kunde"])  # LevelOneSupporter1 now has one open ticket
    ticket = make_ticket(demo["CustomerJannet"], description="Jeg har lige fået ny PC.")
    tim, ahmed = demo["LevelOneTim"], demo["LevelTwoAhmed"]
    assert ticket.assignee_id == tim.id
    tickets.add_comment(tim, ticket, "Har du forbindelse til internettet?")
    tickets.escalate(tim, ticket, level=2, assignee="LevelTwoAhmed")
    db.session.commit()
    assert (ticket.level, ticket.assignee_id) == (2, ahmed.id)
    outcome = tickets.add_comment(demo["CustomerJannet"], ticket,
                                  "TeamViewer ID 435 275 764, password Sommer2024, CPR 010190-1234")
    assert "435 275 764" not in outcome.comment.body and "010190-1234" not in outcome.comment.body
    assert len(outcome.warnings) == 3
    # Tim took part, so he still reads the level-2 ticket; he no longer changes it.
    from services.permissions import can_change, can_view
    assert can_view(tim, ticket) and not can_change(tim, ticket)


def test_customer_reply_reopens_pending_and_resolved(make_user, make_ticket, staff):
    customer = make_user("anna")
    ticket = make_ticket(customer)
    for status in ("pending", "resolved"):
        tickets.change_status(staff["l1"], ticket, status)
        tickets.add_comment(customer, ticket, "Det virker stadig ikke.")
        assert ticket.status == Status.OPEN


def test_customer_closes_own_ticket_and_then_cannot_reply(client, make_user, make_ticket, staff):
    customer = make_user("anna")
    ticket = make_ticket(customer)
    client.login("anna")
    assert client.post_form(f"/tickets/{ticket.number}/close").status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == Status.CLOSED
    response = client.post_form(f"/tickets/{ticket.number}/reply", {"body": "Hov, igen"})
    assert response.status_code == 403
    assert "This ticket is closed. Please open a new ticket." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Send reply" not in page
    follow_up = f"/tickets/new?follows={ticket.number}&amp;step=form"
    assert f'href="{follow_up}"' in page


def test_a_new_ticket_follows_up_a_closed_one_with_a_link_back(client, make_user, make_ticket,
                                                               staff):
    customer = make_user("anna")
    closed = make_ticket(customer, title="Printeren på 2. sal")
    tickets.change_status(customer, closed, Status.CLOSED)
    db.session.commit()
    client.login("anna")
    form = client.get(f"/tickets/new?follows={closed.number}&step=form").get_data(as_text=True)
    assert f'name="follows" value="{closed.number}"' in form
    response = client.post_form("/tickets/new", {
        "title": "Printeren igen", "description": "Den virker heller ikke i dag.",
        "type": "incident", "urgency": "medium", "follows": str(closed.number)})
    assert response.status_code == 302
    new = db.session.scalar(select(Ticket).where(Ticket.title == "Printeren igen"))
    assert new.follows_id == closed.id
    page = client.get(f"/tickets/{new.number}").get_data(as_text=True)
    assert f'href="/tickets/{closed.number}">#{closed.number} Printeren på 2. sal</a>' in page
    client.logout()
    client.login(new.assignee.username)
    handling = client.get(f"/admin/ticket/handle/{new.number}").get_data(as_text=True)
    assert f'href="/admin/ticket/handle/{closed.number}" id="ticket-follows"' in handling


def test_a_new_ticket_cannot_follow_up_another_customers_ticket(client, make_user, make_ticket,
                                                                staff):
    other = make_ticket(make_user("bob"), title="Bobs hemmelighed")
    make_user("anna")
    client.login("anna")
    form = client.get(f"/tickets/new?follows={other.number}&step=form").get_data(as_text=True)
    assert "Bobs hemmelighed" not in form and 'name="follows"' not in form
    client.post_form("/tickets/new", {"title": "Min egen", "description": "Noget andet.",
                                      "type": "incident", "urgency": "medium",
                                      "follows": str(other.number)})
    mine = db.session.scalar(select(Ticket).where(Ticket.title == "Min egen"))
    assert mine.follows_id is None
    with pytest.raises(NotFound):
        tickets.submit(mine.customer, "Via the service", "text", follows=other)


def test_after_the_reopen_window_the_customer_is_pointed_to_a_new_ticket(
        app, client, make_user, make_ticket, staff):
    customer = make_user("anna")
    ticket = make_ticket(customer)
    tickets.change_status(ticket.assignee, ticket, Status.RESOLVED)
    db.session.commit()
    client.login("anna")
    assert "Send reply" in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    ticket.resolved_at -= timedelta(days=app.config["REOPEN_DAYS"], seconds=1)
    db.session.commit()
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Send reply" not in page and 'id="follow-up"' in page
    response = client.post_form(f"/tickets/{ticket.number}/reply", {"body": "Det virker ikke"})
    assert response.status_code == 403
    assert "The reopen window has passed" in response.get_data(as_text=True)
    assert refreshed_status(ticket) == Status.RESOLVED


def refreshed_status(ticket: Ticket) -> Status:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).status


def test_another_customers_ticket_is_not_found(client, make_user, make_ticket, staff):
    ticket = make_ticket(make_user("anna"))
    make_user("bob")
    client.login("bob")
    assert client.get(f"/tickets/{ticket.number}").status_code == 404
    assert client.post_form(f"/tickets/{ticket.number}/reply", {"body": "hi"}).status_code == 404
    assert client.post_form(f"/tickets/{ticket.number}/close").status_code == 404
    assert client.get("/tickets/999").status_code == 404


def test_customer_ids_are_not_matched_by_substring(client, make_user, make_ticket, staff):
    """OTRS CVE-2009-5055: customer 12 must not read the tickets of 1 and 2."""
    # OTRS CVE-2009-5055: customer 12 read the tickets of 1 and 2.
    users = [make_user(f"c{i}") for i in range(12)]
    ticket = make_ticket(users[0])
    client.login(users[11].username)
    assert client.get(f"/tickets/{ticket.number}").status_code == 404
    assert f"/tickets/{ticket.number}\"" not in client.get("/tickets/").get_data(as_text=True)


def test_internal_notes_never_reach_the_customer(client, make_user, make_ticket, staff):
    """OTRS GHSA-6ww2-5f5r-f44h: the customer's view never shows internal articles."""
    customer = make_user("anna")
    ticket = make_ticket(customer)
    tickets.add_comment(staff["l1"], ticket, "SECRET-INTERNAL-NOTE", internal=True)
    tickets.change_type(staff["l1"], ticket, "request")
    tickets.override_priority(staff["l1"], ticket, "P1", "VIP-REASON")
    db.session.commit()
    client.login("anna")
    for url in (f"/tickets/{ticket.number}", "/tickets/", "/notifications/"):
        page = client.get(url).get_data(as_text=True)
        assert "SECRET-INTERNAL-NOTE" not in page and "VIP-REASON" not in page
    assert "changed the type from Incident to Request" in client.get(
        f"/tickets/{ticket.number}").get_data(as_text=True)


@pytest.mark.parametrize("payload, dangerous", [
    ("<script>alert(1)</script>", "<script>alert(1)"),
    ('"><img src=x onerror=alert(1)>', "<img src=x"),
    ("{{7*7}}", None),  # shown literally, never evaluated
])
def test_markup_in_tickets_and_comments_is_shown_as_text(client, make_user, staff, payload,
                                                         dangerous):
    make_user("anna")
    client.login("anna")
    submit_via_portal(client, title=payload, description=payload)
    number = db.session.scalar(select(Ticket.number))
    client.post_form(f"/tickets/{number}/reply", {"body": payload})
    for url in (f"/tickets/{number}", "/tickets/"):
        main = client.get(url).get_data(as_text=True).split('<main id="main">')[1]
        assert dangerous is None or dangerous not in main
        assert payload.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in main


class TestPermissionTable:
    """DESIGN.md, "Who may do what with a ticket", row by row through the services."""

    @pytest.fixture
    def ticket(self, make_user, make_ticket, staff):
        return make_ticket(make_user("anna"))  # assigned to l1a at level 1

    def test_customer_row(self, ticket, make_user, staff):
        owner = ticket.customer
        stranger = make_user("bob")
        tickets.add_comment(owner, ticket, "own ticket: may comment")
        with pytest.raises(Forbidden):
            tickets.add_comment(owner, ticket, "note", internal=True)
        with pytest.raises(Forbidden):
            tickets.change_status(owner, ticket, "resolved")
        with pytest.raises(NotFound):
            tickets.add_comment(stranger, ticket, "not mine")
        with pytest.raises(Forbidden):
            tickets.change_type(owner, ticket, "request")
        with pytest.raises(Forbidden):
            tickets.escalate(owner, ticket, level=2)
        tickets.change_status(owner, ticket, "closed")

    def test_supporter_reads_below_their_level_and_changes_only_assigned(self, ticket, staff):
        l1b, l2 = staff["l1b"], staff["l2"]
        tickets.add_comment(l1b, ticket, "a colleague may comment", internal=True)
        for operation in (lambda u: tickets.change_status(u, ticket, "pending"),
                          lambda u: tickets.change_type(u, ticket, "request"),
                          lambda u: tickets.reassign(u, ticket, l1b),
                          lambda u: tickets.escalate(u, ticket, level=2)):
            with pytest.raises(Forbidden):
                operation(l1b)
            with pytest.raises(Forbidden):
                operation(l2)  # level 2 reads level-1 tickets but is not the assignee
        tickets.change_status(staff["l1"], ticket, "pending")

    def test_supporter_does_not_read_above_their_level(self, ticket, staff):
        tickets.escalate(staff["l1"], ticket, level=3)
        db.session.commit()
        with pytest.raises(NotFound):
            tickets.add_comment(staff["l2"], ticket, "not mine to read")
        tickets.add_comment(staff["l1"], ticket, "I took part, so I still read it")

    def test_reassign_within_the_level_only(self, ticket, staff):
        with pytest.raises(Invalid):
            tickets.reassign(staff["l1"], ticket, staff["l2"])
        tickets.reassign(staff["l1"], ticket, staff["l1b"])
        assert ticket.assignee_id == staff["l1b"].id

    def test_only_admins_move_a_ticket_down(self, ticket, staff):
        tickets.escalate(staff["l1"], ticket, level=2)
        assert ticket.assignee_id == staff["l2"].id
        with pytest.raises(Forbidden):
            tickets.escalate(staff["l2"], ticket, level=1)
        tickets.escalate(staff["admin"], ticket, level=1, assignee=staff["l1b"].username)
        assert (ticket.level, ticket.assignee_id) == (1, staff["l1b"].id)

    def test_take_from_the_queue_only_at_own_level(self, make_user, make_ticket, staff):
        staff["l1"].away = staff["l1b"].away = True
        db.session.commit()
        queued = make_ticket(make_user("carl"))
        assert queued.assignee_id is None
        with pytest.raises(Forbidden):
            tickets.take(staff["l2"], queued)
        tickets.take(staff["l1b"], queued)
        assert queued.assignee_id == staff["l1b"].id
        with pytest.raises(Forbidden):
            tickets.take(staff["l1"], queued)

    def test_manager_reads_everything_and_changes_nothing(self, ticket, staff):
        manager = staff["manager"]
        for operation in (lambda: tickets.add_comment(manager, ticket, "x"),
                          lambda: tickets.change_status(manager, ticket, "closed"),
                          lambda: tickets.escalate(manager, ticket, level=2),
                          lambda: tickets.take(manager, ticket)):
            with pytest.raises(Forbidden):
                operation()

    def test_admin_does_everything(self, ticket, staff):
        admin = staff["admin"]
        tickets.add_comment(admin, ticket, "note", internal=True)
        tickets.change_type(admin, ticket, "request")
        tickets.set_impact_urgency(admin, ticket, impact="high", urgency="high")
        assert ticket.priority == Priority.P1
        tickets.escalate(admin, ticket, level=3)
        tickets.change_status(admin, ticket, "resolved")


def test_loads_always_add_up(make_user, make_ticket, staff):
    customer = make_user("anna")
    made = [make_ticket(customer) for _ in range(6)]
    tickets.change_status(made[0].assignee, made[0], "resolved")
    tickets.escalate(made[1].assignee, made[1], level=2)
    tickets.reassign(made[2].assignee, made[2], staff["l1b"] if made[2].assignee_id == staff["l1"].id
                     else staff["l1"])
    tickets.change_status(made[3].assignee, made[3], "closed")
    db.session.commit()
    assert recount_loads() == 0  # nothing to repair: the counters were right


def test_demo_generator_keeps_the_invariants(runner, demo):
    # The indexes (and SQLite's search trigger) it set aside for the load are back.
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    schema = text("SELECT type, name, sql FROM sqlite_master "
                  "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name" if sqlite else
                  "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                  "current_schema() ORDER BY indexname")
    before = db.session.execute(schema).all()
    db.session.commit()
    result = runner.invoke(args=["demo", "--tickets", "500"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(schema).all() == before
    if sqlite:  # the planner's statistics were taken after the load
        assert db.session.scalar(text(
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tickets'")) > 0
    assert db.session.scalar(select(func.count()).select_from(Ticket)
                             .where(ticket_matches("synthetic"))) == 500
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 500
    numbers = db.session.scalars(select(Ticket.number)).all()
    assert len(set(numbers)) == 500
    mismatched = db.session.scalar(
        select(func.count()).select_from(Ticket).join(User, Ticket.assignee_id == User.id)
        .where(User.level != Ticket.level))
    assert mismatched == 0
    created = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "created"))
    assert created == 500
    assert recount_loads() == 0
    # Requests name a covered service, as submit() demands; both types occur.
    uncovered = db.session.scalar(
        select(func.count()).select_from(Ticket).outerjoin(Service)
        .where(Ticket.type == TicketType.REQUEST, func.coalesce(Service.covered, False).is_(False)))
    assert uncovered == 0
    types = set(db.session.scalars(select(Ticket.type).distinct()))
    assert types == {TicketType.REQUEST, TicketType.INCIDENT}
    # Every assignee is a participant; the assignee answered, so there is a first response.
    assigned = select(Ticket.id, Ticket.assignee_id).where(Ticket.assignee_id.is_not(None))
    participants = set(db.session.execute(select(Participant.ticket_id, Participant.user_id)))
    assert set(db.session.execute(assigned)) == participants
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.assignee_id.is_not(None), Ticket.first_response_at.is_(None))) == 0
    # the next ticket continues the same sequence
    from services.tickets import next_ticket_number
    assert next_ticket_number() == max(numbers) + 1


def test_submission_without_the_optional_fields_uses_their_defaults(client, make_user, staff):
    make_user("anna")
    client.login("anna")
    response = client.post_form("/tickets/new", {"title": "Skærm", "description": "Sort",
                                                 "type": "incident"})
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.service_id is None and ticket.priority == Priority.P3


def test_a_reopened_ticket_leaves_a_supporter_who_is_away(client, make_user, make_ticket, staff):
    """Marking someone away moves their open and pending tickets; a resolved one the customer
    reopens later must not wait for them either."""
    from services import users
    customer = make_user("anna")
    ticket = make_ticket(customer)
    first = ticket.assignee
    tickets.change_status(first, ticket, "resolved")
    users.set_away(first, first, True)
    db.session.commit()
    client.login(customer.username)
    assert client.post_form(f"/tickets/{ticket.number}/reply",
                            {"body": "It broke again"}).status_code == 302
    db.session.refresh(ticket)
    other = staff["l1b"] if first.id == staff["l1"].id else staff["l1"]
    assert (ticket.status, ticket.assignee_id) == (Status.OPEN, other.id)
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.ticket_id == ticket.id,
                                                       AuditEvent.action == "reassigned"))
    assert (moved.old_value, moved.new_value) == (first.username, other.username)
    assert recount_loads() == 0
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == other.id))
    assert list(kinds) == ["customer_reply"]  # one message for one change


def test_portal_list_pages_through_a_capped_count(client, make_user, make_ticket, monkeypatch):
    """A customer with more tickets than the count cap gets "N+" pages, not an exact count of
    every ticket they ever filed; a page past the end shows the last one."""
    import services.ticket_list
    import views.portal
    monkeypatch.setattr(services.ticket_list, "COUNT_CAP", 3)
    monkeypatch.setattr(views.portal, "COUNT_CAP", 3)
    monkeypatch.setattr(views.portal, "PAGE_SIZE", 2)
    customer = make_user(role="customer")
    numbers = [make_ticket(customer, title=f"Skærm {n} er sort").number for n in range(5)]
    client.login(customer.username)
    first = client.get("/tickets/").get_data(as_text=True)
    assert "Page 1 of 2+" in first and f"#{numbers[4]}" in first and f"#{numbers[2]}" not in first
    last = client.get("/tickets/?page=9").get_data(as_text=True)
    assert "Page 2 of 2+" in last and f"#{numbers[2]}" in last and f"#{numbers[1]}" in last
