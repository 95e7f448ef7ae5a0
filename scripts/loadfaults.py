"""The fault runs of scripts/loadtest.py: killed workers, a PostgreSQL restart, an SMTP outage
and two job runners at once. Each returns its figures or raises AssertionError."""
import os
import random
import signal
import subprocess  # nosec B404
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from models import AuditEvent, OutboxEmail, OutboxStatus, Status, Ticket, User, db, utcnow
from scripts.loadsupport import Database, check_tickets, submit_loop
from services import mail, tickets
from tests.live_server import gunicorn, server_log
from tests.mailserver import MailServer

ROOT = Path(__file__).resolve().parent.parent
PG_VERSION = "15"


def _clients(bases, names, results, keep_going) -> list[threading.Thread]:
    threads = [threading.Thread(target=submit_loop, args=(
        bases[i % len(bases)], name, 0, results, None, keep_going), daemon=True)
        for i, name in enumerate(names)]
    for thread in threads:
        thread.start()
    return threads


def _new_results() -> dict:
    return {"created": [], "statuses": [], "latency": [], "pages": {}}


def _workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)],  # nosec B603 B607
                         capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def kill_workers(database: Database, target: int, kills: int = 20) -> dict:
    """SIGKILL a random gunicorn worker every half second while 20 clients submit."""
    names = database.people(20, 5)
    results = _new_results()
    with gunicorn(database.url, workers=4) as base:
        threads = _clients([base], names, results, lambda: len(results["created"]) < target)
        done = 0
        while done < kills and any(t.is_alive() for t in threads):
            time.sleep(0.5)
            workers = _workers(base.pid)
            if workers:
                os.kill(random.choice(workers), signal.SIGKILL)  # nosec B311
                done += 1
        for thread in threads:
            thread.join()
    figures = check_tickets(database, expected=len(set(results["created"])))
    figures.update({"workers killed": done,
                    "answers lost with the worker": results["statuses"].count(-1),
                    "server errors": sum(1 for s in results["statuses"] if s >= 500)})
    return figures


def _cluster(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", action],  # nosec B603 B607
                   check=True, capture_output=True)


def restart_postgres(database: Database, target: int, down_seconds: float = 10) -> dict:
    """Stop PostgreSQL under two app instances, keep clients going, start it again."""
    names = database.people(20, 5)
    results = _new_results()
    timeline: list[tuple[float, int]] = []
    stop = threading.Event()
    try:
        with gunicorn(database.url, workers=2) as one, gunicorn(database.url, workers=2) as two:
            threads = _clients([one, two], names, results, lambda: not stop.is_set())
            time.sleep(3)
            mark = len(results["statuses"])
            _cluster("stop")
            time.sleep(down_seconds)
            during = results["statuses"][mark:]
            _cluster("start")
            restarted = len(results["statuses"])
            deadline = time.monotonic() + 300
            while len(results["created"]) < target and time.monotonic() < deadline:
                time.sleep(5)
                print(f"  {len(results['created'])} created; last answers "
                      f"{results['statuses'][-5:]}", flush=True)
            stop.set()
            for thread in threads:
                thread.join()
            timeline = results["statuses"][restarted:]
            causes = _unexpected_errors(server_log(one) + server_log(two))
    finally:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION,  # nosec B603 B607
                        "main", "start"], capture_output=True)
    page = results["pages"].get(503, "")
    with database.context():
        stored = set(db.session.scalars(select(Ticket.number)))
    lost = set(results["created"]) - stored
    figures = check_tickets(database)
    figures.update({"answers while down": len(during), "503 while down": during.count(503),
                    "other errors while down": sum(1 for s in during if s >= 500 and s != 503),
                    "created after restart": timeline.count(302),
                    "committed then lost": len(lost), "causes of 500": causes,
                    "503 page says": "briefly unavailable" if "briefly unavailable" in page
                    else page[:200]})
    assert not lost and figures["503 while down"] and figures["created after restart"], figures
    assert figures["other errors while down"] == 0, figures
    return figures


def _unexpected_errors(log: str) -> list[str]:
    """The last line of each traceback logged as an unexpected error (a 500), once each."""
    causes = []
    for block in log.split("unexpected error")[1:]:
        lines = [line for line in block.splitlines() if line.strip()]
        last = next((line for line in lines if not line.startswith((" ", "Traceback"))
                     and "Error" in line), lines[0] if lines else "")
        if last not in causes:
            causes.append(last[:200])
    return causes


def _mail_config(server: MailServer) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port,
            "MAIL_FROM": "helpdesk@example.com"}


def _make_notifications(database: Database, count: int) -> None:
    """`count` tickets, each emailing its assignee ("assigned"): at least `count` outbox rows
    (fifty customers reporting printers also make a major incident, and its emails)."""
    names = database.people(50, 5, email=True)
    with database.context():
        customers = db.session.scalars(select(User).where(User.username.in_(names))).all()
        for n in range(count):
            tickets.submit(customers[n % len(customers)], f"Printer {n}", "Virker ikke")
        db.session.commit()


def smtp_outage(database: Database, count: int, outage_minutes: int = 5) -> dict:
    """The SMTP server is away for `outage_minutes` (injected clock), then back."""
    server = MailServer()  # not started: connections are refused
    database.app.config.update(_mail_config(server))
    _make_notifications(database, count)
    with database.context():
        rows = db.session.scalar(select(func.count()).select_from(OutboxEmail))
        start = utcnow()
        tries_down = sum(mail.deliver_due(start + timedelta(minutes=m)).sent
                         for m in range(outage_minutes + 1))
        server.start()
        minute, sent = outage_minutes, 0
        while sent < rows and minute < 24 * 60:
            minute += 1
            sent += mail.deliver_due(start + timedelta(minutes=minute)).sent
        statuses = dict(db.session.execute(select(OutboxEmail.status, func.count())
                                           .group_by(OutboxEmail.status)).all())
    server.stop()
    ids = server.message_ids()
    figures = {"notifications": rows, "sent while down": tries_down, "delivered": len(ids),
               "duplicates": len(ids) - len(set(ids)), "lost": rows - len(set(ids)),
               "delivered by minute": minute,
               "outbox": {str(k.value): v for k, v in statuses.items()}}
    assert rows >= count and len(set(ids)) == rows and len(ids) == rows, figures
    return figures


RUNNER = """
from app import create_app
from models import db
from services import jobs
app = create_app()
with app.app_context():
    for _ in range(3):
        print(jobs.run_all(), flush=True)
"""


def two_runners(database: Database, count: int) -> dict:
    """Pending tickets past their auto-close time and their emails, two runners at once."""
    server = MailServer()
    server.start()
    database.app.config.update(_mail_config(server))
    _make_notifications(database, count)
    with database.context():
        supporters = {u.id: u for u in db.session.scalars(select(User).where(User.level == 1))}
        pending = db.session.scalars(select(Ticket)).all()
        for ticket in pending:
            tickets.change_status(supporters[ticket.assignee_id], ticket, Status.PENDING.value)
        long_ago = utcnow() - timedelta(days=30)
        db.session.execute(update(Ticket).values(status_changed_at=long_ago,
                                                 auto_close_warned_at=long_ago))
        db.session.commit()
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "load-test",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "PYTHONPATH": str(ROOT),
           "MAIL_FROM": "helpdesk@example.com"}
    runners = [subprocess.Popen([sys.executable, "-c", RUNNER], cwd=ROOT, env=env,  # nosec B603
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    reports = [runner.communicate(timeout=1800)[0] for runner in runners]
    server.stop()
    with database.context():
        closes = dict(db.session.execute(select(AuditEvent.ticket_id, func.count())
                                         .where(AuditEvent.action == "auto_closed")
                                         .group_by(AuditEvent.ticket_id)).all())
        closed = db.session.scalar(select(func.count()).select_from(Ticket)
                                   .where(Ticket.status == Status.CLOSED))
        rows = db.session.scalar(select(func.count()).select_from(OutboxEmail))
        unsent = db.session.scalar(select(func.count()).select_from(OutboxEmail)
                                   .where(OutboxEmail.status != OutboxStatus.SENT))
    ids = server.message_ids()
    figures = {"tickets": len(pending), "closed": closed, "closed twice": sum(v > 1 for v in closes.values()),
               "emails": rows, "delivered": len(ids), "delivered twice": len(ids) - len(set(ids)),
               "unsent": unsent, "runner reports": [r.strip().splitlines()[0] for r in reports]}
    assert closed == len(pending) and not figures["closed twice"], figures
    assert len(ids) == len(set(ids)) == rows and not unsent, figures
    check_tickets(database)
    return figures

