"""The customer portal: my tickets, a new ticket, the conversation; attachments; notifications."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Attachment, Notification, Role, Service, Status, Ticket, db
from services import DomainError, attachments, intake, parse_id, ratings, tickets
from services.notify import describe, mark_read
from services.permissions import can_see_internal, can_view
from services.ticket_list import COUNT_CAP, capped_count
from services.timeline import timeline
from views import flash_warnings, form_error, mark_opened, ticket_or_404
from views.admin.sla_format import sla_badge
from views.forms import ReplyForm, TicketForm

bp = Blueprint("portal", __name__)
bp.add_app_template_global(sla_badge)

PAGE_SIZE = 25


@bp.get("/tickets/")
@login_required
def my_tickets():
    if current_user.is_staff:
        return redirect(url_for("admin.index"))
    mine = Ticket.customer_id == current_user.id
    counted = capped_count(mine)
    pages = max(-(-min(counted, COUNT_CAP) // PAGE_SIZE), 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = db.session.scalars(
        select(Ticket).where(mine).options(joinedload(Ticket.assignee))
        .order_by(Ticket.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render_template("portal/my_tickets.html", tickets=rows, page=page, pages=pages,
                           pages_shown=f"{pages}+" if counted > COUNT_CAP else pages)


def _service_choices() -> list[tuple[str, str]]:
    services = db.session.scalars(select(Service).order_by(Service.name)).all()
    return [("", _("Not sure / other"))] + [
        (str(s.id), s.name if s.covered else _("%(name)s (not covered)", name=s.name))
        for s in services]


def _chosen_service(value) -> Service | None:
    service_id = parse_id(value)
    return db.session.get(Service, service_id) if service_id is not None else None


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required
def new_ticket():
    """Pick a service, walk its guide (if it has one), then the form with the guide's fields."""
    if current_user.role != Role.CUSTOMER:
        abort(403)
    form = TicketForm()
    form.service.choices = _service_choices()
    service = _chosen_service(request.values.get("service"))
    template = intake.template_for(service)
    guide = template if template is not None and template.checks else None
    fields = list(template.fields) if template is not None else []
    step = request.args.get("step", "1")
    if request.method == "GET" and guide is not None and step != "form":
        return _guide_step(service, guide, step)
    answers = intake.read_answers(fields, request.form)
    follows = _followed_ticket(request.values.get("follows"))
    held = []
    if request.method == "POST":
        outcome, held = _submit_ticket(form, service, guide, answers, follows)
        if outcome is not None:
            flash_warnings(outcome.warnings)
            flash(_("Ticket #%(number)s is created.", number=outcome.ticket.number), "success")
            return redirect(url_for("portal.ticket", number=outcome.ticket.number))
    elif service is not None:
        form.service.data = str(service.id)
    suggestions = intake.suggest_articles(form.title.data or "") if request.method == "POST" else []
    return render_template("portal/new_ticket.html", form=form, service=service,
                           guided=guide is not None and (step == "form" or request.form.get("guided") == "1"),
                           suggestions=suggestions, answers=answers, held=held, follows=follows,
                           intake_fields=[(f, intake.field_name(f)) for f in fields])


def _followed_ticket(number) -> Ticket | None:
    """The customer's own ticket a new one follows up (the link on a closed ticket)."""
    number = parse_id(number)
    ticket = (db.session.scalar(select(Ticket).where(Ticket.number == number))
              if number is not None else None)
    return ticket if ticket is not None and can_view(current_user, ticket) else None


def _submit_ticket(form: TicketForm, service: Service | None, guide, answers, follows):
    """The ticket, committed; or (None, the files kept) for the form shown back, so the
    customer chooses nothing again."""
    carried = request.form.getlist("pending")
    valid = form.validate_on_submit()
    uploads = []
    try:
        uploads = attachments.validate(request.files.getlist(form.attachments.name))
        if valid and not answers.errors:
            pending = attachments.claim(current_user, carried)
            guided = guide if request.form.get("guided") == "1" else None
            outcome = tickets.submit(current_user, form.title.data,
                                     intake.with_answers(form.description.data, guided, answers),
                                     form.type.data, form.urgency.data, service, follows)
            attachments.store(current_user, outcome.ticket, uploads)
            attachments.attach_pending(current_user, outcome.ticket, pending)
            db.session.commit()
            return outcome, []
    except DomainError as error:
        form_error(form, error)
    return None, _keep_files(form, uploads, carried)


def _guide_step(service: Service, guide, step: str):
    number = parse_id(step) or 1
    number = number if number <= len(guide.checks) else 1
    following = str(number + 1) if number < len(guide.checks) else "form"
    return render_template("portal/intake_step.html", service=service, guide=guide,
                           number=number, check=guide.checks[number - 1], following=following)


@bp.post("/tickets/new/solved")
@login_required
def intake_solved():
    """The guide solved it: no ticket, the deflection is counted."""
    try:
        intake.record_deflection(current_user, _chosen_service(request.form.get("service")))
    except DomainError as error:
        abort(error.status)
    db.session.commit()
    flash(_("Good to hear it works again. No ticket was needed."), "success")
    return redirect(url_for("portal.my_tickets"))


@bp.get("/tickets/<int:number>")
@login_required
def ticket(number: int):
    item = ticket_or_404(number)
    mark_opened(item)
    if current_user.is_staff:  # staff handle tickets in the backoffice
        return redirect(url_for("ticket.handle", number=number))
    return render_template("portal/ticket.html", ticket=item, form=ReplyForm(),
                           timeline=timeline(current_user, item))


@bp.post("/tickets/<int:number>/reply")
@login_required
def reply(number: int):
    item = ticket_or_404(number)
    form = ReplyForm()
    carried = request.form.getlist("pending")
    valid = form.validate_on_submit()
    uploads = []
    status = 422
    try:
        uploads = attachments.validate(request.files.getlist(form.attachments.name))
        if valid:
            pending = attachments.claim(current_user, carried)
            outcome = tickets.add_comment(current_user, item, form.body.data)
            attachments.store(current_user, item, uploads, outcome.comment)
            attachments.attach_pending(current_user, item, pending, outcome.comment)
            db.session.commit()
            flash_warnings(outcome.warnings)
            flash(_("Your reply is sent."), "success")
            return redirect(url_for("portal.ticket", number=number, _anchor="end"))
    except DomainError as error:
        form_error(form, error)
        status = error.status  # 403 for a reply refused, 422 for a file refused
    return render_template("portal/ticket.html", ticket=item, form=form,
                           timeline=timeline(current_user, item),
                           held=_keep_files(form, uploads, carried)), status


def _keep_files(form, uploads, carried: list[str]) -> list:
    """Files of a form shown back, kept (and committed) so the writer chooses none again."""
    if form.csrf_token.errors:  # not the writer's own form: keep nothing for it
        return []
    try:
        held = attachments.keep(current_user, uploads, attachments.held(current_user, carried))
    except DomainError as error:
        form_error(form, error)
        held = attachments.held(current_user, carried)
    db.session.commit()
    return held


@bp.post("/tickets/<int:number>/close")
@login_required
def close(number: int):
    item = ticket_or_404(number)
    try:
        tickets.change_status(current_user, item, Status.CLOSED)
    except DomainError as error:
        form_error(None, error)
        abort(error.status)
    db.session.commit()
    flash(_("Ticket #%(number)s is closed. Thank you!", number=number), "success")
    return redirect(url_for("portal.ticket", number=number))


@bp.post("/tickets/<int:number>/rate")
@login_required
def rate(number: int):
    item = ticket_or_404(number)
    try:
        ratings.rate_ticket(current_user, item, request.form.get("rating"),
                            request.form.get("rating_comment"))
    except DomainError as error:
        form_error(None, error)
        return render_template("portal/ticket.html", ticket=item, form=ReplyForm(),
                               timeline=timeline(current_user, item)), error.status
    db.session.commit()
    flash(_("Thank you for rating our help."), "success")
    return redirect(url_for("portal.ticket", number=number))


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """Only through here, and only for someone who may read that ticket and comment."""
    item = db.session.scalar(select(Attachment).options(joinedload(Attachment.comment))
                             .where(Attachment.id == attachment_id))
    if item is None:
        abort(404)
    ticket_row = db.session.get(Ticket, item.ticket_id)
    internal = item.comment is not None and item.comment.internal
    if not can_view(current_user, ticket_row) or (internal and not can_see_internal(current_user)):
        abort(404)
    inline = item.content_type.startswith("image/") and item.content_type != "image/svg+xml"
    response = send_file(attachments.path_of(item), mimetype=item.content_type,
                         as_attachment=not inline, download_name=item.filename,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/notifications/")
@login_required
def notifications():
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .options(joinedload(Notification.ticket).joinedload(Ticket.customer))
        .order_by(Notification.id.desc()).limit(100)).all()
    return render_template("portal/notifications.html", notifications=rows, describe=describe)


@bp.post("/notifications/read")
@login_required
def notifications_read():
    raw_id = request.form.get("id")
    if raw_id is None:
        mark_read(current_user)
    elif (notification_id := parse_id(raw_id)) is not None:
        mark_read(current_user, notification_id)
    db.session.commit()
    target = parse_id(request.form.get("ticket"))
    if target:
        return redirect(url_for("portal.ticket", number=target))
    return redirect(url_for("portal.notifications"))
