"""Guided-intake templates in the backoffice: admins write each service's ordered checks."""
from flask_babel import lazy_gettext as _l

from models import IntakeCheck, IntakeTemplate
from views.admin.base import ADMINS, StaffModelView


class IntakeTemplateAdmin(StaffModelView):
    """One guide per catalog service: an introduction and checks (position, question, hint)."""
    roles = creator_roles = editor_roles = ADMINS
    column_list = ["service", "introduction"]
    column_details_list = ["service", "introduction", "checks"]
    column_sortable_list = [("service", "service.name")]
    column_default_sort = ("id", False)
    column_labels = {"service": _l("Service"), "introduction": _l("Introduction"),
                     "checks": _l("Checks")}
    form_columns = ["service", "introduction", "checks"]
    inline_models = [(IntakeCheck, {
        "form_columns": ["id", "position", "question", "hint"],
        "form_label": _l("Check"),
        "column_labels": {"position": _l("Position"), "question": _l("Question"),
                          "hint": _l("Hint")},
    })]


def register_intake(admin) -> None:
    """Add "Intake guides" under Desk (/admin/intake-template/)."""
    admin.add_view(IntakeTemplateAdmin(IntakeTemplate, name=_l("Intake guides"),
                                       endpoint="intake_template", url="/admin/intake-template",
                                       category=_l("Desk")))
