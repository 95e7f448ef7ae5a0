"""How stored values read in the interface: a translated label for every enum value users see.

The database keeps the English values ("open", "incident"); pages, grids and filters show
`label(value)` in the reader's language. Templates call the Jinja global `label`.
"""
import enum
import re
from datetime import UTC, datetime

from babel import dates
from flask_admin.model import typefmt
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l

from models import OutboxStatus, Pin, ProposalStatus, Rating, Role, SlaState, Status, TicketType

LABELS = {
    Status: {Status.OPEN: _l("Open"), Status.PENDING: _l("Pending"),
             Status.RESOLVED: _l("Resolved"), Status.CLOSED: _l("Closed")},
    TicketType: {TicketType.INCIDENT: _l("Incident"), TicketType.REQUEST: _l("Request")},
    Rating: {Rating.HIGH: _l("High"), Rating.MEDIUM: _l("Medium"), Rating.LOW: _l("Low")},
    SlaState: {SlaState.OK: _l("On track"), SlaState.AT_RISK: _l("At risk"),
               SlaState.BREACHED: _l("Breached")},
    Role: {Role.CUSTOMER: _l("Customer"), Role.SUPPORTER: _l("Supporter"),
           Role.MANAGER: _l("Manager"), Role.ADMIN: _l("Admin")},
    Pin: {Pin.SLA: _l("SLA"), Pin.CATALOG: _l("Service Catalog")},
    OutboxStatus: {OutboxStatus.PENDING: _l("Waiting"), OutboxStatus.SENT: _l("Sent"),
                   OutboxStatus.FAILED: _l("Failed")},
    ProposalStatus: {ProposalStatus.PROPOSED: _l("Proposed"),
                     ProposalStatus.ACCEPTED: _l("Accepted"),
                     ProposalStatus.DISMISSED: _l("Dismissed")},
}

# Audit events store values as text; these actions name which enum their values belong to.
_EVENT_VALUES = {"status": Status, "auto_closed": Status, "type": TicketType,
                 "impact": Rating, "urgency": Rating, "sla": SlaState}

FIELD_NAMES = {"impact": _l("impact"), "urgency": _l("urgency"), "priority": _l("priority")}


def label(value) -> str:
    """The reader's word for an enum value; anything else is shown as it is."""
    labels = LABELS.get(type(value))
    return str(labels[value]) if labels else ("" if value is None else str(value))


def event_value(action: str, value: str | None) -> str:
    """An audit event's stored old/new value as the reader's word ("-" when empty)."""
    if not value:
        return "-"
    kind = _EVENT_VALUES.get(action)
    if kind is None:
        return value
    try:
        return label(kind(value))
    except ValueError:
        return value


def field_name(action: str) -> str:
    """The reader's name of a ticket field an audit event changed."""
    return str(FIELD_NAMES.get(action, action))


# The audit log's action codes, as the admin log lists them (the timeline writes sentences).
ACTION_NAMES = {
    "created": _l("Created"), "status": _l("Status"), "type": _l("Type"),
    "impact": _l("Impact"), "urgency": _l("Urgency"), "priority": _l("Priority"),
    "assigned": _l("Assigned"), "reassigned": _l("Reassigned"), "escalated": _l("Escalated"),
    "linked": _l("Linked to a major incident"), "unlinked": _l("Unlinked from a major incident"),
    "major": _l("Major incident"), "proposal_dismissed": _l("Major incident proposal dismissed"),
    "sla": _l("SLA state"), "rated": _l("Rated"), "commented": _l("Comment"),
    "attachment": _l("Attachment"), "auto_close_warned": _l("Warned of automatic closing"),
    "auto_closed": _l("Closed automatically"), "pinned": _l("Pinned"),
    "user_active": _l("Account active"), "user_away": _l("Away"), "user_level": _l("Level"),
    "user_password_reset": _l("Password reset"), "user_anonymised": _l("Anonymised"),
}


def action_name(action: str) -> str:
    return str(ACTION_NAMES.get(action, action))


def choices(enum_cls) -> list[tuple[str, str]]:
    """(value, label) pairs for selects and Flask-Admin `column_choices` (labels stay lazy)."""
    labels = LABELS[enum_cls]
    return [(member.value, labels[member]) for member in enum_cls]


# Column headings of the backoffice grids, for columns a view does not label itself.
COLUMN_NAMES = {
    "id": _l("Id"), "title": _l("Title"), "public": _l("Public"), "author": _l("Author"),
    "created_at": _l("Created"), "updated_at": _l("Updated"), "username": _l("Username"),
    "email": _l("Email"), "role": _l("Role"), "level": _l("Level"), "active": _l("Active"),
    "away": _l("Away"), "name": _l("Name"), "description": _l("Description"),
    "covered": _l("Covered"), "body": _l("Text"), "ticket": _l("Ticket"),
    "internal": _l("Internal"), "actor": _l("Who"), "action": _l("Action"),
    "old_value": _l("Old value"), "new_value": _l("New value"), "recipient": _l("Recipient"),
    "subject": _l("Subject"), "status": _l("Status"), "attempts": _l("Attempts"),
    "next_attempt_at": _l("Next attempt"), "last_error": _l("Last error"),
    "sent_at": _l("Sent"), "message_id": _l("Message-ID"),
    "actor.username": _l("Who"), "author.username": _l("Author"),
    "priority": _l("Priority"), "calendar": _l("Calendar"), "timezone": _l("Time zone"),
    "working_days": _l("Working days"), "opens_at": _l("Opens at"),
    "closes_at": _l("Closes at"), "date": _l("Date"),
}


# (locale, format) -> how date and time combine, their parsed patterns, and whether the time
# shows nothing finer than the minute.
_DATETIME_PATTERNS: dict = {}
_FIELD = re.compile(r"%\((\w)")
# Time fields that depend on nothing but the hour and minute: text made of these is kept.
_CLOCK_FIELDS = frozenset("HhKkmaBb")


def time_writer(format: str = "short"):
    """localtime() with the reader's locale, time zone and parsed patterns looked up once: a
    page listing 200 timestamps writes them with one writer (the lookups were most of the
    cost), and each date, and each clock time the pattern shows only to the minute, is
    formatted once. Flask-Babel's format_datetime writes the same text."""
    locale, zone = get_locale(), get_timezone()
    patterns = _DATETIME_PATTERNS.get((str(locale), format))
    if patterns is None:
        time_pattern = dates.parse_pattern(dates.get_time_format(format, locale))
        patterns = _DATETIME_PATTERNS[(str(locale), format)] = (
            dates.get_datetime_format(format, locale).replace("'", ""),
            dates.parse_pattern(dates.get_date_format(format, locale)), time_pattern,
            set(_FIELD.findall(time_pattern.format)) <= _CLOCK_FIELDS)
    combined, date_pattern, time_pattern, by_minute = patterns
    days: dict = {}
    clock: dict = {}

    def write(value: datetime | None) -> str:
        if not value:
            return ""
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        day = days.get(local.date())
        if day is None:
            day = days[local.date()] = date_pattern.apply(local, locale)
        if not by_minute:
            return combined.replace("{1}", day).replace("{0}", time_pattern.apply(local, locale))
        minute = clock.get((local.hour, local.minute))
        if minute is None:
            minute = clock[(local.hour, local.minute)] = time_pattern.apply(local, locale)
        return combined.replace("{1}", day).replace("{0}", minute)
    return write


def localtime(value: datetime | None, format: str = "short") -> str:
    """A UTC timestamp in the reader's time zone and locale."""
    return time_writer(format)(value) if value else ""


def _time_cell(view, value, name) -> str:
    return localtime(value)


def _enum_cell(view, value, name) -> str:
    return label(value)


class LocalisedColumns:
    """Flask-Admin mixin: headings and filter names from COLUMN_NAMES unless the view labels
    them (kept lazy: Flask-Admin turns a computed filter name into English text), enum values
    as labels and times in the reader's locale and time zone, in lists and details."""

    def __init__(self, *args, **kwargs):
        self.column_labels = {**COLUMN_NAMES, **(self.column_labels or {})}
        localised = {datetime: _time_cell, enum.Enum: _enum_cell}
        self.column_type_formatters = {**typefmt.BASE_FORMATTERS, **localised}
        self.column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **localised}
        super().__init__(*args, **kwargs)

    def _get_list_value(self, *args, **kwargs):
        # A column with choices hands an empty value over as it is: Jinja wrote "None".
        value = super()._get_list_value(*args, **kwargs)
        return "" if value is None else value
