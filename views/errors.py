"""Every error gets a friendly page (HTML) or JSON (API): never a bare 500."""
import logging
import time

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from extensions import limiter
from models import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(status: int, code: str, message: str, template: str = "errors/error.html"):
    if _wants_json():
        return jsonify(code=code, message=message), status
    return render_template(template, status=status, message=message), status


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{max(1, limit // 1024)} KB"


def _too_many() -> str:
    """How long until the limit that was hit lets the caller in again (a login limit is per
    minute, the password reset's per hour)."""
    try:  # the limiter's storage is asked again: an error page must not fail on it
        hit = limiter.current_limit
        seconds = hit.reset_at - time.time() if hit is not None else None
    except Exception:
        log.warning("rate limit window unknown", exc_info=True)
        seconds = None
    if seconds is None:
        return _("Too many attempts. Please wait a minute and try again.")
    minutes = max(1, round(seconds / 60))
    return ngettext("Too many attempts. Please try again in %(num)s minute.",
                    "Too many attempts. Please try again in %(num)s minutes.", minutes)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the database may be the thing that is down
        log.warning("rollback failed", exc_info=True)


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _answer(400, "csrf", _("The form expired or was not sent from this site. "
                                      "Please go back, reload and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            401: _("Please sign in."),
            403: _("You do not have permission to do that."),
            404: _("This page does not exist, or you may not see it."),
            405: _("This address does not take that kind of request."),
            413: _("What you sent is too large: at most %(total)s in all, %(each)s a file. "
                   "Please go back and leave out the largest attachments.",
                   total=_size(current_app.config["MAX_CONTENT_LENGTH"]),
                   each=_size(current_app.config["MAX_ATTACHMENT_BYTES"])),
        }
        code = (error.name or "error").lower().replace(" ", "_")
        message = _too_many() if error.code == 429 else messages.get(error.code, error.description)
        return _answer(error.code or 500, code, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        log.exception("database unavailable")
        _rollback()
        # A page that needs no database: the signed-in user cannot be loaded either, so the
        # templates' current_user is anonymous rather than a query that fails again (a 500).
        g._login_user = current_app.login_manager.anonymous_user()
        return _answer(503, "unavailable", _("The service is briefly unavailable. "
                                             "Please try again in a moment."),
                       "errors/unavailable.html")

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unexpected error")
        _rollback()
        return _answer(500, "server_error", _("Something went wrong on our side. "
                                              "It has been logged; please try again."))
