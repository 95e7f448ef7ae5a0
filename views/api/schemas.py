"""What goes in and out of the API: marshmallow schemas (the OpenAPI document is built from them).

Input schemas refuse unknown fields; every text field refuses NUL and lone surrogates, which
the databases cannot store.
"""
from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from models import Priority, Rating, Role, Status, TicketType
from services import MAX_ID
from services.tickets import BODY_MAX, TITLE_MAX

MAX_PER_PAGE = 100
MAX_PAGE = 10_000


class Text(fields.String):
    """A string the databases can store."""

    default_error_messages = {"unstorable": "Text must not contain NUL or lone surrogates."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("unstorable") from None
        if "\x00" in text:
            raise self.make_error("unstorable")
        return text


class UtcDateTime(fields.DateTime):
    """Naive UTC from the database, written as ISO 8601 with a Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _choice(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


class Input(ma.Schema):
    class Meta:
        unknown = ma.RAISE


# Answers ---------------------------------------------------------------------------------

class ErrorSchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "A stable, machine-readable code"})
    message = fields.String(required=True, metadata={"description": "For people"})
    errors = fields.Dict(metadata={"description": "Invalid input, by location and field"})


class UserRef(ma.Schema):
    username = fields.String()


class ServiceRef(ma.Schema):
    name = fields.String()


class TicketRef(ma.Schema):
    number = fields.Integer()


class TicketSchema(ma.Schema):
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    type = _choice(TicketType, required=True)
    status = _choice(Status, required=True)
    impact = _choice(Rating, required=True)
    urgency = _choice(Rating, required=True)
    priority = _choice(Priority, required=True)
    level = fields.Integer(required=True)
    assignee = fields.Pluck(UserRef, "username", allow_none=True, required=True)
    customer = fields.Pluck(UserRef, "username", required=True)
    service = fields.Pluck(ServiceRef, "name", allow_none=True, required=True)
    parent = fields.Pluck(TicketRef, "number", allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class WarningsMixin(ma.Schema):
    warnings = fields.List(fields.String(), required=True, metadata={
        "description": "Secrets (passwords, CPR numbers, remote access) masked in what you sent"})


class TicketResultSchema(TicketSchema, WarningsMixin):
    pass


class AttachmentSchema(ma.Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class CommentSchema(ma.Schema):
    id = fields.Integer(required=True)
    author = fields.Pluck(UserRef, "username", required=True)
    body = fields.String(required=True)
    internal = fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))


class CommentResultSchema(CommentSchema, WarningsMixin):
    pass


class HistorySchema(ma.Schema):
    action = fields.String(required=True)
    actor = fields.Pluck(UserRef, "username", allow_none=True, required=True)
    old = fields.String(attribute="old_value", allow_none=True, required=True)
    new = fields.String(attribute="new_value", allow_none=True, required=True)
    at = UtcDateTime(attribute="created_at", required=True)


class TicketDetailSchema(TicketSchema):
    comments = fields.List(fields.Nested(CommentSchema), required=True)
    history = fields.List(fields.Nested(HistorySchema), required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True, metadata={
        "description": "Attachments sent with the ticket itself"})


class TicketPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TicketSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class MeSchema(ma.Schema):
    username = fields.String(required=True)
    role = _choice(Role, required=True)
    level = fields.Integer(allow_none=True, required=True)
    email = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    timezone = fields.String(allow_none=True, required=True)


class DocumentSchema(ma.Schema):
    title = fields.String(required=True)
    markdown = fields.String(attribute="body", required=True)
    html = fields.String(required=True, metadata={"description": "Rendered and sanitised"})
    updated_at = UtcDateTime(required=True)


# Requests --------------------------------------------------------------------------------

class TicketListArgs(Input):
    status = _choice(Status)
    type = _choice(TicketType)
    priority = _choice(Priority)
    assignee = Text(validate=validate.Length(max=80), metadata={"description": "A username"})
    level = fields.Integer(validate=validate.Range(1, 3))
    q = Text(validate=validate.Length(max=100),
             metadata={"description": "Words in the title, or a ticket number"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(1, MAX_PER_PAGE))


class TicketCreateArgs(Input):
    title = Text(required=True, validate=validate.Length(1, TITLE_MAX))
    description = Text(required=True, validate=validate.Length(1, BODY_MAX))
    type = _choice(TicketType, required=True)
    service = Text(allow_none=True, validate=validate.Length(max=120),
                   metadata={"description": "A service of the catalog, by name"})
    urgency = _choice(Rating, load_default=Rating.MEDIUM)


class TicketPatchArgs(Input):
    status = _choice(Status)
    type = _choice(TicketType)
    impact = _choice(Rating)
    urgency = _choice(Rating)
    priority = _choice(Priority, metadata={"description": "Overrides the matrix; needs `reason`"})
    reason = Text(validate=validate.Length(1, 500))
    assignee = Text(validate=validate.Length(1, 80),
                    metadata={"description": "Reassign within the level, by username"})

    @ma.validates_schema
    def priority_needs_reason(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Nothing to change.")
        if ("priority" in data) != ("reason" in data):
            raise ma.ValidationError("`priority` and `reason` go together.", "reason")


class CommentArgs(Input):
    body = Text(required=True, validate=validate.Length(1, BODY_MAX))
    internal = fields.Boolean(load_default=False,
                              metadata={"description": "An internal note (staff only)"})


class EscalateArgs(Input):
    level = fields.Integer(strict=True, validate=validate.Range(1, 3))
    assignee = Text(validate=validate.Length(1, 80),
                    metadata={"description": "A supporter of the target level, by username"})

    @ma.validates_schema
    def level_or_assignee(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Give `level`, `assignee` or both.")


class LinkArgs(Input):
    parent = fields.Integer(required=True, strict=True,
                            validate=validate.Range(1, MAX_ID),
                            metadata={"description": "The number of the major-incident ticket"})
