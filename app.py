"""Helpdesk: create_app reads like a table of contents."""
import logging

from flask import Flask, abort, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import ConfigError, load_config
from extensions import (
    babel,
    begin_write,
    csrf,
    install_sql_counter,
    limiter,
    login_manager,
)
from models import User, db
from services import MAX_ID
from services.notify import unread_count_query
from views import SAFE_METHODS, page_unread_count, starts_as_writer

log = logging.getLogger(__name__)

class DatabaseInteger(IntegerConverter):
    """Every `<int:...>` in a route stops at the largest number the database holds: a longer
    one is a 404 instead of an overflow inside the query (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, backoffice, commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseInteger
    load_configuration(app, config)
    configure_extensions(app)
    configure_requests(app)
    register_blueprints(app)
    init_backoffice(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def load_configuration(app: Flask, overrides: dict | None) -> None:
    app.config.update(load_config())
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        raise ConfigError(
            "No SECRET_KEY: set the SECRET_KEY environment variable, or create "
            "instance/secret_key (`make run` does this once with a random value).")
    if "SESSION_COOKIE_SECURE" not in (overrides or {}):
        # Secure cookies whenever the public address is HTTPS, however it was configured.
        secure = app.config["PUBLIC_URL"].startswith("https://")
        app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    csrf.init_app(app)
    # Before the rate limiter, whose key reads the API token: on SQLite a request that has
    # read cannot become the writer any more (its BEGIN would be skipped, and its write could
    # meet "database is locked").
    app.before_request(start_write_transaction)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    install_sql_counter(app)


def start_write_transaction() -> None:
    """A request that changes something takes SQLite's writer turn before it reads anything
    (views that write late take it themselves)."""
    if starts_as_writer():
        begin_write()


def load_user(session_token: str) -> User | None:
    """The session's user, with their unread notification count in the same query (every page
    shows it)."""
    row = db.session.execute(select(User, unread_count_query(User.id)).where(
        User.session_token == session_token, User.active.is_(True))).first()
    if row is None:
        return None
    g.unread_notifications = (row[0].id, row[1])
    return row[0]


def _signed_in_user() -> User | None:
    """The signed-in user, or None; also None while the database is down (error pages)."""
    if not has_request_context():
        return None
    try:
        return current_user if current_user and current_user.is_authenticated else None
    except SQLAlchemyError:
        db.session.rollback()
        return None


def select_locale() -> str | None:
    user = _signed_in_user()
    if user is not None:
        return user.language
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if session.get("language") in ("en", "da"):
        return session["language"]
    return request.accept_languages.best_match(["en", "da"]) or "en"


def select_timezone() -> str:
    user = _signed_in_user()
    return (user and user.timezone) or current_app.config["TIMEZONE"]


def configure_requests(app: Flask) -> None:
    """Text with NUL is refused; answers carry the security headers."""

    @app.before_request
    def refuse_nul_characters():
        """No text field may hold NUL: PostgreSQL refuses it, so refuse it up front (the API
        validates its own input and answers 422)."""
        if request.path.startswith("/api/"):
            return
        values = list(request.args.listvalues())
        if request.method not in SAFE_METHODS:
            values += list(request.form.listvalues())
        if any("\x00" in value for group in values for value in group):
            abort(400, description=_("The text you sent holds a NUL character (often pasted "
                                     "from another program), which cannot be stored. Please go "
                                     "back, remove it and send again."))

    from views.headers import init_headers
    init_headers(app)

    from services import permissions
    from services.documents import render_markdown
    from views.labels import event_value, field_name, label, localtime, time_writer
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals.update(can=permissions, unread_count=page_unread_count,
                                 get_locale=get_locale, render_markdown=render_markdown,
                                 label=label, event_value=event_value, field_name=field_name,
                                 time_writer=time_writer)


def register_blueprints(app: Flask) -> None:
    from views import auth, password, portal, public
    from views.api import init_api
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(password.bp)
    init_api(app)


def init_backoffice(app: Flask) -> None:
    from views.admin import init_admin
    init_admin(app)


def register_error_handlers(app: Flask) -> None:
    from views.errors import register
    register(app)


def register_commands(app: Flask) -> None:
    from commands import register
    register(app)
