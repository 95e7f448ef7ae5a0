"""Who gets a ticket: the least-loaded available supporter of a level, chosen under a lock.

`User.open_ticket_count` is the number of open and pending tickets assigned to a supporter;
every change of assignee or status goes through `set_assignee`/`set_status`, which keep it.
"""
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from models import ACTIVE_STATUSES, Participant, Role, Status, Ticket, User, db, utcnow
from services.audit import record
from services.notify import notify

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
QUEUE_HANDOUT = 100


def lock_level(level: int) -> None:
    """Serialise choices per level: an advisory lock on PostgreSQL; on SQLite the request
    already holds the write lock (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7001, :level)"), {"level": level})


def available_supporters(level: int):
    """Supporters of `level` who can take tickets, least loaded first."""
    return (select(User)
            .where(User.role == Role.SUPPORTER, User.level == level, User.active.is_(True),
                   User.away.is_(False))
            .order_by(User.open_ticket_count, User.last_assigned_at.asc().nulls_first(), User.id))


def least_loaded(level: int) -> User | None:
    """The supporter the next ticket of `level` goes to, or None (it waits in the queue)."""
    lock_level(level)
    return db.session.scalars(available_supporters(level).limit(1)).first()


def _adjust_load(user_id: int | None, delta: int) -> None:
    if user_id is None or delta == 0:
        return
    db.session.execute(update(User).where(User.id == user_id)
                       .values(open_ticket_count=User.open_ticket_count + delta))


def _counts(status: Status) -> bool:
    return status in ACTIVE_STATUSES


def add_participant(ticket: Ticket, user: User | None) -> None:
    """Remember that a staff member took part, so they keep reading the ticket."""
    if user is None or not user.is_staff:
        return
    if ticket.id is None:  # a ticket not inserted yet (submit) needs its id first
        db.session.flush()
    # One statement that tolerates an existing row, not a lookup and then an insert.
    insert = _INSERT[db.session.get_bind().dialect.name]
    db.session.execute(insert(Participant).values(ticket_id=ticket.id, user_id=user.id)
                       .on_conflict_do_nothing())


def set_assignee(ticket: Ticket, user: User | None) -> None:
    """Move the ticket to `user` (or the queue), keeping both loads right."""
    counts = _counts(ticket.status)
    if counts:
        _adjust_load(ticket.assignee_id, -1)
    ticket.assignee_id = user.id if user else None
    ticket.assignee = user
    if user is not None:
        now = utcnow()
        ticket.assigned_at = now
        db.session.execute(update(User).where(User.id == user.id).values(
            last_assigned_at=now, open_ticket_count=User.open_ticket_count + int(counts)))
        add_participant(ticket, user)


def assign_from_queue(ticket: Ticket, actor: User | None = None) -> User | None:
    """Give an unassigned ticket to the least-loaded supporter of its level, if anyone."""
    supporter = least_loaded(ticket.level)
    if supporter is not None:
        set_assignee(ticket, supporter)
        announce_assignment(ticket, supporter, actor)
    return supporter


def announce_assignment(ticket: Ticket, supporter: User, actor: User | None = None) -> None:
    record(ticket, actor, "assigned", new=supporter)
    notify(supporter, ticket, "assigned", actor)


def take_up_queue(level: int | None, actor: User | None = None) -> int:
    """Someone at `level` became available (back, active, moved, new): the level's queued
    tickets go out by the rule at once, oldest first, instead of at the next job pass (there
    may be no job runner). At most QUEUE_HANDOUT in one request; the job hands out the rest."""
    if level is None:
        return 0
    db.session.flush()  # the supporter's new state must count in the choice
    lock_level(level)  # before the ticket rows, in the order submit takes them
    queued = db.session.scalars(
        select(Ticket).where(Ticket.assignee_id.is_(None), Ticket.level == level,
                             Ticket.status.in_(ACTIVE_STATUSES))
        .order_by(Ticket.id).limit(QUEUE_HANDOUT)
        .with_for_update(skip_locked=True, of=Ticket)).all()
    handed_out = 0
    for ticket in queued:
        if assign_from_queue(ticket, actor) is None:
            break
        handed_out += 1
    return handed_out


def set_status(ticket: Ticket, status: Status) -> None:
    """Change the status field, keeping the assignee's load right."""
    was, now = _counts(ticket.status), _counts(status)
    if was != now:
        _adjust_load(ticket.assignee_id, +1 if now else -1)
    ticket.status = status


def recount_loads() -> int:
    """Recompute every supporter's load from the tickets (repair; returns rows changed)."""
    counts = dict(db.session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.is_not(None), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.assignee_id)).all())
    changed = 0
    for user in db.session.scalars(select(User).where(User.role == Role.SUPPORTER)):
        if user.open_ticket_count != counts.get(user.id, 0):
            user.open_ticket_count = counts.get(user.id, 0)
            changed += 1
    return changed
