"""CLI: demo data, user administration. They call the same services the views call."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from models import User, db
from services import DomainError, accounts

users_cli = AppGroup("users", help="Create users and API tokens.")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["customer", "supporter", "manager", "admin"]),
              required=True)
@click.option("--level", type=click.IntRange(1, 3))
@click.option("--email")
@click.option("--password", help="Defaults to DEMO_PASSWORD.")
def create_user_command(name, role, level, email, password):
    """Create an account of any role."""
    try:
        user = accounts.create_user(name, password or current_app.config["DEMO_PASSWORD"],
                                    role, level, email)
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
    user = db.session.scalar(select(User).where(User.username == name))
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


def register(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(sla_holidays_command)
