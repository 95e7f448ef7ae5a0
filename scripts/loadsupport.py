"""What the load and fault runs share: a fresh migrated database, people, a customer's
submit loop over HTTP, and the invariant checks on what ended up in the database."""
import atexit
import re
import tempfile
import time
import uuid
from contextlib import contextmanager

import psycopg
from sqlalchemy import func, select

from app import create_app
from extensions import init_migrate
from models import AuditEvent, Comment, Role, Ticket, User, db
from services import accounts
from services.assignment import recount_loads
from tests.live_server import CSRF_FIELD, Browser

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct-horse-battery"  # noqa: S105 - the load-test accounts, on a throwaway database
CHEAP_HASH = "scrypt:1024:8:1"  # the real KDF, cheaper: the load is on tickets, not logins


class Database:
    """A fresh, migrated database and an app bound to it (for setting up and checking)."""

    def __init__(self, url: str, **config):
        self.url = url
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "load-test",
                               "PASSWORD_HASH_METHOD": CHEAP_HASH, "RATELIMIT_ENABLED": False,
                               **config})
        from flask_migrate import upgrade
        init_migrate(self.app)
        with self.app.app_context():
            upgrade()

    @classmethod
    def sqlite(cls, **config) -> "Database":
        return cls(f"sqlite:///{tempfile.mkdtemp(prefix='loadtest-')}/helpdesk.db", **config)

    @classmethod
    def postgres(cls, **config) -> "Database":
        name = f"loadtest_{uuid.uuid4().hex[:8]}"
        server = PG_SERVER.replace("+psycopg", "")
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop, server, name)
        return cls(PG_SERVER.rsplit("/", 1)[0] + "/" + name, **config)

    @contextmanager
    def context(self):
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()
                db.engine.dispose()

    def people(self, customers: int, supporters: int, email: bool = False) -> list[str]:
        """Level-1 supporters and customers; returns the customers' usernames."""
        with self.context():
            for n in range(supporters):
                accounts.create_user(f"sup{n}", PASSWORD, "supporter", 1,
                                     email=f"sup{n}@example.com" if email else None)
            names = [f"cust{n}" for n in range(customers)]
            for name in names:
                accounts.create_user(name, PASSWORD, "customer", None,
                                     email=f"{name}@example.com" if email else None)
            db.session.commit()
        return names


def _drop(server: str, name: str) -> None:
    try:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass  # the server may be down after a fault run; the name is unique anyway


def timed(browser: Browser, results: dict, path: str, data: dict | None = None):
    started = time.monotonic()
    status, body = browser.request(path, data)
    results["latency"].append(time.monotonic() - started)
    results["statuses"].append(status)
    if status >= 500:
        results.setdefault("pages", {}).setdefault(status, body)
    return status, body


def submit_loop(base: str, username: str, count: int, results: dict, start=None,
                keep_going=None) -> None:
    """Sign in; create `count` tickets (or until keep_going() is false), a reply on each."""
    browser = Browser(base)
    browser.login(username, PASSWORD)
    token = CSRF_FIELD.search(browser.request("/tickets/new")[1]).group(1)
    if start is not None:
        start.wait()
    done = 0
    while (keep_going() if keep_going else done < count):
        done += 1
        try:
            status, _ = timed(browser, results, "/tickets/new", {
                "csrf_token": token, "title": f"Printer {done} of {username}",
                "description": "Virker ikke", "type": "incident", "urgency": "medium",
                "service": ""})
        except OSError as error:  # a killed worker drops the connection: the answer is lost
            results["statuses"].append(-1)
            results.setdefault("errors", []).append(repr(error))
            continue
        if status != 302:
            continue
        location = browser.last_location
        number = int(re.search(r"/tickets/(\d+)", location).group(1))
        results["created"].append(number)
        try:
            timed(browser, results, f"/tickets/{number}/reply",
                  {"csrf_token": token, "body": "Det virker stadig ikke"})
        except OSError:
            results["statuses"].append(-1)


def check_tickets(database: Database, expected: int | None = None) -> dict:
    """The invariants on what is in the database; raises AssertionError on a break."""
    with database.context():
        numbers = db.session.scalars(select(Ticket.number)).all()
        # Fifty customers reporting printers within the hour is a major incident: its parent
        # ticket is the system's, not a submission.
        majors = db.session.scalar(select(func.count()).where(Ticket.is_major.is_(True)))
        created = dict(db.session.execute(
            select(AuditEvent.ticket_id, func.count()).where(AuditEvent.action == "created")
            .group_by(AuditEvent.ticket_id)).all())
        rows = db.session.execute(select(Ticket.id, Ticket.level, User.level).outerjoin(
            User, Ticket.assignee_id == User.id)).all()
        loads = db.session.scalars(select(User.open_ticket_count).where(
            User.role == Role.SUPPORTER, User.level == 1)).all()
        figures = {
            "tickets": len(numbers) - majors, "major incidents opened": majors,
            "duplicate numbers": len(numbers) - len(set(numbers)),
            "comments": db.session.scalar(select(func.count()).select_from(Comment)),
            "without created event": sum(1 for t, *_ in rows if created.get(t) != 1),
            "assignee of another level": sum(1 for _, lvl, a in rows if a not in (None, lvl)),
            "load corrections": recount_loads(),
            "level-1 spread": max(loads) - min(loads) if loads else 0,
        }
        db.session.rollback()
    broken = {k: v for k, v in figures.items()
              if k not in ("tickets", "major incidents opened", "comments", "level-1 spread")
              and v}
    assert not broken and figures["level-1 spread"] <= 1, figures
    if expected is not None:
        assert figures["tickets"] >= expected, (figures, expected)
    return figures
