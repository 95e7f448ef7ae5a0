# ruff: noqa: F811 -- the matrix's `world` fixture is imported, then used as an argument
"""Attacks on every route of the access matrix (tests/test_access_matrix.py owns the table of
endpoints and roles; this module reuses its route list, URLs and world, it adds no table).

- CSRF with a wrong or a foreign token (another session's) on every POST, PATCH and DELETE.
- A manager who tries every mutating route with a full, plausible body changes nothing
  (Zammad CVE-2022-40817: read-only agents could still change links and tags).
"""
import hashlib
import re

import pytest
from sqlalchemy import select

from models import db
from tests.access_world import USERNAMES
from tests.test_access_matrix import answer_of, model_view_rows, routes, url_of, world  # noqa: F401

# What anyone signed in may change about themself (DESIGN.md): not "anything" for a manager.
OWN_ROUTES = {"auth.account", "auth.logout", "auth.login", "auth.register", "auth.revoke_token",
              "portal.notifications_read", "public.set_language", "admin.toggle_away",
              "password.request_reset", "password.reset_with_token"}
# Columns that record a visit, not a change.
VISIT_COLUMNS = {("api_tokens", "last_used_at")}


def _foreign_token(app, world) -> str:
    """A valid token of another signed-in session (anna's)."""
    other = app.test_client()
    other.login("anna")
    return other.csrf_token("/")


@pytest.mark.parametrize("kind", ["wrong", "foreign", "empty"])
def test_every_post_with_a_bad_csrf_token_is_refused(app, client, world, kind):
    """osTicket-style CSRF: a token must be this session's own, not just any token."""
    client.login(USERNAMES["admin"])
    token = {"wrong": "IjEyMyI.not-a-token.sig", "empty": "",
             "foreign": _foreign_token(app, world)}[kind]
    accepted = []
    for rule, method in routes(app):
        if method == "GET" or rule.endpoint == "auth.logout":
            continue
        url = url_of(app, rule, world)
        response = client.open(url, method=method, data={"csrf_token": token},
                               headers={"X-CSRFToken": token})
        if answer_of(response) != "400":
            accepted.append(f"{rule.endpoint} {method}: {response.status_code}")
    assert accepted == []


def fingerprint() -> dict[str, str]:
    """A digest of every table's rows, minus the columns that only record visits."""
    db.session.rollback()
    digests = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in VISIT_COLUMNS]
        rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def _bodies(app, rule, world) -> list[dict]:
    """Plausible bodies for a route: every action of a model view, every field staff use."""
    ids = [str(world[key]) for key in ("ticket_id", "user_id", "document_id")]
    fields = {"body": "a manager was here", "status": "closed", "type": "request",
              "impact": "high", "urgency": "high", "priority": "P1", "reason": "because",
              "level": "3", "assignee": "l2a", "title": "changed", "description": "changed",
              "role": "admin", "active": "", "internal": "1", "public": "y", "ids": ids,
              "rowid": ids, "id": ids[0], "name": "x", "covered": "y", "email": "m@x.dk",
              "username": "renamed", "rating": "5", "parent": str(world["number"])}
    view_name, _, name = rule.endpoint.rpartition(".")
    if name != "action_view":
        return [fields]
    admin = app.extensions["admin"][0]
    view = next(v for v in admin._views if v.endpoint == view_name)
    return [{**fields, "action": action} for action, *_ in view._actions]


def test_a_manager_changes_nothing_on_any_route(app, client, world):
    """Every mutating route that is not about the manager's own account, with real bodies,
    as form posts and as JSON (the API): the database is byte-for-byte the same after."""
    assert set(model_view_rows(app))  # the matrix's world reaches the model views
    client.login(USERNAMES["manager"])
    token = client.csrf_token("/")
    before = fingerprint()
    server_errors = []
    for rule, method in routes(app):
        if method == "GET" or rule.endpoint in OWN_ROUTES:
            continue
        url = url_of(app, rule, world)
        for body in _bodies(app, rule, world):
            answers = [client.open(url, method=method, data={**body, "csrf_token": token})]
            if url.startswith("/api/"):
                answers.append(client.open(url, method=method, json=body,
                                           headers={"X-CSRFToken": token}))
            server_errors += [f"{rule.endpoint} {a.status_code}" for a in answers
                              if a.status_code >= 500]
    after = fingerprint()
    assert server_errors == []
    assert [name for name in before if before[name] != after[name]] == []


def test_the_fingerprint_sees_a_change(app, client, world):
    """The check above could fail: the same routes as an admin do change rows."""
    client.login(USERNAMES["admin"])
    before = fingerprint()
    client.post_form(f"/tickets/{world['number']}/close")
    assert before["tickets"] != fingerprint()["tickets"]


OUT_OF_RANGE = ("2147483648", "99999999999999999999")  # past PostgreSQL's integer; past 64 bits


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_numbers_too_large_for_the_database_are_not_found_on_every_route(app, world, number):
    """Every route with a number in its path, and every backoffice ?id=, as admin and as a
    customer: not found (or refused), never an overflow inside the query (a 500)."""
    for username in ("root", "anna"):
        client = app.test_client()
        client.login(username)
        for rule in app.url_map.iter_rules():
            if "<int" not in rule.rule:
                continue
            url = re.sub(r"<[^>]+>", "x", re.sub(r"<int[^>]*>", number, rule.rule))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, data={
                    "csrf_token": client.csrf_token("/")} if method != "GET" else None)
                assert response.status_code < 500, (username, method, url)
        for view in ("ticket", "user", "document", "notification"):
            for action in ("details", "edit"):
                response = client.get(f"/admin/{view}/{action}/?id={number}")
                assert response.status_code < 500, (username, view, action)
        for form in ({"id": number}, {"ticket": number}):
            response = client.post_form("/notifications/read", form)
            assert response.status_code == 302
