"""SLA policies, calendars and holidays: admins edit, managers read.

A changed policy applies to tickets whose due times are computed from then on (new tickets,
priority changes); existing due times are not rewritten.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from services.calendars import known_time_zone
from views.admin.knowledge import ReferenceAdmin


# Messages are plain strings: Flask-Admin's form template shows only `string` errors.
def _known_time_zone(form, field) -> None:
    if not known_time_zone(field.data or ""):
        raise ValidationError(_("Unknown time zone, e.g. Europe/Copenhagen."))


def _working_days(form, field) -> None:
    days = field.data or ""
    if not days or set(days) - set("1234567") or len(set(days)) != len(days):
        raise ValidationError(_("Digits 1 to 7, each at most once."))


def _closes_after_opening(form, field) -> None:
    if form.opens_at.data and field.data and field.data <= form.opens_at.data:
        raise ValidationError(_("Closing time must be after opening time."))


class SlaPolicyAdmin(ReferenceAdmin):
    """One policy per priority: the priority itself is fixed, the targets are edited."""
    creator_roles = frozenset()
    edit_template = "admin/sla_policy_edit.html"
    column_list = ["priority", "first_response_minutes", "resolution_minutes", "business_hours",
                   "calendar", "at_risk_percent"]
    column_details_list = column_list
    column_sortable_list = ["priority", "first_response_minutes", "resolution_minutes"]
    column_default_sort = ("priority", False)
    form_columns = ["first_response_minutes", "resolution_minutes", "business_hours", "calendar",
                    "at_risk_percent"]
    column_labels = {
        "first_response_minutes": _l("First response (minutes)"),
        "resolution_minutes": _l("Resolution (minutes)"),
        "business_hours": _l("Count business hours only"),
        "at_risk_percent": _l("At risk from (% of the target)"),
    }
    form_args = {
        "first_response_minutes": {"validators": [InputRequired(), NumberRange(1, 525600)]},
        "resolution_minutes": {"validators": [InputRequired(), NumberRange(1, 525600)]},
        "at_risk_percent": {"validators": [InputRequired(), NumberRange(1, 99)]},
    }
    column_descriptions = {"business_hours": _l(
        "Targets count only the calendar's opening hours; otherwise round the clock.")}


class CalendarAdmin(ReferenceAdmin):
    column_list = ["name", "timezone", "working_days", "opens_at", "closes_at"]
    column_details_list = form_columns = column_list
    column_sortable_list = ["name"]
    column_default_sort = ("name", False)
    column_descriptions = {"working_days": _l("ISO weekday numbers: 12345 is Monday to Friday.")}
    form_args = {
        "name": {"validators": [DataRequired(), Length(max=80)]},
        "timezone": {"validators": [DataRequired(), _known_time_zone]},
        "working_days": {"validators": [DataRequired(), _working_days]},
        "opens_at": {"validators": [DataRequired()]},
        "closes_at": {"validators": [DataRequired(), _closes_after_opening]},
    }


class HolidayAdmin(ReferenceAdmin):
    column_list = ["date", "name", "calendar"]
    column_details_list = form_columns = column_list
    column_sortable_list = ["date", "name"]
    column_default_sort = ("date", False)
    column_filters = ["date"]
    form_args = {"name": {"validators": [DataRequired(), Length(max=80)]},
                 "date": {"validators": [DataRequired()]},
                 "calendar": {"validators": [DataRequired()]}}
