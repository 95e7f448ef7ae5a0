"""The ticket handling page and the bulk-action forms, exposed on the ticket admin."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from models import CannedReply, Priority, Rating, Status, Ticket, TicketType, db
from services import DomainError, NotFound, attachments, incidents
from services.permissions import can_change, can_comment
from services.timeline import timeline
from views import flash_warnings, form_error, labels, mark_opened, ticket_or_404
from views.admin import operations

BULK_OPERATIONS = {
    "status": _l("Set status"), "reassign": _l("Reassign"), "escalate": _l("Escalate"),
    "priority": _l("Set priority"), "link": _l("Link to major incident"),
}


def choices(ticket: Ticket | None = None) -> dict:
    """The values the handling page (for `ticket`) and the bulk forms offer."""
    # Only someone who may change the ticket picks a supporter: nobody else pays the query.
    wanted = ticket is None or can_change(current_user, ticket)
    return {"statuses": labels.choices(Status), "types": labels.choices(TicketType),
            "ratings": labels.choices(Rating), "priorities": [(p.value, p.value) for p in Priority],
            "levels": [(n, str(n)) for n in (1, 2, 3)],
            "supporters": operations.supporters_by_level() if wanted else {},
            "major_incidents": operations.open_major_incidents(current_user) if ticket is None else []}


def _canned_replies(ticket: Ticket) -> list[tuple[int, str, str]]:
    """(id, title, text) of each canned reply, for someone who may reply."""
    if not can_comment(current_user, ticket):
        return []
    canned = db.session.scalars(select(CannedReply).order_by(CannedReply.title)).all()
    return [(c.id, c.title, operations.canned_text(c, ticket)) for c in canned]


class HandlingMixin:
    """One ticket's page (conversation, history, controls) and the forms behind bulk actions."""

    @expose("/handle/<int:number>")
    def handle(self, number: int):
        ticket = ticket_or_404(number)
        mark_opened(ticket)
        return self._render_handle(ticket)

    def _render_handle(self, ticket, draft=None, status: int = 200):
        """The handling page; `draft` is a reply sent back for confirmation."""
        linked = incidents.children(ticket, tuple(Status)) if ticket.is_major else []
        return self.render("admin/ticket_handle.html", ticket=ticket,
                           timeline=timeline(current_user, ticket), draft=draft,
                           linked=linked, canned=_canned_replies(ticket),
                           **choices(ticket)), status

    @expose("/handle/<int:number>/<operation>", methods=("POST",))
    def operate(self, number: int, operation: str):
        ticket = ticket_or_404(number)
        run = operations.OPERATIONS.get(operation)
        if run is None:
            abort(404)
        carried = request.form.getlist("pending")  # files kept while a reply was confirmed
        uploads = []
        try:
            uploads = attachments.validate(request.files.getlist("attachments"))
            pending = attachments.claim(current_user, carried)
            outcome = run(current_user, ticket, request.form)
            if outcome.comment is not None:
                attachments.store(current_user, ticket, uploads, outcome.comment)
                attachments.attach_pending(current_user, ticket, pending, outcome.comment)
        except NotFound:
            abort(404)
        except operations.AsksForSecret as warning:
            db.session.rollback()
            flash(str(warning.message), "warning")
            draft = {"body": warning.body, "internal": request.form.get("internal"),
                     "status": request.form.get("status") or "",
                     "held": self._keep_files(uploads, carried)}
            db.session.commit()
            return self._render_handle(ticket, draft=draft, status=409)
        except DomainError as error:
            form_error(None, error)
        else:
            db.session.commit()
            flash_warnings(outcome.warnings)
            flash(str(operations.DONE[operation]), "success")
        return redirect(url_for(".handle", number=number))

    @staticmethod
    def _keep_files(uploads, carried: list[str]):
        """The reply's files, kept for its confirmation (a file input cannot be refilled)."""
        try:
            return attachments.keep(current_user, uploads, attachments.held(current_user, carried))
        except DomainError as error:
            form_error(None, error)
            return attachments.held(current_user, carried)

    @expose("/bulk/<operation>", methods=("GET", "POST"))
    def bulk(self, operation: str):
        """Actions that need a value: a form carrying the selected ids and the choice."""
        if operation not in BULK_OPERATIONS or not self.is_action_allowed(operation):
            abort(404 if operation not in BULK_OPERATIONS else 403)
        source = request.form if request.method == "POST" else request.args
        ids = operations.parse_ids(source.getlist("ids"))
        back = get_redirect_target() or url_for("admin.index")
        if request.method == "POST":
            result = operations.apply_to_each(
                current_user, ids, operations.OPERATIONS[operation], request.form)
            db.session.commit()
            operations.report_bulk(result)
            return redirect(back)
        return self.render("admin/ticket_bulk.html", operation=operation,
                           title=BULK_OPERATIONS[operation], ids=ids, back=back, **choices())
