"""Stored XSS: hostile text in every field and file name, read back on every surface that
shows it (portal, backoffice grids, details, handling page, dashboard, knowledge base, emails,
API). django-helpdesk CVE-2021-3945 printed a ticket-list field unescaped; CVE-2021-3994 let
Markdown links `[x](javascript:...)` through (and its first regex fix was bypassed)."""
import io
import re

import pytest
from sqlalchemy import select

from models import CannedReply, Document, OutboxEmail, Service, Ticket, db
from services import tickets

PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><svg onload=alert(3)>'
# Live markup only: a payload element, or a tag whose link or source runs code (Flask-Admin's
# inert javascript:void(0) placeholders aside). Escaped text (&lt;a href=...) does not match.
LIVE = re.compile(r"<script>alert|<img src=x onerror|<svg onload|<iframe|<style>|"
                  r"<[a-z][^<>]*\s(?:href|src|action|style)\s*=\s*[\"']?\s*"
                  r"(?!javascript:void\(0\))(?:javascript:|vbscript:|data:|[^\"'>]*url\()",
                  re.IGNORECASE)
MARKDOWN_ATTACKS = [
    "[a](javascript:alert(1))", "[b](JaVaScRiPt:alert(1))", "[c](&#106;avascript:alert(1))",
    "[d](javascript&colon;alert(1))", "[e](  javascript:alert(1))", "[f](vbscript:msgbox(1))",
    "[g](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![h](javascript:alert(1))", "<a href=\"javascript:alert(1)\">i</a>",
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<iframe src=//evil>",
    "[j](java\tscript:alert(1))", "<a href='jav&#x09;ascript:alert(1)'>k</a>",
    "[l]: javascript:alert(1)\n\n[l]", "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">m</div>",
]


@pytest.fixture
def config(config):
    """Email on (queued in the outbox; no job delivers it here)."""
    return {**config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9}


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return sum((_strings(v) for v in value.values()), [])
    if isinstance(value, list):
        return sum((_strings(v) for v in value), [])
    return [value] if isinstance(value, str) else []


@pytest.fixture
def hostile(client, staff, make_user):
    """Every text a customer and the staff can write, hostile, through the real forms."""
    make_user("anna")
    client.login("anna")
    answer = client.post_form("/tickets/new", {
        "title": "T " + PAYLOAD, "description": "D " + PAYLOAD, "type": "incident",
        "urgency": "medium", "service": "",
        "attachments": [(io.BytesIO(b"log"), PAYLOAD + ".log")]},
        content_type="multipart/form-data")
    assert answer.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    client.post_form(f"/tickets/{ticket.number}/reply", {"body": "R " + PAYLOAD})
    client.logout()
    client.login("l1a")
    client.post_form(f"/admin/ticket/handle/{ticket.number}/respond",
                     {"body": "S " + PAYLOAD, "status": "pending"})
    client.post_form(f"/admin/ticket/handle/{ticket.number}/respond",
                     {"body": "N " + PAYLOAD, "internal": "1"})
    tickets.override_priority(staff["admin"], ticket, "P1", "because " + PAYLOAD)
    db.session.add_all([Service(name="S " + PAYLOAD, description=PAYLOAD, covered=True),
                        CannedReply(title="C " + PAYLOAD, body=PAYLOAD + " {customer}")])
    db.session.commit()
    client.post_form("/admin/document/new/", {
        "title": "K " + PAYLOAD, "body": "\n\n".join(MARKDOWN_ATTACKS), "public": "y"})
    document = db.session.scalar(select(Document))
    assert document is not None
    client.logout()
    return {"number": ticket.number, "ticket_id": ticket.id, "document_id": document.id}


def _live(client, url: str) -> list[str]:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return [f"{url}: {m.group(0)}" for m in LIVE.finditer(answer.get_data(as_text=True))]


def test_customer_pages_show_it_as_text(client, hostile):
    client.login("anna")
    urls = ["/tickets/", f"/tickets/{hostile['number']}", "/notifications/", "/kb/",
            f"/kb/{hostile['document_id']}", "/kb/?q=script", "/tickets/new"]
    assert sum((_live(client, url) for url in urls), []) == []
    page = client.get(f"/tickets/{hostile['number']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text


@pytest.mark.parametrize("username", ["l1a", "root", "boss"])
def test_backoffice_pages_show_it_as_text(app, client, hostile, username):
    client.login(username)
    admin = app.extensions["admin"][0]
    urls = [f"/admin/ticket/handle/{hostile['number']}", "/admin/dashboard/",
            f"/admin/document/details/?id={hostile['document_id']}", "/notifications/"]
    for view in admin._views:
        if hasattr(view, "_filters") and client.get(f"{view.url}/").status_code == 200:
            urls += [f"{view.url}/", f"{view.url}/?search=script"]
            if view.endpoint in ("ticket", "readable", "my_tickets"):
                urls.append(f"{view.url}/details/?id={hostile['ticket_id']}")
    urls = [u for u in urls if client.get(u).status_code == 200]
    assert len(urls) >= 6
    assert sum((_live(client, url) for url in urls), []) == []


def test_markdown_preview_is_sanitised(client, hostile):
    client.login("l1a")
    html = client.post_form("/admin/document/preview",
                            {"body": "\n\n".join(MARKDOWN_ATTACKS)}).get_data(as_text=True)
    assert LIVE.findall(html) == []
    assert "[a](javascript:alert(1))" in html  # the link survived as text, not as a link


def test_emails_carry_it_as_text(client, hostile):
    rows = db.session.scalars(select(OutboxEmail)).all()
    assert rows, "the pending status and the reply were emailed"
    for row in rows:
        assert LIVE.findall(row.body_html or "") == [], row.subject
        assert "\n" not in row.subject and "\r" not in row.subject


def test_api_answers_are_json_not_html(client, hostile):
    client.login("anna")
    for url in ("/api/v1/tickets", f"/api/v1/tickets/{hostile['number']}"):
        answer = client.get(url)
        assert answer.mimetype == "application/json"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "D " + PAYLOAD in _strings(answer.get_json())  # kept as data, verbatim
    assert "N " + PAYLOAD not in _strings(answer.get_json())  # never the internal note


def test_the_check_can_fail():
    assert LIVE.search('<a href="javascript:alert(1)">') and LIVE.search(PAYLOAD)
    assert LIVE.search("<div style='background:url(javascript:alert(1))'>")
    assert not LIVE.search('&lt;a href="javascript:alert(1)"&gt;')
