"""Generated input through every portal and account form, over HTTP with real CSRF tokens:
zero server errors, and nothing typed comes back as live markup (osTicket-style reflected
XSS, django-helpdesk CVE-2021-3945's unescaped field)."""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD

MARKERS = ['<script>alert("x1")</script>', '"><img src=x onerror=alert(2)>', "';alert(3)//",
           "<svg/onload=alert(4)>", "javascript:alert(5)", "{{7*7}}", "\x00",
           "%00", "\u202e", "a" * 300]
LIVE = ("<script>alert", "<img src=x onerror", "<svg/onload")
# Any text, and text with an attack folded in: what a person or a script might type.
# (No lone surrogates: they cannot be sent as UTF-8 at all; the API tests cover them in JSON.)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
FIELD = TEXT | st.builds(lambda a, m, b: a + m + b, TEXT, st.sampled_from(MARKERS), TEXT)
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 25)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check(answer) -> None:
    """No server error, and no typed marker came back as live markup."""
    assert answer.status_code < 500, answer.status_code
    body = answer.get_data(as_text=True)
    assert not [live for live in LIVE if live in body]


@pytest.fixture
def signed_in(client, make_user, make_ticket):
    anna = make_user("anna")
    make_user("l1a", "supporter", level=1)
    ticket = make_ticket(anna)
    client.login("anna")
    return {"client": client, "number": ticket.number}


@FUZZ
@given(title=FIELD, description=FIELD, kind=FIELD | st.sampled_from(["incident", "request"]),
       urgency=FIELD, service=FIELD)
def test_new_ticket_form(signed_in, title, description, kind, urgency, service):
    answer = signed_in["client"].post_form("/tickets/new", {
        "title": title, "description": description, "type": kind, "urgency": urgency,
        "service": service})
    _check(answer)
    if answer.status_code == 302:  # created: the ticket page shows it as text
        _check(signed_in["client"].get(answer.headers["Location"]))


@FUZZ
@given(body=FIELD)
def test_reply_form(signed_in, body):
    answer = signed_in["client"].post_form(f"/tickets/{signed_in['number']}/reply",
                                           {"body": body})
    _check(answer)
    _check(signed_in["client"].get(f"/tickets/{signed_in['number']}"))


@FUZZ
@given(language=FIELD, timezone=FIELD, notifications=FIELD, current=FIELD, new=FIELD)
def test_account_forms(signed_in, language, timezone, notifications, current, new):
    client = signed_in["client"]
    _check(client.post_form("/account", {
        "prefs-language": language, "prefs-timezone": timezone,
        "prefs-email_notifications": notifications, "prefs-submit": "1"}))
    _check(client.post_form("/account", {
        "pw-current": current, "pw-password": new, "pw-confirm": new, "pw-submit": "1"}))
    _check(client.post_form("/account", {"token-name": timezone, "token-submit": "1"}))


@FUZZ
@given(username=FIELD, email=FIELD, password=FIELD, confirm=FIELD)
def test_register_login_and_reset_forms(client, username, email, password, confirm):
    _check(client.post_form("/register", {"username": username, "email": email,
                                          "password": password, "confirm": confirm}))
    client.post_form("/logout")
    _check(client.post_form("/login", {"username": username, "password": password}))
    _check(client.post_form("/password/reset", {"username": email}))
    _check(client.post_form("/language", {"language": username, "next": email}))


@FUZZ
@given(query=FIELD)
def test_searches(client, query):
    _check(client.get("/kb/", query_string={"q": query}))
    _check(client.get("/login", query_string={"next": query}))


def test_the_check_can_fail(client):
    """_check would notice a reflected script."""
    class Reflecting:
        status_code = 200

        def get_data(self, as_text):
            return MARKERS[0]
    with pytest.raises(AssertionError):
        _check(Reflecting())
    assert PASSWORD  # the fixtures' password is what signed_in logs in with
