"""Priority from impact x urgency (all nine cells), overrides with a reason, all logged."""
import pytest
from sqlalchemy import select

from models import AuditEvent, Priority, db
from services import Forbidden, Invalid, tickets

MATRIX = [
    ("high", "high", "P1"), ("high", "medium", "P2"), ("high", "low", "P3"),
    ("medium", "high", "P2"), ("medium", "medium", "P3"), ("medium", "low", "P4"),
    ("low", "high", "P3"), ("low", "medium", "P4"), ("low", "low", "P4"),
]


def _events(ticket, action):
    return db.session.execute(select(AuditEvent.old_value, AuditEvent.new_value).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.action == action)
        .order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("urgency, expected", [("high", "P2"), ("medium", "P3"), ("low", "P4")])
def test_new_ticket_starts_at_medium_impact_and_the_stated_urgency(make_ticket, staff,
                                                                   urgency, expected):
    ticket = make_ticket(urgency=urgency)
    assert (ticket.impact.value, ticket.priority.value) == ("medium", expected)


@pytest.mark.parametrize("impact, urgency, expected", MATRIX)
def test_triage_sets_priority_from_the_matrix(make_ticket, staff, impact, urgency, expected):
    ticket = make_ticket()
    tickets.set_impact_urgency(ticket.assignee, ticket, impact=impact, urgency=urgency)
    db.session.commit()
    assert ticket.priority == Priority(expected)
    if expected != "P3":
        assert _events(ticket, "priority") == [("P3", expected)]


def test_override_needs_a_reason_and_is_logged_and_triage_clears_it(make_ticket, staff):
    ticket = make_ticket()
    supporter = ticket.assignee
    with pytest.raises(Invalid):
        tickets.override_priority(supporter, ticket, "P1", "  ")
    db.session.rollback()
    tickets.override_priority(supporter, ticket, "P1", "The CEO cannot print")
    db.session.commit()
    assert (ticket.priority, ticket.priority_reason) == (Priority.P1, "The CEO cannot print")
    assert _events(ticket, "priority") == [("P3", "P1 (The CEO cannot print)")]
    tickets.set_impact_urgency(supporter, ticket, impact="low", urgency="low")
    db.session.commit()
    assert (ticket.priority, ticket.priority_reason) == (Priority.P4, None)


def test_only_the_assignee_or_an_admin_changes_priority(make_ticket, staff):
    ticket = make_ticket()
    other = staff["l1b"] if ticket.assignee_id == staff["l1"].id else staff["l1"]
    for actor in (other, staff["manager"]):
        with pytest.raises(Forbidden):
            tickets.override_priority(actor, ticket, "P1", "because")
        with pytest.raises(Forbidden):
            tickets.set_impact_urgency(actor, ticket, impact="high")
    tickets.override_priority(staff["admin"], ticket, "P2", "admin knows")
    assert ticket.priority == Priority.P2


def test_unknown_priority_is_refused(make_ticket, staff):
    ticket = make_ticket()
    with pytest.raises(Invalid):
        tickets.override_priority(ticket.assignee, ticket, "P9", "why not")
