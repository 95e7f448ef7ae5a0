"""The ticket lifecycle: submit, comment, status, type, priority, reassign, escalate, take.

Each operation takes the acting user, checks the permission predicate, changes the ticket,
appends the audit event, queues notifications and flushes. The caller commits.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from extensions import become_writer
from models import (
    Comment,
    Counter,
    Priority,
    Rating,
    Role,
    Service,
    Status,
    Ticket,
    TicketType,
    User,
    db,
    utcnow,
)
from services import (
    Forbidden,
    Invalid,
    NotFound,
    incidents,
    parse_id,
    parse_level,
    proposals,
    sla,
    users,
)
from services import permissions as can
from services.accounts import same_username
from services.assignment import (
    add_participant,
    announce_assignment,
    least_loaded,
    set_assignee,
    set_status,
)
from services.audit import record
from services.notify import notify
from services.priority import priority_for
from services.secrets import mask_secrets

TITLE_MAX = 200
BODY_MAX = 20000


@dataclass
class Outcome:
    """What an operation produced, and anything the writer should be told."""
    ticket: Ticket
    comment: Comment | None = None
    warnings: list[str] = field(default_factory=list)


def next_ticket_number() -> int:
    """The next number from the shared counter (row-locked; gaps allowed on rollback)."""
    return db.session.execute(
        update(Counter).where(Counter.name == "ticket").values(value=Counter.value + 1)
        .returning(Counter.value)).scalar_one()


def _clean_text(value: str | None, name: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(_l("This field is required."), field=name)
    if len(value) > max_length:
        raise Invalid(_l("At most %(n)s characters.", n=max_length), field=name)
    if "\x00" in value:  # PostgreSQL refuses NUL in text
        raise Invalid(_l("Remove the NUL character from this text."), field=name)
    return value


def _parse(enum_cls, value, name: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise Invalid(_l("Not a valid choice."), field=name) from None


def _touch(ticket: Ticket) -> None:
    ticket.updated_at = utcnow()


def submit(customer: User, title: str, description: str, type: str = TicketType.INCIDENT,
           urgency: str = Rating.MEDIUM, service: Service | None = None,
           follows: Ticket | None = None) -> Outcome:
    """A customer opens a ticket: numbered, at level 1, open, P3-ish, assigned by the rule;
    `follows` is an earlier ticket of theirs this one follows up."""
    if customer.role != Role.CUSTOMER:
        raise Forbidden(_l("Only customers submit tickets."))
    if follows is not None and follows.customer_id != customer.id:
        raise NotFound(_l("No such ticket."))
    title, title_warnings = mask_secrets(_clean_text(title, "title", TITLE_MAX))
    title = title[:TITLE_MAX]  # the mask may be longer than the secret it replaced
    description, text_warnings = mask_secrets(_clean_text(description, "description", BODY_MAX))
    ticket_type = _parse(TicketType, type, "type")
    urgency = _parse(Rating, urgency or Rating.MEDIUM, "urgency")
    if ticket_type == TicketType.REQUEST and (service is None or not service.covered):
        raise Invalid(_l("A request must name a service we cover: see the Service Catalog "
                         "(/service-catalog)."), field="service")
    now = utcnow()
    ticket = Ticket(title=title, description=description,
                    type=ticket_type, status=Status.OPEN, impact=Rating.MEDIUM, urgency=urgency,
                    priority=priority_for(Rating.MEDIUM, urgency), level=1,
                    customer_id=customer.id, customer=customer, service=service,
                    follows=follows, created_at=now, updated_at=now, status_changed_at=now)
    sla.recompute_due_times(ticket, now)  # before the insert, which then carries them
    # The number, the loads and the look-alikes are read as the writer: two submissions at
    # once get different numbers and supporters, and each sees the other's report.
    become_writer()
    ticket.number = next_ticket_number()
    supporter = least_loaded(ticket.level)
    db.session.add(ticket)
    if supporter is not None:
        set_assignee(ticket, supporter)  # its first statement flushes the insert, assignee in
    db.session.flush()
    record(ticket, customer, "created", new=ticket.title)
    if supporter is not None:
        announce_assignment(ticket, supporter)
    proposals.consider(ticket)
    return Outcome(ticket, warnings=sorted(set(title_warnings + text_warnings)))


def add_comment(actor: User, ticket: Ticket, body: str, internal: bool = False,
                tell_customer: bool = True) -> Outcome:
    """A reply (or internal note). A customer's reply reopens a pending or resolved ticket."""
    if not can.can_view(actor, ticket):
        raise NotFound(_l("No such ticket."))
    if not can.can_comment(actor, ticket):
        if ticket.status == Status.CLOSED:
            raise Forbidden(_l("This ticket is closed. Please open a new ticket."))
        if can.reopen_window_over(ticket):
            raise Forbidden(_l("The reopen window has passed. Please open a new ticket."))
        raise Forbidden(_l("You may not reply on this ticket."))
    if internal and not can.can_comment_internal(actor, ticket):
        raise Forbidden(_l("Only supporters write internal notes."))
    body, warnings = mask_secrets(_clean_text(body, "body", BODY_MAX))
    comment = Comment(ticket_id=ticket.id, ticket=ticket, author_id=actor.id, author=actor,
                      body=body, internal=bool(internal), created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    record(ticket, actor, "commented", new="internal" if internal else "public")
    add_participant(ticket, actor)
    _touch(ticket)
    if actor.role == Role.CUSTOMER:
        ticket.unread_by_assignee = True
        if ticket.status in (Status.PENDING, Status.RESOLVED):
            set_status_logged(actor, ticket, Status.OPEN)
            _hand_on_from_absent_assignee(ticket)
        notify(ticket.assignee, ticket, "customer_reply", actor, comment=comment)
    else:
        if ticket.first_response_at is None and not internal:
            ticket.first_response_at = comment.created_at
        if not internal and tell_customer:
            notify(ticket.customer, ticket, "public_reply", actor, comment=comment)
        if ticket.is_major and not internal:
            incidents.copy_update(actor, ticket, comment, tell=tell_customer)
    return Outcome(ticket, comment=comment, warnings=warnings)


def _hand_on_from_absent_assignee(ticket: Ticket) -> None:
    """A reopened ticket whose supporter is now away or gone goes to one who is there (or the
    queue): marking someone away moves only their open and pending tickets. The reply's own
    notification tells the new assignee."""
    assignee = ticket.assignee
    if assignee is not None and (assignee.away or not assignee.active):
        users.hand_on(None, ticket, tell=False)


def set_status_logged(actor: User | None, ticket: Ticket, status: Status,
                      action: str = "status") -> None:
    """Change the status with its timestamps, audit event and SLA clock (no permission check)."""
    old = ticket.status
    set_status(ticket, status)
    now = utcnow()
    ticket.status_changed_at = now
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    if status == Status.CLOSED:
        ticket.closed_at = now
    if status in (Status.OPEN, Status.PENDING):
        ticket.auto_close_warned_at = None
    record(ticket, actor, action, old=old, new=status)
    sla.on_status_change(ticket, old, status, now)
    _touch(ticket)


def change_status(actor: User, ticket: Ticket, status: str,
                  comment: Comment | None = None) -> Outcome:
    """Staff move a ticket between statuses; a customer may only close their own.
    `comment` is the reply made with the change, quoted in the customer's email."""
    status = _parse(Status, status, "status")
    if not can.can_view(actor, ticket):
        raise NotFound(_l("No such ticket."))
    if actor.role == Role.CUSTOMER:
        if status != Status.CLOSED or not can.can_close_own(actor, ticket):
            raise Forbidden(_l("You may only close your own ticket."))
    elif not can.can_change(actor, ticket):
        raise Forbidden(_l("Only the assignee or an admin changes this ticket."))
    if status == ticket.status:
        return Outcome(ticket)
    set_status_logged(actor, ticket, status)
    if actor.role != Role.CUSTOMER:
        notify(ticket.customer, ticket, _status_message(status), actor, comment=comment)
    if ticket.is_major and status == Status.RESOLVED:
        incidents.resolve_children(actor, ticket, comment)
    return Outcome(ticket)


def _status_message(status: Status) -> str:
    return {Status.PENDING: "pending", Status.RESOLVED: "resolved"}.get(status, "status")


def reply_and_set_status(actor: User, ticket: Ticket, body: str, status: str | None,
                         internal: bool = False) -> Outcome:
    """One change that replies and sets a status: one notification, not two."""
    new_status = _parse(Status, status, "status") if status else None
    changes_status = new_status is not None and new_status != ticket.status
    outcome = Outcome(ticket)
    if body and body.strip():
        # The status message tells the customer about the reply too.
        outcome = add_comment(actor, ticket, body, internal=internal,
                              tell_customer=not changes_status)
    if changes_status:
        change_status(actor, ticket, new_status, comment=outcome.comment)
    return outcome


def change_type(actor: User, ticket: Ticket, type: str) -> Outcome:
    new = _parse(TicketType, type, "type")
    _require_change(actor, ticket)
    if new != ticket.type:
        record(ticket, actor, "type", old=ticket.type, new=new)
        ticket.type = new
        _touch(ticket)
    return Outcome(ticket)


def set_impact_urgency(actor: User, ticket: Ticket, impact: str | None = None,
                       urgency: str | None = None) -> Outcome:
    """Triage: the priority follows the matrix again (an override is cleared)."""
    _require_change(actor, ticket)
    for name, value in (("impact", impact), ("urgency", urgency)):
        if value is None:
            continue
        value = _parse(Rating, value, name)
        if value != getattr(ticket, name):
            record(ticket, actor, name, old=getattr(ticket, name), new=value)
            setattr(ticket, name, value)
    new_priority = priority_for(ticket.impact, ticket.urgency)
    if new_priority != ticket.priority:
        record(ticket, actor, "priority", old=ticket.priority, new=new_priority)
        ticket.priority = new_priority
        ticket.priority_reason = None
        sla.recompute_due_times(ticket)
    _touch(ticket)
    return Outcome(ticket)


def override_priority(actor: User, ticket: Ticket, priority: str, reason: str) -> Outcome:
    """Set a priority other than the matrix gives, with a reason (logged)."""
    new = _parse(Priority, priority, "priority")
    _require_change(actor, ticket)
    reason, _warnings = mask_secrets(_clean_text(reason, "reason", 500))
    record(ticket, actor, "priority", old=ticket.priority, new=f"{new.value} ({reason})")
    ticket.priority = new
    ticket.priority_reason = reason
    sla.recompute_due_times(ticket)
    _touch(ticket)
    return Outcome(ticket)


def _require_change(actor: User, ticket: Ticket) -> None:
    if not can.can_view(actor, ticket):
        raise NotFound(_l("No such ticket."))
    if not can.can_change(actor, ticket):
        raise Forbidden(_l("Only the assignee or an admin changes this ticket."))


def _supporter(user_or_id, level: int) -> User:
    user = user_or_id if isinstance(user_or_id, User) else _find_user(user_or_id)
    if user is None or user.role != Role.SUPPORTER or not user.active:
        raise Invalid(_l("No such active supporter."), field="assignee")
    if user.level != level:
        raise Invalid(_l("%(name)s is not a level %(level)s supporter.", name=user.username,
                         level=level), field="assignee")
    if user.away:
        raise Invalid(_l("%(name)s is away.", name=user.username), field="assignee")
    return user


def _find_user(key) -> User | None:
    if key is None or key == "":
        return None
    if isinstance(key, User):
        return key
    if isinstance(key, int) or str(key).isdigit():
        user_id = parse_id(key)
        return db.session.get(User, user_id) if user_id is not None else None
    return db.session.scalar(select(User).where(same_username(str(key))))


def reassign(actor: User, ticket: Ticket, assignee) -> Outcome:
    """Hand the ticket to another supporter of the same level."""
    _require_change(actor, ticket)
    user = _supporter(assignee, ticket.level)
    if user.id == ticket.assignee_id:
        raise Invalid(_l("The ticket is already assigned to %(name)s.", name=user.username),
                      field="assignee")
    old = ticket.assignee
    set_assignee(ticket, user)
    record(ticket, actor, "reassigned", old=old, new=user)
    notify(user, ticket, "assigned", actor)
    _touch(ticket)
    return Outcome(ticket)


def escalate(actor: User, ticket: Ticket, level: int | None = None, assignee=None) -> Outcome:
    """Move the ticket up (admins: also down) to a named or the least-loaded supporter."""
    _require_change(actor, ticket)
    named = _find_user(assignee) if assignee not in (None, "") else None
    if assignee not in (None, "") and named is None:
        raise Invalid(_l("No such active supporter."), field="assignee")
    target = _target_level(ticket, level, named)
    if target < ticket.level and not can.can_move_down(actor):
        raise Forbidden(_l("Only admins move a ticket to a lower level."))
    if target == ticket.level:
        raise Invalid(_l("Escalation needs a different level; use reassign within a level."),
                      field="level")
    user = _supporter(named, target) if named is not None else least_loaded(target)
    old_level, old_assignee = ticket.level, ticket.assignee
    ticket.level = target
    set_assignee(ticket, user)
    add_participant(ticket, actor)
    record(ticket, actor, "escalated", old=f"{old_level} {old_assignee or '-'}",
           new=f"{target} {user or '-'}")
    notify(user, ticket, "escalated", actor)
    _touch(ticket)
    return Outcome(ticket)


def _target_level(ticket: Ticket, level, named: User | None) -> int:
    if level in (None, ""):
        if named is not None and named.level:
            return named.level
        return min(ticket.level + 1, 3)
    return parse_level(level)


def take(actor: User, ticket: Ticket) -> Outcome:
    """A supporter takes an unassigned ticket from their level's queue."""
    if not can.can_view(actor, ticket):
        raise NotFound(_l("No such ticket."))
    if not can.can_take(actor, ticket):
        raise Forbidden(_l("Only an unassigned ticket at your level can be taken."))
    set_assignee(ticket, actor)
    record(ticket, actor, "assigned", new=actor)
    _touch(ticket)
    return Outcome(ticket)


def unread_by(actor: User, ticket: Ticket) -> bool:
    """A customer replied and `actor`, the assignee, has not opened the ticket since."""
    return ticket.assignee_id == actor.id and ticket.unread_by_assignee


def mark_read_by_assignee(actor: User, ticket: Ticket) -> None:
    """The assignee opened the ticket: the unread-reply marker goes."""
    if unread_by(actor, ticket):
        ticket.unread_by_assignee = False
