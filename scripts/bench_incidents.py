"""What the major-incident check costs a submission with 100,000 tickets in the database.

    .venv/bin/python scripts/bench_incidents.py            # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_incidents \\
        .venv/bin/python scripts/bench_incidents.py        # an empty PostgreSQL database

Seeds TICKETS synthetic tickets over a year (services/generator.py), then submits SUBMISSIONS
incident reports from different customers through services.tickets.submit, drawn from the
labelled set, timing every submission and, inside it, the check (services.proposals.consider)
and its query-and-compare part. Two runs: "steady" rolls each report back, so the window holds
what a desk of that size has in four hours; "outage" keeps them, so the window fills with
look-alikes up to the candidate limit and proposals and auto-opened major incidents happen.
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TICKETS = int(os.environ.get("BENCH_TICKETS", 100_000))
SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", 400))


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1]


def timed(function, durations: list[float]):
    """`function`, appending the milliseconds of each call to `durations`. What submit wrote
    before is flushed first: those writes are the submission's, not the check's."""
    from models import db

    def wrapper(*args):
        db.session.flush()
        begin = time.perf_counter()
        try:
            return function(*args)
        finally:
            durations.append((time.perf_counter() - begin) * 1000)
    return wrapper


def measure(customers, reports, keep: bool):
    """Submit one report per customer; the milliseconds of each submission, of the check in
    it (finding look-alikes, then linking or proposing), and of finding look-alikes alone."""
    from models import db
    from services import proposals, tickets

    submits, checks, compares = [], [], []
    consider, compare = proposals.consider, proposals._similar_recent
    proposals.consider = timed(consider, checks)
    proposals._similar_recent = timed(compare, compares)
    try:
        for n, customer in enumerate(customers):
            _cluster, title, description = reports[n % len(reports)]
            begin = time.perf_counter()
            tickets.submit(customer, title, description)
            if keep:
                db.session.commit()
            else:
                db.session.flush()
            submits.append((time.perf_counter() - begin) * 1000)
            if not keep:
                db.session.rollback()
    finally:
        proposals.consider, proposals._similar_recent = consider, compare
    return submits, checks, compares


def main() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from extensions import init_migrate
    from models import Role, db
    from services import accounts
    from services.demo import load_demo
    from services.generator import generate_tickets
    from tests.data.incident_reports import REPORTS

    url = os.environ.get("BENCH_DATABASE_URL") or \
        f"sqlite:///{tempfile.mkdtemp(prefix='bench-incidents-')}/bench.db"
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "RATELIMIT_ENABLED": False, "SMTP_HOST": "",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    init_migrate(app)
    with app.app_context(), app.test_request_context():
        upgrade()
        load_demo("bench-password-123")
        db.session.commit()
        started = time.perf_counter()
        generate_tickets(TICKETS, comments_per_ticket=1)
        print(f"seeded {TICKETS} tickets in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})")
        customers = [accounts.create_user(f"bench{n}", "bench-password-123", Role.CUSTOMER)
                     for n in range(SUBMISSIONS)]
        db.session.commit()

        steady = measure(customers, REPORTS, keep=False)
        burst = measure(customers, REPORTS, keep=True)
        for name, (submits, checks, compares) in (
                ("steady: each report rolled back, the window as the desk has it", steady),
                (f"outage: {SUBMISSIONS} look-alike reports kept in one window", burst)):
            without = [total - check for total, check in zip(submits, checks, strict=True)]
            print(f"{name}; ms p50 / p95:")
            for label, values in (("submit with the check", submits),
                                  ("submit without it", without),
                                  ("the check in all", checks),
                                  ("finding look-alikes", compares)):
                print(f"  {label:24} {statistics.median(values):6.2f} / "
                      f"{percentile(values, 0.95):6.2f}")
            print(f"  the check adds {percentile(submits, 0.95) - percentile(without, 0.95):.2f} ms "
                  "to the p95 of a submission")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
