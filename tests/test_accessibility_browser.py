"""Accessibility and look in Chromium, in English and Danish: axe-core finds nothing serious or
critical on the login, portal and main backoffice pages; the portal fits a 375 px wide phone;
the login works from the keyboard alone with a visible focus."""
import pytest

from tests.browser_server import (
    ARTIFACTS,
    chromium,
    demo_server,
    log_in,
    log_out,
    needs_chromium,
    new_page,
    serious_violations,
)

pytestmark = needs_chromium

PUBLIC_PAGES = ["/", "/login", "/register", "/password/reset", "/sla", "/service-catalog", "/kb/"]
CUSTOMER_PAGES = ["/tickets/", "/tickets/new", "/tickets/1", "/tickets/2", "/account",
                  "/notifications/"]
# A pasted address has no place to wrap: the phone's page must still not scroll sideways.
UNBROKEN_TITLE = "https://intranet.example.com/" + "sti-uden-mellemrum/" * 5 + "side.aspx"
SUPPORTER_PAGES = ["/admin/my-tickets/", "/admin/queue/", "/admin/readable/",
                   "/admin/ticket/handle/1", "/admin/document/", "/admin/document/new/"]
MANAGER_PAGES = ["/admin/dashboard/", "/admin/ticket/", "/admin/ticket/handle/1"]


@pytest.fixture(scope="module", params=["en", "da"])
def site(request, tmp_path_factory):
    """The demo desk with Kunde's two tickets: #1 assigned to LevelOneSupporter1 and answered,
    #2 titled with a long address."""
    language = request.param
    with demo_server(tmp_path_factory.mktemp(f"a11y-{language}")) as base, chromium() as browser:
        page = new_page(browser, language=language)
        log_in(page, base, "Kunde", language)
        page.goto(base + "/tickets/new")
        page.fill("#title", "Jeg kan ikke printe")
        page.fill("#description", "Når jeg trykker på print, sker der ikke noget.")
        page.locator("#ticket-form button[type=submit]").click()
        page.wait_for_url("**/tickets/1")
        page.goto(base + "/tickets/new")
        page.fill("#title", UNBROKEN_TITLE)
        page.fill("#description", UNBROKEN_TITLE + " viser en fejl.")
        page.locator("#ticket-form button[type=submit]").click()
        page.wait_for_url("**/tickets/2")
        log_out(page)
        log_in(page, base, "LevelOneSupporter1", language)
        page.goto(base + "/admin/ticket/handle/1")
        page.fill("#reply-body", "Er din PC forbundet til internettet?")
        page.select_option("#reply-form select[name=status]", "pending")
        page.click("#send-reply")
        page.wait_for_selector("#ticket-facts")
        page.context.close()
        yield {"base": base, "browser": browser, "language": language}


def _findings(site, username: str | None, paths: list[str]) -> list[str]:
    page = new_page(site["browser"], language=site["language"])
    if username:
        log_in(page, site["base"], username, site["language"])
    findings = []
    for path in paths:
        page.goto(site["base"] + path)
        findings += [f"{path}: {line}" for line in serious_violations(page)]
    page.context.close()
    return findings


def test_no_serious_accessibility_violations_on_public_and_portal_pages(site):
    findings = _findings(site, None, PUBLIC_PAGES) + _findings(site, "Kunde", CUSTOMER_PAGES)
    assert findings == [], "\n".join(findings)


def test_no_serious_accessibility_violations_in_the_backoffice(site):
    findings = (_findings(site, "LevelOneSupporter1", SUPPORTER_PAGES)
                + _findings(site, "manager", MANAGER_PAGES))
    assert findings == [], "\n".join(findings)


def test_portal_fits_a_375px_wide_screen(site):
    page = new_page(site["browser"], width=375, height=800, language=site["language"])
    too_wide = []

    def check(paths):
        for path in paths:
            page.goto(site["base"] + path)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            name = path.strip("/").replace("/", "-") or "start"
            page.screenshot(path=str(ARTIFACTS / "mobile" / site["language"] / f"{name}.png"),
                            full_page=True)
            if width > 375:
                too_wide.append(f"{path}: {width}px")

    check(PUBLIC_PAGES)
    log_in(page, site["base"], "Kunde", site["language"])
    check(CUSTOMER_PAGES)
    page.context.close()
    assert too_wide == []


def test_login_from_the_keyboard_alone_with_a_visible_focus(site):
    page = new_page(site["browser"], language=site["language"])
    page.goto(site["base"] + "/login")
    page.keyboard.press("Tab")
    skip = page.evaluate("""() => { const e = document.activeElement;
        return [e.getAttribute('href'), getComputedStyle(e).outlineStyle,
                e.getBoundingClientRect().left >= 0]; }""")
    assert skip == ["#main", "solid", True]  # the skip link comes first, on screen, outlined
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type("Kunde")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type("helpdesk-demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tickets/")
    page.context.close()
