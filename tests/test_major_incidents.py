"""Major incidents: similar reports become one proposal, then one parent ticket whose updates
reach every child and whose resolution resolves them."""
import pytest
from sqlalchemy import func, select

from models import (
    AuditEvent,
    Comment,
    MajorIncidentProposal,
    Notification,
    ProposalStatus,
    Status,
    Ticket,
    TicketType,
    db,
)
from services import proposals, tickets
from tests.data.incident_reports import REPORTS

INTERNET = [(title, text) for cluster, title, text in REPORTS if cluster == "internet"]


def _report(make_user, make_ticket, n: int, title: str | None = None) -> Ticket:
    """Customer n reports no internet at the office, in their own words."""
    own_title, text = INTERNET[n % len(INTERNET)]
    return make_ticket(make_user(f"kunde{n}"), title=title or own_title, description=text)


def _proposals():
    return db.session.scalars(select(MajorIncidentProposal).order_by(MajorIncidentProposal.id)).all()


def _children(parent: Ticket) -> list[Ticket]:
    return db.session.scalars(select(Ticket).where(Ticket.parent_id == parent.id)
                              .order_by(Ticket.id)).all()


def test_twenty_customers_without_internet_become_one_major_incident(client, staff, make_user,
                                                                     make_ticket):
    reports = []
    for n in range(20):
        reports.append(_report(make_user, make_ticket, n, title="ingen internet på kontoret"
                               if n % 2 else None))
        if n == 1:
            assert _proposals() == []  # two customers are not a major incident
        if n == 2:
            (proposal,) = _proposals()
            assert proposal.status == ProposalStatus.PROPOSED
            told = db.session.scalars(select(Notification.user_id).where(
                Notification.kind == "major_proposal")).all()
            assert sorted(told) == sorted([staff["l1"].id, staff["l1b"].id])
    (proposal,) = _proposals()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.decided_by_id is None
    parent = proposal.parent
    assert parent.is_major and parent.priority.value == "P1"
    children = _children(parent)
    assert [c.id for c in children] == [r.id for r in reports]
    assert {c.priority.value for c in children} == {"P1"}
    assert db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.is_major.is_(True))) == 1

    client.login(parent.assignee.username)
    answer = client.post_form(f"/admin/ticket/handle/{parent.number}/respond",
                              {"body": "Routeren er genstartet, vi følger op."})
    assert answer.status_code == 302
    for n, child in enumerate(children):
        client.logout()
        client.login(f"kunde{n}")
        page = client.get(f"/tickets/{child.number}").get_data(as_text=True)
        assert "Routeren er genstartet, vi følger op." in page
        assert "linked the ticket to major incident" in page
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "major_update")).all()
    assert sorted(told) == sorted(c.customer_id for c in children)  # one each


@pytest.mark.parametrize("change", [None, "request", "resolved", "closed", "major"])
def test_only_open_plain_incidents_count_towards_a_proposal(staff, make_user, make_ticket,
                                                            change):
    """Two look-alikes and a third report make a proposal, unless the two are requests,
    resolved, closed or major incidents themselves."""
    for ticket in [_report(make_user, make_ticket, n) for n in range(2)]:
        if change == "request":
            ticket.type = TicketType.REQUEST
        elif change in ("resolved", "closed"):
            ticket.status = Status(change)
        elif change == "major":
            ticket.is_major = True
    db.session.commit()
    _report(make_user, make_ticket, 2)
    assert len(_proposals()) == (1 if change is None else 0)


def test_reports_from_one_customer_are_not_a_major_incident(staff, make_user, make_ticket):
    customer = make_user("alone")
    for title, text in INTERNET[:5]:
        make_ticket(customer, title=title, description=text)
    assert _proposals() == []


def test_different_incidents_are_not_grouped(staff, make_user, make_ticket):
    for n, (cluster, title, text) in enumerate(REPORTS):
        if cluster.startswith("miss"):
            make_ticket(make_user(f"c{n}"), title=title, description=text)
    assert _proposals() == []


def test_accepting_opens_a_parent_created_by_the_supporter(client, staff, make_user, make_ticket):
    reports = [_report(make_user, make_ticket, n) for n in range(3)]
    (proposal,) = _proposals()
    client.login("l1b")
    assert "Ingen internet" in client.get("/admin/major-incidents/").get_data(as_text=True)
    assert client.post_form(f"/admin/major-incidents/{proposal.id}/accept").status_code == 302
    db.session.expire_all()
    parent = db.session.get(MajorIncidentProposal, proposal.id).parent
    assert (parent.customer_id, parent.assignee_id) == (staff["l1b"].id, staff["l1b"].id)
    assert parent.priority.value == "P2"
    assert [c.id for c in _children(parent)] == [r.id for r in reports]
    assert {c.priority.value for c in _children(parent)} == {"P2"}
    linked = db.session.scalars(select(AuditEvent.ticket_id).where(
        AuditEvent.action == "linked")).all()
    assert sorted(linked) == [r.id for r in reports]
    again = client.post_form(f"/admin/major-incidents/{proposal.id}/dismiss")
    assert again.status_code == 302  # refused with a message: decided already
    assert db.session.get(MajorIncidentProposal, proposal.id).status == ProposalStatus.ACCEPTED
    client.logout()
    client.login("boss")
    figures = client.get("/admin/dashboard/major_incidents.csv").get_data(as_text=True)
    assert figures.splitlines()[1] == "1,1,0,0,3"  # proposals, accepted, auto, dismissed, linked


def test_dismissing_is_logged_and_managers_may_not_decide(client, staff, make_user, make_ticket):
    for n in range(3):
        _report(make_user, make_ticket, n)
    (proposal,) = _proposals()
    client.login("boss")
    assert client.get("/admin/major-incidents/").status_code == 200
    assert client.post_form(f"/admin/major-incidents/{proposal.id}/dismiss").status_code == 403
    client.logout()
    client.login("l1a")
    client.post_form(f"/admin/major-incidents/{proposal.id}/dismiss")
    db.session.expire_all()
    proposal = db.session.get(MajorIncidentProposal, proposal.id)
    assert (proposal.status, proposal.decided_by_id) == (ProposalStatus.DISMISSED, staff["l1"].id)
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "proposal_dismissed")).actor_id == staff["l1"].id
    _report(make_user, make_ticket, 3)  # dismissed reports are not proposed again
    assert len(_proposals()) == 1


def test_resolving_the_parent_resolves_every_child_and_tells_each_assignee(staff, make_user,
                                                                          make_ticket):
    reports = [_report(make_user, make_ticket, n) for n in range(4)]
    (proposal,) = _proposals()
    parent = proposals.accept(staff["l1"], proposal)
    waiting = next(r for r in reports if r.assignee_id == staff["l1"].id)
    tickets.change_status(staff["l1"], waiting, "pending")
    db.session.commit()
    tickets.reply_and_set_status(staff["l1"], parent, "Forbindelsen er tilbage.", "resolved")
    db.session.commit()
    db.session.expire_all()
    for child in reports:
        child = db.session.get(Ticket, child.id)
        assert child.status == Status.RESOLVED
        bodies = db.session.scalars(select(Comment.body).where(Comment.ticket_id == child.id)).all()
        assert bodies == ["Forbindelsen er tilbage."]
        customer_notes = db.session.scalars(select(Notification.kind).where(
            Notification.user_id == child.customer_id, Notification.kind != "pending")).all()
        assert customer_notes == ["resolved"]  # one message: the update and the resolution
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "major_resolved")).all()
    assignees = [r.assignee_id for r in reports if r.assignee_id != staff["l1"].id]
    assert sorted(told) == sorted(assignees)


def test_internal_notes_on_the_parent_stay_on_the_parent(staff, make_user, make_ticket):
    reports = [_report(make_user, make_ticket, n) for n in range(3)]
    parent = proposals.accept(staff["admin"], _proposals()[0])
    tickets.add_comment(staff["admin"], parent, "only for us", internal=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.ticket_id.in_([r.id for r in reports]))) == 0


def test_manual_link_and_unlink_from_the_backoffice(client, staff, make_user, make_ticket):
    reports = [_report(make_user, make_ticket, n) for n in range(3)]
    parent = proposals.accept(staff["admin"], _proposals()[0])
    other = make_ticket(make_user("late"), title="Printer jammed", description="Paper stuck")
    db.session.commit()
    client.login(other.assignee.username)
    grid = "/admin/my-tickets/"
    token = client.csrf_token(grid)
    answer = client.post(f"{grid}action/", data={"csrf_token": token, "action": "link",
                                                 "rowid": [str(other.id)]})
    assert answer.status_code == 302 and "/bulk/link" in answer.headers["Location"]
    form = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"#{parent.number}" in form
    client.post_form("/admin/ticket/bulk/link", {"ids": [str(other.id)],
                                                 "parent": str(parent.number)})
    db.session.expire_all()
    assert db.session.get(Ticket, other.id).parent_id == parent.id
    page = client.get(f"/admin/ticket/handle/{other.number}").get_data(as_text=True)
    assert 'id="unlink"' in page
    client.post_form(f"/admin/ticket/handle/{other.number}/unlink")
    db.session.expire_all()
    assert db.session.get(Ticket, other.id).parent_id is None
    assert len(_children(parent)) == len(reports)


def test_tickets_submitted_after_generated_ones_get_new_ids(demo, make_ticket):
    """The benchmark seeds with services.generator, then submits (PostgreSQL: COPY wrote ids)."""
    from services.generator import generate_tickets
    generate_tickets(5, comments_per_ticket=0)
    ticket = make_ticket(demo["Kunde"], title="Skærmen er sort", description="Helt sort.")
    assert ticket.id == 6 and ticket.number == 6
