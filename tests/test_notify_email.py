"""Notifications: in-app and by email through the outbox, to a real SMTP server on loopback."""
import logging
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import func, select

from models import Notification, OutboxEmail, Status, db
from services import jobs, tickets
from tests.conftest import base_config

QUESTION = "Er din PC forbundet til internettet?"


@pytest.fixture
def config(mail_config):
    return mail_config


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def test_pending_email_arrives_with_number_subject_and_link(client, runner, smtp, make_user,
                                                            make_ticket, staff):
    kunde = make_user("Kunde")
    ticket = make_ticket(kunde)
    tickets.reply_and_set_status(ticket.assignee, ticket, QUESTION, "pending")
    db.session.commit()

    result = runner.invoke(args=["jobs", "run-once"])

    assert "email: 2 sent" in result.output, result.output  # the assignee's, the customer's
    [message] = smtp.to("kunde@example.com")  # one change that replies and sets pending: one
    assert message["Subject"] == f"[#{ticket.number}] Jeg kan ikke printe"
    assert message["From"] == "helpdesk@helpdesk.test"
    link = f"http://helpdesk.test/tickets/{ticket.number}"
    body = text_of(message)
    assert "is waiting for your answer" in body and QUESTION in body and link in body
    assert "replies go in the portal" in body
    assert f'href="{link}"' in html_of(message)
    client.login("Kunde")
    assert client.get("/tickets/").get_data(as_text=True).count('class="badge">1<') == 1
    assert "is waiting for your answer" in client.get("/notifications/").get_data(as_text=True)


def test_the_assignee_is_emailed_the_customers_reply(client, runner, smtp, make_user,
                                                     make_ticket, staff):
    ticket = make_ticket(make_user("Kunde"))
    tickets.reply_and_set_status(ticket.assignee, ticket, QUESTION, "pending")
    db.session.commit()
    client.login("Kunde")
    client.post_form(f"/tickets/{ticket.number}/reply", {"body": "Nej, ups..."})
    runner.invoke(args=["jobs", "run-once"])
    [message] = [m for m in smtp.to(ticket.assignee.email) if "replied" in text_of(m)]
    assert "Kunde replied on ticket" in text_of(message) and "Nej, ups..." in text_of(message)


def test_customer_emails_never_contain_internal_notes(runner, smtp, make_user, make_ticket,
                                                      staff):
    """OTRS CVE-2021-21435: no agent-only data in what the customer receives."""
    ticket = make_ticket(make_user("Kunde"))
    supporter = ticket.assignee
    tickets.add_comment(supporter, ticket, "INTERNAL-ONLY driver hunch", internal=True)
    tickets.reply_and_set_status(supporter, ticket, "INTERNAL-ONLY and pending", "pending",
                                 internal=True)
    tickets.add_comment(supporter, ticket, "Please restart the printer.")
    tickets.change_status(supporter, ticket, "resolved")
    db.session.commit()
    runner.invoke(args=["jobs", "run-once"])

    received = smtp.to("kunde@example.com")
    assert len(received) == 3  # pending, the public reply, resolved
    assert any("Please restart the printer." in text_of(m) for m in received)
    for message in received:
        assert "INTERNAL-ONLY" not in message.as_string()
    stored = db.session.scalars(select(OutboxEmail)).all()
    assert not [row for row in stored if "INTERNAL-ONLY" in row.body_text + row.body_html]


def test_a_title_cannot_add_mail_headers(runner, smtp, make_user, make_ticket, staff):
    make_ticket(make_user("Kunde"), title="Printer\r\nBcc: evil@example.com")
    runner.invoke(args=["jobs", "run-once"])
    [message] = smtp.messages
    assert message["Subject"] == "[#1] Printer Bcc: evil@example.com"
    assert message["Bcc"] is None and "evil" not in "".join(smtp.recipients)


def test_email_off_gives_no_outbox_row_but_the_in_app_notification(client, make_user,
                                                                   make_ticket, staff):
    kunde = make_user("Kunde")
    client.login("Kunde")
    client.post_form("/account", {"prefs-language": "en", "prefs-submit": "1"})  # box unticked
    db.session.refresh(kunde)
    assert not kunde.email_notifications
    no_address = make_user("Anon", email=None)
    for customer in (kunde, no_address):
        ticket = make_ticket(customer)
        tickets.add_comment(ticket.assignee, ticket, "Have you tried turning it off and on?")
        db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "public_reply")) == 2
    recipients = db.session.scalars(select(OutboxEmail.recipient)).all()
    assert sorted(recipients) == ["l1a@example.com", "l1b@example.com"]  # "assigned to you"
    assert "Support replied on your ticket" in client.get("/notifications/").get_data(as_text=True)


def test_emails_use_the_recipients_language_and_time_zone(runner, smtp, make_user,
                                                          make_ticket, staff):
    customer = make_user("Kunde", language="da", timezone="America/New_York")
    ticket = make_ticket(customer)
    tickets.change_status(ticket.assignee, ticket, "pending")
    db.session.commit()
    jobs.run_all(now=ticket.status_changed_at + timedelta(days=5))

    [_pending, warning] = smtp.to("kunde@example.com")
    close_at = (ticket.status_changed_at + timedelta(days=7)).replace(tzinfo=UTC)
    in_new_york = format_datetime(close_at, "short", tzinfo=ZoneInfo("America/New_York"),
                                  locale="da")
    in_copenhagen = format_datetime(close_at, "short", tzinfo=ZoneInfo("Europe/Copenhagen"),
                                    locale="da")
    assert in_new_york != in_copenhagen
    assert in_new_york in text_of(warning) and in_copenhagen not in text_of(warning)
    assert 'lang="da"' in html_of(warning)


def test_the_notification_list_follows_the_readers_current_time_zone(client, make_user,
                                                                     make_ticket, staff):
    ticket = make_ticket(make_user("Kunde"))
    tickets.change_status(ticket.assignee, ticket, "pending")
    db.session.commit()
    jobs.run_all(now=ticket.status_changed_at + timedelta(days=5))
    client.login("Kunde")
    client.post_form("/account", {"prefs-language": "en", "prefs-timezone": "Asia/Tokyo",
                                  "prefs-submit": "1"})
    close_at = (ticket.status_changed_at + timedelta(days=7)).replace(tzinfo=UTC)
    in_tokyo = format_datetime(close_at, "short", tzinfo=ZoneInfo("Asia/Tokyo"), locale="en")
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"will be closed on {in_tokyo} unless you reply" in page


def test_backoffice_has_the_bell_and_staff_read_their_notifications(client, make_user,
                                                                    make_ticket, staff):
    ticket = make_ticket(make_user("Kunde"))
    client.login(ticket.assignee.username)
    page = client.get("/admin/my-tickets/").get_data(as_text=True)
    assert 'href="/notifications/"' in page and 'badge-warning">1<' in page
    listing = client.get("/notifications/")
    assert listing.status_code == 200
    assert f"Ticket #{ticket.number} &#34;Jeg kan ikke printe&#34; was assigned to you." in \
        listing.get_data(as_text=True)
    client.post_form("/notifications/read")
    assert 'badge-warning">1<' not in client.get("/admin/my-tickets/").get_data(as_text=True)


def test_opening_the_ticket_reads_its_notifications(client, make_user, make_ticket, staff):
    """The customer follows the email's link to the ticket: the bell stops counting it, and
    a notification about another ticket stays unread."""
    customer = make_user("Kunde")
    first, second = make_ticket(customer), make_ticket(customer)
    for ticket in (first, second):
        tickets.change_status(ticket.assignee, ticket, Status.PENDING)
    db.session.commit()
    client.login("Kunde")
    page = client.get(f"/tickets/{first.number}")
    assert page.status_code == 200
    assert 'aria-label="Notifications: 1"' in page.get_data(as_text=True)  # this page's badge
    unread = db.session.scalars(select(Notification.ticket_id).where(
        Notification.user_id == customer.id, Notification.read_at.is_(None))).all()
    assert unread == [second.id]
    client.logout()
    client.login(first.assignee.username)  # staff too, on the handling page
    client.get(f"/admin/ticket/handle/{first.number}")
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == first.assignee_id, Notification.ticket_id == first.id,
        Notification.read_at.is_(None))) == 0


class TestWithoutSmtp:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return base_config(database_url, tmp_path)  # SMTP_HOST is empty

    def test_email_is_skipped_and_said_once_but_in_app_works(self, runner, caplog,
                                                            make_user, make_ticket, staff):
        caplog.set_level(logging.WARNING, logger="services.mail")
        customer = make_user("Kunde")
        for _ in range(2):
            ticket = make_ticket(customer)
            tickets.change_status(ticket.assignee, ticket, Status.PENDING)
            db.session.commit()
        result = runner.invoke(args=["jobs", "run-once"])
        assert "email: 0 sent" in result.output
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == customer.id)) == 2
        said = [r for r in caplog.records if "SMTP_HOST is not set" in r.getMessage()]
        assert len(said) == 1


def test_resolved_email_asks_the_customer_for_a_rating_and_staff_links_go_to_the_backoffice(
        runner, smtp, make_user, make_ticket, staff):
    ticket = make_ticket(make_user("Kunde"))
    assignee = ticket.assignee
    tickets.reply_and_set_status(assignee, ticket, "Driveren er installeret.", "resolved")
    db.session.commit()
    runner.invoke(args=["jobs", "run-once"])
    [resolved] = smtp.to("kunde@example.com")
    assert f"http://helpdesk.test/tickets/{ticket.number}#rate" in text_of(resolved)
    [assigned] = smtp.to(assignee.email)
    assert f"http://helpdesk.test/admin/ticket/handle/{ticket.number}" in text_of(assigned)
