"""Major incidents: a parent ticket with the reports linked to it as children.

Linking raises a child's priority to its parent's; a public update on the parent is copied onto
every child (each customer reads it on their own ticket and is told once); resolving the parent
resolves the children with that update. Proposals (services/proposals.py) create parents.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from models import ACTIVE_STATUSES, Comment, Priority, Status, Ticket, User, db, utcnow
from services import Conflict, Forbidden, Invalid, NotFound, sla, tickets
from services import permissions as can
from services.audit import record
from services.notify import notify


def has_children(ticket: Ticket) -> bool:
    return db.session.scalar(select(exists().where(Ticket.parent_id == ticket.id))) or False


def children(parent: Ticket, statuses=(Status.OPEN, Status.PENDING, Status.RESOLVED)) -> list[Ticket]:
    """The parent's children in `statuses`, with their customer and assignee (one query)."""
    return db.session.scalars(
        select(Ticket).where(Ticket.parent_id == parent.id, Ticket.status.in_(statuses))
        .options(joinedload(Ticket.customer), joinedload(Ticket.assignee))
        .order_by(Ticket.id)).all()


def _require_link_right(actor: User, ticket: Ticket) -> None:
    """The supporter who may change the ticket, or an admin."""
    if not can.can_view(actor, ticket):
        raise NotFound(_l("No such ticket."))
    if not can.can_change(actor, ticket):
        raise Forbidden(_l("Only the assignee or an admin changes this ticket."))


def _check_parent(actor: User, ticket: Ticket, parent: Ticket | None) -> Ticket:
    # An unreadable parent gets the same answer as a missing one: existence is not revealed.
    if parent is None or not can.can_view(actor, parent):
        raise Invalid(_l("No such ticket."), field="parent")
    if parent.id == ticket.id:
        raise Invalid(_l("A ticket cannot be its own parent."), field="parent")
    if parent.parent_id is not None:
        raise Invalid(_l("#%(number)s is itself linked to a parent.", number=parent.number),
                      field="parent")
    if parent.status == Status.CLOSED:
        raise Invalid(_l("#%(number)s is closed.", number=parent.number), field="parent")
    if has_children(ticket) or ticket.is_major:
        raise Invalid(_l("#%(number)s is a major incident; it cannot become a child.",
                         number=ticket.number), field="parent")
    return parent


def link(actor: User, ticket: Ticket, parent: Ticket | None) -> tickets.Outcome:
    """Link `ticket` to the major-incident `parent` (one level: a parent is nobody's child)."""
    _require_link_right(actor, ticket)
    parent = _check_parent(actor, ticket, parent)
    if ticket.parent_id == parent.id:
        return tickets.Outcome(ticket)
    if ticket.parent_id is not None:
        raise Conflict(_l("The ticket is already linked to #%(number)s; unlink it first.",
                          number=ticket.parent.number))
    attach(actor, ticket, parent)
    return tickets.Outcome(ticket)


def attach(actor: User | None, child: Ticket, parent: Ticket) -> None:
    """Make `child` a report of the major incident `parent` (rights checked by the caller)."""
    if not parent.is_major:
        parent.is_major = True
        record(parent, actor, "major", new=f"#{parent.number}")
    child.parent_id, child.parent = parent.id, parent
    record(child, actor, "linked", new=f"#{parent.number}")
    _raise_priority(actor, child, parent)
    child.updated_at = utcnow()


def _raise_priority(actor: User | None, child: Ticket, parent: Ticket) -> None:
    """A child is at least as urgent as its major incident ("P1" sorts before "P3")."""
    if child.priority.value <= parent.priority.value or child.status not in ACTIVE_STATUSES:
        return
    reason = str(_l("Part of major incident #%(number)s", number=parent.number))
    record(child, actor, "priority", old=child.priority,
           new=f"{parent.priority.value} ({reason})")
    child.priority, child.priority_reason = Priority(parent.priority), reason
    sla.recompute_due_times(child)


def unlink(actor: User, ticket: Ticket) -> tickets.Outcome:
    """Take `ticket` out of its major incident."""
    _require_link_right(actor, ticket)
    if ticket.parent_id is None:
        raise Conflict(_l("The ticket is not linked to a parent."))
    record(ticket, actor, "unlinked", old=f"#{ticket.parent.number}")
    ticket.parent_id, ticket.parent = None, None
    ticket.updated_at = utcnow()
    return tickets.Outcome(ticket)


def copy_update(actor: User, parent: Ticket, comment: Comment, tell: bool = True) -> int:
    """Copy a public update on `parent` onto every unclosed child as a public comment; each
    child's customer is told once (unless `tell` is off: the resolution tells them)."""
    now = utcnow()
    copied = children(parent)
    for child in copied:
        copy = Comment(ticket_id=child.id, ticket=child, author_id=actor.id, author=actor,
                       body=comment.body, internal=False, created_at=now)
        db.session.add(copy)
        record(child, actor, "commented", new="public")
        if child.first_response_at is None:
            child.first_response_at = now
        child.updated_at = now
        if tell:
            notify(child.customer, child, "major_update", actor, comment=copy,
                   params={"parent": parent.number})
    return len(copied)


def resolve_children(actor: User | None, parent: Ticket, comment: Comment | None) -> int:
    """The parent is resolved: so is every open or pending child (logged on each), with the
    update that resolved it; each customer and each assignee is told."""
    resolved = children(parent, ACTIVE_STATUSES)
    for child in resolved:
        tickets.set_status_logged(actor, child, Status.RESOLVED)
        notify(child.customer, child, "resolved", actor, comment=comment)
        notify(child.assignee, child, "major_resolved", actor, params={"parent": parent.number})
    return len(resolved)
