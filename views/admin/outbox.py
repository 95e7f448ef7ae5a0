"""The email outbox in the backoffice, for admins: messages (failed ones first to look at),
a retry action, and a test email button."""
from flask import flash, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.base import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import OutboxEmail, OutboxStatus, db
from services import DomainError, mail
from services.permissions import is_admin
from views.admin.base import CappedPages, staff_only_callback
from views.admin.operations import parse_ids
from views.labels import LocalisedColumns, choices


class StatusFilter(FilterEqual):
    """Status by value. Flask-Admin's enum filter wants member names and answers an unknown
    value with a 500; this one ignores it."""

    def validate(self, value) -> bool:
        return value in {status.value for status in OutboxStatus}


class OutboxAdmin(LocalisedColumns, CappedPages, ModelView):
    """Read-only list of outbox rows; changes go through services.mail."""
    can_create = can_edit = can_delete = False
    can_export = False
    can_view_details = True
    column_list = ("id", "recipient", "subject", "status", "attempts", "next_attempt_at",
                   "last_error", "created_at", "sent_at")
    # Not the bodies: a password reset email carries a live link.
    column_details_list = column_list + ("message_id",)
    column_filters = (StatusFilter(OutboxEmail.status, _l("Status"),
                                   options=choices(OutboxStatus)),
                      "recipient")
    column_choices = {"status": choices(OutboxStatus)}
    named_filter_urls = True
    column_default_sort = ("id", True)
    list_template = "admin/outbox_list.html"
    page_size = 50

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and is_admin(current_user)

    def inaccessible_callback(self, name, **kwargs):
        return staff_only_callback()

    @action("retry", _l("Retry"), _l("Send the selected failed messages again?"))
    def action_retry(self, ids):
        try:
            count = mail.retry(current_user, parse_ids(ids))
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return
        db.session.commit()
        flash(_("%(count)s failed messages are queued again.", count=count), "success")

    @expose("/test", methods=["POST"])
    def send_test(self):
        recipient = (request.form.get("recipient") or "").strip()
        try:
            mail.send_test_email(current_user, recipient)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("A test email was sent to %(recipient)s.", recipient=recipient), "success")
        return redirect(url_for(".index_view"))


def register_outbox_admin(admin) -> None:
    """Add the outbox views to the backoffice."""
    admin.add_view(OutboxAdmin(OutboxEmail, db, name=_l("Email outbox"), endpoint="outbox",
                               url="/admin/outbox"))
