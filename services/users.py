"""Running accounts: level, away, active, password resets, anonymisation (admins; supporters
set their own away flag). A supporter who leaves the rota hands their tickets on."""
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, delete, func, literal, or_, select, update

from models import (
    ACTIVE_STATUSES,
    AuditEvent,
    Notification,
    OutboxEmail,
    Role,
    Ticket,
    User,
    db,
    utcnow,
)
from services import Forbidden, Invalid, parse_level
from services.accounts import (
    create_user,
    hash_password,
    new_session_token,
    revoke_tokens,
    set_password,
)
from services.assignment import least_loaded, lock_level, set_assignee, take_up_queue
from services.audit import record
from services.notify import notify


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins manage users."))


def redistribute(actor: User | None, supporter: User) -> int:
    """Hand the supporter's open and pending tickets on by the assignment rule (logged)."""
    db.session.flush()  # the supporter's new away/active/level must count in the choice
    moved = db.session.scalars(
        select(Ticket).where(Ticket.assignee_id == supporter.id,
                             Ticket.status.in_(ACTIVE_STATUSES)).order_by(Ticket.id)).all()
    for ticket in moved:
        hand_on(actor, ticket)
    return len(moved)


def hand_on(actor: User | None, ticket: Ticket, tell: bool = True) -> User | None:
    """Give the ticket to whom the assignment rule picks now (None: the queue), logged."""
    previous = ticket.assignee
    successor = least_loaded(ticket.level)
    set_assignee(ticket, successor)
    record(ticket, actor, "reassigned", old=previous, new=successor)
    if tell:
        notify(successor, ticket, "assigned", actor)
    return successor


def create_account(actor: User | None, username: str, password: str, role, level=None,
                   email: str | None = None, language: str = "en") -> User:
    """An admin (or the CLI, actor None) opens an account; a new supporter takes up the queue
    of their level at once."""
    if actor is not None:
        _require_admin(actor)
    user = create_user(username, password, role, level, email, language)
    take_up_if_available(actor, user)
    return user


def take_up_if_available(actor: User | None, user: User) -> int:
    """A supporter who can take tickets (active, not away) takes up their level's queue."""
    if user.role != Role.SUPPORTER or not user.active or user.away:
        return 0
    return take_up_queue(user.level, actor)


def _hold_choices(user: User) -> None:
    """Changing who is available waits for, and holds off, choices at the supporter's level:
    a chooser must not pick someone who is just being marked away."""
    if user.role == Role.SUPPORTER and user.level is not None:
        lock_level(user.level)


def set_away(actor: User, user: User, away: bool, take_up: bool = True) -> int:
    """Mark a supporter away (their tickets move on) or back (the level's queue is handed out,
    unless `take_up` is off: an edit that changes more decides once, at its end); returns the
    tickets moved or handed out."""
    if actor.id != user.id:
        _require_admin(actor)
    if user.role != Role.SUPPORTER:
        raise Invalid(_l("Only supporters can be away."), field="away")
    if user.away == bool(away):
        return 0
    _hold_choices(user)
    user.away = bool(away)
    record(None, actor, "user_away", old=f"{user.username}: {not away}",
           new=f"{user.username}: {bool(away)}")
    if away:
        return redistribute(actor, user)
    return take_up_if_available(actor, user) if take_up else 0


def _active_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True))) or 0


def set_active(actor: User, user: User, active: bool, take_up: bool = True) -> int:
    """Activate or deactivate an account; the last admin stays. Returns tickets moved (or,
    for a supporter back at work, handed out from the queue; `take_up` as for set_away)."""
    _require_admin(actor)
    if user.active == bool(active):
        return 0
    if not active and user.role == Role.ADMIN and _active_admins() <= 1:
        raise Forbidden(_l("The last admin cannot be deactivated."), field="active")
    _hold_choices(user)
    user.active = bool(active)
    if not active:
        user.session_token = new_session_token()  # signed-in sessions end now
        revoke_tokens(user)
    record(None, actor, "user_active", old=f"{user.username}: {not active}",
           new=f"{user.username}: {bool(active)}")
    if user.role != Role.SUPPORTER:
        return 0
    if not active:
        return redistribute(actor, user)
    return take_up_if_available(actor, user) if take_up else 0


def set_level(actor: User, user: User, level, take_up: bool = True) -> int:
    """Move a supporter to another level; their tickets stay at theirs and move on, and the
    new level's queue is handed out (`take_up` as for set_away)."""
    _require_admin(actor)
    if user.role != Role.SUPPORTER:
        raise Invalid(_l("Only supporters have a level."), field="level")
    level = parse_level(level)
    if level == user.level:
        return 0
    record(None, actor, "user_level", old=f"{user.username}: {user.level}",
           new=f"{user.username}: {level}")
    for held in sorted({user.level, level}):  # both levels, in one order (no deadlock)
        lock_level(held)
    user.level = level
    moved = redistribute(actor, user)
    return moved + (take_up_if_available(actor, user) if take_up else 0)


def edit_account(actor: User, user: User, level, active: bool, away: bool) -> None:
    """An admin's edit of an account: a supporter's level, active, away. The queue is handed
    out once, by the state the whole edit ends in: not first to a supporter the same edit then
    marks away or inactive."""
    if user.role == Role.SUPPORTER and level:
        set_level(actor, user, level, take_up=False)
    set_active(actor, user, active, take_up=False)
    if user.role == Role.SUPPORTER:
        set_away(actor, user, away, take_up=False)
    take_up_if_available(actor, user)


def reset_password(actor: User, user: User, new_password: str) -> None:
    """An admin sets a new password (policy applies); the user's sessions end."""
    _require_admin(actor)
    set_password(user, new_password)
    record(None, actor, "user_password_reset", new=user.username)


def anonymise(actor: User, user: User) -> None:
    """GDPR: the customer's name and address go, the tickets stay; the account is closed."""
    _require_admin(actor)
    if user.role != Role.CUSTOMER:
        raise Invalid(_l("Only customers are anonymised."))
    if user.anonymised_at is not None:
        return
    _forget(user, f"anonymised-{user.id}")
    user.username = f"anonymised-{user.id}"
    user.email = None
    user.timezone = None
    user.active = False
    user.email_notifications = False
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.session_token = new_session_token()
    revoke_tokens(user)
    user.anonymised_at = utcnow()
    record(None, actor, "user_anonymised", new=user.username)


def _forget(user: User, pseudonym: str) -> None:
    """Where else the name and address were written down: the emails to them (sent or not:
    the account is closed), the admin log of their account, the in-app notices about their
    tickets. What they wrote on the tickets stays, as the tickets do."""
    name = user.username
    if user.email:
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.recipient == user.email))
    # Account events read "name" or "name: value" (see the record() calls above).
    account_event = AuditEvent.action.startswith("user_", autoescape=True)
    for column in (AuditEvent.old_value, AuditEvent.new_value):
        rest = func.substr(column, len(name) + 1, type_=String)
        named = or_(column == name, func.substr(column, 1, len(name) + 1) == name + ":")
        db.session.execute(update(AuditEvent).where(account_event, named)
                           .values({column: literal(pseudonym, String) + rest}))
    their_tickets = select(Ticket.id).where(Ticket.customer_id == user.id)
    db.session.execute(update(Notification).where(Notification.ticket_id.in_(their_tickets))
                       .values(message=func.replace(Notification.message, name, pseudonym)))
