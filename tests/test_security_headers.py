# ruff: noqa: F811 -- the matrix's `world` fixture is imported, then used as an argument
"""Security headers on every answer of every route (the routes of tests/test_access_matrix.py),
and cookie flags."""
import re

import pytest

from tests.access_world import USERNAMES
from tests.test_access_matrix import routes, url_of, world  # noqa: F401

EXACT_POLICY = re.compile(
    r"default-src 'self'; script-src 'self' 'nonce-(?P<nonce>[\w-]{22})'; "
    r"style-src 'self' 'nonce-(?P=nonce)'; img-src 'self' data:; object-src 'none'; "
    r"base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
INLINE_CODE = re.compile(r"<[^>]+(\son[a-z]+=|javascript:)[^>]*>", re.IGNORECASE)
# Answers that carry a stricter policy of their own.
OWN_POLICY = {"api-docs.openapi_redoc", "portal.attachment"}


@pytest.mark.parametrize("role", ["anonymous", "customer", "admin"])
def test_every_html_answer_has_the_exact_policy_and_its_nonce(app, client, world, role):
    if role != "anonymous":
        client.login(USERNAMES[role])
    wrong, nonces = [], set()
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint in OWN_POLICY:
            continue
        response = client.get(url_of(app, rule, world))
        headers = response.headers
        policy = EXACT_POLICY.fullmatch(headers.get("Content-Security-Policy", ""))
        if policy is None:
            wrong.append(f"{rule.endpoint}: {headers.get('Content-Security-Policy')}")
            continue
        nonces.add(policy["nonce"])
        if (headers["X-Content-Type-Options"], headers["Referrer-Policy"],
                headers["X-Frame-Options"]) != ("nosniff", "same-origin", "DENY"):
            wrong.append(f"{rule.endpoint}: {dict(headers)}")
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            # Every <script>/<style> element carries this answer's nonce, none another.
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", body):
                if f'nonce="{policy["nonce"]}"' not in tag and 'src="' not in tag:
                    wrong.append(f"{rule.endpoint}: {tag}")
            handler = INLINE_CODE.search(body)
            if handler and 'data-toggle="dropdown"' not in handler.group(0):
                # (Bootstrap's dropdown toggles prevent their link's default: it never runs.)
                wrong.append(f"{rule.endpoint}: inline code {handler.group(0)!r}")
    assert wrong == []
    assert len(nonces) > 10, "a fresh nonce per answer"


def test_signed_in_pages_are_not_cached_and_public_ones_may_be(client, world):
    assert "no-store" not in client.get("/sla").headers.get("Cache-Control", "")
    client.login("anna")
    for path in ("/sla", "/tickets/", f"/tickets/{world['number']}", "/account",
                 "/api/v1/me"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


class TestBehindAnHttpsProxy:
    @pytest.fixture
    def config(self, config):
        return {**config, "PROXY_HOPS": 1, "PUBLIC_URL": "https://helpdesk.example"}

    def test_hsts_and_secure_cookies(self, client, make_user):
        make_user("anna")
        plain = client.get("/login")
        assert "Strict-Transport-Security" not in plain.headers
        secure = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        answer = client.login("anna")
        cookie = answer.headers["Set-Cookie"]
        assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax"))


def test_cookies_are_not_secure_on_plain_http(app):
    assert app.config["SESSION_COOKIE_SECURE"] is False  # PUBLIC_URL is http in the tests


def test_a_signed_in_visitor_gets_503_not_500_when_the_database_is_gone(tmp_path):
    """Found by the PostgreSQL restart of scripts/loadtest.py: the headers must not read the
    user row (its attributes expire at the rollback, and reloading them fails)."""
    from tests.test_auth import create_app_with_broken_database
    client = create_app_with_broken_database(tmp_path).test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"
    answer = client.get("/tickets/")
    assert answer.status_code == 503
    assert answer.headers["Cache-Control"] == "no-store"
