"""Fixtures: a migrated database per test (SQLite copy or PostgreSQL truncation), the app,
an HTTP client that carries real CSRF tokens, and factories for users and tickets.

TEST_DATABASE_URL=postgresql+psycopg://... runs everything on PostgreSQL instead of SQLite.
"""
import os
import re
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from flask.testing import FlaskClient
from hypothesis import settings
from jinja2 import StrictUndefined
from sqlalchemy import select, text

from app import create_app
from extensions import init_migrate, limiter
from models import Role, User, db

# CI replays the same generated examples every run (a failure there is reproducible).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")

PG_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"
DEMO_PASSWORD = "helpdesk-demo"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def base_config(database_url: str, tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # the real KDF, cheaper for tests
        "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PUBLIC_URL": "http://helpdesk.test",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "SMTP_HOST": "",
    }


def _migrate(url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade
    app = create_app(base_config(url, tmp_path))
    init_migrate(app)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _admin_url(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    """Migrate once per worker: a SQLite file to copy, or a PostgreSQL database to truncate."""
    tmp = tmp_path_factory.mktemp("template")
    if not PG_URL:
        path = tmp / "template.db"
        _migrate(f"sqlite:///{path}", tmp)
        yield path
        return
    name = f"helpdesk_test_{worker_id}_{uuid.uuid4().hex[:8]}"  # several runs may share a server
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _admin_url(PG_URL, name)
    _migrate(url, tmp)
    yield url
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(app) -> None:
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.execute(text("INSERT INTO counters (name, value) VALUES ('ticket', 0)"))
        db.session.commit()


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if PG_URL:
        return database_template
    path = tmp_path / "helpdesk.db"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def config(database_url, tmp_path) -> dict:
    """Override in a test module to change settings."""
    return base_config(database_url, tmp_path)


class StrictUndefinedButWidgetProbe(StrictUndefined):
    """StrictUndefined, except for Flask-Admin's lib.html comparing `field.widget.input_type`,
    which its Select and TextArea widgets do not have (lenient Undefined in production)."""

    def __eq__(self, other):
        if self._undefined_name == "input_type":
            return False
        return super().__eq__(other)

    __hash__ = StrictUndefined.__hash__


@pytest.fixture
def app(config):
    app = create_app(config)
    app.test_client_class = Client
    app.jinja_env.undefined = StrictUndefinedButWidgetProbe
    if PG_URL:
        _reset_postgres(app)
    if limiter.enabled and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        limiter.reset()  # the memory store outlives the app; a Redis test has its own prefix
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Client(FlaskClient):
    """A browser-like client: every form post carries a CSRF token taken from a real page.

    Each request runs in its own app context (fresh `g` and database session), as in
    production; afterwards the test's own session starts over so it sees what was committed.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # read and close streamed bodies (files)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.rollback()
        return response

    def csrf_token(self, page: str = "/") -> str:
        html = self.get(page).get_data(as_text=True)
        match = CSRF_FIELD.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, username: str, password: str = PASSWORD):
        response = self.post_form("/login", {"username": username, "password": password})
        assert response.status_code == 302, f"login of {username} failed"
        return response

    def logout(self):
        return self.post_form("/logout")


@pytest.fixture
def make_user(app):
    """Create a user through the accounts service: make_user("tim", "supporter", level=1)."""
    from services import accounts
    counter = {"n": 0}

    def make(username: str | None = None, role: str = "customer", level: int | None = None,
             **fields) -> User:
        counter["n"] += 1
        username = username or f"{role}{counter['n']}"
        user = accounts.create_user(username, PASSWORD, role, level,
                                    email=fields.pop("email", f"{username.lower()}@example.com"))
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_ticket(app, make_user):
    """Submit a ticket through the service, as a real customer would."""
    from services import tickets

    def make(customer: User | None = None, title: str = "Jeg kan ikke printe",
             description: str = "Når jeg trykker på print, sker der ikke noget.", **kwargs):
        customer = customer or make_user(role="customer")
        outcome = tickets.submit(customer, title, description, **kwargs)
        db.session.commit()
        return outcome.ticket

    return make


@pytest.fixture
def demo(app):
    """The demo people, documents and services of the seed."""
    from services.demo import load_demo
    load_demo(DEMO_PASSWORD)
    db.session.commit()
    return {u.username: u for u in db.session.scalars(select(User))}


@pytest.fixture
def staff(make_user):
    """One of each staff kind: two level-1 supporters, one each at levels 2 and 3, a manager
    and an admin."""
    return {
        "l1": make_user("l1a", "supporter", level=1),
        "l1b": make_user("l1b", "supporter", level=1),
        "l2": make_user("l2a", "supporter", level=2),
        "l3": make_user("l3a", "supporter", level=3),
        "manager": make_user("boss", Role.MANAGER.value),
        "admin": make_user("root", Role.ADMIN.value),
    }


@pytest.fixture
def smtp():
    """A running SMTP server on loopback; use `mail_config` to point the app at it."""
    from tests.mailserver import MailServer
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_config(database_url, tmp_path, smtp) -> dict:
    """Settings that send email to the `smtp` fixture's server."""
    return {**base_config(database_url, tmp_path), "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port, "MAIL_FROM": "helpdesk@helpdesk.test"}
