"""Customer satisfaction through the portal: only their own ticket, only once, only when
resolved or closed, only 1 to 5."""
import pytest
from sqlalchemy import select

from models import AuditEvent, db
from services import tickets


@pytest.fixture
def resolved(make_user, make_ticket, staff):
    anna = make_user("anna")
    ticket = make_ticket(anna)
    tickets.change_status(ticket.assignee, ticket, "resolved")
    db.session.commit()
    return ticket


def test_customer_rates_a_resolved_ticket_once(client, resolved):
    client.login("anna")
    page = client.get(f"/tickets/{resolved.number}").get_data(as_text=True)
    assert 'name="rating"' in page
    response = client.post_form(f"/tickets/{resolved.number}/rate",
                                {"rating": "4", "rating_comment": "Quick and kind"})
    assert response.status_code == 302
    db.session.refresh(resolved)
    assert (resolved.rating, resolved.rating_comment) == (4, "Quick and kind")
    assert resolved.rated_at is not None
    assert db.session.scalar(select(AuditEvent.new_value).where(
        AuditEvent.ticket_id == resolved.id, AuditEvent.action == "rated")) == "4"
    page = client.get(f"/tickets/{resolved.number}").get_data(as_text=True)
    assert 'name="rating"' not in page and "4 of 5" in page
    again = client.post_form(f"/tickets/{resolved.number}/rate", {"rating": "1"})
    assert again.status_code == 409
    db.session.refresh(resolved)
    assert resolved.rating == 4


def test_closed_ticket_can_be_rated(client, resolved):
    client.login("anna")
    client.post_form(f"/tickets/{resolved.number}/close")
    assert client.post_form(f"/tickets/{resolved.number}/rate", {"rating": "5"}).status_code == 302


@pytest.mark.parametrize("value", ["0", "6", "-1", "five", ""])
def test_rating_must_be_one_to_five(client, resolved, value):
    client.login("anna")
    response = client.post_form(f"/tickets/{resolved.number}/rate", {"rating": value})
    assert response.status_code == 422
    assert "Choose a rating from 1 to 5." in response.get_data(as_text=True)
    db.session.refresh(resolved)
    assert resolved.rating is None


def test_open_ticket_cannot_be_rated(client, make_user, make_ticket, staff):
    anna = make_user("anna")
    ticket = make_ticket(anna)
    client.login("anna")
    assert 'name="rating"' not in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert client.post_form(f"/tickets/{ticket.number}/rate", {"rating": "5"}).status_code == 403


def test_only_the_owner_rates(client, make_user, resolved, staff):
    make_user("bob")
    client.login("bob")
    assert client.post_form(f"/tickets/{resolved.number}/rate", {"rating": "1"}).status_code == 404
    client.logout()
    client.login(staff["admin"].username)
    assert client.post_form(f"/tickets/{resolved.number}/rate", {"rating": "1"}).status_code == 403
    db.session.refresh(resolved)
    assert resolved.rating is None


def test_rating_needs_login_and_csrf(app, client, resolved):
    response = client.post_form(f"/tickets/{resolved.number}/rate", {"rating": "5"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    client.login("anna")
    assert client.post(f"/tickets/{resolved.number}/rate", data={"rating": "5"}).status_code == 400
