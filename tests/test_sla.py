"""SLA timers through the services: due times on submit and on priority changes, the clock
pausing while the ticket waits, and the job flagging and telling at the right moments."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Notification, Priority, SlaPause, SlaState, Status, db
from services import permissions, sla, tickets
from services.calendars import ensure_sla_defaults
from tests.test_business_time import utc


class Clock:
    """The services' idea of now, set by the test."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, local: str) -> datetime:
        self.now = utc(local)
        return self.now


@pytest.fixture
def clock(app, monkeypatch):
    clock = Clock(utc("2026-03-02 09:00"))  # a Monday
    monkeypatch.setattr(tickets, "utcnow", clock)
    monkeypatch.setattr(sla, "utcnow", clock)
    monkeypatch.setattr(permissions, "utcnow", clock)  # the reopen window
    ensure_sla_defaults(today=date(2026, 1, 1))
    db.session.commit()
    return clock


def _kinds(user):
    return db.session.scalars(select(Notification.kind).where(
        Notification.user_id == user.id, Notification.kind.like("sla_%"))
        .order_by(Notification.id)).all()


def test_submit_sets_due_times_of_the_priority(clock, make_ticket, staff):
    ticket = make_ticket()  # P3: 1 working day to answer, 3 to resolve
    assert ticket.priority == Priority.P3
    assert ticket.response_due_at == utc("2026-03-03 09:00")
    assert ticket.resolution_due_at == utc("2026-03-05 09:00")
    assert ticket.response_risk_at == utc("2026-03-02 15:24")  # 80% of 8 hours
    assert ticket.sla_state == SlaState.OK


def test_submit_through_the_portal_stores_due_times(app, client, make_user, staff):
    ensure_sla_defaults()
    db.session.commit()
    make_user("anna")
    client.login("anna")
    response = client.post_form("/tickets/new", {"title": "Printer", "description": "Dead",
                                                 "type": "incident", "urgency": "medium",
                                                 "service": ""})
    assert response.status_code == 302
    ticket = db.session.scalar(select(tickets.Ticket))
    assert ticket.response_due_at is not None and ticket.response_due_at > ticket.created_at
    assert ticket.resolution_due_at > ticket.response_due_at


def test_priority_change_recomputes_due_times(clock, make_ticket, staff):
    clock.set("2026-03-06 15:00")  # a Friday afternoon
    ticket = make_ticket()
    clock.set("2026-03-06 15:10")
    tickets.set_impact_urgency(ticket.assignee, ticket, impact="high", urgency="high")
    assert ticket.priority == Priority.P1  # round the clock: 1 hour and 4 hours
    assert ticket.response_due_at == utc("2026-03-06 16:00")
    assert ticket.resolution_due_at == utc("2026-03-06 19:00")
    tickets.override_priority(ticket.assignee, ticket, "P4", "cosmetic")
    assert ticket.response_due_at == utc("2026-03-10 15:00")  # 2 working days
    assert ticket.resolution_due_at == utc("2026-03-20 15:00")  # 10 working days


def test_clock_pauses_while_pending_and_resumes_on_the_customers_reply(clock, make_ticket, staff):
    ticket = make_ticket()
    assert ticket.resolution_due_at == utc("2026-03-05 09:00")
    clock.set("2026-03-02 10:00")
    tickets.reply_and_set_status(ticket.assignee, ticket, "Is the cable in?", "pending")
    db.session.commit()
    assert ticket.first_response_at == utc("2026-03-02 10:00")
    pause = db.session.scalar(select(SlaPause).where(SlaPause.ticket_id == ticket.id))
    assert (pause.started_at, pause.ended_at) == (utc("2026-03-02 10:00"), None)

    clock.set("2026-03-06 12:00")  # after the old due time, but the clock stood still
    assert sla.check_sla(clock.now) == {"breached": 0, "at_risk": 0, "cleared": 0}

    clock.set("2026-03-04 10:00")
    tickets.add_comment(ticket.customer, ticket, "Nej, ups...")
    db.session.commit()
    assert ticket.status == Status.OPEN
    assert pause.ended_at == utc("2026-03-04 10:00")
    assert ticket.sla_paused_seconds == 2 * 24 * 3600
    # 16 working hours paused (Mon 10-16, Tue, Wed 8-10): Thu 09:00 moves to next Mon 09:00
    assert ticket.resolution_due_at == utc("2026-03-09 09:00")
    assert ticket.response_due_at == utc("2026-03-05 09:00")


def test_clock_stands_still_while_resolved_and_runs_again_on_reopen(clock, make_ticket, staff):
    ticket = make_ticket()
    clock.set("2026-03-02 12:00")
    tickets.change_status(ticket.assignee, ticket, "resolved")
    clock.set("2026-03-03 12:00")
    tickets.add_comment(ticket.customer, ticket, "It is back")
    db.session.commit()
    assert ticket.status == Status.OPEN
    assert ticket.resolution_due_at == utc("2026-03-06 09:00")  # one working day later


def test_job_flags_at_risk_then_breached_and_tells_once(clock, make_ticket, staff):
    ticket = make_ticket(urgency="high")
    tickets.set_impact_urgency(ticket.assignee, ticket, impact="high")  # P1: 1h / 4h
    db.session.commit()
    start, assignee = clock.now, ticket.assignee
    assert sla.check_sla(start + timedelta(minutes=47))["at_risk"] == 0
    assert sla.check_sla(start + timedelta(minutes=48)) == {"breached": 0, "at_risk": 1,
                                                           "cleared": 0}
    assert sla.check_sla(start + timedelta(minutes=50))["at_risk"] == 0  # idempotent
    db.session.commit()
    assert ticket.sla_state == SlaState.AT_RISK
    assert _kinds(assignee) == ["sla_at_risk"]

    clock.now = start + timedelta(minutes=55)
    tickets.add_comment(assignee, ticket, "On my way")
    assert sla.check_sla(clock.now)["cleared"] == 1  # answered in time: only resolution runs
    assert ticket.sla_state == SlaState.OK
    assert sla.check_sla(start + timedelta(minutes=192))["at_risk"] == 1
    assert sla.check_sla(start + timedelta(minutes=239))["breached"] == 0
    assert sla.check_sla(start + timedelta(minutes=240))["breached"] == 1
    assert sla.check_sla(start + timedelta(minutes=300)) == {"breached": 0, "at_risk": 0,
                                                            "cleared": 0}
    db.session.commit()
    assert ticket.sla_state == SlaState.BREACHED
    assert _kinds(assignee) == ["sla_at_risk", "sla_at_risk", "sla_breached"]
    assert _kinds(staff["l2"]) == ["sla_breached"]  # the next level hears of it
    assert _kinds(staff["l3"]) == _kinds(staff["admin"]) == []
    states = db.session.scalars(select(AuditEvent.new_value).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.action == "sla").order_by(AuditEvent.id))
    assert list(states) == ["at_risk", "ok", "at_risk", "breached"]


def test_late_first_response_is_a_breach(clock, make_ticket, staff):
    ticket = make_ticket(urgency="high")
    tickets.set_impact_urgency(ticket.assignee, ticket, impact="high")
    clock.now += timedelta(minutes=61)
    tickets.add_comment(ticket.assignee, ticket, "Sorry for the wait")
    assert sla.check_sla(clock.now)["breached"] == 1


def test_breach_at_the_top_level_tells_the_admins(clock, make_ticket, staff):
    ticket = make_ticket(urgency="high")
    tickets.escalate(staff["admin"], ticket, level=3)
    tickets.set_impact_urgency(staff["admin"], ticket, impact="high")
    db.session.commit()
    sla.check_sla(clock.now + timedelta(hours=5))
    db.session.commit()
    assert _kinds(staff["l3"]) == ["sla_breached"]
    assert _kinds(staff["admin"]) == ["sla_breached"]
    assert _kinds(staff["l2"]) == []


def test_priority_change_can_lift_a_breach_flag(clock, make_ticket, staff):
    ticket = make_ticket(urgency="high")
    tickets.set_impact_urgency(ticket.assignee, ticket, impact="high")
    clock.now += timedelta(minutes=90)
    sla.check_sla(clock.now)
    assert ticket.sla_state == SlaState.BREACHED
    tickets.override_priority(ticket.assignee, ticket, "P4", "not urgent after all")
    assert ticket.sla_state == SlaState.OK


def test_ticket_without_a_policy_has_no_due_times(app, make_ticket, staff):
    ticket = make_ticket()
    assert ticket.response_due_at is None and ticket.resolution_due_at is None
    assert sla.check_sla() == {"breached": 0, "at_risk": 0, "cleared": 0}
