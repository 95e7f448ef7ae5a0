"""HTTP only: blueprints and the backoffice call services/ and commit."""
from flask import abort, current_app, flash, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import begin_write
from models import Ticket, User, db
from services import DomainError, notify, tickets
from services.permissions import can_view

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_late(view):
    """Mark a view whose service takes the writer's turn itself (extensions.become_writer),
    so that authenticating and parsing its request keep no other writer waiting (SQLite's
    writers take turns, one at a time)."""
    view.writes_late = True
    return view


def starts_as_writer() -> bool:
    """An unsafe request begins as a writer, unless its view writes late (it is noted in g)."""
    if request.method in SAFE_METHODS:
        return False
    if getattr(current_app.view_functions.get(request.endpoint), "writes_late", False):
        g.writes_late = True
        return False
    return True


def ticket_or_404(number: int) -> Ticket:
    """The ticket with this number if the signed-in user may read it; 404 otherwise.

    A request that changes it locks its row first (PostgreSQL; SQLite's writers already take
    turns): two people acting at once on one ticket, the second waits and decides on what
    the first left, so a ticket is not taken twice or closed and resolved at once."""
    statement = select(Ticket).where(Ticket.number == number).options(
        joinedload(Ticket.assignee), joinedload(Ticket.customer), joinedload(Ticket.service))
    if request.method not in SAFE_METHODS:
        statement = locked(statement)
    ticket = db.session.scalar(statement)
    if ticket is None or not can_view(current_user, ticket):
        abort(404)
    return ticket


def locked(statement):
    """The tickets of `statement` locked for this transaction and read as they are now."""
    return statement.with_for_update(of=Ticket).execution_options(populate_existing=True)


def page_unread_count(user: User) -> int:
    """The layout's notification badge: the count loaded with the user, else a query."""
    known = g.get("unread_notifications")
    return known[1] if known and known[0] == user.id else notify.unread_count(user)


def mark_opened(ticket: Ticket) -> None:
    """The signed-in user opened the ticket: their notifications about it are read, and for
    the assignee the unread-reply marker goes. Written only when there is something to mark,
    and as a writer (the page's read transaction ends first: SQLite's writers take turns)."""
    unread = page_unread_count(current_user) and notify.has_unread_about(current_user, ticket)
    if not (unread or tickets.unread_by(current_user, ticket)):
        return
    db.session.commit()
    begin_write()
    tickets.mark_read_by_assignee(current_user, ticket)
    notify.mark_read_about(current_user, ticket)
    db.session.commit()
    g.pop("unread_notifications", None)  # the badge counts afresh, without these


def form_error(form, error: DomainError) -> None:
    """Show a refused operation beside its field (or as a flash), and undo its changes."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field and form is not None else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


def flash_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        flash(warning, "warning")
