# ruff: noqa: F811 -- the browser fixtures are imported from tests/test_backoffice_browser
"""The Content-Security-Policy in a real Chromium: the backoffice and the portal work under it,
the browser reports no violation, and a stored script never runs."""
import pytest

from models import CannedReply, db
from tests.conftest import PASSWORD
from tests.test_backoffice_browser import page, pytestmark, server  # noqa: F401

PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
REPORTER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""


@pytest.fixture
def watched(page):
    """The page, with CSP violations, console errors and dialogs collected."""
    seen = {"console": [], "dialogs": []}
    page.add_init_script(REPORTER)
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)

    def dismiss(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()
    page.on("dialog", dismiss)
    return page, seen


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def _visit(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return _violations(page)


def _login(page, server, username):
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.wait_for_load_state("networkidle")


def test_backoffice_and_portal_work_under_the_policy(watched, server, staff, make_user,
                                                      make_ticket):
    page, seen = watched
    anna = make_user("anna")
    ticket = make_ticket(anna, title="Printer " + PAYLOAD, description=PAYLOAD)
    db.session.add(CannedReply(title="Hello", body="Hej {customer}"))
    db.session.commit()

    _login(page, server, "root")
    violations = {}
    violations["grid"] = _visit(page, server + "/admin/ticket/")
    page.get_by_role("button", name="With selected").click()  # Bootstrap's dropdown runs
    assert page.locator(".dropdown-menu.show").count() == 1
    page.get_by_role("link", name="Add Filter").click()  # bs4_filters.js runs
    page.locator("a.filter", has_text="Status").click()
    page.wait_for_selector("table.filters tr", state="attached")
    violations["handling"] = _visit(page, f"{server}/admin/ticket/handle/{ticket.number}")
    page.select_option("#canned", label="Hello")  # static/canned.js runs
    assert page.input_value("#reply-body") == "Hej anna"
    violations["dashboard"] = _visit(page, server + "/admin/dashboard/")
    violations["document"] = _visit(page, server + "/admin/document/new/")
    page.fill("textarea[data-md-source]", "# Title\n\n" + PAYLOAD)  # static/md_preview.js runs
    page.wait_for_selector("#md-preview h1")
    violations["document preview"] = _violations(page)
    page.get_by_role("button", name="Logout").click()

    _login(page, server, "anna")
    for name, path in [("my tickets", "/tickets/"), ("ticket", f"/tickets/{ticket.number}"),
                       ("new ticket", "/tickets/new"), ("kb", "/kb/"), ("login", "/sla")]:
        violations[name] = _visit(page, server + path)

    assert {k: v for k, v in violations.items() if v} == {}
    assert seen["dialogs"] == [], "a stored script ran"
    assert [m for m in seen["console"] if "Content Security Policy" in m] == []


def test_an_inline_script_without_the_nonce_is_refused(watched, server):
    """The policy really is enforced: a script injected without the nonce is blocked."""
    page, seen = watched
    page.goto(server + "/login")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = true'; document.body.append(s); }""")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in _violations(page))
