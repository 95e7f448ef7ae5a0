"""Tell people what happened: an in-app notification, and an email through the outbox."""
from datetime import datetime

from flask_babel import force_locale
from flask_babel import format_datetime as format_local_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from models import Comment, Notification, Status, Ticket, User, db, utcnow
from services import mail
from services.permissions import can_see_internal

MESSAGES = {
    "assigned": _l("Ticket #%(number)s \"%(title)s\" was assigned to you."),
    "escalated": _l("Ticket #%(number)s \"%(title)s\" was escalated to you."),
    "customer_reply": _l("%(customer)s replied on ticket #%(number)s \"%(title)s\"."),
    "public_reply": _l("Support replied on your ticket #%(number)s \"%(title)s\"."),
    "pending": _l("Your ticket #%(number)s \"%(title)s\" is waiting for your answer."),
    "status": _l("Your ticket #%(number)s \"%(title)s\" is now %(status)s."),
    "resolved": _l("Your ticket #%(number)s \"%(title)s\" was resolved."),
    "sla_at_risk": _l("Ticket #%(number)s \"%(title)s\" is close to breaching its SLA."),
    "sla_breached": _l("Ticket #%(number)s \"%(title)s\" has breached its SLA."),
    "auto_close_warning": _l("Your ticket #%(number)s \"%(title)s\" is waiting for your answer "
                             "and will be closed on %(close_at)s unless you reply."),
    "auto_closed": _l("Your ticket #%(number)s \"%(title)s\" was closed automatically."),
    "major_proposal": _l("Ticket #%(number)s \"%(title)s\" looks like a major incident: "
                         "%(count)s customers reported the same. Accept or dismiss the proposal."),
    "major_update": _l("There is an update on the major incident your ticket #%(number)s "
                       "\"%(title)s\" is part of."),
    "major_resolved": _l("Ticket #%(number)s \"%(title)s\" was resolved with major incident "
                         "#%(parent)s."),
}

STATUS_NAMES = {"open": _l("open"), "pending": _l("pending"), "resolved": _l("resolved"),
                "closed": _l("closed")}


def notify(user: User | None, ticket: Ticket, kind: str, actor: User | None = None,
           comment: Comment | None = None, params: dict | None = None) -> None:
    """Queue one notification for `user` about `ticket` (never for the one who acted):
    in-app always, by email when they want email. `comment` is quoted in the email."""
    if user is None or (actor is not None and user.id == actor.id) or not user.active:
        return
    params = {"status": ticket.status.value, **(params or {})}
    with force_locale(user.language or "en"):
        message = _message(kind, ticket, params, lambda at: mail.format_time(at, user))
    db.session.add(Notification(user_id=user.id, ticket_id=ticket.id, kind=kind,
                                message=message, params=params, created_at=utcnow()))
    if user.email_notifications and user.email and mail.email_enabled():
        if comment is not None and comment.internal and not can_see_internal(user):
            comment = None  # never an internal note in a customer's email
        _queue_email(user, ticket, message, comment)


def _message(kind: str, ticket: Ticket, params: dict, format_time) -> str:
    close_at = params.get("close_at")
    return str(MESSAGES[kind] % {
        **params, "number": ticket.number, "title": ticket.title, "customer": ticket.customer.username,
        "status": STATUS_NAMES.get(params["status"], params["status"]),
        "close_at": format_time(datetime.fromisoformat(close_at)) if close_at else ""})


def describe(notification: Notification) -> str:
    """The notification in the reader's current language and time zone."""
    if notification.ticket is None or notification.params is None:
        return notification.message
    return _message(notification.kind, notification.ticket, notification.params,
                    lambda at: format_local_time(at, "short"))


def _queue_email(user: User, ticket: Ticket, message: str, comment: Comment | None) -> None:
    page = "ticket.handle" if user.is_staff else "portal.ticket"
    link = mail.public_url(page, number=ticket.number)
    asks_rating = (user.id == ticket.customer_id and ticket.status == Status.RESOLVED
                   and ticket.rating is None)
    body_text, body_html = mail.render_email(
        user, "notification", ticket=ticket, message=message, comment=comment, link=link,
        rating_link=f"{link}#rate" if asks_rating else None,
        when=mail.format_time(utcnow(), user))
    mail.queue_email(user.email, f"[#{ticket.number}] {ticket.title}", body_text, body_html)


def unread_count_query(user_id):
    """Scalar subquery: how many notifications of `user_id` are unread."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery())


def unread_count(user: User) -> int:
    """How many notifications of `user` are unread."""
    return db.session.scalar(select(unread_count_query(user.id))) or 0


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's own notifications read; returns how many."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=utcnow())).rowcount


def has_unread_about(user: User, ticket: Ticket) -> bool:
    return db.session.scalar(select(select(Notification.id).where(
        Notification.user_id == user.id, Notification.read_at.is_(None),
        Notification.ticket_id == ticket.id).exists()))


def mark_read_about(user: User, ticket: Ticket) -> int:
    """The user opened the ticket: its notifications to them are read."""
    return db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None),
        Notification.ticket_id == ticket.id).values(read_at=utcnow())).rowcount
