"""Synthetic tickets in bulk, for measuring: `flask demo --tickets N`.

Written straight to the database driver (executemany on SQLite, COPY on PostgreSQL) rather
than through the services, but keeping every invariant the services keep: valid status and
level, an assignee of the ticket's level (and a participant of it), requests for a covered
service, numbers from the shared counter, a `created` audit event per ticket, the first
response when the assignee answered, and supporter loads that add up. Not computed: SLA due
times (business hours per row would double the load; the jobs treat tickets without them as
having no target).
"""
import random
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from models import Counter, Rating, Role, Service, Status, Ticket, TicketType, User, db, utcnow
from services.assignment import recount_loads
from services.priority import priority_for

TITLES = ("Jeg kan ikke printe", "Ingen internet", "Outlook starter ikke", "Skærmen er sort",
          "Ny bruger til praktikant", "Glemt password", "VPN virker ikke",
          "Printer mangler papir", "Ny PC til medarbejder", "Teams fryser")
TICKET_COLUMNS = ("id", "number", "title", "description", "type", "status", "impact", "urgency",
                  "priority", "level", "assignee_id", "customer_id", "is_major", "created_at",
                  "updated_at", "status_changed_at", "resolved_at", "closed_at",
                  "sla_paused_seconds", "sla_state", "unread_by_assignee", "service_id",
                  "first_response_at")
COMMENT_COLUMNS = ("ticket_id", "author_id", "body", "internal", "created_at")
EVENT_COLUMNS = ("ticket_id", "actor_id", "action", "new_value", "created_at")
PARTICIPANT_COLUMNS = ("ticket_id", "user_id")
# Weighted choices by cumulative weights: levels 70/25/5 %, statuses 20/10/20/50 %.
LEVELS, LEVEL_WEIGHTS = (1, 2, 3), (70, 95, 100)
STATUSES, STATUS_WEIGHTS = tuple(Status), (20, 30, 50, 100)
RATINGS = tuple(Rating)
PRIORITIES = {(i, u): priority_for(i, u).value for i in Rating for u in Rating}
YEAR = 365 * 86400


class _Timestamps:
    """Whole seconds after a midnight, as the text SQLAlchemy writes for DateTime on SQLite
    (PostgreSQL parses it too); the day part is looked up, not formatted, millions of times."""

    def __init__(self, midnight: datetime, days: int):
        self.days = [f"{midnight + timedelta(days=day):%Y-%m-%d}" for day in range(days)]

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86400)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self.days[day]} {hour:02d}:{minute:02d}:{second:02d}.000000"


def generate_tickets(count: int, comments_per_ticket: int = 3, progress=None,
                     chunk: int = 50000, seed: int = 7) -> None:
    """Add `count` synthetic tickets with comments, committing every `chunk` tickets."""
    # Reproducible demo data, no secret: a seeded PRNG is right here (bandit B311).
    rng = random.Random(seed)  # nosec B311
    customers = db.session.scalars(select(User.id).where(User.role == Role.CUSTOMER)).all()
    if not customers:
        raise ValueError("no customers: run `flask --app app demo` first")
    supporters = {level: db.session.scalars(select(User.id).where(
        User.role == Role.SUPPORTER, User.level == level, User.active.is_(True))).all()
        for level in (1, 2, 3)}
    services = _Services(db.session.execute(select(Service.id, Service.covered)).all())
    last = db.session.execute(update(Counter).where(Counter.name == "ticket")
                              .values(value=Counter.value + count)
                              .returning(Counter.value)).scalar_one()
    next_id = (db.session.scalar(select(func.max(Ticket.id))) or 0) + 1
    first_number = last - count + 1
    midnight = (utcnow() - timedelta(days=366)).replace(hour=0, minute=0, second=0,
                                                         microsecond=0)
    clock = _Timestamps(midnight, days=368)
    first = int((utcnow() - timedelta(days=365) - midnight).total_seconds())
    settled = int((utcnow() - timedelta(days=_settled_days()) - midnight).total_seconds())
    with _bulk_load():
        for done in range(0, count, chunk):
            size = min(chunk, count - done)
            tickets, comments, events, participants = [], [], [], []
            for offset in range(done, done + size):
                row = _ticket_row(rng, next_id + offset, first_number + offset, customers,
                                  supporters, services, clock, first, settled,
                                  answered=comments_per_ticket >= 2)
                tickets.append(row)
                _add_children(row, comments_per_ticket, comments, events, participants)
            _write("tickets", TICKET_COLUMNS, tickets)
            _write("comments", COMMENT_COLUMNS, comments)
            _write("audit_events", EVENT_COLUMNS, events)
            _write("participants", PARTICIPANT_COLUMNS, participants)
            db.session.commit()
            if progress:
                progress(f"  {done + size}/{count} tickets")
    _advance_id_sequence()
    recount_loads()
    db.session.commit()


class _Services:
    """Requests name a covered service (the rule of `submit`); half the incidents name one."""

    def __init__(self, rows):
        self.covered = [service_id for service_id, covered in rows if covered]
        self.any = [service_id for service_id, _covered in rows] or [None]

    def pick(self, rng) -> tuple[str, int | None]:
        if self.covered and rng.random() < 0.5:
            return TicketType.REQUEST.value, rng.choice(self.covered)
        return TicketType.INCIDENT.value, rng.choice(self.any) if rng.random() < 0.5 else None


def _ticket_row(rng, ticket_id, number, customers, supporters, services, clock, first, settled,
                answered: bool) -> tuple:
    level = rng.choices(LEVELS, cum_weights=LEVEL_WEIGHTS)[0]
    status = rng.choices(STATUSES, cum_weights=STATUS_WEIGHTS)[0]
    impact, urgency = rng.choice(RATINGS), rng.choice(RATINGS)
    created = first + rng.randrange(YEAR)
    if status in (Status.PENDING, Status.RESOLVED) and created < settled:
        status = Status.CLOSED  # the jobs would have closed it long ago: no backlog for them
    updated = clock(created + 3600)
    finished = status in (Status.RESOLVED, Status.CLOSED)
    staff = supporters[level]
    assignee = rng.choice(staff) if staff else None
    ticket_type, service_id = services.pick(rng)
    return (ticket_id, number, rng.choice(TITLES), f"Synthetic ticket {number}.",
            ticket_type, status.value, impact.value, urgency.value,
            PRIORITIES[(impact, urgency)], level, assignee,
            rng.choice(customers), False, clock(created), updated, updated,
            updated if finished else None,
            clock(created + 7200) if status == Status.CLOSED else None, 0, "ok", False,
            service_id, clock(created) if answered and assignee else None)


def _settled_days() -> float:
    """Pending and resolved tickets older than this would be warned or closed by the jobs."""
    config = current_app.config
    return min(config["AUTO_CLOSE_DAYS"] - config["AUTO_CLOSE_WARNING_DAYS"],
               config["REOPEN_DAYS"])


def _add_children(row: tuple, comments_per_ticket: int, comments: list, events: list,
                  participants: list) -> None:
    ticket_id, number, title, customer, assignee = row[0], row[1], row[2], row[11], row[10]
    created = row[13]
    events.append((ticket_id, customer, "created", title, created))
    if assignee is not None:
        participants.append((ticket_id, assignee))
    for k in range(comments_per_ticket):
        author = customer if k % 2 == 0 or assignee is None else assignee
        comments.append((ticket_id, author, f"Synthetic comment {k + 1} on #{number}.", False,
                         created))


def _advance_id_sequence() -> None:
    """COPY wrote the ticket ids itself: move PostgreSQL's sequence past them, or the next
    ticket submitted through the services collides with one of them."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                                   "(SELECT max(id) FROM tickets))")


@contextmanager
def _bulk_load():
    """Load without the secondary indexes (and on SQLite the search-index trigger), then build
    them once from the loaded rows: one sort per index instead of a B-tree (or GIN) update per
    row. Their definitions are read from the schema itself, so they come back exactly as
    migrated. Both databases then get fresh statistics, or their first plans are guesses
    (SQLite, without them, took "level = 1" for ten rows and walked 700,000 for the queue)."""
    connection = db.session.connection()
    postgresql = connection.dialect.name == "postgresql"
    deferred = _postgresql_indexes(connection) if postgresql else _sqlite_indexes(connection)
    for kind, name, _sql in deferred:
        connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    try:
        yield
    finally:
        connection = db.session.connection()
        for _kind, _name, sql in deferred:
            connection.exec_driver_sql(sql)
        if postgresql:
            connection.exec_driver_sql("ANALYZE tickets, comments, audit_events, participants")
        else:
            connection.exec_driver_sql("INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')")
            connection.exec_driver_sql("ANALYZE")
        db.session.commit()


def _sqlite_indexes(connection) -> list:
    connection.exec_driver_sql("PRAGMA cache_size=-262144")
    return connection.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
        "tbl_name IN ('tickets', 'comments', 'audit_events', 'participants') AND "
        "(type = 'index' OR name = 'tickets_fts_insert')").all()


def _postgresql_indexes(connection) -> list:
    """Indexes that back no constraint (primary keys and unique numbers stay)."""
    return connection.exec_driver_sql(
        "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = "
        "current_schema() AND tablename IN ('tickets', 'comments', 'audit_events', "
        "'participants') AND "
        "indexname NOT IN "
        "(SELECT conname FROM pg_constraint)").all()


def _write(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows at driver speed: executemany on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    # Table and column names are this module's constants, never input (bandit B608).
    raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608  # nosec B608
