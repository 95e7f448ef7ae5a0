"""Guided-intake templates in the backoffice: admins write each service's ordered checks and
the fields its ticket form asks for."""
from flask_babel import lazy_gettext as _l

from models import IntakeCheck, IntakeField, IntakeTemplate
from views.admin.base import ADMINS, StaffModelView


class IntakeTemplateAdmin(StaffModelView):
    """One guide per catalog service: an introduction, checks (position, question, hint) and
    fields for the ticket form (position, label, help, required)."""
    roles = creator_roles = editor_roles = ADMINS
    column_list = ["service", "introduction"]
    column_details_list = ["service", "introduction", "checks", "fields"]
    column_sortable_list = [("service", "service.name")]
    column_default_sort = ("id", False)
    column_labels = {"service": _l("Service"), "introduction": _l("Introduction"),
                     "checks": _l("Checks"), "fields": _l("Fields of the ticket form")}
    form_columns = ["service", "introduction", "checks", "fields"]
    inline_models = [(IntakeCheck, {
        "form_columns": ["id", "position", "question", "hint"],
        "form_label": _l("Check"),
        "column_labels": {"position": _l("Position"), "question": _l("Question"),
                          "hint": _l("Hint")},
    }), (IntakeField, {
        "form_columns": ["id", "position", "label", "help", "required"],
        "form_label": _l("Field"),
        "column_labels": {"position": _l("Position"), "label": _l("Label"),
                          "help": _l("Help text"), "required": _l("Required")},
        "form_args": {"label": {"description": _l("What the customer fills in, e.g. "
                                                  "\"Asset tag / PC name\".")}},
    })]


def register_intake(admin) -> None:
    """Add "Intake guides" under Desk (/admin/intake-template/)."""
    admin.add_view(IntakeTemplateAdmin(IntakeTemplate, name=_l("Intake guides"),
                                       endpoint="intake_template", url="/admin/intake-template",
                                       category=_l("Desk")))
