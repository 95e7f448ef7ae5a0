"""What staff (and customers, for comments) do to a ticket: comment, escalate, take, link."""
from extensions import commit_keeping_loaded
from models import Ticket, db
from services import incidents, tickets
from views import ticket_or_404
from views.api.base import Extended, api_blueprint, caller
from views.api.schemas import (
    CommentArgs,
    CommentResultSchema,
    EscalateArgs,
    LinkArgs,
    TicketResultSchema,
)
from views.api.tickets import TICKET, supporter_named

blp = api_blueprint("ticket-actions", __name__,
                    "Comments, escalation, taking from the queue, major-incident links.")


@blp.post(TICKET + "/comments")
@blp.arguments(CommentArgs)
@blp.response(201, CommentResultSchema)
def comment(args, number: int):
    """Reply (or, staff only, write an internal note). A customer's reply reopens the ticket."""
    ticket = ticket_or_404(number)
    outcome = tickets.add_comment(caller(), ticket, args["body"], internal=args["internal"])
    commit_keeping_loaded()
    return Extended(outcome.comment, attachments=[], warnings=outcome.warnings)


@blp.post(TICKET + "/escalate")
@blp.arguments(EscalateArgs)
@blp.response(200, TicketResultSchema)
def escalate(args, number: int):
    """Move the ticket up a level (admins: also down), to a named or the least-loaded supporter."""
    ticket = ticket_or_404(number)
    actor = caller()
    assignee = supporter_named(actor, ticket, args["assignee"]) if "assignee" in args else None
    tickets.escalate(actor, ticket, args.get("level"), assignee)
    commit_keeping_loaded()
    return Extended(ticket, warnings=[])


@blp.post(TICKET + "/take")
@blp.response(200, TicketResultSchema)
def take(number: int):
    """Take an unassigned ticket from your level's queue."""
    ticket = ticket_or_404(number)
    tickets.take(caller(), ticket)
    commit_keeping_loaded()
    return Extended(ticket, warnings=[])


@blp.post(TICKET + "/link")
@blp.arguments(LinkArgs)
@blp.response(200, TicketResultSchema)
def link(args, number: int):
    """Link the ticket to a major-incident parent ticket."""
    ticket = ticket_or_404(number)
    parent = db.session.scalar(db.select(Ticket).where(Ticket.number == args["parent"]))
    incidents.link(caller(), ticket, parent)
    commit_keeping_loaded()
    return Extended(ticket, warnings=[])


@blp.delete(TICKET + "/link")
@blp.response(200, TicketResultSchema)
def unlink(number: int):
    """Take the ticket out of its major incident."""
    ticket = ticket_or_404(number)
    incidents.unlink(caller(), ticket)
    commit_keeping_loaded()
    return Extended(ticket, warnings=[])
