"""Periodic jobs: assign queued tickets, warn and auto-close, flag SLA risks, deliver email,
forget expired pending uploads.

Each job claims one row at a time under a lock (SELECT ... FOR UPDATE SKIP LOCKED on
PostgreSQL, BEGIN IMMEDIATE on SQLite), acts through the services and commits, so any number
of runners can run at once, and running a job again does nothing new. Jobs are callers in the
house sense: they commit. `now` is injectable so tests need no sleeping.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select

from extensions import begin_write
from models import ACTIVE_STATUSES, Status, Ticket, db, utcnow
from services import attachments, dashboard, mail, sla
from services.assignment import assign_from_queue, set_status
from services.audit import record
from services.notify import notify

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    """What one run of every job did."""
    assigned: int = 0
    warned: int = 0
    closed_pending: int = 0
    closed_resolved: int = 0
    sla: dict[str, int] = field(default_factory=dict)
    email: mail.Delivery = field(default_factory=mail.Delivery)
    uploads_forgotten: int = 0
    dashboards: int = 0
    statistics: bool = False
    failed: list[str] = field(default_factory=list)  # jobs that raised (and were logged)

    def __str__(self) -> str:
        return (f"queue: {self.assigned} assigned; auto-close: {self.warned} warned, "
                f"{self.closed_pending} pending closed, {self.closed_resolved} resolved closed; "
                f"sla: {self.sla.get('at_risk', 0)} at risk, {self.sla.get('breached', 0)} breached; "
                f"email: {self.email.sent} sent, {self.email.retried} to retry, "
                f"{self.email.failed} failed; pending uploads: {self.uploads_forgotten} forgotten; "
                f"dashboards: {self.dashboards} refreshed; planner statistics: "
                + ("checked" if self.statistics else "kept by the database")
                + (f"; FAILED: {', '.join(self.failed)} (see the log)" if self.failed else ""))


def run_all(now: datetime | None = None, stopping=lambda: False) -> JobReport:
    """Run every periodic job once; email after the ticket jobs, so this run's notifications go
    out at once; the dashboards last. `stopping()` (the runner's SIGTERM) ends the email
    between batches."""
    moment = now or utcnow()
    report = JobReport()
    for name, job in (
            ("assigned", assign_queued), ("warned", lambda: warn_before_auto_close(moment)),
            ("closed_pending", lambda: close_idle_pending(moment)),
            ("closed_resolved", lambda: close_expired_resolved(moment)),
            ("sla", lambda: flag_sla(moment)),
            ("uploads_forgotten", lambda: forget_pending_uploads(moment)),
            ("email", lambda: mail.deliver_due(now, stopping)),
            ("dashboards", lambda: dashboard.refresh_snapshots(moment)),
            ("statistics", refresh_planner_statistics)):
        try:
            setattr(report, name, job())
        except Exception:  # one job's failure must not hold up the others: email above all
            db.session.rollback()
            log.exception("jobs: %s failed", name)
            report.failed.append(name)
    return report


def refresh_planner_statistics() -> bool:
    """SQLite plans from the statistics ANALYZE keeps: without them it took "level = 1" for
    ten rows and walked 700,000 tickets for a queue page. PRAGMA optimize renews them when an
    index has none or a table has grown manyfold: seldom, and then a full ANALYZE (1.2 s at a
    million tickets; sampled statistics kept the queue's bad plan). PostgreSQL's autovacuum
    does this by itself. Returns whether it ran."""
    db.session.commit()
    if db.session.get_bind().dialect.name != "sqlite":
        return False
    begin_write()
    db.session.connection().exec_driver_sql("PRAGMA optimize")
    db.session.commit()
    return True


def forget_pending_uploads(now: datetime) -> int:
    """Files of forms shown back and never sent again: gone after their lifetime."""
    db.session.commit()
    forgotten = attachments.purge_pending(now)
    db.session.commit()
    return forgotten


def flag_sla(now: datetime) -> dict[str, int]:
    """One pass of the SLA check, in its own write transaction."""
    db.session.commit()
    begin_write()
    counts = sla.check_sla(now)
    db.session.commit()
    return counts


def _days(setting: str) -> timedelta:
    return timedelta(days=current_app.config[setting])


def _each(condition, act: Callable[[Ticket], bool]) -> int:
    """Claim matching tickets one by one and act on each (False: stop); returns how many."""
    db.session.commit()  # end any read transaction: claims must begin as writers
    done = 0
    while True:
        begin_write()
        ticket = db.session.scalars(select(Ticket).where(condition).order_by(Ticket.id)
                                    .limit(1).with_for_update(skip_locked=True)).first()
        if ticket is None or not act(ticket):
            db.session.rollback()
            return done
        db.session.commit()
        done += 1


def assign_queued() -> int:
    """Give queued tickets (unassigned, open or pending) to supporters now available."""
    return sum(_each(and_(Ticket.assignee_id.is_(None), Ticket.level == level,
                          Ticket.status.in_(ACTIVE_STATUSES)),
                     lambda ticket: assign_from_queue(ticket) is not None)
               for level in (1, 2, 3))


def warn_before_auto_close(now: datetime) -> int:
    """Tell customers AUTO_CLOSE_WARNING_DAYS ahead that their pending ticket will close."""
    close_after, warn_before = _days("AUTO_CLOSE_DAYS"), _days("AUTO_CLOSE_WARNING_DAYS")
    if not warn_before:
        return 0

    def warn(ticket: Ticket) -> bool:
        # A late warning (runners were down) still gives the customer the full notice.
        close_at = max(ticket.status_changed_at + close_after, now + warn_before)
        ticket.auto_close_warned_at = now
        record(ticket, None, "auto_close_warned").created_at = now
        notify(ticket.customer, ticket, "auto_close_warning",
               params={"close_at": close_at.isoformat()})
        return True

    return _each(and_(Ticket.status == Status.PENDING, Ticket.auto_close_warned_at.is_(None),
                      Ticket.status_changed_at <= now - (close_after - warn_before)), warn)


def close_idle_pending(now: datetime) -> int:
    """Close tickets pending AUTO_CLOSE_DAYS without a reply, once the warning has run out."""
    close_after, warn_before = _days("AUTO_CLOSE_DAYS"), _days("AUTO_CLOSE_WARNING_DAYS")
    condition = and_(Ticket.status == Status.PENDING,
                     Ticket.status_changed_at <= now - close_after)
    if warn_before:
        condition = and_(condition, Ticket.auto_close_warned_at <= now - warn_before)
    return _each(condition, lambda ticket: _auto_close(ticket, now))


def close_expired_resolved(now: datetime) -> int:
    """Close resolved tickets whose REOPEN_DAYS window has ended."""
    resolved_at = func.coalesce(Ticket.resolved_at, Ticket.status_changed_at)
    return _each(and_(Ticket.status == Status.RESOLVED,
                      resolved_at <= now - _days("REOPEN_DAYS")),
                 lambda ticket: _auto_close(ticket, now))


def _auto_close(ticket: Ticket, now: datetime) -> bool:
    old = ticket.status
    set_status(ticket, Status.CLOSED)
    ticket.status_changed_at = ticket.closed_at = ticket.updated_at = now
    record(ticket, None, "auto_closed", old=old, new=Status.CLOSED).created_at = now
    notify(ticket.customer, ticket, "auto_closed")
    return True
