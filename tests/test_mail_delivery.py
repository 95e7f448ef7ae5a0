"""Delivery from the outbox over SMTP: retries, an outage, several runners, the admin page."""
import ssl
import subprocess
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import OutboxEmail, OutboxStatus, db, utcnow
from services import mail, tickets
from tests.conftest import base_config
from tests.mailserver import MailServer

pytestmark = pytest.mark.slow


@pytest.fixture
def config(mail_config):
    return mail_config


@pytest.fixture
def ticket(make_user, make_ticket, staff):
    return make_ticket(make_user("Kunde"))


def produce_replies(ticket, count: int) -> None:
    """`count` public replies: one email to the customer each."""
    for n in range(count):
        tickets.add_comment(ticket.assignee, ticket, f"Update number {n}")
    db.session.commit()


def outbox(status=None) -> list[OutboxEmail]:
    statement = select(OutboxEmail).order_by(OutboxEmail.id)
    if status is not None:
        statement = statement.where(OutboxEmail.status == status)
    return db.session.scalars(statement).all()


def test_an_smtp_outage_loses_nothing_and_duplicates_nothing(smtp, ticket):
    smtp.stop()
    produce_replies(ticket, 200)
    start = utcnow()
    down = mail.deliver_due(now=start)
    assert (down.sent, down.retried) == (0, 201)  # with the assignee's "assigned to you"

    smtp.start()
    assert mail.deliver_due(now=start + timedelta(seconds=30)).sent == 0  # backoff: 1 minute
    assert mail.deliver_due(now=start + timedelta(minutes=1)).sent == 201

    counts = Counter(smtp.message_ids())
    assert len(smtp.to("kunde@example.com")) == 200
    assert max(counts.values()) == 1
    assert set(counts) == {row.message_id for row in outbox()}
    assert all(row.status == OutboxStatus.SENT and row.attempts == 2 for row in outbox())
    assert mail.deliver_due(now=start + timedelta(hours=2)).sent == 0


def test_retries_back_off_then_fail_after_24_hours_and_an_admin_retries(client, smtp, ticket):
    smtp.stop()
    now, waits = utcnow(), []
    while not outbox(OutboxStatus.FAILED):
        mail.deliver_due(now=now)
        db.session.expire_all()
        due = [row.next_attempt_at for row in outbox(OutboxStatus.PENDING)]
        if due:
            waits.append(round((min(due) - now).total_seconds() / 60))
            now = min(due)
    assert waits[:6] == [1, 5, 15, 60, 60, 60]
    assert sum(waits) >= 24 * 60 and sum(waits[:-1]) < 24 * 60
    failed = outbox(OutboxStatus.FAILED)
    assert len(failed) == 1 and "ConnectionRefusedError" in failed[0].last_error

    client.login("root")
    listing = client.get("/admin/outbox/?flt0_status_equals=failed").get_data(as_text=True)
    assert f"[#{ticket.number}] Jeg kan ikke printe" in listing
    response = client.post_form("/admin/outbox/action/", {
        "action": "retry", "rowid": [str(row.id) for row in failed]})
    assert response.status_code == 302
    assert [row.attempts for row in outbox(OutboxStatus.PENDING)] == [0]
    smtp.start()
    assert mail.deliver_due().sent == 1
    assert len(smtp.messages) == 1


def test_two_runners_deliver_each_message_exactly_once(app, smtp, ticket):
    produce_replies(ticket, 200)
    barrier = threading.Barrier(2)
    errors, sent = [], []

    def runner():
        with app.app_context():
            try:
                barrier.wait()
                while report := mail.deliver_due().sent:
                    sent.append(report)
            except Exception as error:  # reported below, with the assertion
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(sent) == 201  # what the runners say they sent
    counts = Counter(smtp.message_ids())
    assert len(counts) == 201 and max(counts.values()) == 1
    assert all(row.status == OutboxStatus.SENT for row in outbox())


def test_a_claimed_row_is_not_sent_by_another_runner_until_its_lease_ends(smtp, ticket):
    [row] = outbox()
    row.attempts, row.next_attempt_at = 1, utcnow() + mail.LEASE  # claimed, runner died
    db.session.commit()
    assert mail.deliver_due().sent == 0
    later = mail.deliver_due(now=utcnow() + mail.LEASE + timedelta(seconds=1))
    assert later.sent == 1 and smtp.message_ids() == [row.message_id]


def test_a_message_that_cannot_be_built_fails_without_blocking_the_rest(smtp, ticket):
    mail.queue_email("broken\r\nBcc: x@example.com", "Hello", "Body")
    db.session.commit()
    report = mail.deliver_due()
    assert report.sent == 1 and len(smtp.messages) == 1
    [broken] = outbox(OutboxStatus.FAILED)
    assert broken.recipient.startswith("broken") and "ValueError" in broken.last_error


def test_the_outbox_page_is_for_admins_only(client, staff):
    assert client.get("/admin/outbox/").headers["Location"].startswith("/login")
    for username in ("l1a", "boss"):
        client.login(username)
        assert client.get("/admin/outbox/").status_code == 403
        assert client.post_form("/admin/outbox/test", {"recipient": "x@example.com"}
                                ).status_code == 403
        client.logout()
    client.login("root")
    assert client.get("/admin/outbox/").status_code == 200
    assert client.get("/admin/outbox/?flt0_status_equals=bogus").status_code == 200
    assert client.post("/admin/outbox/test", data={"recipient": "x@example.com"}
                       ).status_code == 400  # no CSRF token


def test_an_admin_sends_a_test_email(client, smtp, staff):
    client.login("root")
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Send a test email" in page and 'id="email-off"' not in page
    response = client.post_form("/admin/outbox/test", {"recipient": "ops@example.com"},
                                follow_redirects=True)
    assert "A test email was sent to ops@example.com." in response.get_data(as_text=True)
    [message] = smtp.to("ops@example.com")
    assert "Email delivery works." in message.get_body(("plain",)).get_content()


def test_a_failing_test_email_says_why(client, smtp, staff):
    smtp.stop()
    client.login("root")
    response = client.post_form("/admin/outbox/test", {"recipient": "ops@example.com"},
                                follow_redirects=True)
    assert "Sending failed" in response.get_data(as_text=True)


@pytest.mark.parametrize("recipient", ["ops@example.com\r\nBcc: evil@example.org", "@",
                                       "ops@example.com, evil@example.org", "Ops <ops@x.dk>"])
def test_a_test_email_goes_to_one_plain_address_only(client, smtp, staff, recipient):
    client.login("root")
    response = client.post_form("/admin/outbox/test", {"recipient": recipient},
                                follow_redirects=True)
    assert response.status_code == 200
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert smtp.message_ids() == []


def test_retry_with_ids_that_are_not_rows_changes_nothing(client, staff):
    client.login("root")
    for ids in (["abc"], ["1.5"], ["99999999999999999999"]):
        response = client.post_form("/admin/outbox/action/", {"action": "retry", "rowid": ids})
        assert response.status_code == 302


def test_a_failing_job_does_not_hold_up_the_email(monkeypatch, caplog, smtp, ticket):
    """One job raising (a bug, a bad row) is logged and named in the report; the pass goes on,
    and the mail still goes out."""
    from services import jobs

    def broken(now):
        raise RuntimeError("a job that breaks")
    monkeypatch.setattr(jobs, "close_idle_pending", broken)
    produce_replies(ticket, 2)
    report = jobs.run_all()
    assert report.failed == ["closed_pending"] and "FAILED: closed_pending" in str(report)
    assert report.email.sent == 3  # the two replies and the assignee's "assigned to you"
    assert len(smtp.to("kunde@example.com")) == 2
    assert "jobs: closed_pending failed" in caplog.text


class TestStarttlsAndLogin:
    """SMTP_STARTTLS and SMTP_USER/SMTP_PASSWORD against a server that demands both (its
    certificate, made for 127.0.0.1, is the one the client trusts: SSL_CERT_FILE)."""

    @pytest.fixture
    def secure_smtp(self, tmp_path, monkeypatch):
        certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(certificate)],
                       check=True, capture_output=True)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        server = MailServer(login=("helpdesk", "mail-secret"), tls_context=context)
        server.start()
        yield server
        server.stop()

    @pytest.fixture
    def config(self, database_url, tmp_path, secure_smtp):
        return {**base_config(database_url, tmp_path), "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": secure_smtp.port, "MAIL_FROM": "helpdesk@helpdesk.test",
                "SMTP_STARTTLS": True, "SMTP_USER": "helpdesk", "SMTP_PASSWORD": "mail-secret"}

    def test_mail_goes_out_over_starttls_after_login(self, app, secure_smtp, ticket):
        produce_replies(ticket, 1)
        assert mail.deliver_due().sent == 2
        assert len(secure_smtp.to("kunde@example.com")) == 1

    def test_a_wrong_password_is_retried_not_lost(self, app, secure_smtp, ticket):
        app.config["SMTP_PASSWORD"] = "wrong"
        produce_replies(ticket, 1)
        report = mail.deliver_due()
        assert (report.sent, report.retried) == (0, 2) and secure_smtp.messages == []
        assert all(row.status == OutboxStatus.PENDING and row.last_error for row in outbox())


def test_a_runner_told_to_stop_ends_after_the_batch_it_sent(smtp, ticket):
    produce_replies(ticket, 50)  # 51 messages: more than two batches
    first = mail.deliver_due(stopping=lambda: True)
    assert first.sent == mail.BATCH and len(smtp.messages) == mail.BATCH
    assert mail.deliver_due().sent == 51 - mail.BATCH  # the rest, on the next run
