"""Major incidents: a parent ticket with the reports linked to it as children.

For now: link a ticket to its parent and unlink it (logged). Proposals, the public update copied
to every child and resolving the children with the parent build on this.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from models import Ticket, User, db, utcnow
from services import Conflict, Forbidden, Invalid, NotFound
from services import permissions as can
from services.audit import record
from services.tickets import Outcome


def has_children(ticket: Ticket) -> bool:
    return db.session.scalar(select(exists().where(Ticket.parent_id == ticket.id))) or False


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
    if has_children(ticket):
        raise Invalid(_l("#%(number)s has tickets linked to it; it cannot become a child.",
                         number=ticket.number), field="parent")
    return parent


def link(actor: User, ticket: Ticket, parent: Ticket | None) -> Outcome:
    """Link `ticket` to the major-incident `parent` (one level: a parent is nobody's child)."""
    _require_link_right(actor, ticket)
    parent = _check_parent(actor, ticket, parent)
    if ticket.parent_id == parent.id:
        return Outcome(ticket)
    if ticket.parent_id is not None:
        raise Conflict(_l("The ticket is already linked to #%(number)s; unlink it first.",
                          number=ticket.parent.number))
    ticket.parent_id, ticket.parent = parent.id, parent
    record(ticket, actor, "linked", new=f"#{parent.number}")
    ticket.updated_at = utcnow()
    return Outcome(ticket)


def unlink(actor: User, ticket: Ticket) -> Outcome:
    """Take `ticket` out of its major incident."""
    _require_link_right(actor, ticket)
    if ticket.parent_id is None:
        raise Conflict(_l("The ticket is not linked to a parent."))
    record(ticket, actor, "unlinked", old=f"#{ticket.parent.number}")
    ticket.parent_id, ticket.parent = None, None
    ticket.updated_at = utcnow()
    return Outcome(ticket)
