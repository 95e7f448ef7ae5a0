"""Tickets: list, open, read and change them."""
from flask import url_for
from flask_babel import gettext as _
from marshmallow import RAISE
from sqlalchemy import select

from extensions import commit_keeping_loaded
from models import Service, Ticket, User, db
from services import Invalid, tickets
from services.accounts import same_username
from services.permissions import can_change
from services.ticket_list import TicketFilters, list_tickets
from services.timeline import visible_attachments, visible_comments, visible_events
from views import ticket_or_404, writes_late
from views.api.base import Extended, api_blueprint, caller
from views.api.schemas import (
    TicketCreateArgs,
    TicketDetailSchema,
    TicketListArgs,
    TicketPageSchema,
    TicketPatchArgs,
    TicketResultSchema,
)

blp = api_blueprint("tickets", __name__, "Tickets the caller may read, and changes to them.")

# Ticket numbers beyond the integer columns are simply not found (not a database error).
TICKET = "/tickets/<int:number>"  # app.DatabaseInteger: at most services.MAX_ID


@blp.get("/tickets")
@blp.arguments(TicketListArgs, location="query", unknown=RAISE)
@blp.response(200, TicketPageSchema)
def list_(args):
    """The tickets the caller may read, newest first."""
    page, per_page = args.pop("page"), args.pop("per_page")
    rows, total = list_tickets(caller(), TicketFilters(**args), page, per_page)
    return {"items": rows, "page": page, "per_page": per_page, "total": total}


@blp.post("/tickets")
@blp.arguments(TicketCreateArgs)
@blp.response(201, TicketResultSchema)
@writes_late
def create(args):
    """Open a ticket (customers). It is numbered and assigned by the usual rule."""
    outcome = tickets.submit(caller(), args["title"], args["description"], args["type"],
                             args["urgency"], _service_named(args.get("service")))
    commit_keeping_loaded()
    location = url_for("tickets.read", number=outcome.ticket.number)
    return Extended(outcome.ticket, warnings=outcome.warnings), {"Location": location}


def _service_named(name: str | None) -> Service | None:
    if not name:
        return None
    service = db.session.scalar(select(Service).where(Service.name == name))
    if service is None:
        raise Invalid(_("No such service: see the Service Catalog."), field="service")
    return service


@blp.get(TICKET)
@blp.response(200, TicketDetailSchema)
def read(number: int):
    """One ticket with the comments and history the caller may see."""
    ticket = ticket_or_404(number)
    reader = caller()
    by_comment = {}
    for attachment in visible_attachments(reader, ticket):
        by_comment.setdefault(attachment.comment_id, []).append(attachment)
    comments = [Extended(comment, attachments=by_comment.get(comment.id, []))
                for comment in visible_comments(reader, ticket)]
    return Extended(ticket, comments=comments, history=visible_events(reader, ticket),
                    attachments=by_comment.get(None, []))


@blp.patch(TICKET)
@blp.arguments(TicketPatchArgs)
@blp.response(200, TicketResultSchema)
def update(args, number: int):
    """Change status, type, impact/urgency, priority (with a reason) or assignee, all or none.

    A customer may only set `status` to `closed` on their own ticket."""
    ticket = ticket_or_404(number)
    actor = caller()
    if "type" in args:
        tickets.change_type(actor, ticket, args["type"])
    if "impact" in args or "urgency" in args:
        tickets.set_impact_urgency(actor, ticket, args.get("impact"), args.get("urgency"))
    if "priority" in args:
        tickets.override_priority(actor, ticket, args["priority"], args["reason"])
    if "status" in args:
        tickets.change_status(actor, ticket, args["status"])
    if "assignee" in args:
        tickets.reassign(actor, ticket, supporter_named(actor, ticket, args["assignee"]))
    commit_keeping_loaded()
    return Extended(ticket, warnings=[])


def supporter_named(actor: User, ticket: Ticket, username: str) -> User | None:
    """The user with this username; the services decide whether they may take the ticket.

    An unknown name is invalid input only for someone who may change the ticket: the others
    get the services' 403, whatever name they send."""
    user = db.session.scalar(select(User).where(same_username(username)))
    if user is None and can_change(actor, ticket):
        raise Invalid(_("No such active supporter."), field="assignee")
    return user
