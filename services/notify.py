"""Tell people what happened: in-app notifications (email delivery builds on this)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from models import Notification, Ticket, User, db, utcnow

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
}


def notify(user: User | None, ticket: Ticket, kind: str, actor: User | None = None) -> None:
    """Queue one notification for `user` about `ticket` (never for the one who acted)."""
    if user is None or (actor is not None and user.id == actor.id) or not user.active:
        return
    message = str(MESSAGES[kind] % {
        "number": ticket.number, "title": ticket.title, "status": ticket.status.value,
        "customer": ticket.customer.username})
    db.session.add(Notification(user_id=user.id, ticket_id=ticket.id, kind=kind,
                                message=message, created_at=utcnow()))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or all) of the user's own notifications read; returns how many."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=utcnow())).rowcount
