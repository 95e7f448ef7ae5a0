"""Accounts through HTTP with CSRF on: login, logout, registration, the account page."""
import os
import re
import uuid

import pytest
import redis as redis_client
from sqlalchemy import select

from config import ConfigError
from models import Role, User, db
from tests.conftest import PASSWORD, base_config

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reachable_redis() -> redis_client.Redis:
    """Redis for the test, or a skip that says so (on CI, where Redis runs, a failure)."""
    connection = redis_client.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis_client.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: Redis is required at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return connection


def test_login_redirects_customer_to_portal_and_staff_to_backoffice(client, make_user):
    make_user("anna")
    make_user("tim", "supporter", level=1)
    assert client.login("anna").headers["Location"] == "/tickets/"
    client.logout()
    assert client.login("tim").headers["Location"] == "/admin/"


def test_login_with_wrong_password_changes_nothing_and_says_why(client, make_user):
    make_user("anna")
    response = client.post_form("/login", {"username": "anna", "password": "wrong-password!"})
    assert response.status_code == 200
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/tickets/").status_code == 302


def test_the_username_may_be_typed_in_any_case(client, make_user):
    make_user("Kunde")
    assert client.login("kunde").headers["Location"] == "/tickets/"


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, make_user):
    make_user("anna")
    wrong = client.post_form("/login", {"username": "anna", "password": "x" * 12})
    unknown = client.post_form("/login", {"username": "nobody", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong username or password." in unknown.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("gone", active=False)
    response = client.post_form("/login", {"username": "gone", "password": PASSWORD})
    assert response.status_code == 200


POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S | re.I)


def test_every_form_carries_its_token_as_csrf_token(client, make_user, make_ticket):
    """DESIGN.md: every form carries a CSRF token named `csrf_token` (the account page's
    prefixed forms had `prefs-csrf_token` and the like)."""
    anna = make_user("anna")
    number = make_ticket(anna).number
    pages = ["/login", "/register", "/password/reset"]
    for url in pages:
        forms = POST_FORM.findall(client.get(url).get_data(as_text=True))
        assert forms and all('name="csrf_token"' in form for form in forms), url
    client.login("anna")
    for url in ("/account", "/tickets/new", f"/tickets/{number}", "/notifications/"):
        forms = POST_FORM.findall(client.get(url).get_data(as_text=True))
        assert forms and all('name="csrf_token"' in form for form in forms), url
        assert all(re.findall(r'name="([\w-]*csrf_token)"', form) == ["csrf_token"]
                   for form in forms), url
    changed = client.post_form("/account", {"prefs-language": "da", "prefs-timezone": "",
                                            "prefs-submit": "1"})
    assert changed.status_code == 302 and db.session.get(User, anna.id).language == "da"


def test_post_without_csrf_token_is_refused(client, make_user):
    make_user("anna")
    assert client.post("/login", data={"username": "anna", "password": PASSWORD}).status_code == 400
    client.login("anna")
    refused = client.post("/account", data={"prefs-language": "da", "prefs-submit": "1"})
    assert refused.status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/tickets/").status_code == 200


def test_session_changes_at_login(client, make_user):
    """osTicket CVE-2026-9507: the session id is renewed at login (no fixation)."""
    make_user("anna")
    client.get("/")
    before = client.get_cookie("session").value
    client.login("anna")
    assert client.get_cookie("session").value != before


def test_logout_ends_a_copied_session(app, client, make_user):
    make_user("anna")
    client.login("anna")
    stolen = client.get_cookie("session").value
    client.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/tickets/").status_code == 302


def test_logout_is_post_only(client, make_user):
    make_user("anna")
    client.login("anna")
    assert client.get("/logout").status_code == 405
    assert client.get("/tickets/").status_code == 200


@pytest.mark.parametrize("target, expected", [
    ("/tickets/new", "/tickets/new"),
    ("https://evil.example/", "/tickets/"),
    ("//evil.example/", "/tickets/"),
    ("/\\evil.example", "/tickets/"),
    ("javascript:alert(1)", "/tickets/"),
    ("//[", "/tickets/"),  # not a URL at all
])
def test_login_follows_only_same_site_next(client, make_user, target, expected):
    make_user("anna")
    response = client.post_form(f"/login?next={target}",
                                {"username": "anna", "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_register_creates_a_signed_in_customer(client):
    response = client.post_form("/register", {
        "username": "newbie", "email": "newbie@example.com",
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.headers["Location"] == "/tickets/"
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.role == Role.CUSTOMER and user.level is None
    assert user.password_hash.startswith("scrypt:")
    assert client.get("/tickets/").status_code == 200


def test_register_ignores_role_and_level_in_the_request(client):
    client.post_form("/register", {
        "username": "sneaky", "email": "sneaky@example.com", "password": PASSWORD,
        "confirm": PASSWORD, "role": "admin", "level": "3"})
    user = db.session.scalar(select(User).where(User.username == "sneaky"))
    assert user.role == Role.CUSTOMER and user.level is None


@pytest.mark.parametrize("password, message", [
    ("short-pw", "at least 12"),
    ("helpdesk1234", "too common"),
    ("password1234", "too common"),
    ("newbie-is-my-name", "must not contain the username"),
    ("aaaaaaaaaaaaaa", "too common"),
])
def test_register_refuses_weak_passwords_and_creates_nothing(client, password, message):
    response = client.post_form("/register", {
        "username": "newbie", "email": "newbie@example.com",
        "password": password, "confirm": password})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "newbie")) is None


def test_demo_password_passes_the_policy():
    from services.accounts import password_problem
    assert password_problem("helpdesk-demo", "Kunde") is None


def test_register_refuses_taken_username_and_mismatched_confirmation(client, make_user):
    make_user("anna")
    taken = client.post_form("/register", {
        "username": "Anna", "email": "other@example.com", "password": PASSWORD,
        "confirm": PASSWORD})
    assert "This username is taken." in taken.get_data(as_text=True)
    mismatch = client.post_form("/register", {
        "username": "bea", "email": "bea@example.com", "password": PASSWORD,
        "confirm": PASSWORD + "x"})
    assert "The passwords do not match." in mismatch.get_data(as_text=True)


class TestRegistrationDomains:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "REGISTRATION_DOMAINS": ["firma.dk"]}

    def test_only_the_organisations_domains_may_register(self, client):
        outside = client.post_form("/register", {
            "username": "outsider", "email": "x@gmail.com", "password": PASSWORD,
            "confirm": PASSWORD})
        assert "firma.dk" in outside.get_data(as_text=True)
        inside = client.post_form("/register", {
            "username": "insider", "email": "x@firma.dk", "password": PASSWORD,
            "confirm": PASSWORD})
        assert inside.status_code == 302


def test_change_password_ends_other_sessions(app, client, make_user):
    make_user("anna")
    client.login("anna")
    other = app.test_client()
    other.login("anna")
    new = "a-much-better-passphrase"
    response = client.post_form("/account", {
        "pw-current": PASSWORD, "pw-password": new, "pw-confirm": new, "pw-submit": "1"})
    assert response.status_code == 302
    assert client.get("/tickets/").status_code == 200
    assert other.get("/tickets/").status_code == 302
    client.logout()
    client.login("anna", new)


def test_change_password_with_wrong_current_password_changes_nothing(client, make_user):
    user = make_user("anna")
    old_hash = user.password_hash
    response = client.login("anna") and client.post_form("/account", {
        "pw-current": "not-my-password", "pw-password": "another-good-one",
        "pw-confirm": "another-good-one", "pw-submit": "1"})
    assert "The current password is wrong." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_preferences_are_saved(client, make_user):
    user = make_user("anna")
    client.login("anna")
    response = client.post_form("/account", {
        "prefs-language": "da", "prefs-timezone": "Europe/London", "prefs-submit": "1"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.language, user.timezone, user.email_notifications) == ("da", "Europe/London", False)


# zoneinfo opens "localtime", "Factory" and "posix/..."; the pages format with pytz, which
# does not know them: saved, they broke every page of that user.
@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "Factory",
                                  "posix/Europe/Copenhagen"])
def test_unknown_time_zone_is_refused(client, make_user, zone):
    user = make_user("anna")
    client.login("anna")
    response = client.post_form("/account", {
        "prefs-language": "en", "prefs-timezone": zone, "prefs-submit": "1"})
    assert "Unknown time zone" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.timezone is None
    assert client.get("/tickets/").status_code == 200


def test_a_return_address_that_is_not_a_url_is_refused_not_a_crash(client, make_user):
    make_user("boss", "admin")
    client.login("boss")
    assert client.get("/admin/user/edit/?id=1&url=http://[x").status_code == 400
    response = client.post_form("/language", {"language": "da", "next": "//["})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_backoffice_is_for_staff_only(client, make_user):
    make_user("anna")
    make_user("boss", "manager")
    assert client.get("/admin/").headers["Location"].startswith("/login")
    client.login("anna")
    assert client.get("/admin/").status_code == 403
    client.logout()
    client.login("boss")
    assert client.get("/admin/").status_code == 200


class TestRateLimit:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
                "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_attempts_are_limited_per_account(self, app, client, make_user):
        make_user("anna")
        for _ in range(3):
            client.post_form("/login", {"username": "anna", "password": "wrong-password!"})
        response = client.post_form("/login", {"username": "anna", "password": PASSWORD})
        assert response.status_code == 429
        assert "Too many attempts" in response.get_data(as_text=True)

    def test_login_attempts_are_limited_per_address(self, app, client, make_user):
        for name in ("anna", "bent", "carl", "dora"):
            make_user(name)
        for name in ("anna", "bent", "carl"):
            client.post_form("/login", {"username": name, "password": "wrong-password!"})
        response = client.post_form("/login", {"username": "dora", "password": PASSWORD})
        assert response.status_code == 429

    def test_a_new_address_does_not_reset_the_account_limit(self, app, client, make_user):
        make_user("anna")
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            client.post_form("/login", {"username": "anna", "password": "wrong-password!"},
                             environ_base={"REMOTE_ADDR": address})
        response = client.post_form("/login", {"username": "anna", "password": PASSWORD},
                                    environ_base={"REMOTE_ADDR": "10.0.0.4"})
        assert response.status_code == 429


class TestRateLimitInRedis:
    """RATELIMIT_STORAGE_URI=redis://...: the counters live in Redis, so every worker and
    host shares them; with Redis away, sign-in still works and the limits hold in memory."""

    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
                "LOGIN_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": REDIS_URL,
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}

    def test_the_counters_are_kept_in_redis(self, app, client, make_user):
        redis = reachable_redis()
        make_user("anna")
        for _ in range(3):
            client.post_form("/login", {"username": "anna", "password": "wrong-password!"})
        assert client.post_form("/login", {"username": "anna", "password": PASSWORD}
                                ).status_code == 429
        prefix = app.config["RATELIMIT_KEY_PREFIX"]
        assert redis.keys(f"*{prefix}*"), "no rate-limit counter was written to Redis"



class TestRateLimitWithRedisAway:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
                "LOGIN_RATE_LIMIT": "3 per minute",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}  # nothing listens there

    def test_sign_in_works_and_the_limit_holds_in_memory(self, app, client, make_user):
        make_user("anna")
        assert client.login("anna").status_code == 302
        client.logout()
        for _ in range(3):
            client.post_form("/login", {"username": "anna", "password": "wrong-password!"})
        assert client.post_form("/login", {"username": "anna", "password": PASSWORD}
                                ).status_code == 429


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_gone(tmp_path):
    app = create_app_with_broken_database(tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def create_app_with_broken_database(tmp_path):
    from app import create_app
    return create_app(base_config("sqlite:////nonexistent-dir/none.db", tmp_path))


def test_pages_answer_503_not_500_when_the_database_is_gone(tmp_path):
    response = create_app_with_broken_database(tmp_path).test_client().get("/sla")
    assert response.status_code == 503
    assert "briefly unavailable" in response.get_data(as_text=True)


def test_app_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    from app import create_app
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("config.INSTANCE", tmp_path)
    config = base_config("sqlite://", tmp_path)
    del config["SECRET_KEY"]
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(config)


def test_secret_key_is_read_from_the_instance_file(tmp_path, monkeypatch):
    from app import create_app
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("config.INSTANCE", tmp_path)
    (tmp_path / "secret_key").write_text("from-the-file\n")
    config = base_config("sqlite://", tmp_path)
    del config["SECRET_KEY"]
    assert create_app(config).config["SECRET_KEY"] == "from-the-file"


def test_security_headers_and_cookie_flags(client, make_user):
    make_user("anna")
    response = client.login("anna")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/tickets/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("given", ["postgres://u@db:5432/desk", "postgresql://u@db:5432/desk",
                                   "postgresql+psycopg://u@db:5432/desk"])
def test_a_plain_postgresql_url_uses_the_driver_we_ship(monkeypatch, given):
    from config import load_config
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_config()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db:5432/desk"
