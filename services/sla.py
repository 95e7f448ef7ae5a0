"""SLA timers: due times from the priority's policy, the clock pausing while the ticket waits,
and the job that flags (and tells about) tickets at risk of breaching and breached.

The clock runs only while a ticket is `open`: waiting on the customer (`pending`) or resolved it
stands still, and a reply that reopens the ticket starts it again. Each stop is an SlaPause row.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Calendar,
    Holiday,
    Role,
    SlaPause,
    SlaPolicy,
    SlaState,
    Status,
    Ticket,
    User,
    db,
    utcnow,
)
from services.audit import record
from services.business_time import BusinessHours, RoundTheClock, due_after
from services.notify import notify

CLAIM_BATCH = 500
_STATE_ORDER = (SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The policy of the ticket's priority, if the desk has one."""
    return db.session.scalar(select(SlaPolicy).options(joinedload(SlaPolicy.calendar))
                             .where(SlaPolicy.priority == ticket.priority))


def clock_for(policy: SlaPolicy):
    """Round the clock, or the opening hours of the policy's calendar (else the first one)."""
    if not policy.business_hours:
        return RoundTheClock()
    calendar = policy.calendar or db.session.scalar(select(Calendar).order_by(Calendar.id))
    if calendar is None:
        return RoundTheClock()
    holidays = db.session.scalars(select(Holiday.date).where(Holiday.calendar_id == calendar.id))
    working_days = frozenset(int(day) for day in calendar.working_days if day.isdigit())
    return BusinessHours(zone=ZoneInfo(calendar.timezone), working_days=working_days,
                         opens=calendar.opens_at, closes=calendar.closes_at,
                         holidays=frozenset(holidays))


def _pauses(ticket: Ticket) -> list[tuple[datetime, datetime]]:
    if ticket.id is None:  # not stored yet: never paused
        return []
    rows = db.session.execute(
        select(SlaPause.started_at, SlaPause.ended_at)
        .where(SlaPause.ticket_id == ticket.id, SlaPause.ended_at.is_not(None))
        .order_by(SlaPause.started_at)).all()
    return [(row.started_at, row.ended_at) for row in rows]


def recompute_due_times(ticket: Ticket, now: datetime | None = None) -> None:
    """Due and at-risk times from creation, the priority's targets and the finished pauses."""
    policy = policy_for(ticket)
    if policy is None:
        ticket.response_due_at = ticket.response_risk_at = None
        ticket.resolution_due_at = ticket.resolution_risk_at = None
        return
    clock, pauses, start = clock_for(policy), _pauses(ticket), ticket.created_at
    share = policy.at_risk_percent / 100

    def after(minutes: float) -> datetime:
        return due_after(clock, start, timedelta(minutes=minutes), pauses)

    ticket.response_due_at = after(policy.first_response_minutes)
    ticket.response_risk_at = after(policy.first_response_minutes * share)
    ticket.resolution_due_at = after(policy.resolution_minutes)
    ticket.resolution_risk_at = after(policy.resolution_minutes * share)
    _lower_state(ticket, now or utcnow())


def _state_at(ticket: Ticket, now: datetime) -> SlaState:
    """Which state the stored times give at `now` (a late first response stays a breach)."""
    def passed(at: datetime | None, moment: datetime) -> bool:
        return at is not None and at <= moment

    if (passed(ticket.response_due_at, ticket.first_response_at or now)
            or passed(ticket.resolution_due_at, now)):
        return SlaState.BREACHED
    if ((ticket.first_response_at is None and passed(ticket.response_risk_at, now))
            or passed(ticket.resolution_risk_at, now)):
        return SlaState.AT_RISK
    return SlaState.OK


def _lower_state(ticket: Ticket, now: datetime) -> None:
    """New targets may take a flag away; raising one is the job's (it tells people)."""
    state = _state_at(ticket, now)
    if _STATE_ORDER.index(state) < _STATE_ORDER.index(ticket.sla_state or SlaState.OK):
        ticket.sla_state = state


def on_status_change(ticket: Ticket, old: Status, new: Status, now: datetime) -> None:
    """Stop the clock when a ticket leaves `open`; restart it (shifting the due times) on return."""
    if old == Status.OPEN and new != Status.OPEN:
        db.session.add(SlaPause(ticket_id=ticket.id, started_at=now))
    elif old != Status.OPEN and new == Status.OPEN:
        pause = db.session.scalar(select(SlaPause).where(
            SlaPause.ticket_id == ticket.id, SlaPause.ended_at.is_(None))
            .order_by(SlaPause.started_at.desc()).limit(1))
        if pause is None:
            return
        pause.ended_at = now
        ticket.sla_paused_seconds = (ticket.sla_paused_seconds or 0) + int(
            (now - pause.started_at).total_seconds())
        db.session.flush()
        recompute_due_times(ticket, now)


# The job -------------------------------------------------------------------------------------

def _breached(now: datetime):
    return or_(Ticket.response_due_at <= func.coalesce(Ticket.first_response_at, now),
               Ticket.resolution_due_at <= now)


def _at_risk(now: datetime):
    return or_(and_(Ticket.first_response_at.is_(None), Ticket.response_risk_at <= now),
               Ticket.resolution_risk_at <= now)


def _claim(condition):
    """Batches of matching open tickets, row-locked; other hosts skip them (PostgreSQL)."""
    statement = (select(Ticket).where(Ticket.status == Status.OPEN, condition)
                 .options(selectinload(Ticket.assignee), selectinload(Ticket.customer))
                 .order_by(Ticket.id).limit(CLAIM_BATCH)
                 .with_for_update(skip_locked=True, of=Ticket))
    while batch := db.session.scalars(statement).all():
        yield from batch
        db.session.flush()


def escalation_contacts(level: int) -> list[User]:
    """Who hears of a breach besides the assignee: the next level's supporters, else admins."""
    supporters = db.session.scalars(select(User).where(
        User.role == Role.SUPPORTER, User.level == level + 1, User.active.is_(True),
        User.away.is_(False)).order_by(User.id)).all() if level < 3 else []
    return list(supporters) or list(db.session.scalars(select(User).where(
        User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)))


def _flag(ticket: Ticket, state: SlaState) -> None:
    record(ticket, None, "sla", old=ticket.sla_state, new=state)
    ticket.sla_state = state


def check_sla(now: datetime | None = None) -> dict[str, int]:
    """Flag open tickets at risk and breached, telling people once per change (caller commits).

    The periodic job runner calls this; `now` is injectable for tests."""
    now = now or utcnow()
    counts = {"breached": 0, "at_risk": 0, "cleared": 0}
    contacts: dict[int, list[User]] = {}
    for ticket in _claim(and_(Ticket.sla_state != SlaState.BREACHED, _breached(now))):
        _flag(ticket, SlaState.BREACHED)
        notify(ticket.assignee, ticket, "sla_breached")
        for user in contacts.setdefault(ticket.level, escalation_contacts(ticket.level)):
            notify(user, ticket, "sla_breached")
        counts["breached"] += 1
    for ticket in _claim(and_(Ticket.sla_state == SlaState.OK, _at_risk(now))):
        _flag(ticket, SlaState.AT_RISK)
        notify(ticket.assignee, ticket, "sla_at_risk")
        counts["at_risk"] += 1
    for ticket in _claim(and_(Ticket.sla_state == SlaState.AT_RISK, not_(_at_risk(now)))):
        _flag(ticket, SlaState.OK)  # e.g. the first response came in time
        counts["cleared"] += 1
    return counts
