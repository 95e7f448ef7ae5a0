"""What every API blueprint shares: who is calling, CSRF for cookies, limits and JSON errors."""

from flask import abort, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from extensions import begin_write, csrf, limiter
from models import ApiToken, db
from services import DomainError, accounts
from views import starts_as_writer

URL_PREFIX = "/api/v1"


def api_blueprint(name: str, import_name: str, description: str, public: bool = False) -> Blueprint:
    """A blueprint under /api/v1 that authenticates, limits and answers errors as JSON.

    `public` blueprints also answer anonymous callers; the others answer them 401.
    """
    blp = Blueprint(name, import_name, url_prefix=URL_PREFIX, description=description)
    # The app-wide check is replaced by `authenticate`, which skips it for Bearer requests only.
    csrf.exempt(blp)
    limiter.shared_limit(_rate_limit, scope="api", key_func=rate_limit_key)(blp)
    blp.before_request(lambda: authenticate(required=not public))
    blp.register_error_handler(DomainError, domain_error)
    blp.register_error_handler(HTTPException, http_error)
    # The app's CSRFError handler is registered for code 400, which Flask prefers to ours.
    blp.register_error_handler(CSRFError, http_error)
    return blp


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def rate_limit_key() -> str:
    """Per token (however its header is spelled); per signed-in user for the session; per
    address otherwise, made-up tokens included."""
    if request.headers.get("Authorization") is not None:
        api_token = bearer_token()
        if api_token is not None:
            return f"api-token:{api_token.id}"
    elif current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return "api-address:" + (get_remote_address() or "")


def bearer_token():
    """The live token the Authorization header names, or None; looked up once per request
    (the rate limit asks first, then `authenticate`)."""
    if "api_token" not in g:
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        g.api_token = accounts.live_token(token.strip()) if scheme.lower() == "bearer" else None
    return g.api_token


def authenticate(required: bool) -> None:
    """A Bearer token names the caller (and needs no CSRF token); otherwise the browser session
    does, and its writes must carry the CSRF token (X-CSRFToken header)."""
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]
    header = request.headers.get("Authorization")
    if header is None:
        if required and not current_user.is_authenticated:
            abort(401)
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        return
    api_token = bearer_token()
    if api_token is None:
        abort(401)
    if accounts.token_use_is_stale(api_token):
        _record_token_use(api_token)
    # Flask-Login reads the request's user from here; the session is never touched.
    g._login_user = api_token.user


def _record_token_use(api_token) -> None:
    """Write last_used_at in a transaction of its own that starts as a writer (SQLite)."""
    token_id = api_token.id
    db.session.rollback()
    begin_write()
    accounts.mark_token_used(db.session.get(ApiToken, token_id))
    db.session.commit()
    if starts_as_writer():
        begin_write()


def error_answer(status: int, code: str, message: str, errors=None, headers=None):
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body, status, headers or {}


def domain_error(error: DomainError):
    """A refused operation: its status (403, 404, 409, 422) and its reason; nothing is kept."""
    db.session.rollback()
    errors = {"json": {error.field: [str(error.message)]}} if error.field else None
    return error_answer(error.status, error.code, str(error.message), errors)


MESSAGES = {
    400: _l("The request could not be read."),
    401: _l("Authentication required: send Authorization: Bearer <token>, or sign in."),
    403: _l("You do not have permission to do that."),
    404: _l("Not found, or you may not see it."),
    405: _l("This address does not take that kind of request."),
    413: _l("What you sent is too large."),
    422: _l("The request has invalid fields."),
    429: _l("Too many requests. Please slow down and try again in a minute."),
}


def http_error(error: HTTPException):
    """HTTP errors, webargs validation errors (with `errors`) and CSRF refusals, as JSON."""
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("messages")
    if isinstance(error, CSRFError):
        code = "csrf"
        message = _("Missing or invalid CSRF token: send X-CSRFToken, or use a Bearer token.")
    elif errors:
        code = "invalid" if status == 422 else "bad_request"
        message = _first_message(errors) or str(MESSAGES[status])
    else:
        code = (error.name or "error").lower().replace(" ", "_")
        message = str(MESSAGES.get(status, error.description))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else data.get("headers")
    return error_answer(status, code, message, errors, headers)


def _first_message(errors: dict) -> str | None:
    """'title: Missing data for required field.' from webargs' {location: {field: [...]}}."""
    for fields in errors.values():
        if isinstance(fields, list):
            return str(fields[0]) if fields else None
        for field, messages in fields.items():
            text = str(messages[0]) if isinstance(messages, list) and messages else str(messages)
            return text if field == "_schema" else f"{field}: {text}"
    return None


def caller():
    """The signed-in user as a plain object, for the services."""
    return current_user._get_current_object()


class Extended:
    """An object with a few more attributes for a schema to dump (comments, warnings ...)."""

    def __init__(self, item, **extra):
        self._item = item
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._item, name)
