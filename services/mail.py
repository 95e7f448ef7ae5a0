"""Email: an outbox row written in the same transaction as the change, delivered by a job.

Delivery is at least once: a row is claimed (its next attempt moved past a lease) and committed
before it is sent, then marked sent. Two runners never claim the same row; a runner that dies
between sending and marking leaves the row to be sent again, with the same Message-ID.
"""
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from extensions import begin_write
from models import OutboxEmail, OutboxStatus, User, db, utcnow
from services import Forbidden, Invalid
from services.accounts import email_address
from services.permissions import is_admin

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60)  # after the 1st, 2nd, 3rd, 4th failure; then hourly
GIVE_UP_AFTER = timedelta(hours=24)  # of retrying: a message is failed after that
LEASE = timedelta(minutes=10)  # a claimed row is not due again before this (crash: resent)
BATCH = 20
SMTP_TIMEOUT = 20  # seconds; BATCH * SMTP_TIMEOUT stays below LEASE


def email_enabled() -> bool:
    """True when SMTP is configured; otherwise says so once in the log."""
    if current_app.config["SMTP_HOST"]:
        return True
    if not current_app.extensions.get("mail_skip_logged"):
        current_app.extensions["mail_skip_logged"] = True
        log.warning("SMTP_HOST is not set: email is skipped, in-app notifications still work.")
    return False


def public_url(endpoint: str, **values) -> str:
    """An absolute link built from PUBLIC_URL (works in requests, commands and jobs)."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def format_time(value: datetime, user: User) -> str:
    """A naive-UTC time in the user's time zone and language."""
    zone = ZoneInfo(user.timezone or current_app.config["TIMEZONE"])
    return babel_format_datetime(value.replace(tzinfo=UTC), "short", tzinfo=zone,
                                 locale=user.language or "en")


def render_email(user: User, template: str, **context) -> tuple[str, str]:
    """Plain text and HTML of templates/emails/<template>.{txt,html} in the user's language."""
    with force_locale(user.language or "en"):
        context.update(user=user, portal_url=public_url("portal.my_tickets"))
        return (render_template(f"emails/{template}.txt", **context),
                render_template(f"emails/{template}.html", **context))


def queue_email(recipient: str, subject: str, body_text: str,
                body_html: str | None = None) -> OutboxEmail | None:
    """Write an email to the outbox (the caller's transaction); None when email is off."""
    if not email_enabled():
        return None
    now = utcnow()
    subject = " ".join(subject.split())[:300]  # one line: no header injection from a title
    row = OutboxEmail(recipient=recipient, subject=subject, body_text=body_text,
                      body_html=body_html, message_id=_new_message_id(),
                      status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now,
                      created_at=now)
    db.session.add(row)
    return row


def _new_message_id() -> str:
    domain = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "helpdesk.invalid"
    return make_msgid("helpdesk", domain=domain)


@dataclass
class Delivery:
    """What one delivery run did."""
    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class _Claimed:
    id: int
    attempts: int
    message: EmailMessage


def deliver_due(now: datetime | None = None, stopping=lambda: False) -> Delivery:
    """Send every due outbox row, batch by batch; commits as it goes. `stopping()` is asked
    between batches: a runner told to stop ends after the batch it has sent (the rest stays
    due for the next run), not after a backlog of thousands."""
    report = Delivery()
    if not email_enabled():
        return report
    db.session.commit()  # end any read transaction: claims must begin as writers
    while True:
        moment = now or utcnow()
        claimed = _claim(moment)
        if claimed:
            _send(claimed, moment, report)
        if len(claimed) < BATCH or stopping():
            return report


def _claim(now: datetime) -> list[_Claimed]:
    """Lock due rows (SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE on SQLite), lease them, commit."""
    begin_write()
    rows = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(BATCH)
        .with_for_update(skip_locked=True)).all()
    claimed = []
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        try:
            claimed.append(_Claimed(row.id, row.attempts, build_message(row)))
        except ValueError as error:  # can never be sent: it must not block the others
            row.status, row.last_error = OutboxStatus.FAILED, f"ValueError: {error}"
    db.session.commit()
    return claimed


def build_message(row: OutboxEmail) -> EmailMessage:
    """The MIME message of an outbox row: text and HTML, its own stable Message-ID."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=UTC))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def _send(claimed: list[_Claimed], now: datetime, report: Delivery) -> None:
    remaining = list(claimed)
    try:
        with connect() as smtp:
            while remaining:
                item = remaining[0]
                try:
                    smtp.send_message(item.message)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                        smtplib.SMTPSenderRefused) as error:
                    _failed_attempt(item, error, now, report)  # this message only
                else:
                    _finish(item.id, status=OutboxStatus.SENT, sent_at=now, last_error=None)
                    report.sent += 1
                remaining.pop(0)
    except (smtplib.SMTPException, OSError) as error:  # the connection: the rest wait
        for item in remaining:
            _failed_attempt(item, error, now, report)


def connect() -> smtplib.SMTP:
    """An SMTP connection as configured: optional STARTTLS and login."""
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT)
    try:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def retry_delay(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 5, 15, 60 minutes, then hourly."""
    if attempts <= len(BACKOFF_MINUTES):
        return timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
    return timedelta(minutes=BACKOFF_MINUTES[-1])


def gives_up_after(attempts: int) -> bool:
    """True once the waits before this attempt add up to GIVE_UP_AFTER."""
    return sum((retry_delay(n) for n in range(1, attempts)), timedelta()) >= GIVE_UP_AFTER


def _failed_attempt(item: _Claimed, error: Exception, now: datetime, report: Delivery) -> None:
    log.warning("email %s, attempt %s failed: %s", item.id, item.attempts, error)
    values = {"last_error": f"{type(error).__name__}: {error}"[:2000]}
    if gives_up_after(item.attempts):
        values["status"] = OutboxStatus.FAILED
        report.failed += 1
    else:
        values["next_attempt_at"] = now + retry_delay(item.attempts)
        report.retried += 1
    _finish(item.id, **values)


def _finish(row_id: int, **values) -> None:
    begin_write()
    db.session.execute(update(OutboxEmail).where(OutboxEmail.id == row_id).values(**values))
    db.session.commit()


def retry(actor: User, row_ids: list[int]) -> int:
    """An admin queues failed messages again, with a fresh retry schedule; returns how many."""
    _require_admin(actor)
    return db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(row_ids), OutboxEmail.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow())).rowcount


def _require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise Forbidden(_l("Only admins manage email delivery."))


def send_test_email(actor: User, recipient: str) -> None:
    """An admin sends a test message now, bypassing the outbox, to see the answer at once."""
    _require_admin(actor)
    if not email_enabled():
        raise Invalid(_l("Email is off: SMTP_HOST is not set."))
    recipient = email_address(recipient, field="recipient")
    body_text, body_html = render_email(actor, "test")
    row = OutboxEmail(recipient=recipient, subject=str(_l("Helpdesk test email")),
                      body_text=body_text, body_html=body_html, message_id=_new_message_id(),
                      created_at=utcnow())
    try:
        with connect() as smtp:
            smtp.send_message(build_message(row))
    except (smtplib.SMTPException, OSError) as error:
        raise Invalid(_l("Sending failed: %(error)s", error=str(error))) from None
