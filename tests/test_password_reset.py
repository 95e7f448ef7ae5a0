"""Password reset by an emailed link: single use, one hour, the same answer for everyone."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import OutboxEmail, db, utcnow
from services import password_reset
from tests.conftest import PASSWORD, base_config

NEW = "a-fresh-and-long-passphrase"
LINK = re.compile(r"http://helpdesk\.test(/password/reset/[\w.\-]+)")
ANSWER = "If an account matches, we have emailed it a link"
NO_EMAIL = "This desk sends no email, so no link can reach you"


@pytest.fixture
def config(mail_config):
    return mail_config


def emailed_link(address: str) -> str:
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == address)
                            .order_by(OutboxEmail.id.desc()))
    assert row is not None, f"no email to {address}"
    return LINK.search(row.body_text).group(1)


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def test_the_login_page_links_to_the_reset(client):
    assert 'href="/password/reset"' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("login", ["anna", "ANNA@example.com"])
def test_reset_link_sets_a_new_password_once(client, runner, smtp, make_user, login):
    make_user("anna")
    response = client.post_form("/password/reset", {"username": login}, follow_redirects=True)
    assert ANSWER in response.get_data(as_text=True)
    link = emailed_link("anna@example.com")
    runner.invoke(args=["jobs", "run-once"])
    [message] = smtp.to("anna@example.com")
    assert message["Subject"] == "Reset your helpdesk password"

    assert client.get(link).status_code == 200
    done = client.post_form(link, {"password": NEW, "confirm": NEW}, follow_redirects=True)
    assert "Your password is changed" in done.get_data(as_text=True)
    client.login("anna", NEW)
    client.logout()
    refused = client.post_form("/login", {"username": "anna", "password": PASSWORD})
    assert refused.status_code == 200  # the old password is gone

    again = client.get(link, follow_redirects=True)  # single use
    assert "This link is invalid, used or expired." in again.get_data(as_text=True)
    reuse = client.post_form(link, {"password": "yet-another-passphrase",
                                    "confirm": "yet-another-passphrase"})
    assert reuse.headers["Location"] == "/password/reset"
    client.login("anna", NEW)


def test_unknown_accounts_get_the_same_answer_and_no_email(client, make_user):
    """osTicket CVE-2026-26895: no user enumeration through password reset."""
    make_user("anna")
    known = client.post_form("/password/reset", {"username": "anna"})
    unknown = client.post_form("/password/reset", {"username": "nobody@example.com"})
    assert (known.status_code, known.headers["Location"]) == \
        (unknown.status_code, unknown.headers["Location"])
    page = client.get("/login").get_data(as_text=True)
    assert ANSWER in page
    assert outbox_count() == 1


def test_a_link_expires_after_an_hour(client, make_user):
    user = make_user("anna")
    fresh = password_reset.make_token(user, now=utcnow() - timedelta(minutes=59))
    stale = password_reset.make_token(user, now=utcnow() - timedelta(minutes=61))
    assert client.get(f"/password/reset/{fresh}").status_code == 200
    expired = client.post_form(f"/password/reset/{stale}", {"password": NEW, "confirm": NEW})
    assert expired.headers["Location"] == "/password/reset"
    client.login("anna")  # unchanged


def test_a_forged_or_foreign_token_is_refused(client, make_user):
    anna = make_user("anna")
    token = password_reset.make_token(anna)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/password/reset/{forged}").headers["Location"] == "/password/reset"


def test_the_new_password_must_pass_the_policy(client, make_user):
    user = make_user("anna")
    link = f"/password/reset/{password_reset.make_token(user)}"
    weak = client.post_form(link, {"password": "short", "confirm": "short"})
    assert "at least 12" in weak.get_data(as_text=True)
    mismatch = client.post_form(link, {"password": NEW, "confirm": NEW + "x"})
    assert "The passwords do not match." in mismatch.get_data(as_text=True)
    client.login("anna")  # unchanged, and the link still works
    assert client.get(link).status_code == 200


class TestWithoutEmail:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return base_config(database_url, tmp_path)  # SMTP_HOST empty

    def test_a_desk_without_email_says_so_to_everyone_alike(self, client, make_user):
        make_user("anna")
        pages = []
        for username in ("anna", "nobody"):
            client.post_form("/password/reset", {"username": username})
            pages.append(client.get("/login").get_data(as_text=True))
        assert all(NO_EMAIL in page and ANSWER not in page for page in pages)


class TestRateLimit:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
                "PASSWORD_RESET_RATE_LIMIT": "2 per hour"}

    def test_reset_requests_are_limited(self, client, make_user):
        make_user("anna")
        for _ in range(2):
            assert client.post_form("/password/reset", {"username": "anna"}).status_code == 302
        refused = client.post_form("/password/reset", {"username": "anna"})
        assert refused.status_code == 429
        # The limit is per hour: the page says how long, not "a minute".
        assert re.search(r"try again in (59|60) minutes", refused.get_data(as_text=True))
