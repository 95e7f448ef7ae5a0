"""Fixtures for the API tests: people of every role with tokens, and a ticket of a customer."""
import pytest

from models import db
from services import accounts

API = "/api/v1"
NEW_TICKET = {"title": "Printer", "description": "It does not print.", "type": "incident"}


@pytest.fixture
def people(make_user, staff):
    """Customers `owner` and `other`, plus the staff fixture's people."""
    return {"owner": make_user("anna"), "other": make_user("bob"), **staff}


@pytest.fixture
def auth(app):
    """auth(user) -> headers with a Bearer token of that user (None: anonymous)."""
    tokens = {}

    def headers(user) -> dict:
        if user is None:
            return {}
        if user.id not in tokens:
            tokens[user.id] = accounts.create_token(user, "tests")
            db.session.commit()
        return {"Authorization": f"Bearer {tokens[user.id]}"}

    return headers


@pytest.fixture
def ticket(people, make_ticket):
    """The owner's ticket, assigned to l1 (the first level-1 supporter)."""
    item = make_ticket(people["owner"])
    assert item.assignee_id == people["l1"].id
    return item


def call(client, auth, method: str, url: str, user=None, **kwargs):
    """One API request as `user` (a User or None for anonymous)."""
    return client.open(API + url, method=method, headers=auth(user), **kwargs)
