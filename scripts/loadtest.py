"""`make loadtest`: load and faults against real servers, figures to LOADTEST.md.

    .venv/bin/python scripts/loadtest.py [--tickets 10000] [--clients 50] [--only NAME ...]

Runs (each on a fresh database; PostgreSQL ones need the local server and pg_ctlcluster):
  sqlite     50 clients create tickets and comments against gunicorn with 4 workers (SQLite)
  postgres   the same against two app instances (2 workers each) on one PostgreSQL database
  kill9      gunicorn workers killed with SIGKILL again and again mid-run (SQLite): no
             half-written ticket
  pgrestart  PostgreSQL stopped and started mid-run: 503 with a clear page, then success,
             nothing committed lost (the server is started again at the end, whatever happens)
  smtp       the SMTP server away for 5 (injected) minutes while 1,000 notifications are made
  runners    two job runners at once: every auto-close and every email done exactly once
Each run prints its figures and fails loudly (exit 1) if an invariant does not hold.
"""
import argparse
import logging
import platform
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import loadfaults  # noqa: E402
from scripts.loadsupport import Database, check_tickets, submit_loop  # noqa: E402
from tests.live_server import gunicorn  # noqa: E402

SUPPORTERS = 7  # level-1 supporters sharing the load


def throughput(db: Database, tickets: int, clients: int, instances: int, workers: int) -> dict:
    """`clients` threads each sign in and create tickets (with a comment each) until `tickets`."""
    customers = db.people(clients, SUPPORTERS)
    env = {"RATELIMIT_ENABLED": "false"}
    with _servers(db.url, instances, workers, env) as bases:
        started = time.monotonic()
        results = _run_clients(bases, customers, tickets // clients)
        elapsed = time.monotonic() - started
    figures = check_tickets(db, expected=len(results["created"]))
    latencies = sorted(results["latency"])
    figures.update({
        "requests": len(latencies), "seconds": round(elapsed, 1),
        "tickets per second": round(len(results["created"]) / elapsed, 1),
        "server errors": sum(1 for s in results["statuses"] if s >= 500),
        "p50 ms": round(statistics.median(latencies) * 1000),
        "p95 ms": round(latencies[int(len(latencies) * 0.95)] * 1000),
        "p99 ms": round(latencies[int(len(latencies) * 0.99)] * 1000),
    })
    assert figures["tickets"] == tickets and figures["server errors"] == 0, figures
    return figures


class _servers:
    """`instances` gunicorns on one database; yields their base URLs."""

    def __init__(self, url, instances, workers, env):
        self.contexts = [gunicorn(url, workers=workers, extra_env=env) for _ in range(instances)]

    def __enter__(self):
        return [context.__enter__() for context in self.contexts]

    def __exit__(self, *exc):
        for context in self.contexts:
            context.__exit__(*exc)


def _run_clients(bases, customers, per_client) -> dict:
    results = {"created": [], "statuses": [], "latency": []}
    start = threading.Barrier(len(customers))
    threads = [threading.Thread(target=submit_loop, args=(
        bases[i % len(bases)], name, per_client, results, start)) for i, name in enumerate(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


RUNS = {
    "sqlite": lambda a: throughput(Database.sqlite(), a.tickets, a.clients, 1, 4),
    "postgres": lambda a: throughput(Database.postgres(), a.tickets, a.clients, 2, 2),
    "kill9": lambda a: loadfaults.kill_workers(Database.sqlite(), a.fault_tickets),
    "pgrestart": lambda a: loadfaults.restart_postgres(Database.postgres(), a.fault_tickets),
    "smtp": lambda a: loadfaults.smtp_outage(Database.sqlite(), a.emails),
    "runners": lambda a: loadfaults.two_runners(Database.postgres(), a.emails // 2),
}


def report(results: dict, args) -> str:
    lines = [f"## {date.today().isoformat()} on {platform.node()} ({platform.machine()}, "
             f"{_cpus()} CPUs, Python {platform.python_version()})", "",
             f"Sizes: {args.tickets} tickets by {args.clients} clients; faults with "
             f"{args.fault_tickets} tickets; {args.emails} emails.", ""]
    for name, figures in results.items():
        lines.append(f"- **{name}**: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return "\n".join(lines) + "\n"


def _cpus() -> int:
    import os
    return os.cpu_count() or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--fault-tickets", type=int, default=1_000)
    parser.add_argument("--emails", type=int, default=1_000)
    parser.add_argument("--only", nargs="*", choices=sorted(RUNS), default=sorted(RUNS))
    parser.add_argument("--write", default=str(ROOT / "LOADTEST.md"),
                        help="append the figures here ('' for nowhere)")
    args = parser.parse_args()
    logging.getLogger("services.mail").setLevel(logging.ERROR)  # the outage is on purpose
    results, failed = {}, False
    for name in [n for n in RUNS if n in args.only]:
        print(f"=== {name} ===", flush=True)
        try:
            results[name] = RUNS[name](args)
        except AssertionError as error:
            results[name] = {"FAILED": str(error)[:500]}
            failed = True
        print(results[name], flush=True)
    text = report(results, args)
    print(text)
    if args.write:
        with open(args.write, "a") as out:
            out.write("\n" + text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
