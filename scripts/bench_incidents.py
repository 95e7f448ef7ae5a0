"""What the major-incident check costs a submission with 100,000 tickets in the database.

    .venv/bin/python scripts/bench_incidents.py            # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_incidents \\
        .venv/bin/python scripts/bench_incidents.py        # an empty PostgreSQL database

Seeds TICKETS synthetic tickets (services/generator.py), then submits SUBMISSIONS incident
reports from different customers through services.tickets.submit (drawn from the labelled set, so
proposals and auto-opened major incidents happen too), timing every submission and, inside it,
the check (services.proposals.consider). Prints the p50/p95 of both.
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


def main() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from models import Role, db
    from services import accounts, proposals, tickets
    from services.demo import load_demo
    from services.generator import generate_tickets
    from tests.data.incident_reports import REPORTS

    url = os.environ.get("BENCH_DATABASE_URL") or \
        f"sqlite:///{tempfile.mkdtemp(prefix='bench-incidents-')}/bench.db"
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "RATELIMIT_ENABLED": False, "SMTP_HOST": "",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
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

        check_times: list[float] = []
        consider = proposals.consider

        def timed_consider(ticket):
            begin = time.perf_counter()
            try:
                return consider(ticket)
            finally:
                check_times.append((time.perf_counter() - begin) * 1000)

        proposals.consider = timed_consider
        submit_times = []
        for n, customer in enumerate(customers):
            _cluster, title, description = REPORTS[n % len(REPORTS)]
            begin = time.perf_counter()
            tickets.submit(customer, title, description)
            db.session.commit()
            submit_times.append((time.perf_counter() - begin) * 1000)
        proposals.consider = consider
        without = [total - check for total, check in zip(submit_times, check_times, strict=True)]
        print(f"{SUBMISSIONS} submissions; ms p50 / p95:")
        print(f"  submit with the check   {statistics.median(submit_times):6.2f} / "
              f"{percentile(submit_times, 0.95):6.2f}")
        print(f"  submit without it       {statistics.median(without):6.2f} / "
              f"{percentile(without, 0.95):6.2f}")
        print(f"  the check alone         {statistics.median(check_times):6.2f} / "
              f"{percentile(check_times, 0.95):6.2f}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
