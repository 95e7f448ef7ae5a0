"""A form shown back (a reply asking for a CPR number to confirm, a field to correct) keeps the
files that came with it: they wait on the server for their uploader only, for a short while,
and the form sent again attaches them. Nobody else's form can."""
import io
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Attachment, Comment, PendingUpload, Ticket, db, utcnow
from services import jobs
from services.secrets import MASK

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
QUESTION = "Hvad er dit CPR-nummer? HR skrev 010190-1234, passer det?"
TOKEN = re.compile(r'name="pending" value="([^"]+)"')


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _respond(client, ticket, values: dict, files=()):
    return client.post_form(f"/admin/ticket/handle/{ticket.number}/respond",
                            {**values, "attachments": [(io.BytesIO(d), n) for d, n in files]},
                            content_type="multipart/form-data")


@pytest.fixture
def warned(client, staff, make_user, make_ticket):
    """A supporter's reply with a CPR number and a file, held back by the warning page."""
    ticket = make_ticket(make_user("anna"))
    client.login(ticket.assignee.username)
    answer = _respond(client, ticket, {"body": QUESTION, "status": "pending"},
                      [(PNG, "skærm.png")])
    return ticket, answer


def test_the_warning_page_keeps_the_file_and_confirming_attaches_it(client, warned):
    ticket, answer = warned
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409 and 'id="send-anyway"' in page
    assert "skærm.png" in page and 'id="kept-files"' in page
    assert '<option value="pending" selected>' in page  # the chosen status is kept too
    assert _count(Comment) == 0 and _count(Attachment) == 0
    tokens = TOKEN.findall(page)
    assert len(tokens) == 1
    sent = _respond(client, ticket, {"body": QUESTION, "confirm_secret": "1", "status": "pending",
                                     "pending": tokens[0]})
    assert sent.status_code == 302
    comment = db.session.scalar(select(Comment))
    assert "010190-1234" not in comment.body and f"HR skrev {MASK}" in comment.body
    attachment = db.session.scalar(select(Attachment))
    assert (attachment.filename, attachment.comment_id) == ("skærm.png", comment.id)
    assert client.get(f"/attachments/{attachment.id}").data == PNG
    assert db.session.get(Ticket, ticket.id).status.value == "pending"
    assert _count(PendingUpload) == 0
    again = _respond(client, ticket, {"body": "Igen", "pending": tokens[0]})  # claimed once
    assert again.status_code == 302 and _count(Attachment) == 1
    assert "no longer available" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_new_files_on_the_confirmation_join_the_kept_ones(client, warned):
    ticket, answer = warned
    token = TOKEN.findall(answer.get_data(as_text=True))[0]
    _respond(client, ticket, {"body": QUESTION, "confirm_secret": "1", "pending": token},
             [(b"log line\n", "fejl.log")])
    assert sorted(db.session.scalars(select(Attachment.filename))) == ["fejl.log", "skærm.png"]


def test_an_unticked_file_is_left_out(client, warned):
    ticket, _answer = warned
    assert _respond(client, ticket, {"body": QUESTION, "confirm_secret": "1"}).status_code == 302
    assert _count(Comment) == 1 and _count(Attachment) == 0


def test_another_supporter_posting_the_token_gets_nothing_attached(client, warned, staff):
    ticket, answer = warned
    token = TOKEN.findall(answer.get_data(as_text=True))[0]
    client.logout()
    client.login("root")  # may reply on any ticket
    refused = _respond(client, ticket, {"body": "Tak for info", "pending": token})
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "The files chosen earlier are no longer available: choose them again." in page
    assert _count(Comment) == 0 and _count(Attachment) == 0
    assert _count(PendingUpload) == 1  # still the owner's to send


def test_another_customer_posting_the_token_on_the_portal_gets_a_refusal(client, warned,
                                                                        make_user):
    _ticket, answer = warned
    token = TOKEN.findall(answer.get_data(as_text=True))[0]
    client.logout()
    make_user("bob")
    client.login("bob")
    refused = client.post_form("/tickets/new", {
        "title": "Min printer", "description": "Virker ikke.", "type": "incident",
        "urgency": "medium", "service": "", "pending": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "The files chosen earlier are no longer available: choose them again." in page
    assert token not in page and "skærm.png" not in page
    assert _count(Ticket) == 1 and _count(Attachment) == 0  # only anna's ticket
    assert _count(PendingUpload) == 1


def test_a_customer_reply_shown_back_keeps_its_file(client, make_user, make_ticket, staff):
    ticket = make_ticket(make_user("anna"))
    client.login("anna")
    url = f"/tickets/{ticket.number}/reply"
    empty = client.post_form(url, {"body": " ", "attachments": [(io.BytesIO(PNG), "a.png")]},
                             content_type="multipart/form-data")
    assert empty.status_code == 422
    token = TOKEN.findall(empty.get_data(as_text=True))
    assert len(token) == 1 and _count(Comment) == 0
    assert client.post_form(url, {"body": "Her", "pending": token[0]}).status_code == 302
    assert db.session.scalar(select(Attachment.filename)) == "a.png"


def test_kept_files_expire_and_the_job_removes_them(app, client, warned):
    ticket, answer = warned
    token = TOKEN.findall(answer.get_data(as_text=True))[0]
    pending = db.session.scalar(select(PendingUpload))
    path = os.path.join(app.config["UPLOAD_FOLDER"], pending.stored_name)
    assert os.path.exists(path)
    pending.created_at = utcnow() - timedelta(minutes=app.config["PENDING_UPLOAD_MINUTES"] + 1)
    db.session.commit()
    late = _respond(client, ticket, {"body": QUESTION, "confirm_secret": "1", "pending": token})
    assert late.status_code == 302 and _count(Comment) == 0
    assert jobs.run_all().uploads_forgotten == 1
    assert _count(PendingUpload) == 0 and not os.path.exists(path)


@pytest.mark.parametrize("tokens", [["x" * 65], [f"t{n}" for n in range(25)], ["", "nope"]])
def test_made_up_tokens_are_a_clear_refusal(client, make_user, staff, tokens):
    make_user("anna")
    client.login("anna")
    answer = client.post_form("/tickets/new", {
        "title": "Printer", "description": "Virker ikke.", "type": "incident",
        "urgency": "medium", "service": "", "pending": tokens})
    assert answer.status_code == 200
    assert "no longer available" in answer.get_data(as_text=True)
    assert _count(Ticket) == 0


class TestLimits:
    @pytest.fixture
    def config(self, database_url, tmp_path):
        from tests.conftest import base_config
        return {**base_config(database_url, tmp_path), "MAX_CONTENT_LENGTH": 4096}

    def test_a_users_waiting_files_stay_within_one_requests_limit(self, client, make_user,
                                                                  staff):
        make_user("anna")
        client.login("anna")
        for n in range(3):  # three forms shown back, none sent again
            client.post_form("/tickets/new", {
                "title": "", "description": "x", "type": "incident", "urgency": "medium",
                "attachments": [(io.BytesIO(b"y" * 1500), f"log{n}.log")]},
                content_type="multipart/form-data")
        sizes = db.session.scalars(select(PendingUpload.size)).all()
        assert sum(sizes) <= 4096 and len(sizes) == 2  # the oldest made room
        assert "log0.log" not in db.session.scalars(select(PendingUpload.filename)).all()
