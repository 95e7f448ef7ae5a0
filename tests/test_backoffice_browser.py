"""A level-1 supporter's day in a real browser: take, reply and set pending, escalate, resolve.

Starts at the backoffice start page and types no URLs after it: every step is a click.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from models import Status, Ticket, db
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium); "
                              "required when CI=true"),
]


@pytest.fixture
def server(app):
    """The app under a real HTTP server on a free port, in a thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    http.server_close()
    thread.join(5)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


@pytest.fixture
def day(make_user, make_ticket):
    """One ticket waiting in the level-1 queue, two already assigned to the supporter."""
    anna = make_user("anna")
    queued = make_ticket(anna, title="Printer offline")
    make_user("tim", "supporter", level=1)
    make_user("ahmed", "supporter", level=2)
    hard = make_ticket(anna, title="Windows 11 driver missing")
    easy = make_ticket(anna, title="Password expired")
    return {"queued": queued.id, "hard": hard.id, "easy": easy.id}


def _ticket(ticket_id: int) -> Ticket:
    db.session.rollback()  # a fresh snapshot: the server committed in another connection
    return db.session.get(Ticket, ticket_id)


def _open_from_menu(page, menu: str, title: str) -> None:
    page.get_by_role("link", name=menu, exact=True).click()
    page.locator("tr", has_text=title).locator("a[href*='/admin/ticket/handle/']").click()
    page.wait_for_selector("#ticket-facts")


def test_level_one_supporter_handles_a_day_from_the_backoffice(page, server, day):
    page.goto(server + "/admin/")
    page.fill("input[name=username]", "tim")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url("**/admin/my-tickets/**")

    # Take the queued ticket.
    page.get_by_role("link", name="My level's queue").click()
    page.locator("tr", has_text="Printer offline").locator("input.action-checkbox").check()
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Take", exact=True).click()
    page.wait_for_selector("text=1 ticket(s) changed.")
    assert _ticket(day["queued"]).assignee.username == "tim"

    # Reply on it and set it pending, in one step.
    page.locator("tr", has_text="Printer offline").locator(
        "a[href*='/admin/ticket/handle/']").click()
    page.fill("#reply-body", "Er din PC forbundet til internettet?")
    page.select_option("#reply-form select[name=status]", "pending")
    page.click("#send-reply")
    page.wait_for_selector("#ticket-status:text('pending')")
    assert _ticket(day["queued"]).status == Status.PENDING

    # Escalate another to level 2.
    _open_from_menu(page, "My tickets", "Windows 11 driver missing")
    page.select_option("#escalate-form select[name=level]", "2")
    page.click("#escalate")
    page.wait_for_selector("#ticket-level:text('2')")
    escalated = _ticket(day["hard"])
    assert (escalated.level, escalated.assignee.username) == (2, "ahmed")

    # Resolve a third with a closing reply.
    _open_from_menu(page, "My tickets", "Password expired")
    page.fill("#reply-body", "I have reset it; please log in again.")
    page.select_option("#reply-form select[name=status]", "resolved")
    page.click("#send-reply")
    page.wait_for_selector("#ticket-status:text('resolved')")
    assert _ticket(day["easy"]).status == Status.RESOLVED
