"""`make bench`: seed a database, serve it under gunicorn beside a bare Flask ceiling, measure
from this (second) process with wrk, and write the figures into BENCHMARKS.md.

    .venv/bin/python scripts/bench.py --tickets 1000000 [--database postgresql]

Needs wrk (Debian: apt-get install wrk). Not part of `make test`.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_tools import (  # noqa: E402
    ROOT,
    Result,
    download,
    login,
    markdown_table,
    peak_rss_mb,
    probe,
    reset_peak_rss,
    serve,
    write_section,
    wrk,
)
from services.search import COUNT_CAP  # noqa: E402

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105  (the demo data's documented default)
APP_PORT, CEILING_PORT = 8701, 8702
# The grids' last page: pages stop at the capped count (50 rows a page, counted from 0).
DEEPEST = COUNT_CAP // 50
SUBMISSION = json.dumps({"title": "Printer offline", "description": "Benchmark submission.",
                         "type": "incident"})


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per scenario")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    return parser.parse_args()


def database_url(args) -> str:
    if args.database == "sqlite":
        return f"sqlite:////tmp/helpdesk-bench-{args.tickets}.db"
    return f"{args.pg_url.rstrip('/')}/helpdesk_bench_{args.tickets}"


def flask(env: dict, *arguments: str) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *arguments], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True).stdout


def reset_database(args, url: str) -> None:
    if args.database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    import psycopg
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(args.pg_url.replace("+psycopg", "") + "postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(args, env: dict) -> Result:
    """A fresh database: migrations, demo people, then the timed generator."""
    reset_database(args, env["DATABASE_URL"])
    flask(env, "db", "upgrade")
    flask(env, "demo")
    started = time.perf_counter()
    flask(env, "demo", "--tickets", str(args.tickets))
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  generator: {seconds:.1f} s, peak RSS {rss:.0f} MB", flush=True)
    return Result(f"generator: {args.tickets:,} tickets + {3 * args.tickets:,} comments",
                  rss_mb=rss, notes=[f"{seconds:.1f} s, {args.tickets / seconds:,.0f} tickets/s"])


def prepare(env: dict) -> dict:
    """The ticket with 200 comments, an API token, and the grid's filter arguments."""
    os.environ.update(env)
    from sqlalchemy import func, select

    from app import create_app
    from models import Comment, Status, Ticket, User, db
    from services import accounts
    app = create_app()
    with app.app_context(), app.test_request_context():
        supporter = db.session.scalar(select(User).where(User.username == "LevelOneSupporter1"))
        ticket = db.session.scalar(select(Ticket).where(
            Ticket.assignee_id == supporter.id, Ticket.status == Status.OPEN)
            .order_by(Ticket.id.desc()).limit(1))
        have = db.session.scalar(select(func.count()).where(Comment.ticket_id == ticket.id))
        db.session.add_all(Comment(ticket_id=ticket.id, author_id=ticket.customer_id,
                                   body=f"Benchmark reply {n}") for n in range(have, 200))
        token = accounts.create_token(
            db.session.scalar(select(User).where(User.username == "Kunde")), "bench")
        db.session.commit()
        view = app.extensions["admin"][0]._views
        grid = next(v for v in view if v.endpoint == "ticket")
        keys = {(flt.column.key, type(flt).__name__): key
                for key, (_idx, flt) in grid._filter_args.items()}
        newest = db.session.scalar(select(func.max(Ticket.number)))
        prepared = {"number": ticket.number, "token": token, "newest": newest,
                    "status": keys[("status", "EnumEqualFilter")],
                    "number_gt": keys[("number", "IntGreaterFilter")]}
        db.session.remove()
        db.engine.dispose()
    return prepared


def measure(name, base, path, headers, args, ceiling, master, **request) -> Result:
    status, sql, alone = probe(base + path, headers) if not request else (200, "", None)
    summary = wrk(base + path, headers, args.seconds, args.connections, **request)
    result = Result(name, summary["rps"], summary["p50"], summary["p95"], summary["p99"], sql,
                    peak_rss_mb(master), ceiling, summary["errors"])
    if alone is not None:
        result.notes.append(f"alone {alone:,.0f} ms")
    if status != 200:
        result.notes.append(f"answered {status}")
    print(f"  {name}: {summary['rps']:.1f} req/s, p95 {summary['p95']:.1f} ms, SQL {sql}",
          flush=True)
    return result


def web_scenarios(args, env: dict, prepared: dict, ceiling: float) -> list[Result]:
    base = f"http://127.0.0.1:{APP_PORT}"
    results = []
    with serve("app:create_app()", APP_PORT, env, args.workers) as master:
        admin = {"Cookie": login(base, "admin", DEMO_PASSWORD)}
        supporter = {"Cookie": login(base, "LevelOneSupporter1", DEMO_PASSWORD)}
        customer = {"Cookie": login(base, "Kunde", DEMO_PASSWORD)}
        run = lambda name, path, who, **kw: results.append(  # noqa: E731
            measure(name, base, path, who, args, ceiling, master, **kw))
        run("grid: first page (admin)", "/admin/ticket/", admin)
        run("grid: filtered by status", f"/admin/ticket/?flt0_{prepared['status']}=OPEN", admin)
        run("grid: sorted by created", "/admin/ticket/?sort=9&desc=1", admin)
        run("grid: searched (word in ~10% of tickets)", "/admin/ticket/?search=printer", admin)
        run("grid: searched (ticket number)", f"/admin/ticket/?search={prepared['newest']}",
            admin)
        run(f"grid: deepest page (page {DEEPEST + 1})", f"/admin/ticket/?page={DEEPEST}", admin)
        run("supporter: my tickets", "/admin/my-tickets/", supporter)
        run("supporter: everything I may read", "/admin/readable/", supporter)
        run("supporter: searched, role-scoped", "/admin/readable/?search=printer", supporter)
        run("supporter: deepest page", f"/admin/readable/?page={DEEPEST}", supporter)
        run("portal: my tickets (customer)", "/tickets/", customer)
        run("handling page, 200 comments", f"/admin/ticket/handle/{prepared['number']}",
            supporter)
        bearer = {"Authorization": f"Bearer {prepared['token']}",
                  "Content-Type": "application/json"}
        run("submission with assignment (API, tickets/s)", "/api/v1/tickets", bearer,
            method="POST", body=SUBMISSION)
        run("dashboard (admin)", "/admin/dashboard/", admin)  # last: slow answers outlive wrk
    return results


def export_scenario(args, env, name, path, cookie_user="admin") -> Result:
    """One export on a fresh server, so the worker's peak memory is the export's."""
    base = f"http://127.0.0.1:{APP_PORT}"
    with serve("app:create_app()", APP_PORT, env, args.workers) as master:
        headers = {"Cookie": login(base, cookie_user, DEMO_PASSWORD)}
        # The sign-in checks a scrypt hash (n=2**15, r=8): 32 MB for a moment, not the export's.
        signed_in = peak_rss_mb(master)
        reset_peak_rss(master)
        before = peak_rss_mb(master)
        got = download(APP_PORT, path, headers)
        result = Result(name, rss_mb=peak_rss_mb(master), sql=got["sql"])
    if not got["complete"]:
        result.notes.append("**cut off before the end**")
    result.notes += [f"status {got['status']}", f"first byte {got['first_byte']:.2f} s",
                     f"total {got['total']:.1f} s", f"{got['bytes'] / 1e6:.0f} MB",
                     f"{got['lines']:,} lines", f"worker RSS before {before:.0f} MB",
                     f"peak at sign-in {signed_in:.0f} MB"]
    print(f"  {name}: {'; '.join(result.notes)}", flush=True)
    return result


def job_scenarios(env: dict) -> list[Result]:
    """One pass of each periodic job, timed in this process."""
    from app import create_app
    from models import utcnow
    from services import dashboard, jobs, mail
    app = create_app()
    passes = {"queue assignment": lambda now: jobs.assign_queued(),
              "auto-close warning": jobs.warn_before_auto_close,
              "auto-close pending": jobs.close_idle_pending,
              "auto-close resolved": jobs.close_expired_resolved,
              "SLA check": jobs.flag_sla, "email delivery": mail.deliver_due,
              "dashboard figures (zones opened so far)": dashboard.refresh_snapshots}
    results = []
    with app.app_context():
        for name, job in passes.items():
            started = time.perf_counter()
            outcome = job(utcnow())
            seconds = time.perf_counter() - started
            results.append(Result(f"job pass: {name}", notes=[f"{seconds:.2f} s", f"did {outcome}"]))
            print(f"  job {name}: {seconds:.2f} s ({outcome})", flush=True)
    return results


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    memory = next(line.split(":", 1)[1].strip() for line in open("/proc/meminfo")
                  if line.startswith("MemTotal"))
    load = open("/proc/loadavg").read().split()[:3]
    versions = ", ".join(f"{name} {version(name)}" for name in
                         ("Flask", "Flask-Admin", "SQLAlchemy", "gunicorn", "psycopg"))
    return (f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {os.cpu_count()} cores ({cpu}), "
            f"{memory} RAM; load average at the start {' '.join(load)}; Python "
            f"{platform.python_version()}, {versions}, SQLite {sqlite3.sqlite_version}")


def main() -> None:
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": database_url(args), "SECRET_KEY": "bench",
           "RATELIMIT_ENABLED": "false", "SQL_COUNT_HEADER": "1", "PYTHONPATH": str(ROOT),
           "DEMO_PASSWORD": DEMO_PASSWORD}
    conditions = machine()
    print(f"benchmark: {args.database}, {args.tickets:,} tickets; {conditions}", flush=True)
    results = [] if args.reuse else [seed(args, env)]
    prepared = prepare(env)
    with serve("scripts.ceiling_app:app", CEILING_PORT, env, args.workers):
        top = wrk(f"http://127.0.0.1:{CEILING_PORT}/", {}, args.seconds, args.connections)
    results.append(Result("ceiling: bare Flask hello", top["rps"], top["p50"], top["p95"],
                          top["p99"], ceiling=top["rps"]))
    results += web_scenarios(args, env, prepared, top["rps"])
    results.append(export_scenario(args, env, "CSV export, all tickets", "/admin/ticket/export/csv/"))
    xlsx_from = max(prepared["newest"] - 100_000, 0)
    results.append(export_scenario(args, env, "XLSX export, newest 100,000",
                                   f"/admin/ticket/export/xlsx/?flt0_{prepared['number_gt']}={xlsx_from}"))
    results += job_scenarios(env)
    body = (f"### {args.database}, {args.tickets:,} tickets\n\n{conditions}; gunicorn "
            f"{args.workers} sync workers, wrk 1 thread, {args.connections} connections, "
            f"{args.seconds} s per scenario.\n\n{markdown_table(results)}")
    write_section(Path(args.output), f"{args.database}-{args.tickets}", body)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
