"""The knowledge base and the desk's reference data: documents and their revisions,
services, canned replies; comments and the audit trail, read-only."""
from flask import Response, flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models import Pin, db
from services import DomainError, documents
from views import form_error
from views.admin.base import ADMINS, OVERSEERS, WRITERS, StaffModelView
from views.admin.operations import parse_ids
from views.form_messages import AdminForm
from views.labels import action_name, choices, event_value


def _markdown(view, context, model, name):
    html = documents.render_markdown(getattr(model, name))  # sanitised by nh3
    return Markup('<div class="markdown">') + html + Markup("</div>")


class DocumentForm(AdminForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text (Markdown)"), render_kw={"rows": 16, "data-md-source": "1"})
    public = BooleanField(_l("Public (customers can read it)"))


class DocumentAdmin(StaffModelView):
    """Supporters and admins write; only admins edit or pin the SLA and the Service Catalog."""
    creator_roles = editor_roles = WRITERS
    action_roles = {"pin_sla": ADMINS, "pin_catalog": ADMINS}
    create_template = "admin/document_create.html"
    edit_template = "admin/document_edit.html"
    column_list = ["title", "public", "pinned_as", "author", "updated_at"]
    column_details_list = ["title", "public", "pinned_as", "author", "created_at", "updated_at",
                           "body"]
    column_sortable_list = ["title", "public", "pinned_as", ("author", "author.username"),
                            "updated_at"]
    column_filters = ["public", "pinned_as", "updated_at"]
    column_searchable_list = ["title", "body"]
    column_default_sort = ("title", False)
    column_formatters_detail = {"body": _markdown}
    column_labels = {"pinned_as": _l("Pinned as")}
    column_choices = {"pinned_as": choices(Pin)}

    def get_create_form(self):
        return DocumentForm

    def get_edit_form(self):
        return DocumentForm

    def may_edit(self, row) -> bool:
        return documents.can_write(current_user, row)

    def _save(self, form, document):
        try:
            saved = documents.save(current_user, document, form.title.data, form.body.data,
                                   form.public.data)
        except DomainError as error:
            form_error(form, error)
            return False
        db.session.commit()
        return saved

    def create_model(self, form):
        return self._save(form, None)

    def update_model(self, form, model):
        return bool(self._save(form, model))

    @expose("/preview", methods=("POST",))
    def preview(self):
        """The Markdown rendered and sanitised exactly as readers will see it."""
        html = documents.render_markdown(request.form.get("body", "")[:200_000])
        return Response(str(html), mimetype="text/html")

    def _pin(self, ids, pin: Pin):
        chosen = parse_ids(ids)
        if len(chosen) != 1:
            flash(_("Choose exactly one document to pin."), "error")
            return
        try:
            documents.pin(current_user, self.get_one(chosen[0]), pin)
        except DomainError as error:
            form_error(None, error)
            return
        db.session.commit()
        flash(_("The document is pinned."), "success")

    @action("pin_sla", _l("Pin as SLA"))
    def action_pin_sla(self, ids):
        self._pin(ids, Pin.SLA)

    @action("pin_catalog", _l("Pin as Service Catalog"))
    def action_pin_catalog(self, ids):
        self._pin(ids, Pin.CATALOG)


class RevisionAdmin(StaffModelView):
    column_list = ["document_id", "title", "author", "created_at"]
    column_details_list = ["document_id", "title", "author", "created_at", "body"]
    column_sortable_list = ["document_id", "title", ("author", "author.username"), "created_at"]
    column_labels = {"document_id": _l("Document id")}
    column_searchable_list = ["title", "body"]
    column_filters = ["document_id", "created_at"]
    column_default_sort = ("created_at", True)
    column_formatters_detail = {"body": _markdown}


class ReferenceAdmin(StaffModelView):
    """Services and canned replies: admins edit, managers read."""
    roles = OVERSEERS
    creator_roles = editor_roles = ADMINS


class ServiceAdmin(ReferenceAdmin):
    column_list = form_columns = ["name", "description", "covered"]
    column_details_list = column_sortable_list = column_list
    column_searchable_list = ["name", "description"]
    column_filters = ["covered"]
    column_default_sort = ("name", False)


class CannedReplyAdmin(ReferenceAdmin):
    column_list = ["title", "body"]
    form_columns = column_details_list = column_list
    column_sortable_list = ["title"]
    column_searchable_list = ["title", "body"]
    column_default_sort = ("title", False)
    column_descriptions = {"body": _l("{customer} is replaced by the customer's name.")}


class CommentAdmin(StaffModelView):
    roles = OVERSEERS
    column_list = ["ticket", "author", "internal", "created_at", "body"]
    column_details_list = column_list
    column_sortable_list = [("ticket", "ticket_id"), ("author", "author.username"), "internal",
                            "created_at"]
    column_filters = ["internal", "author.username", "created_at"]
    column_searchable_list = ["body"]
    column_default_sort = ("created_at", True)


class AuditAdmin(StaffModelView):
    roles = OVERSEERS
    column_list = ["created_at", "actor", "action", "ticket_id", "document_id", "old_value",
                   "new_value"]
    column_details_list = column_list
    column_sortable_list = ["created_at", ("actor", "actor.username"), "action", "ticket_id"]
    column_filters = ["action", "actor.username", "ticket_id", "created_at"]
    column_default_sort = ("created_at", True)
    column_labels = {"ticket_id": _l("Ticket id"), "document_id": _l("Document id")}
    column_formatters = {
        "action": lambda view, context, event, name: action_name(event.action),
        "old_value": lambda view, context, event, name: event_value(event.action, event.old_value),
        "new_value": lambda view, context, event, name: event_value(event.action, event.new_value),
    }


