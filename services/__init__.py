"""The rules of the desk. Views, CLI commands and jobs call these; they never commit."""
from flask_babel import lazy_gettext as _l

SUPPORT_LEVELS = (1, 2, 3)
MAX_ID = 2**31 - 1  # the largest id or ticket number a column holds (PostgreSQL's integer)


class DomainError(Exception):
    """A rule refused the operation; `status` is the HTTP answer a view gives for it."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def parse_level(value) -> int:
    """A support level from user input (1, 2 or 3), or Invalid."""
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = None
    if level not in SUPPORT_LEVELS:
        raise Invalid(_l("Level must be 1, 2 or 3."), field="level")
    return level


def parse_id(value) -> int | None:
    """A row id or ticket number from user input, or None when it cannot be one (a longer
    number would overflow inside the query: a 500 instead of a "not found")."""
    digits = str(value if value is not None else "").strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 10):
        return None
    return int(digits) if 0 < int(digits) <= MAX_ID else None
