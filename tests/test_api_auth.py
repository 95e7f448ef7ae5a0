# ruff: noqa: F811 -- fixtures from tests.api_support are imported, then used as arguments
"""API authentication: Bearer tokens (revocable, shown once, ended with the user), the browser
session with CSRF for writes, rate limits per token, size limits."""
import re

import pytest
from sqlalchemy import select

from models import ApiToken, db
from services import NotFound, accounts, users
from tests.api_support import API, NEW_TICKET, auth, call, people, ticket  # noqa: F401
from tests.conftest import base_config


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_names_its_user_and_records_when_it_was_used(client, make_user):
    anna = make_user("anna")
    token = accounts.create_token(anna, "script")
    db.session.commit()
    response = client.get(f"{API}/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["username"] == "anna"
    assert db.session.scalar(select(ApiToken)).last_used_at is not None
    assert "Set-Cookie" not in response.headers  # a token request never opens a session


def test_only_the_digest_of_a_token_is_stored(make_user):
    token = accounts.create_token(make_user("anna"), "script")
    stored = db.session.scalar(select(ApiToken))
    assert token not in (stored.digest, stored.name) and len(stored.digest) == 64


@pytest.mark.parametrize("header", [
    "Bearer hd_not-a-real-token", "Bearer ", "Basic YW5uYTpwYXNzd29yZA==", "hd_no_scheme",
])
def test_a_wrong_or_malformed_authorization_is_401_as_json(client, make_user, header):
    make_user("anna")
    response = client.get(f"{API}/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_stops_working_at_once(client, make_user):
    anna = make_user("anna")
    token = accounts.create_token(anna, "script")
    db.session.commit()
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    accounts.revoke_token(anna, db.session.scalar(select(ApiToken.id)))
    db.session.commit()
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401


def test_a_deactivated_users_tokens_stop_working(client, make_user, staff):
    tim = make_user("tim", "supporter", level=1)
    token = accounts.create_token(tim, "script")
    db.session.commit()
    users.set_active(staff["admin"], tim, False)
    db.session.commit()
    assert client.get(f"{API}/tickets", headers=bearer(token)).status_code == 401
    users.set_active(staff["admin"], tim, True)  # back on the rota: the old token stays ended
    db.session.commit()
    assert client.get(f"{API}/tickets", headers=bearer(token)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(make_user):
    anna, bob = make_user("anna"), make_user("bob")
    accounts.create_token(anna, "script")
    with pytest.raises(NotFound):
        accounts.revoke_token(bob, db.session.scalar(select(ApiToken.id)))


def test_the_cli_token_is_the_last_word_and_works(client, runner, make_user):
    make_user("anna")
    result = runner.invoke(args=["users", "token", "anna"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1].split()[-1]
    assert client.get(f"{API}/me", headers=bearer(token)).get_json()["username"] == "anna"


def test_the_session_reads_without_a_token(client, make_user):
    make_user("anna")
    client.login("anna")
    assert client.get(f"{API}/me").get_json()["username"] == "anna"


def test_session_writes_need_the_csrf_token_and_bearer_writes_do_not(client, make_user):
    anna = make_user("anna")
    client.login("anna")
    refused = client.post(f"{API}/tickets", json=NEW_TICKET)
    assert refused.status_code == 400 and refused.get_json()["code"] == "csrf"
    accepted = client.post(f"{API}/tickets", json=NEW_TICKET,
                           headers={"X-CSRFToken": client.csrf_token()})
    assert accepted.status_code == 201
    token = accounts.create_token(anna, "script")
    db.session.commit()
    other_client = client.application.test_client()
    assert other_client.post(f"{API}/tickets", json=NEW_TICKET,
                             headers=bearer(token)).status_code == 201


def test_session_patch_and_delete_need_the_csrf_token_too(client, auth, people, ticket):
    client.login("l1a")
    assert client.patch(f"{API}/tickets/{ticket.number}", json={"type": "request"}
                        ).status_code == 400
    assert client.delete(f"{API}/tickets/{ticket.number}/link").status_code == 400
    assert call(client, auth, "PATCH", f"/tickets/{ticket.number}", people["l1"],
                json={"type": "request"}).status_code == 200


def test_account_page_creates_a_token_shown_once_lists_and_revokes_it(client, make_user):
    make_user("anna")
    client.login("anna")
    created = client.post_form("/account", {"token-name": "Monitoring", "token-submit": "1"})
    assert created.status_code == 200
    token = re.search(r'<code id="new-token">([^<]+)</code>', created.get_data(as_text=True))[1]
    assert client.application.test_client().get(
        f"{API}/me", headers=bearer(token)).status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert "Monitoring" in page and token not in page
    token_id = db.session.scalar(select(ApiToken.id))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 400  # no CSRF token
    revoked = client.post_form(f"/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert client.application.test_client().get(
        f"{API}/me", headers=bearer(token)).status_code == 401


def test_account_page_does_not_revoke_another_users_token(client, make_user):
    bob = make_user("bob")
    token = accounts.create_token(bob, "bob's")
    make_user("anna")
    db.session.commit()
    client.login("anna")
    client.post_form(f"/account/tokens/{db.session.scalar(select(ApiToken.id))}/revoke")
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200


class TestLimits:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "RATELIMIT_ENABLED": True,
                "API_RATE_LIMIT": "3 per minute", "API_MAX_CONTENT_LENGTH": 2048}

    def test_requests_are_limited_per_token_with_a_json_429(self, client, make_user):
        anna, bob = make_user("anna"), make_user("bob")
        token, other = accounts.create_token(anna, "a"), accounts.create_token(bob, "b")
        db.session.commit()
        for _ in range(3):
            assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
        limited = client.get(f"{API}/tickets", headers=bearer(token))
        assert limited.status_code == 429 and limited.get_json()["code"] == "too_many_requests"
        assert client.get(f"{API}/me", headers=bearer(other)).status_code == 200

    def test_another_spelling_of_the_header_is_the_same_token(self, client, make_user):
        token = accounts.create_token(make_user("anna"), "a")
        db.session.commit()
        spellings = (f"Bearer {token}", f"bearer {token}", f"BEARER  {token}", f"Bearer {token} ")
        answers = [client.get(f"{API}/me", headers={"Authorization": spelling}).status_code
                   for spelling in spellings]
        assert answers == [200, 200, 200, 429]

    def test_made_up_tokens_count_against_the_address(self, client):
        answers = [client.get(f"{API}/me", headers=bearer(f"made-up-{n}")).status_code
                   for n in range(4)]
        assert answers == [401, 401, 401, 429]

    def test_a_body_over_the_api_size_limit_is_413(self, client, make_user):
        token = accounts.create_token(make_user("anna"), "a")
        db.session.commit()
        response = client.post(f"{API}/tickets", headers=bearer(token),
                               json={**NEW_TICKET, "description": "x" * 4096})
        assert response.status_code == 413
        assert response.get_json()["code"] == "request_entity_too_large"
