"""Attachments: checked by content, stored under random names, served only to readers."""
import io
import os

import pytest
from sqlalchemy import func, select

from models import Attachment, Ticket, db
from services import tickets
from tests.conftest import base_config

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


def submit_with_files(client, *files):
    return client.post_form("/tickets/new", {
        "title": "Skærmbillede", "description": "Se vedhæftet.", "type": "incident",
        "service": "", "urgency": "medium", "attachments": list(files)},
        content_type="multipart/form-data")


def test_customer_attaches_a_screenshot_and_a_log(app, client, make_user, staff):
    make_user("anna")
    client.login("anna")
    response = submit_with_files(client, upload(PNG, "skærm.png"), upload(b"error 42\n", "app.log"))
    assert response.status_code == 302
    stored = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(a.filename, a.content_type) for a in stored] == [
        ("skærm.png", "image/png"), ("app.log", "text/plain")]
    for attachment in stored:
        assert attachment.stored_name not in attachment.filename
        path = os.path.join(app.config["UPLOAD_FOLDER"], attachment.stored_name)
        assert os.path.exists(path) and not path.startswith(app.static_folder)
    log = client.get(f"/attachments/{stored[1].id}")
    assert log.status_code == 200 and log.data == b"error 42\n"
    assert "attachment" in log.headers["Content-Disposition"]
    assert log.headers["X-Content-Type-Options"] == "nosniff"


def test_a_disguised_executable_is_refused_and_nothing_is_created(client, make_user, staff):
    make_user("anna")
    client.login("anna")
    response = submit_with_files(client, upload(b"MZ\x90\x00\x03\x00\x00\x00", "cat.png"))
    assert response.status_code == 200
    assert "is not an allowed file" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


class TestSizeLimit:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "MAX_ATTACHMENT_BYTES": 1024}

    def test_an_oversized_file_is_refused_with_a_message(self, client, make_user, staff):
        make_user("anna")
        client.login("anna")
        response = submit_with_files(client, upload(b"x" * 2048, "big.log"))
        assert "is larger than" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


class TestRequestSizeLimit:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        return {**base_config(database_url, tmp_path), "MAX_CONTENT_LENGTH": 4096}

    def test_an_oversized_request_answers_413(self, client, make_user, staff):
        make_user("anna")
        client.login("anna")
        response = submit_with_files(client, upload(b"x" * 10000, "big.log"))
        assert response.status_code == 413
        assert "at most 4 KB in all" in response.get_data(as_text=True)  # the limits, in words


def test_another_customer_cannot_download_the_attachment(client, make_user, staff):
    """django-helpdesk #1335: an attachment is served only to who may read its ticket."""
    make_user("anna")
    make_user("bob")
    client.login("anna")
    submit_with_files(client, upload(PNG, "mine.png"))
    attachment_id = db.session.scalar(select(Attachment.id))
    client.logout()
    client.login("bob")
    assert client.get(f"/attachments/{attachment_id}").status_code == 404
    assert client.get("/attachments/9999").status_code == 404


def test_attachment_of_an_internal_note_is_hidden_from_the_customer(app, client, make_user,
                                                                     make_ticket, staff):
    from werkzeug.datastructures import FileStorage

    from services import attachments
    customer = make_user("anna")
    ticket = make_ticket(customer)
    note = tickets.add_comment(staff["l1"], ticket, "Intern log", internal=True).comment
    checked = attachments.validate([FileStorage(io.BytesIO(b"secret log"), "internal.log")])
    stored = attachments.store(staff["l1"], ticket, checked, note)
    db.session.commit()
    client.login("anna")
    assert client.get(f"/attachments/{stored[0].id}").status_code == 404
    assert "internal.log" not in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    client.logout()
    client.login("l1b")
    assert client.get(f"/attachments/{stored[0].id}").status_code == 200


def test_file_names_with_markup_are_shown_as_text(client, make_user, staff):
    make_user("anna")
    client.login("anna")
    submit_with_files(client, upload(b"hello", '<img src=x onerror=alert(1)>.log'))
    number = db.session.scalar(select(Ticket.number))
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.log" in page


def test_reply_with_attachment_on_own_ticket(client, make_user, make_ticket, staff):
    ticket = make_ticket(make_user("anna"))
    client.login("anna")
    response = client.post_form(f"/tickets/{ticket.number}/reply", {
        "body": "Her er loggen", "attachments": [upload(b"line 1\n", "more.log")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert attachment.comment_id is not None and attachment.ticket_id == ticket.id


def test_the_timeline_shows_who_wrote_what_and_the_files_under_their_comment(
        client, make_user, make_ticket, staff):
    """Each comment: its author (staff marked), the internal badge for staff only, its own
    files under it; on the customer's page and on the supporter's handling page."""
    ticket = make_ticket(make_user("anna"))
    client.login("anna")
    client.post_form(f"/tickets/{ticket.number}/reply", {
        "body": "Her er loggen", "attachments": [upload(b"line 1\n", "more.log")]},
        content_type="multipart/form-data")
    tickets.add_comment(staff["l1"], ticket, "Prøv at genstarte", internal=False)
    tickets.add_comment(staff["l1"], ticket, "Kunden har 3 printere", internal=True)
    db.session.commit()

    def comments(page: str) -> list[str]:
        return [item.split("</li>")[0] for item in page.split('<li class="comment')[1:]]
    mine = comments(client.get(f"/tickets/{ticket.number}").get_data(as_text=True))
    assert len(mine) == 2  # the reply and the supporter's answer; not the note
    reply, answer = mine
    assert reply.startswith('">') and "<strong>anna</strong>" in reply
    assert "Her er loggen" in reply and "more.log" in reply
    assert answer.startswith(' staff">') and f"<strong>{staff['l1'].username}</strong>" in answer
    assert "more.log" not in answer and "Kunden har 3 printere" not in "".join(mine)
    client.logout()
    client.login(staff["l1"].username)
    handling = comments(client.get(f"/admin/ticket/handle/{ticket.number}").get_data(as_text=True))
    note = handling[-1]
    assert note.startswith(' internal staff">') and "Internal note" in note
    assert len(handling) == 3 and "Kunden har 3 printere" in note and "more.log" in handling[0]
