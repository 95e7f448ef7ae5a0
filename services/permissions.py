"""Who may do what with a ticket: pure predicates, and the same rule as SQL for lists.

Every surface (portal, backoffice, API, templates) asks these; DESIGN.md's table is the spec.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, false, or_, select, true

from models import Participant, Role, Status, Ticket, User, db, utcnow


def is_supporter(user: User) -> bool:
    return user.role == Role.SUPPORTER


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN


def is_participant(user: User, ticket: Ticket) -> bool:
    """The supporter was assigned, escalated or commented on this ticket."""
    return db.session.scalar(select(exists().where(
        Participant.ticket_id == ticket.id, Participant.user_id == user.id))) or False


def can_view(user: User, ticket: Ticket) -> bool:
    """Read the ticket at all (customers only see the customer-visible parts)."""
    if user.role in (Role.ADMIN, Role.MANAGER):
        return True
    if user.role == Role.CUSTOMER:
        return ticket.customer_id == user.id
    if user.role == Role.SUPPORTER:
        return (ticket.level <= (user.level or 0) or ticket.assignee_id == user.id
                or is_participant(user, ticket))
    return False


def visible_tickets(user: User):
    """SQL condition selecting the tickets `user` may read; mirrors can_view."""
    if user.role in (Role.ADMIN, Role.MANAGER):
        return true()
    if user.role == Role.CUSTOMER:
        return Ticket.customer_id == user.id
    if user.role == Role.SUPPORTER:
        took_part = exists().where(Participant.ticket_id == Ticket.id,
                                   Participant.user_id == user.id)
        return or_(Ticket.level <= (user.level or 0), Ticket.assignee_id == user.id, took_part)
    return false()


def can_see_internal(user: User) -> bool:
    """Internal notes and staff-only history are for staff."""
    return user.is_staff


def can_comment(user: User, ticket: Ticket) -> bool:
    """Reply on the ticket; nobody replies on a closed ticket, a customer not on one resolved
    longer ago than REOPEN_DAYS (the job closes it; a new ticket follows it up)."""
    if ticket.status == Status.CLOSED or user.role == Role.MANAGER:
        return False
    if user.role == Role.CUSTOMER and reopen_window_over(ticket):
        return False
    return can_view(user, ticket)


def reopen_window_over(ticket: Ticket) -> bool:
    days = current_app.config["REOPEN_DAYS"]
    return (ticket.status == Status.RESOLVED and ticket.resolved_at is not None
            and utcnow() >= ticket.resolved_at + timedelta(days=days))


def can_comment_internal(user: User, ticket: Ticket) -> bool:
    return user.role in (Role.SUPPORTER, Role.ADMIN) and can_comment(user, ticket)


def can_change(user: User, ticket: Ticket) -> bool:
    """Change status, type, impact, urgency and priority; reassign and escalate."""
    if ticket.status == Status.CLOSED:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SUPPORTER and ticket.assignee_id == user.id


def can_close_own(user: User, ticket: Ticket) -> bool:
    """A customer closes their own ticket ("solved, thanks")."""
    return (user.role == Role.CUSTOMER and ticket.customer_id == user.id
            and ticket.status != Status.CLOSED)


def can_take(user: User, ticket: Ticket) -> bool:
    """A supporter takes an unassigned, unfinished ticket from their level's queue."""
    return (user.role == Role.SUPPORTER and ticket.assignee_id is None
            and ticket.level == user.level and ticket.status in (Status.OPEN, Status.PENDING))


def can_move_down(user: User) -> bool:
    """Only admins move a ticket to a lower level."""
    return user.role == Role.ADMIN


def can_rate(user: User, ticket: Ticket) -> bool:
    """The customer rates their own ticket once it is resolved or closed, and only once."""
    return (user.role == Role.CUSTOMER and ticket.customer_id == user.id
            and ticket.status in (Status.RESOLVED, Status.CLOSED) and ticket.rating is None)
