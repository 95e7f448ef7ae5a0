"""SQL injection in every filter and search, and open redirects, on every surface.

osTicket CVE-2021-45811 was SQL injection in ticket search; Flask-Admin CVE-2018-16516 was a
reflected `?url=javascript:` XSS. Zero server errors, no row outside the caller's scope.
"""
import re
from html import unescape
from urllib.parse import quote, urljoin, urlsplit

import pytest

from models import Document, db
from services import documents, tickets

INJECTIONS = [
    "' OR '1'='1", "1' OR 1=1 --", "1; DROP TABLE tickets; --", "%' UNION SELECT "
    "password_hash, 1 FROM users --", "\\", "%", "_", "'; SELECT pg_sleep(5); --",
    "\x00", "1)) OR ((1=1", "\" OR \"\"=\"", "-1", "99999999999999999999999", "é' ø",
]
SECRET_TITLE = "LEVEL3-SECRET printer"


@pytest.fixture
def scene(staff, make_user, make_ticket):
    """anna's level-1 ticket; bob's ticket escalated to level 3; a private document."""
    anna, bob = make_user("anna"), make_user("bob")
    make_ticket(anna, title="Anna's printer")
    hidden = make_ticket(bob, title=SECRET_TITLE)
    tickets.escalate(staff["l1b"] if hidden.assignee_id == staff["l1b"].id else staff["l1"],
                     hidden, level=3)
    documents.save(staff["admin"], None, "PRIVATE-DOC", "staff only", public=False)
    documents.save(staff["admin"], None, "Public printing", "press print", public=True)
    db.session.commit()
    return {"anna": anna, "bob": bob}


def _grid_urls(app) -> list[str]:
    """Every backoffice list with each injection in its search, sort, page and all its filters
    at once (an invalid filter is dropped, a valid one applied: either way no 500)."""
    admin = app.extensions["admin"][0]
    urls = []
    for view in admin._views:
        if not hasattr(view, "_filter_args"):
            continue
        for value in INJECTIONS:
            value = quote(value)
            filters = "".join(f"&flt{n}_{key}={value}"
                              for n, key in enumerate(view._filter_args or {}))
            urls.append(f"{view.url}/?search={value}&sort={value}&page={value}{filters}")
    return urls


@pytest.mark.parametrize("username", ["l1a", "root"])
def test_grid_search_and_filters_take_any_string(app, client, scene, username):
    client.login(username)
    failures = []
    for url in _grid_urls(app):
        answer = client.get(url)
        body = answer.get_data(as_text=True)
        refused_nul = answer.status_code == 400 and "%00" in url  # NUL is refused up front
        if answer.status_code >= 500 or (answer.status_code == 400 and not refused_nul):
            failures.append(f"{url}: {answer.status_code}")
        elif username == "l1a" and SECRET_TITLE in body:
            failures.append(f"{url}: shows a level-3 ticket to level 1")
    assert failures == []


def test_api_filters_take_any_string(client, scene, staff):
    client.login("anna")
    failures = []
    for name in ("status", "type", "priority", "assignee", "level", "q", "page", "per_page"):
        for value in INJECTIONS:
            answer = client.get(f"/api/v1/tickets?{name}={quote(value)}")
            if answer.status_code not in (200, 422):
                failures.append(f"{name}={value!r}: {answer.status_code}")
            elif SECRET_TITLE in answer.get_data(as_text=True):
                failures.append(f"{name}={value!r}: another customer's ticket")
    assert failures == []


def test_knowledge_base_search_takes_any_string(client, scene):
    for value in INJECTIONS + ["PRIVATE"]:
        answer = client.get(f"/kb/?q={quote(value)}")
        assert answer.status_code == (400 if "\x00" in value else 200), value
        assert "PRIVATE-DOC" not in answer.get_data(as_text=True), value
        if "\x00" in value:  # said in words, not the server's generic "could not understand"
            assert "holds a NUL character" in answer.get_data(as_text=True)
    # A LIKE wildcard is a literal character, not "everything".
    assert "Public printing" not in client.get("/kb/?q=_____x").get_data(as_text=True)


def test_numbers_in_paths_are_numbers(client, scene):
    client.login("anna")
    for path in ("/tickets/1%20OR%201=1", "/tickets/-1", "/attachments/1'--",
                 "/kb/1;DROP", "/api/v1/tickets/1'", "/admin/ticket/handle/1'"):
        assert client.get(path).status_code == 404, path


HOSTILE_TARGETS = ["javascript:alert(1)", "JavaScript:alert(1)", "//evil.example/x",
                   "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                   "data:text/html,<script>alert(1)</script>", " javascript:alert(1)",
                   "http:evil.example", "/%09/evil.example"]


LINK = re.compile(r"""(?:href|src|action|formaction)=["']([^"']*)["']""", re.IGNORECASE)
INERT = "javascript:void(0)"  # Flask-Admin's placeholder on tabs and toggles


def offsite_link(html: str) -> str | None:
    """The first link or form target a browser would resolve off this site (or run)."""
    for match in LINK.finditer(html):
        target = unescape(match.group(1))
        resolved = urlsplit(urljoin("http://localhost/admin/view/", target.replace("\\", "/")))
        if target != INERT and (resolved.scheme not in ("http", "https")
                                or resolved.netloc != "localhost"):
            return target
    return None


def _is_safe(location: str) -> bool:
    parts = urlsplit(location.replace("\\", "/"))
    return not parts.scheme and not parts.netloc and location.startswith("/") \
        and not location.startswith("//") and not location.startswith("/\\")


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_login_and_language_switch_never_redirect_away(client, make_user, target):
    make_user("anna")
    answer = client.post_form(f"/login?next={quote(target)}",
                              {"username": "anna", "password": "correct-horse-battery"})
    assert _is_safe(answer.headers["Location"]), answer.headers["Location"]
    switch = client.post_form("/language", {"language": "da", "next": target})
    assert _is_safe(switch.headers["Location"]), switch.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_backoffice_url_parameter_never_leads_away(app, client, scene, staff, target):
    """CVE-2018-16516: Flask-Admin's `url=` on every view's pages and actions."""
    client.login("root")
    document_id = db.session.scalar(db.select(Document.id))
    token = client.csrf_token("/admin/ticket/")
    admin = app.extensions["admin"][0]
    failures = []
    for view in admin._views:
        if not hasattr(view, "_filters"):
            continue
        pages = [f"{view.url}/new/?url={quote(target)}",
                 f"{view.url}/details/?id={document_id}&url={quote(target)}",
                 f"{view.url}/edit/?id={document_id}&url={quote(target)}"]
        for page in pages:
            link = offsite_link(client.get(page).get_data(as_text=True))
            if link:
                failures.append(f"{page}: {link}")
        action = client.post(f"{view.url}/action/", data={
            "csrf_token": token, "url": target, "action": "none", "rowid": ["1"]})
        location = action.headers.get("Location", "/")
        if action.status_code == 302 and not _is_safe(location):
            failures.append(f"{view.url}/action/: {location}")
    for operation in ("status", "priority"):
        bulk = f"/admin/ticket/bulk/{operation}?ids=1&url={quote(target)}"
        link = offsite_link(client.get(bulk).get_data(as_text=True))
        if link:
            failures.append(f"{bulk}: {link}")
        answer = client.post_form(bulk, {"ids": ["1"], "status": "open", "url": target})
        if not _is_safe(answer.headers.get("Location", "/")):
            failures.append(f"{bulk} POST: {answer.headers['Location']}")
    assert failures == []


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_an_allowed_action_returns_only_to_this_site(client, scene, staff, make_ticket, target):
    """The action runs; its `url=` is werkzeug-normalised ("http:x" -> "http:///x"): refused."""
    staff["l1"].away = staff["l1b"].away = True
    db.session.commit()
    queued = make_ticket(scene["anna"], title="Queued")
    client.login("l1b")
    token = client.csrf_token("/admin/queue/")
    answer = client.post("/admin/queue/action/", data={
        "csrf_token": token, "url": target, "action": "take", "rowid": [str(queued.id)]})
    assert answer.status_code == 302 and _is_safe(answer.headers["Location"])
