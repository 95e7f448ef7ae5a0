"""Flask extensions, unbound here and bound in create_app."""
import sqlite3

from flask import g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from models import db

csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

SQLITE_BUSY_TIMEOUT_MS = 30000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """WAL, a busy timeout and foreign keys; we emit BEGIN ourselves (pysqlite recipe)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    """Writers take the write lock up front, so read-then-write never fails half-way."""
    if conn.dialect.name != "sqlite":
        return
    immediate = conn.get_execution_options().get("sqlite_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Call before the first query of a transaction that reads then writes.
    """
    if not db.session().in_transaction():
        db.session.connection(execution_options={"sqlite_immediate": True})


def account_key() -> str:
    """Rate-limit key for logins: the account named in the form."""
    return "account:" + (request.form.get("username") or "").strip().lower()


# Transaction control is not a query: the benchmark counts what the page asks the database.
_NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


def is_query(statement: str) -> bool:
    """A statement that reads or writes rows (not BEGIN, COMMIT, PRAGMA ...)."""
    return not statement.lstrip().upper().startswith(_NOT_QUERIES)


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(_conn, _cursor, statement, _parameters, _context, _executemany):
    """With SQL_COUNT_HEADER on, count each request's queries for the X-SQL-Statements header."""
    if has_request_context() and "sql_statements" in g and is_query(statement):
        g.sql_statements += 1


def install_sql_counter(app) -> None:
    """Opt-in (SQL_COUNT_HEADER=1): every answer says how many queries it took."""
    if not app.config.get("SQL_COUNT_HEADER"):
        return

    @app.before_request
    def start_counting():
        g.sql_statements = 0

    @app.after_request
    def report_count(response):
        response.headers["X-SQL-Statements"] = str(g.get("sql_statements", 0))
        return response
