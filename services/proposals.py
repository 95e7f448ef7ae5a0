"""Spotting major incidents: similar reports from different customers become a proposal.

On every incident submission `consider` compares the report with the open incidents of the last
MAJOR_INCIDENT_WINDOW_HOURS (titles and descriptions, services/similarity.py). The query is
bounded by the window (ix_tickets_created_at_id) and by CANDIDATE_LIMIT, so its cost does not
grow with the size of the desk.

- A report similar to a child of an open major incident joins that incident.
- Otherwise it joins a pending proposal one of its look-alikes belongs to, or, once
  MAJOR_INCIDENT_MIN_REPORTS different customers reported it, a new proposal is made and the
  level-1 supporters are told.
- At MAJOR_INCIDENT_AUTO_OPEN different customers the system accepts the proposal itself.
Reports of a dismissed proposal are not proposed again.
"""
from __future__ import annotations

from collections import Counter as Tally
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from models import (
    ACTIVE_STATUSES,
    MajorIncidentProposal,
    ProposalMember,
    ProposalStatus,
    Rating,
    Role,
    Status,
    Ticket,
    TicketType,
    User,
    db,
    utcnow,
)
from services import Conflict, Forbidden, incidents, sla, tickets
from services.assignment import least_loaded, set_assignee
from services.audit import record
from services.notify import notify
from services.priority import priority_for
from services.similarity import same_incident

CANDIDATE_LIMIT = 300  # newest tickets of the window looked at per submission
TEXT_LIMIT = 500  # characters of a description that take part in the comparison


def _report_text(title: str, description: str) -> str:
    return f"{title} {description[:TEXT_LIMIT]}"


def _similar_recent(ticket: Ticket) -> list:
    """Open incidents of the window that read like `ticket`, each with the proposal it belongs
    to (a report belongs to one at most) and whether that proposal is pending. Only the time
    range is asked of the database, so every planner walks ix_tickets_created_at_id (without
    statistics SQLite would rather take the type index and sort a third of the desk); the rest
    is sifted here, and each distinct text is compared once (reports of one outage often read
    alike)."""
    since = ticket.created_at - timedelta(hours=current_app.config["MAJOR_INCIDENT_WINDOW_HOURS"])
    # Whether a row is an open plain incident is worked out in the SELECT, not the WHERE (see
    # above), as one flag: reading type and status as enums was 1.8 ms of a submission.
    open_incident = and_(Ticket.type == TicketType.INCIDENT, Ticket.is_major.is_(False),
                         Ticket.status.in_(ACTIVE_STATUSES), Ticket.id != ticket.id)
    recent = (select(Ticket.id, Ticket.customer_id, Ticket.parent_id, Ticket.title,
                     func.substr(Ticket.description, 1, TEXT_LIMIT).label("description"),
                     open_incident.label("open_incident"))
              .where(Ticket.created_at >= since)
              .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(CANDIDATE_LIMIT)
              .subquery("recent"))
    # The memberships are joined to the window's newest rows after the LIMIT: asked per ticket
    # of the window, PostgreSQL joined all of them first (93 ms with 2,900 in the window).
    # Asked afterwards by id, an outage's 300 look-alikes were 300 parameters twice (1-2 ms).
    rows = db.session.execute(
        select(recent, ProposalMember.proposal_id,
               (MajorIncidentProposal.status == ProposalStatus.PROPOSED).label("pending"))
        .outerjoin(ProposalMember, ProposalMember.ticket_id == recent.c.id)
        .outerjoin(MajorIncidentProposal, MajorIncidentProposal.id == ProposalMember.proposal_id)
        .order_by(recent.c.id.desc())).all()
    text = _report_text(ticket.title, ticket.description)
    verdicts: dict[str, bool] = {}

    def reads_alike(row) -> bool:
        other = _report_text(row.title, row.description)
        if other not in verdicts:
            verdicts[other] = same_incident(text, other)
        return verdicts[other]
    return [row for row in rows if row.open_incident and reads_alike(row)]


def consider(ticket: Ticket) -> MajorIncidentProposal | None:
    """Group a new incident with similar recent reports; propose or open a major incident."""
    if ticket.type != TicketType.INCIDENT:
        return None
    similar = _similar_recent(ticket)
    if not similar:
        return None
    if _join_open_incident(ticket, similar):
        return None
    loose = [row for row in similar if row.parent_id is None]
    # The oldest pending proposal of the look-alikes, if any, takes the report.
    pending = min((row.proposal_id for row in loose if row.pending), default=None)
    if pending is not None:
        proposal = db.session.get(MajorIncidentProposal, pending)
        db.session.add(ProposalMember(proposal_id=proposal.id, ticket_id=ticket.id))
    else:  # reports of an accepted or dismissed proposal are not proposed again
        proposal = _propose(ticket, [row for row in loose if row.proposal_id is None])
        if proposal is None:
            return None
    db.session.flush()
    if reporting_customers(proposal) >= current_app.config["MAJOR_INCIDENT_AUTO_OPEN"]:
        accept(None, proposal)
    return proposal


def _join_open_incident(ticket: Ticket, similar: list) -> bool:
    """The report looks like the children of an open major incident: it becomes one too."""
    parent_ids = Tally(row.parent_id for row in similar if row.parent_id is not None)
    for parent_id, _count in parent_ids.most_common():
        parent = db.session.get(Ticket, parent_id)
        if parent is not None and parent.status in ACTIVE_STATUSES:
            incidents.attach(None, ticket, parent)
            proposal = db.session.scalar(select(MajorIncidentProposal).where(
                MajorIncidentProposal.parent_id == parent.id))
            if proposal is not None:
                db.session.add(ProposalMember(proposal_id=proposal.id, ticket_id=ticket.id))
            return True
    return False


def _propose(ticket: Ticket, free: list) -> MajorIncidentProposal | None:
    customers = {row.customer_id for row in free} | {ticket.customer_id}
    if len(customers) < current_app.config["MAJOR_INCIDENT_MIN_REPORTS"]:
        return None
    first = min(free, key=lambda row: row.id)
    proposal = MajorIncidentProposal(title=first.title, status=ProposalStatus.PROPOSED,
                                     created_at=utcnow())
    db.session.add(proposal)
    db.session.flush()
    db.session.add_all(ProposalMember(proposal_id=proposal.id, ticket_id=ticket_id)
                       for ticket_id in sorted({row.id for row in free} | {ticket.id}))
    for supporter in _level_one_supporters():
        notify(supporter, ticket, "major_proposal", params={"count": len(customers)})
    return proposal


def _level_one_supporters() -> list[User]:
    return db.session.scalars(select(User).where(
        User.role == Role.SUPPORTER, User.level == 1, User.active.is_(True))).all()


def reporting_customers(proposal: MajorIncidentProposal) -> int:
    """How many different customers reported the proposal's incident."""
    return db.session.scalar(
        select(func.count(Ticket.customer_id.distinct()))
        .join(ProposalMember, ProposalMember.ticket_id == Ticket.id)
        .where(ProposalMember.proposal_id == proposal.id)) or 0


def can_decide(user: User | None) -> bool:
    """Supporters and admins accept or dismiss proposals (None: the system)."""
    return user is None or user.role in (Role.SUPPORTER, Role.ADMIN)


def _require_pending(actor: User | None, proposal: MajorIncidentProposal) -> None:
    if not can_decide(actor):
        raise Forbidden(_l("Only supporters and admins decide on major incidents."))
    # Row-locked and re-read: a supporter's click and the automatic opening decide once.
    db.session.execute(select(MajorIncidentProposal).where(MajorIncidentProposal.id == proposal.id)
                       .with_for_update().execution_options(populate_existing=True))
    if proposal.status != ProposalStatus.PROPOSED:
        raise Conflict(_l("This proposal was %(status)s already.", status=proposal.status.value))


def accept(actor: User | None, proposal: MajorIncidentProposal) -> Ticket:
    """Open the major incident: a parent ticket (P1 past the auto-open threshold, else P2),
    created by `actor` (None: the system), with the proposal's open reports as children."""
    _require_pending(actor, proposal)
    count = reporting_customers(proposal)
    parent = _create_parent(actor, proposal, count)
    members = db.session.scalars(
        select(Ticket).join(ProposalMember, ProposalMember.ticket_id == Ticket.id)
        .where(ProposalMember.proposal_id == proposal.id, Ticket.parent_id.is_(None),
               Ticket.status.in_(ACTIVE_STATUSES)).order_by(Ticket.id)).all()
    for child in members:
        incidents.attach(actor, child, parent)
    proposal.status, proposal.parent_id = ProposalStatus.ACCEPTED, parent.id
    proposal.decided_by_id, proposal.decided_at = (actor.id if actor else None), utcnow()
    record(parent, actor, "major", new=str(_l("accepted proposal %(id)s: %(n)s reports",
                                                id=proposal.id, n=len(members))))
    return parent


def _create_parent(actor: User | None, proposal: MajorIncidentProposal, count: int) -> Ticket:
    """The parent ticket. Its "customer" (who filed it) is the accepting staff member; for the
    system, the level-1 supporter it goes to, else an admin, else the first reporter."""
    urgency = Rating.HIGH if count >= current_app.config["MAJOR_INCIDENT_AUTO_OPEN"] else Rating.MEDIUM
    level = actor.level if actor is not None and actor.role == Role.SUPPORTER else 1
    owner = actor if actor is not None and actor.role == Role.SUPPORTER else least_loaded(level)
    creator = actor or owner or _fallback_creator(proposal)
    now = utcnow()
    title = str(_l("Major incident: %(title)s", title=proposal.title))[:tickets.TITLE_MAX]
    parent = Ticket(number=tickets.next_ticket_number(), title=title,
                    description=str(_l("%(n)s customers reported this within a short time. "
                                       "Their tickets are linked here; public updates on this "
                                       "ticket are copied to each of them.", n=count)),
                    type=TicketType.INCIDENT, status=Status.OPEN, impact=Rating.HIGH,
                    urgency=urgency, priority=priority_for(Rating.HIGH, urgency), level=level,
                    customer_id=creator.id, customer=creator, is_major=True,
                    created_at=now, updated_at=now, status_changed_at=now)
    db.session.add(parent)
    db.session.flush()
    record(parent, actor, "created", new=parent.title)
    sla.recompute_due_times(parent, now)
    if owner is not None:
        set_assignee(parent, owner)
        record(parent, actor, "assigned", new=owner)
        notify(owner, parent, "assigned", actor)
    return parent


def _fallback_creator(proposal: MajorIncidentProposal) -> User:
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                              .order_by(User.id).limit(1))
    return admin or db.session.get(Ticket, proposal.members[0].ticket_id).customer


def dismiss(actor: User, proposal: MajorIncidentProposal) -> None:
    """Not one incident after all: the proposal is closed (logged); its reports stay as they are."""
    _require_pending(actor, proposal)
    proposal.status = ProposalStatus.DISMISSED
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    record(None, actor, "proposal_dismissed", new=f"{proposal.id}: {proposal.title}")
