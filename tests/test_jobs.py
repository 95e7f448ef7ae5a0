"""The periodic jobs with an injected clock: auto-close, its warning, the reopen window, the
queue; several runners; the CLI."""
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from models import AuditEvent, Notification, Status, Ticket, User, db, utcnow
from services import jobs, tickets
from tests.conftest import PG_URL

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pending(make_user, make_ticket, staff):
    """A ticket the supporter set pending (asked the customer something)."""
    ticket = make_ticket(make_user("Kunde"))
    tickets.reply_and_set_status(ticket.assignee, ticket, "Er din PC tændt?", "pending")
    db.session.commit()
    return ticket


def notifications(kind: str) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.kind == kind)).all()


def refreshed(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_a_pending_ticket_is_warned_then_closed_on_schedule(client, pending):
    entered = pending.status_changed_at
    supporter = pending.assignee
    assert jobs.run_all(now=entered + 5 * DAY - MINUTE).warned == 0
    assert jobs.run_all(now=entered + 5 * DAY).warned == 1
    assert jobs.run_all(now=entered + 5 * DAY + MINUTE).warned == 0  # once
    [warning] = notifications("auto_close_warning")
    assert warning.user_id == pending.customer_id
    assert refreshed(pending).auto_close_warned_at == entered + 5 * DAY

    assert jobs.run_all(now=entered + 7 * DAY - MINUTE).closed_pending == 0
    assert jobs.run_all(now=entered + 7 * DAY).closed_pending == 1
    assert jobs.run_all(now=entered + 8 * DAY).closed_pending == 0  # idempotent
    ticket = refreshed(pending)
    assert ticket.status == Status.CLOSED and ticket.closed_at == entered + 7 * DAY
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auto_closed"))
    assert event.actor_id is None and event.ticket_id == ticket.id
    assert len(notifications("auto_closed")) == 1
    assert db.session.get(User, supporter.id).open_ticket_count == 0  # the load follows

    client.login("Kunde")
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "The system closed the ticket automatically" in " ".join(page.split())
    assert "was closed automatically" in client.get("/notifications/").get_data(as_text=True)


def test_a_customer_reply_stops_the_clock(client, pending):
    entered = pending.status_changed_at
    jobs.run_all(now=entered + 5 * DAY)
    client.login("Kunde")
    client.post_form(f"/tickets/{pending.number}/reply", {"body": "Ja, den er tændt."})
    ticket = refreshed(pending)
    assert ticket.status == Status.OPEN and ticket.auto_close_warned_at is None
    assert jobs.run_all(now=entered + 30 * DAY).closed_pending == 0
    assert refreshed(pending).status == Status.OPEN


def test_a_late_warning_still_gives_the_full_notice(pending):
    entered = pending.status_changed_at
    report = jobs.run_all(now=entered + 8 * DAY)  # the runners were down for days
    assert (report.warned, report.closed_pending) == (1, 0)
    assert jobs.run_all(now=entered + 10 * DAY - MINUTE).closed_pending == 0
    assert jobs.run_all(now=entered + 10 * DAY).closed_pending == 1


def test_a_resolved_ticket_closes_when_the_reopen_window_ends(client, make_user, make_ticket,
                                                              staff):
    ticket = make_ticket(make_user("Kunde"))
    tickets.change_status(ticket.assignee, ticket, "resolved")
    db.session.commit()
    resolved = ticket.resolved_at
    assert jobs.run_all(now=resolved + 7 * DAY - MINUTE).closed_resolved == 0
    assert jobs.run_all(now=resolved + 7 * DAY).closed_resolved == 1
    assert refreshed(ticket).status == Status.CLOSED
    assert [n.user_id for n in notifications("auto_closed")] == [ticket.customer_id]


def test_queued_tickets_are_assigned_once_a_supporter_is_available(make_user, make_ticket,
                                                                   staff):
    for key in ("l1", "l1b"):
        staff[key].away = True
    db.session.commit()
    ticket = make_ticket(make_user("Kunde"))
    assert ticket.assignee_id is None
    assert jobs.run_all().assigned == 0
    db.session.get(User, staff["l1b"].id).away = False
    db.session.commit()
    assert jobs.run_all().assigned == 1
    assert refreshed(ticket).assignee_id == staff["l1b"].id
    assert [n.user_id for n in notifications("assigned")] == [staff["l1b"].id]
    assert jobs.run_all().assigned == 0


def test_several_runners_close_each_ticket_once(app, make_user, make_ticket, staff):
    customer = make_user("Kunde")
    for _ in range(30):
        ticket = make_ticket(customer)
        tickets.change_status(ticket.assignee, ticket, "pending")
    db.session.commit()
    later = utcnow() + 20 * DAY
    reports, errors = [], []
    barrier = threading.Barrier(3)

    def runner():
        with app.app_context():
            try:
                barrier.wait()
                reports.append(jobs.run_all(now=later))
                reports.append(jobs.run_all(now=later + 3 * DAY))
            except Exception as error:  # reported below, with the assertion
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(r.warned for r in reports) == 30 and sum(r.closed_pending for r in reports) == 30
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auto_closed")) == 30
    assert len(notifications("auto_closed")) == 30
    assert db.session.get(User, staff["l1"].id).open_ticket_count == 0


def test_run_once_prints_what_it_did(runner, pending):
    result = runner.invoke(args=["jobs", "run-once"])
    assert result.exit_code == 0
    assert "queue: 0 assigned; auto-close: 0 warned" in result.output


def test_a_pass_gives_sqlite_planner_statistics(make_user, make_ticket, staff):
    """Without sqlite_stat1, SQLite took "level = 1" for ten rows (a 100 ms queue page at a
    million tickets); a job pass takes them where they are missing."""
    if db.engine.dialect.name != "sqlite":
        assert jobs.run_all().statistics is False  # autovacuum's work there
        return
    for _ in range(3):
        make_ticket(make_user(role="customer"))
    assert jobs.run_all().statistics is True
    analysed = db.session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")).all()
    assert "tickets" in analysed


def test_the_runner_loops_and_stops_cleanly_on_sigterm(database_url):
    env = {**os.environ, "SECRET_KEY": "test", "DATABASE_URL": database_url, "SMTP_HOST": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "jobs", "run", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "jobs: running every 0.2 s" in process.stdout.readline()
        runs = 0
        while runs < 2:  # it loops
            line = process.stdout.readline()
            assert line, "the runner ended by itself"
            runs += line.startswith("queue: ")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0
    assert output.rstrip().endswith("jobs: stopped")


@pytest.mark.skipif(not PG_URL, reason="SKIP LOCKED is PostgreSQL's")
def test_claims_skip_rows_another_runner_holds(app, pending):
    """While one runner holds a ticket's row lock, another passes it by instead of waiting."""
    later = utcnow() + 30 * DAY
    db.session.scalar(select(Ticket).where(Ticket.id == pending.id).with_for_update())
    done = []

    def other_runner():
        with app.app_context():
            try:
                done.append(jobs.warn_before_auto_close(later))
            finally:
                db.session.remove()

    thread = threading.Thread(target=other_runner)
    thread.start()
    thread.join(timeout=20)
    db.session.rollback()
    assert done == [0]
    assert jobs.warn_before_auto_close(later) == 1  # once the lock is gone
