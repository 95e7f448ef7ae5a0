"""Flask extensions, unbound here and bound in create_app."""
import fcntl
import sqlite3
import threading

from flask import g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import db

csrf = CSRFProtect()
login_manager = LoginManager()
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


class WriterGate:
    """Writers to one SQLite file queue here, in this process and across processes.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so under contention a writer
    waited seconds for a lock held a few milliseconds (submission p95 0.3-1.2 s). A thread lock
    and an flock on `<database>-writer.lock` wake the next writer as soon as one ends. The lock
    file is opened for each write and closed after it: closing drops the flock (as the kernel
    does when a process dies), and no descriptor is shared by forked processes or kept open.
    """

    def __init__(self, path: str | None):
        self.path = path
        self.thread_lock = threading.Lock()
        self.file = None  # the open lock file while this process's writer holds the gate

    def acquire(self) -> None:
        if not self.thread_lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            # What SQLite's own busy timeout raises, so the page says "briefly unavailable".
            raise OperationalError("BEGIN IMMEDIATE", None,
                                   sqlite3.OperationalError("database is locked"))
        try:
            if self.path:
                self.file = open(self.path + "-writer.lock", "a+b")  # noqa: SIM115 (closed in release)
                fcntl.flock(self.file, fcntl.LOCK_EX)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.thread_lock.release()


_writer_gates: dict[str, WriterGate] = {}
_gates_lock = threading.Lock()


def writer_gate(database: str | None) -> WriterGate:
    """The gate of one SQLite database file (a lock without a file for an in-memory one)."""
    key = database or ":memory:"
    with _gates_lock:
        if key not in _writer_gates:
            on_disk = database and database != ":memory:" and not database.startswith("file:")
            _writer_gates[key] = WriterGate(database if on_disk else None)
        return _writer_gates[key]


def begin_write() -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Call before the first query of a transaction that reads then writes.
    """
    session = db.session()
    if session.in_transaction():
        return
    url = session.get_bind().url
    gate = writer_gate(url.database) if url.get_backend_name() == "sqlite" else None
    if gate is not None:
        gate.acquire()
        session.info["writer_gate"] = gate
    try:
        session.connection(execution_options={"sqlite_immediate": True})
    except BaseException:
        _release_writer_gate(session)
        raise


def become_writer() -> None:
    """Take the writer's turn now, in a request that writes late (views.writes_late): its
    reads so far (authentication, the body, validation) kept no other writer waiting. The read
    transaction ends first, keeping what it loaded: SQLite cannot turn a reader into a writer
    once another writer has committed. Elsewhere the request began as a writer: nothing to do."""
    if not (has_request_context() and g.pop("writes_late", False)):
        return
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's transaction reads and writes on; rows lock as they are written
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("A change was made before the writer's turn was taken.")
    commit_keeping_loaded()  # nothing written yet: it only ends the read
    begin_write()


def commit_keeping_loaded() -> None:
    """Commit without expiring the loaded objects, so that using them afterwards does not
    read each one back (an API answer made of a new ticket, its customer and its assignee
    cost three more queries). What SQLAlchemy did not see written (server defaults) it still
    reads back."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _release_writer_gate(session) -> None:
    gate = session.info.pop("writer_gate", None)
    if gate is not None:
        gate.release()


@event.listens_for(Session, "after_transaction_end")
def _end_of_write(session, transaction):
    """After the COMMIT or ROLLBACK of the transaction begin_write started, let the next in."""
    if transaction.parent is None:
        _release_writer_gate(session)


def init_migrate(app) -> None:
    """Bind Flask-Migrate where migrations run: the `flask db` commands
    (commands.MigrationCommands), the tests and the scripts. Not in create_app: it imports
    Alembic and Mako, 11 MB that every web worker would hold for nothing."""
    from flask_migrate import Migrate
    Migrate(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True,
            compare_type=True)


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
