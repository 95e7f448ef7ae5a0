"""The manager's figures, each from aggregate SQL (no ticket rows are loaded), on SQLite and
PostgreSQL alike. Every figure is a titled table; the dashboard view draws and exports them.

At a million tickets the figures take seconds to compute, so the dashboard shows a stored
snapshot per time zone: the jobs recompute every stored zone on each pass, and a page finding
its snapshot older than DASHBOARD_MAX_AGE_SECONDS (no job runner, or a zone seen for the first
time) computes it once and stores it for the next viewer.
"""
import json
from collections import Counter as Tally
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from extensions import begin_write
from models import (
    ACTIVE_STATUSES,
    AuditEvent,
    DashboardSnapshot,
    Deflection,
    MajorIncidentProposal,
    Priority,
    ProposalStatus,
    Role,
    Service,
    SlaState,
    Status,
    Ticket,
    User,
    db,
)

PERIOD_DAYS = 30
FINISHED = (Status.RESOLVED, Status.CLOSED)
AGE_BUCKETS = ((1, _l("under 1 day")), (3, _l("1-3 days")), (7, _l("3-7 days")),
               (30, _l("7-30 days")), (None, _l("over 30 days")))


@dataclass
class Figure:
    key: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    chart: str = "bars"  # bars of the last column, "lines" of every column, or "" for none


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _minutes_between(start, end):
    """Minutes from start to end, as a float, in the database's own arithmetic."""
    if _dialect() == "postgresql":
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _hour(column):
    """The UTC hour of a timestamp as 'YYYY-MM-DD HH' (grouped, then moved to local days)."""
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _open_by(key: str, title, column, labels: dict) -> Figure:
    counts = dict(db.session.execute(select(column, func.count()).where(
        Ticket.status.in_(ACTIVE_STATUSES)).group_by(column)).all())
    return Figure(key, title, [_l("Value"), _l("Tickets")],
                  [(label, counts.get(value, 0)) for value, label in labels.items()])


def open_by_service(now=None, zone=None) -> Figure:
    """Unfinished tickets per catalog service, largest first."""
    rows = db.session.execute(
        select(Service.name, func.count(Ticket.id)).select_from(Ticket)
        .outerjoin(Service, Ticket.service_id == Service.id)
        .where(Ticket.status.in_(ACTIVE_STATUSES)).group_by(Service.name)
        .order_by(func.count(Ticket.id).desc(), Service.name)).all()
    return Figure("open_by_service", _l("Open tickets by service"),
                  [_l("Service"), _l("Tickets")],
                  [(name or _l("(no service)"), count) for name, count in rows])


def _per_local_day(column, since: datetime, zone: ZoneInfo) -> Tally:
    hour = _hour(column)
    rows = db.session.execute(select(hour, func.count()).where(column >= since)
                              .group_by(hour)).all()
    days: Tally = Tally()
    for bucket, count in rows:
        utc_hour = datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
        days[utc_hour.astimezone(zone).date()] += count
    return days


def created_vs_resolved(now: datetime, zone: ZoneInfo) -> Figure:
    """Tickets created and resolved per local day, the last 30 days including today."""
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    first = today - timedelta(days=PERIOD_DAYS - 1)
    since = (datetime.combine(first, datetime.min.time(), tzinfo=zone)
             .astimezone(UTC).replace(tzinfo=None))
    created = _per_local_day(Ticket.created_at, since, zone)
    resolved = _per_local_day(Ticket.resolved_at, since, zone)
    days = [first + timedelta(days=n) for n in range(PERIOD_DAYS)]
    return Figure("created_resolved", _l("Created and resolved per day"),
                  [_l("Day"), _l("Created"), _l("Resolved")],
                  [(day.isoformat(), created[day], resolved[day]) for day in days], "lines")


def sla_compliance(now: datetime, zone=None) -> Figure:
    """Per priority: targets that fell due in the last 30 days, and how many were met."""
    since = now - timedelta(days=PERIOD_DAYS)
    response_met = case((Ticket.first_response_at <= Ticket.response_due_at, 1), else_=0)
    resolution_met = case((and_(Ticket.status.in_(FINISHED),
                                Ticket.resolved_at <= Ticket.resolution_due_at), 1), else_=0)
    response = {row[0]: row[1:] for row in db.session.execute(
        select(Ticket.priority, func.count(), func.sum(response_met))
        .where(Ticket.response_due_at.between(since, now)).group_by(Ticket.priority))}
    resolution = {row[0]: row[1:] for row in db.session.execute(
        select(Ticket.priority, func.count(), func.sum(resolution_met))
        .where(Ticket.resolution_due_at.between(since, now)).group_by(Ticket.priority))}
    rows = []
    for priority in Priority:
        due, met = (int(v or 0) for v in response.get(priority, (0, 0)))
        rdue, rmet = (int(v or 0) for v in resolution.get(priority, (0, 0)))
        rows.append((priority.value, due, met, _percent(met, due), rdue, rmet,
                     _percent(rmet, rdue)))
    return Figure("sla_compliance", _l("SLA compliance per priority, last 30 days"),
                  [_l("Priority"), _l("Responses due"), _l("Responses in time"), _l("Response %"),
                   _l("Resolutions due"), _l("Resolutions in time"), _l("Resolution %")],
                  rows)


def _medians(duration, condition) -> dict:
    """Median of `duration` per priority and overall (key None), by window functions."""
    result = {}
    for partition in (Ticket.priority, None):
        key = partition if partition is not None else literal("all")
        ranked = select(key.label("key"), duration.label("minutes"),
                        func.row_number().over(partition_by=partition, order_by=duration)
                        .label("rank"),
                        func.count().over(partition_by=partition).label("n")
                        ).where(condition).subquery()
        middle = and_(2 * ranked.c.rank >= ranked.c.n, 2 * ranked.c.rank <= ranked.c.n + 2)
        for row_key, value in db.session.execute(
                select(ranked.c.key, func.avg(ranked.c.minutes)).where(middle)
                .group_by(ranked.c.key)):
            result[None if row_key == "all" else Priority(row_key)] = round(float(value), 1)
    return result


def median_times(now: datetime, zone=None) -> Figure:
    """Median minutes to the first response and to resolution, last 30 days."""
    since = now - timedelta(days=PERIOD_DAYS)
    response = _medians(_minutes_between(Ticket.created_at, Ticket.first_response_at),
                        and_(Ticket.created_at >= since, Ticket.first_response_at.is_not(None)))
    resolution = _medians(_minutes_between(Ticket.created_at, Ticket.resolved_at),
                          and_(Ticket.resolved_at >= since, Ticket.status.in_(FINISHED)))
    rows = [(p.value, response.get(p), resolution.get(p)) for p in Priority]
    rows.append((_l("all"), response.get(None), resolution.get(None)))
    return Figure("median_times", _l("Median minutes to first response and to resolution"),
                  [_l("Priority"), _l("First response"), _l("Resolution")], rows, "")


def reopen_rate(now: datetime, zone=None) -> Figure:
    """Of the tickets resolved in the last 30 days, how many a customer reopened."""
    since = now - timedelta(days=PERIOD_DAYS)
    recent = and_(AuditEvent.action == "status", AuditEvent.created_at >= since)
    resolved = db.session.scalar(select(func.count(AuditEvent.ticket_id.distinct())).where(
        recent, AuditEvent.new_value == Status.RESOLVED.value)) or 0
    reopened = db.session.scalar(select(func.count(AuditEvent.ticket_id.distinct())).where(
        recent, AuditEvent.old_value == Status.RESOLVED.value,
        AuditEvent.new_value == Status.OPEN.value)) or 0
    return Figure("reopen_rate", _l("Reopen rate, last 30 days"),
                  [_l("Resolved"), _l("Reopened"), _l("Reopen %")],
                  [(resolved, reopened, _percent(reopened, resolved))], "")


def backlog_age(now: datetime, zone=None) -> Figure:
    """Unfinished tickets by how long ago they were created."""
    whens = [(Ticket.created_at > now - timedelta(days=days), index)
             for index, (days, _label) in enumerate(AGE_BUCKETS) if days is not None]
    bucket = case(*whens, else_=len(AGE_BUCKETS) - 1)
    counts = dict(db.session.execute(select(bucket, func.count()).where(
        Ticket.status.in_(ACTIVE_STATUSES)).group_by(bucket)).all())
    return Figure("backlog_age", _l("Backlog by age"), [_l("Age"), _l("Tickets")],
                  [(label, counts.get(index, 0)) for index, (_d, label) in enumerate(AGE_BUCKETS)])


def supporter_load(now=None, zone=None) -> Figure:
    """Open and pending tickets per active supporter, with those at risk or breached."""
    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(User.username, User.level, total(Ticket.status == Status.OPEN),
               total(Ticket.status == Status.PENDING), total(Ticket.sla_state == SlaState.AT_RISK),
               total(Ticket.sla_state == SlaState.BREACHED), total(Ticket.id.is_not(None)))
        .outerjoin(Ticket, and_(Ticket.assignee_id == User.id,
                                Ticket.status.in_(ACTIVE_STATUSES)))
        .where(User.role == Role.SUPPORTER, User.active.is_(True))
        .group_by(User.id, User.username, User.level).order_by(User.level, User.username)).all()
    return Figure("supporter_load", _l("Load per supporter"),
                  [_l("Supporter"), _l("Level"), _l("Open"), _l("Pending"), _l("At risk"),
                   _l("Breached"), _l("Total")], [tuple(row) for row in rows])


def satisfaction(now: datetime, zone=None) -> Figure:
    """How customers rated the tickets they rated in the last 30 days, 1 to 5."""
    since = now - timedelta(days=PERIOD_DAYS)
    counts = dict(db.session.execute(select(Ticket.rating, func.count()).where(
        Ticket.rated_at >= since).group_by(Ticket.rating)).all())
    total = sum(counts.values())
    return Figure("satisfaction", _l("Customer satisfaction, last 30 days"),
                  [_l("Rating"), _l("Ratings"), _l("Share %")],
                  [(str(value), counts.get(value, 0), _percent(counts.get(value, 0), total))
                   for value in range(1, 6)])


def average_rating(now: datetime, zone=None) -> Figure:
    """How many ratings the last 30 days brought, and their average."""
    since = now - timedelta(days=PERIOD_DAYS)
    count, average = db.session.execute(select(func.count(Ticket.rating), func.avg(Ticket.rating))
                                        .where(Ticket.rated_at >= since)).one()
    return Figure("average_rating", _l("Average rating, last 30 days"),
                  [_l("Ratings"), _l("Average")],
                  [(count, round(float(average), 2) if average is not None else None)], "")


def deflections(now: datetime, zone=None) -> Figure:
    """Problems the intake guides solved without a ticket, per service, last 30 days."""
    since = now - timedelta(days=PERIOD_DAYS)
    rows = db.session.execute(
        select(Service.name, func.count(Deflection.id)).join(Service, Deflection.service_id == Service.id)
        .where(Deflection.created_at >= since).group_by(Service.name)
        .order_by(func.count(Deflection.id).desc(), Service.name)).all()
    return Figure("deflections", _l("Solved by the intake guides (no ticket), last 30 days"),
                  [_l("Service"), _l("Deflections")], [tuple(row) for row in rows])


def major_incidents(now: datetime, zone=None) -> Figure:
    """Major-incident proposals of the last 30 days, what became of them, and linked reports."""
    since = now - timedelta(days=PERIOD_DAYS)

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    accepted = MajorIncidentProposal.status == ProposalStatus.ACCEPTED
    proposed, opened, automatic, dismissed = db.session.execute(
        select(func.count(), total(accepted),
               total(and_(accepted, MajorIncidentProposal.decided_by_id.is_(None))),
               total(MajorIncidentProposal.status == ProposalStatus.DISMISSED))
        .where(MajorIncidentProposal.created_at >= since)).one()
    children = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.parent_id.is_not(None), Ticket.created_at >= since)) or 0
    return Figure("major_incidents", _l("Major incidents, last 30 days"),
                  [_l("Proposals"), _l("Accepted"), _l("Opened automatically"), _l("Dismissed"),
                   _l("Linked reports")],
                  [(proposed, int(opened), int(automatic), int(dismissed), children)], "")


def _open_by_field(key: str, title, column, labels: dict):
    return lambda now=None, zone=None: _open_by(key, title, column, labels)


# Builders by key, in the order the dashboard shows them; each takes (now, zone).
FIGURES = {
    "open_by_status": _open_by_field(
        "open_by_status", _l("Open tickets by status"), Ticket.status,
        {Status.OPEN: _l("open"), Status.PENDING: _l("pending")}),
    "open_by_priority": _open_by_field(
        "open_by_priority", _l("Open tickets by priority"), Ticket.priority,
        {p: p.value for p in Priority}),
    "open_by_level": _open_by_field(
        "open_by_level", _l("Open tickets by level"), Ticket.level,
        {level: str(level) for level in (1, 2, 3)}),
    "open_by_sla_state": _open_by_field(
        "open_by_sla_state", _l("Open tickets by SLA state"), Ticket.sla_state,
        {SlaState.OK: _l("on track"), SlaState.AT_RISK: _l("at risk"),
         SlaState.BREACHED: _l("breached")}),
    "open_by_service": open_by_service,
    "created_resolved": created_vs_resolved,
    "sla_compliance": sla_compliance,
    "median_times": median_times,
    "reopen_rate": reopen_rate,
    "backlog_age": backlog_age,
    "supporter_load": supporter_load,
    "satisfaction": satisfaction,
    "average_rating": average_rating,
    "deflections": deflections,
    "major_incidents": major_incidents,
}


def all_figures(now: datetime, zone: ZoneInfo) -> list[Figure]:
    """Every figure of the dashboard (unfinished tickets are "open": open and pending)."""
    return [build(now, zone) for build in FIGURES.values()]


def _stored(value):
    """A figure's value as JSON: a translatable label keeps its message id, to be translated
    for whoever looks at the snapshot."""
    if isinstance(value, LazyString):
        return {"msgid": value._args[0]}
    raise TypeError(f"{type(value).__name__} is not stored in a dashboard snapshot")


def _restored(value):
    return _l(value["msgid"]) if isinstance(value, dict) and set(value) == {"msgid"} else value


def _encode(figures: list[Figure]) -> str:
    return json.dumps([asdict(f) for f in figures], default=_stored)


def _decode(stored: str) -> list[Figure]:
    figures = json.loads(stored, object_hook=_restored)
    return [Figure(**{**f, "rows": [tuple(row) for row in f["rows"]]}) for f in figures]


def _save(zone: ZoneInfo, now: datetime, figures: list[Figure]) -> None:
    """Insert or replace the zone's snapshot in a write transaction of its own."""
    db.session.commit()
    begin_write()
    insert = postgresql_insert if _dialect() == "postgresql" else sqlite_insert
    values = {"zone": zone.key, "computed_at": now, "figures": _encode(figures)}
    db.session.execute(insert(DashboardSnapshot).values(**values).on_conflict_do_update(
        index_elements=["zone"], set_={"computed_at": now, "figures": values["figures"]}))
    db.session.commit()


def snapshot(now: datetime, zone: ZoneInfo) -> tuple[datetime, list[Figure]]:
    """The figures for a time zone and when they were computed: stored ones while fresh."""
    stored = db.session.get(DashboardSnapshot, zone.key)
    max_age = timedelta(seconds=current_app.config["DASHBOARD_MAX_AGE_SECONDS"])
    if stored is not None and now - max_age <= stored.computed_at <= now:
        return stored.computed_at, _decode(stored.figures)
    figures = all_figures(now, zone)
    _save(zone, now, figures)
    return now, figures


def refresh_snapshots(now: datetime) -> int:
    """The job: recompute the snapshot of every zone a dashboard was opened in."""
    zones = db.session.scalars(select(DashboardSnapshot.zone)).all()
    for key in zones:
        zone = ZoneInfo(key)
        _save(zone, now, all_figures(now, zone))
    return len(zones)
