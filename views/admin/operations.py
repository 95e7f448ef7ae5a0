"""What staff do to a ticket from the backoffice, one function per operation.

Each takes the acting user, the ticket and the submitted values, and calls services/tickets;
the handling page runs one on one ticket, the bulk forms run one on each selected ticket.
"""
from dataclasses import dataclass, field

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import ACTIVE_STATUSES, CannedReply, Role, Ticket, User, db
from services import Conflict, DomainError, Invalid, audit, incidents, parse_id, tickets
from services.permissions import visible_tickets
from services.secrets import asks_for_secret
from views import locked

MAX_BULK = 200


def canned_text(reply: CannedReply, ticket: Ticket) -> str:
    """A canned reply with the customer's name filled in (plain replace: no format tricks)."""
    return reply.body.replace("{customer}", ticket.customer.username)


def _canned_body(values, ticket: Ticket) -> str:
    body = (values.get("body") or "").strip()
    key = parse_id(values.get("canned"))
    if body or key is None:
        return body
    reply = db.session.get(CannedReply, key)
    return canned_text(reply, ticket) if reply else ""


class AsksForSecret(Conflict):
    """A public reply asks the customer for a password or CPR number: confirm before sending."""

    def __init__(self, body: str):
        super().__init__(_l("Your reply asks for a password or a CPR number. Nothing was sent."),
                         field="body")
        self.body = body


def respond(actor: User, ticket: Ticket, values):
    """A public reply or internal note, optionally with a new status: one notification."""
    body = _canned_body(values, ticket)
    status = values.get("status") or None
    internal = values.get("internal") == "1"
    if not body and not status:
        raise Invalid(_l("Write a reply or choose a new status."), field="body")
    if not internal and values.get("confirm_secret") != "1" and asks_for_secret(body):
        raise AsksForSecret(body)
    return tickets.reply_and_set_status(actor, ticket, body, status, internal=internal)


def set_status(actor: User, ticket: Ticket, values):
    return tickets.change_status(actor, ticket, values.get("status") or "")


def triage(actor: User, ticket: Ticket, values):
    """Type, impact and urgency (the priority follows the matrix)."""
    if values.get("type"):
        tickets.change_type(actor, ticket, values["type"])
    return tickets.set_impact_urgency(actor, ticket, values.get("impact") or None,
                                      values.get("urgency") or None)


def set_priority(actor: User, ticket: Ticket, values):
    return tickets.override_priority(actor, ticket, values.get("priority") or "",
                                     values.get("reason") or "")


def reassign(actor: User, ticket: Ticket, values):
    return tickets.reassign(actor, ticket, values.get("assignee") or None)


def escalate(actor: User, ticket: Ticket, values):
    return tickets.escalate(actor, ticket, values.get("level") or None,
                            values.get("assignee") or None)


def take(actor: User, ticket: Ticket, values):
    return tickets.take(actor, ticket)


def link(actor: User, ticket: Ticket, values):
    """Link to the major incident whose number was chosen."""
    number = parse_id(str(values.get("parent") or "").strip().lstrip("#"))
    parent = (db.session.scalar(select(Ticket).where(Ticket.number == number))
              if number is not None else None)
    return incidents.link(actor, ticket, parent)


def unlink(actor: User, ticket: Ticket, values):
    return incidents.unlink(actor, ticket)


def open_major_incidents(actor: User) -> list[Ticket]:
    """Major incidents still open or pending that `actor` may read, newest first (the choices
    for linking)."""
    return db.session.scalars(select(Ticket).where(
        Ticket.is_major.is_(True), Ticket.status.in_(ACTIVE_STATUSES), visible_tickets(actor))
        .order_by(Ticket.id.desc()).limit(MAX_BULK)).all()


OPERATIONS = {
    "respond": respond, "status": set_status, "triage": triage, "priority": set_priority,
    "reassign": reassign, "escalate": escalate, "take": take, "link": link, "unlink": unlink,
}

DONE = {
    "respond": _l("Saved."), "status": _l("The status is changed."),
    "triage": _l("Type, impact and urgency are saved."), "priority": _l("The priority is set."),
    "reassign": _l("The ticket is reassigned."), "escalate": _l("The ticket is escalated."),
    "take": _l("The ticket is yours now."),
    "link": _l("The ticket is linked to the major incident."),
    "unlink": _l("The ticket is no longer linked to a major incident."),
}


def parse_ids(raw) -> list[int]:
    """Row ids from a form, as integers, without duplicates; at most MAX_BULK."""
    ids = []
    for value in raw:
        row_id = parse_id(value)
        if row_id is not None and row_id not in ids:
            ids.append(row_id)
    return ids[:MAX_BULK]


@dataclass
class BulkResult:
    """Ticket numbers changed, numbers already as asked, and (label, reason) per refusal."""
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    refused: list = field(default_factory=list)


def apply_to_each(actor: User, ids: list[int], operation, values) -> BulkResult:
    """Run `operation` on every ticket the actor may read; each in its own savepoint.

    A ticket counts as changed when the operation logged an event on it (every change is
    logged). Ids outside the actor's scope are refused as unknown, so their existence is
    not revealed.
    """
    found = {t.id: t for t in db.session.scalars(locked(
        select(Ticket).where(Ticket.id.in_(ids), visible_tickets(actor)).order_by(Ticket.id)))}
    result = BulkResult()
    for ticket_id in ids:
        ticket = found.get(ticket_id)
        if ticket is None:
            result.refused.append((f"id {ticket_id}", _("No such ticket.")))
            continue
        number, logged = ticket.number, audit.recorded_count()
        try:
            with db.session.begin_nested():
                operation(actor, ticket, values)
        except DomainError as error:
            result.refused.append((f"#{number}", _with_field(error)))
        else:
            (result.changed if audit.recorded_count() > logged else result.unchanged).append(number)
    return result


# The fields a bulk form asks for: a refusal names the one it is about ("This field is
# required." alone does not say which).
BULK_FIELDS = {"reason": _l("Reason"), "priority": _l("Priority"), "status": _l("Status"),
               "level": _l("Level"), "assignee": _l("Assignee")}


def _with_field(error: DomainError) -> str:
    name = BULK_FIELDS.get(error.field)
    return f"{name}: {error.message}" if name else str(error.message)


def report_bulk(result: BulkResult) -> None:
    """One flash with the count, one naming the tickets already as asked, one per refusal."""
    flash(_("%(n)s ticket(s) changed.", n=len(result.changed)),
          "success" if result.changed else "info")
    if result.unchanged:
        flash(_("Already so, nothing to change: %(tickets)s",
                tickets=", ".join(f"#{number}" for number in result.unchanged)), "info")
    for label, reason in result.refused:
        flash(_("%(ticket)s refused: %(reason)s", ticket=label, reason=reason), "error")


def supporters_by_level() -> dict[int, list[User]]:
    """Active supporters who are not away, per level (for reassign and escalate choices)."""
    rows = db.session.scalars(
        select(User).where(User.role == Role.SUPPORTER, User.active.is_(True),
                           User.away.is_(False)).order_by(User.level, User.username))
    grouped: dict[int, list[User]] = {1: [], 2: [], 3: []}
    for user in rows:
        grouped.setdefault(user.level, []).append(user)
    return grouped

