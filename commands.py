"""CLI: migrations, demo data, user administration, the job runner. They call the same services the
views call."""
import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from extensions import init_migrate
from models import User, db
from services import DomainError, accounts, users


class MigrationCommands(click.Group):
    """`flask db ...`: Flask-Migrate's own group, bound to the app (init_migrate) only when a
    migration command runs, so a web worker never imports Alembic."""

    def __init__(self, app):
        super().__init__("db", help="Perform database migrations.")
        self.app = app

    def make_context(self, info_name, args, parent=None, **extra):
        init_migrate(self.app)
        from flask_migrate.cli import db as migration_group
        return migration_group.make_context(info_name, args, parent=parent, **extra)


users_cli = AppGroup("users", help="Create users and API tokens.")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["customer", "supporter", "manager", "admin"]),
              required=True)
@click.option("--level", type=click.IntRange(1, 3))
@click.option("--email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for (hidden) when not given.")
def create_user_command(name, role, level, email, password):
    """Create an account of any role."""
    if level is not None and role != "supporter":
        raise click.BadParameter("only supporters have a level", param_hint="--level")
    try:
        user = users.create_account(None, name, password, role, level, email)
    except DomainError as error:
        raise click.ClickException(f"{error.field or 'error'}: {error.message}") from None
    db.session.commit()
    click.echo(f"created {user.role.value} {user.username}"
               + (f" (level {user.level})" if user.level else ""))


@users_cli.command("token")
@click.argument("name")
@click.option("--label", default="cli", help="A name for the token.")
def token_command(name, label):
    """Print a new API token for NAME (last word of the last line)."""
    user = db.session.scalar(select(User).where(accounts.same_username(name)))
    if user is None:
        raise click.ClickException(f"no user named {name}")
    token = accounts.create_token(user, label)
    db.session.commit()
    click.echo(f"API token for {user.username} (shown once): {token}")


@click.command("demo")
@click.option("--tickets", type=click.IntRange(0), default=0,
              help="Also add this many synthetic tickets (bulk, for measuring).")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def demo_command(tickets, if_empty):
    """Create the demo people, documents and services of the seed (idempotent)."""
    from services import demo, generator
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("demo data: the database already has users, nothing to do")
        return
    created = demo.load_demo(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo(f"demo data: {created} records created")
    if tickets:
        generator.generate_tickets(tickets, progress=click.echo)
        click.echo(f"added {tickets} tickets")


@click.command("sla-holidays")
@click.argument("years", nargs=-1, type=click.IntRange(1900, 2200))
def sla_holidays_command(years):
    """Add the Danish public holidays of YEARS (default: this and next) to the default calendar,
    and any missing SLA policy."""
    from services import calendars
    created = calendars.ensure_sla_defaults()
    if years:
        created += calendars.load_danish_holidays(calendars.default_calendar(), years)
    db.session.commit()
    click.echo(f"SLA calendar: {created} records created")


jobs_cli = AppGroup("jobs", help="Run the periodic jobs (email, auto-close, queue).")


@jobs_cli.command("run-once")
def jobs_run_once_command():
    """Run every periodic job once and print what it did."""
    from services import jobs
    click.echo(str(jobs.run_all()))


@jobs_cli.command("run")
@click.option("--interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds between runs.")
def jobs_run_command(interval):
    """Run every periodic job every INTERVAL seconds until SIGTERM or SIGINT."""
    from services import jobs
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"jobs: running every {interval:g} s; SIGTERM or Ctrl-C stops")
    try:
        while not stop.is_set():
            try:
                click.echo(str(jobs.run_all(stopping=stop.is_set)))
            except Exception:  # a database blip must not end the runner; the next run retries
                db.session.rollback()
                logging.getLogger(__name__).exception("jobs: run failed")
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        db.session.remove()
    click.echo("jobs: stopped")


def register(app) -> None:
    app.cli.add_command(MigrationCommands(app))
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(sla_holidays_command)
    app.cli.add_command(jobs_cli)
