"""No CPR number or password is stored, whatever the surface (portal, backoffice, API) and
field (title, description, comment); a supporter asking for one is warned before sending."""
import pytest
from sqlalchemy import select

from models import AuditEvent, Comment, OutboxEmail, Ticket, db
from services import tickets
from services.secrets import MASK
from tests.conftest import base_config

# (written, what must not be stored): valid dates with and without the hyphen.
SECRETS = [("CPR 010190-1234", "010190-1234"), ("cpr 3112851234", "3112851234"),
           ("nr 290200-4321", "290200-4321")]  # 29 February 2000 existed
# Not CPR numbers: no such dates, so they stay as written.
NOT_SECRETS = ["320190-1234", "011390-1234", "3002851234", "order 1234567890"]


@pytest.fixture
def config(database_url, tmp_path) -> dict:
    """Email on (queued in the outbox, never delivered here): emails are a surface too."""
    return {**base_config(database_url, tmp_path), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9,
            "MAIL_FROM": "helpdesk@helpdesk.test"}


def _stored_texts() -> str:
    texts = [f"{t.title}\n{t.description}" for t in db.session.scalars(select(Ticket))]
    texts += db.session.scalars(select(Comment.body)).all()
    texts += [e.new_value or "" for e in db.session.scalars(select(AuditEvent))]
    texts += [f"{m.subject}\n{m.body_text}\n{m.body_html}" for m in
              db.session.scalars(select(OutboxEmail))]
    return "\n".join(texts)


def _assert_masked(secret: str) -> None:
    db.session.expire_all()
    assert secret not in _stored_texts()
    assert secret.replace("-", "") not in _stored_texts()


@pytest.mark.parametrize("written, secret", SECRETS)
@pytest.mark.parametrize("field", ["title", "description"])
def test_portal_masks_cpr_in_title_and_description(client, staff, make_user, written, secret,
                                                   field):
    make_user("anna")
    client.login("anna")
    values = {"title": "Printer", "description": "Den virker ikke", "type": "incident",
              "urgency": "medium"}
    values[field] = f"Mit {written} er med"
    page = client.post_form("/tickets/new", values, follow_redirects=True)
    assert "A CPR number was removed from your text." in page.get_data(as_text=True)
    _assert_masked(secret)


@pytest.mark.parametrize("written, secret", SECRETS)
def test_portal_and_backoffice_mask_cpr_in_comments(client, staff, make_user, make_ticket,
                                                    written, secret):
    ticket = make_ticket(make_user("anna"))
    client.login("anna")
    page = client.post_form(f"/tickets/{ticket.number}/reply", {"body": f"Her: {written}"},
                            follow_redirects=True)
    assert "A CPR number was removed" in page.get_data(as_text=True)
    email = db.session.scalar(select(OutboxEmail.body_text).order_by(OutboxEmail.id.desc()))
    assert f"Her: {written.replace(secret, MASK)}" in email  # the masked reply is quoted
    client.logout()
    client.login(ticket.assignee.username)
    page = client.post_form(f"/admin/ticket/handle/{ticket.number}/respond",
                            {"body": f"Noteret {written}", "internal": "1"},
                            follow_redirects=True)
    assert "A CPR number was removed" in page.get_data(as_text=True)
    _assert_masked(secret)


@pytest.mark.parametrize("written, secret", SECRETS)
def test_the_api_masks_cpr_everywhere_and_warns(client, staff, make_user, make_ticket,
                                                written, secret):
    anna = make_user("anna")
    client.login("anna")
    token = client.csrf_token("/")
    created = client.post("/api/v1/tickets", headers={"X-CSRFToken": token}, json={
        "title": f"Nummer {written}", "description": f"Igen {written}", "type": "incident"})
    assert created.status_code == 201
    assert "A CPR number was removed from your text." in created.get_json()["warnings"]
    number = created.get_json()["number"]
    answer = client.post(f"/api/v1/tickets/{number}/comments", headers={"X-CSRFToken": token},
                         json={"body": f"Og {written}"})
    assert answer.get_json()["warnings"] == ["A CPR number was removed from your text."]
    read = client.get(f"/api/v1/tickets/{number}").get_json()
    assert read["comments"][0]["body"] == f"Og {written.replace(secret, MASK)}"
    assert read["customer"] == anna.username
    _assert_masked(secret)


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_numbers_without_a_valid_date_are_kept(client, staff, make_user, text):
    make_user("anna")
    client.login("anna")
    token = client.csrf_token("/")
    created = client.post("/api/v1/tickets", headers={"X-CSRFToken": token}, json={
        "title": "Ordre", "description": f"Nummer {text}", "type": "incident"}).get_json()
    assert created["description"] == f"Nummer {text}" and created["warnings"] == []


def test_a_supporter_asking_for_a_password_is_warned_before_sending(client, staff, make_user,
                                                                    make_ticket):
    ticket = make_ticket(make_user("anna"))
    client.login(ticket.assignee.username)
    url = f"/admin/ticket/handle/{ticket.number}/respond"
    question = "Hvad er dit TeamViewer ID og din adgangskode, og dit CPR-nummer?"
    first = client.post_form(url, {"body": question})
    page = first.get_data(as_text=True)
    assert first.status_code == 409
    assert 'id="send-anyway"' in page and 'name="confirm_secret" value="1"' in page
    assert question in page  # the draft is kept for the confirmation
    assert db.session.scalars(select(Comment)).all() == []
    sent = client.post_form(url, {"body": question, "confirm_secret": "1"})
    assert sent.status_code == 302
    assert db.session.scalar(select(Comment.body)) == question


def test_internal_notes_and_harmless_replies_are_not_held_back(client, staff, make_user,
                                                               make_ticket):
    ticket = make_ticket(make_user("anna"))
    client.login(ticket.assignee.username)
    url = f"/admin/ticket/handle/{ticket.number}/respond"
    assert client.post_form(url, {"body": "Er printeren tændt?"}).status_code == 302
    assert client.post_form(url, {"body": "Hun bad om ny adgangskode", "internal": "1"}
                            ).status_code == 302
    assert len(db.session.scalars(select(Comment)).all()) == 2


def test_the_services_mask_what_the_backoffice_bulk_and_jobs_write(staff, make_user, make_ticket):
    ticket = make_ticket(make_user("anna"), title="Hjælp 010190-1234",
                         description="password: Sommer2024")
    tickets.add_comment(staff["l1"], ticket, "TeamViewer ID 435 275 764")
    db.session.commit()
    stored = _stored_texts()
    assert "010190-1234" not in stored and "Sommer2024" not in stored
    assert "435 275 764" not in stored


def test_rating_comments_and_priority_reasons_are_masked_too(client, staff, make_user,
                                                            make_ticket):
    ticket = make_ticket(make_user("anna"))
    tickets.override_priority(ticket.assignee, ticket, "P2", "kunde 010190-1234 ringede")
    tickets.change_status(ticket.assignee, ticket, "resolved")
    db.session.commit()
    client.login("anna")
    client.post_form(f"/tickets/{ticket.number}/rate",
                     {"rating": "5", "rating_comment": "Tak! Mit CPR er 3112851234"})
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.rating == 5
    assert ticket.rating_comment == f"Tak! Mit CPR er {MASK}"
    assert ticket.priority_reason == f"kunde {MASK} ringede"
    _assert_masked("010190-1234")
