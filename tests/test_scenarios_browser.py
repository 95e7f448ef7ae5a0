"""The seed's two scenarios (DESIGN.md, "Scenarios"), click by click in headless Chromium,
in English and in Danish, against `flask run` on a fresh database with the demo data.

Every step leaves a screenshot under test-artifacts/scenarios/<language>/.
"""
import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from tests.browser_server import (
    ARTIFACTS,
    chromium,
    demo_server,
    log_in,
    log_out,
    needs_chromium,
    new_page,
)

pytestmark = needs_chromium

# What each person sees, in each language (the catalogue's words: a missing one fails here too).
WORDS = {
    "en": {"login": "Login", "username": "Username", "password": "Password",
           "new ticket": "New ticket", "title": "Title", "description": "Description",
           "service": "Service", "create": "Create ticket", "assigned": "Assigned to",
           "pending": "Pending", "open": "Open", "resolved": "Resolved",
           "waiting": "waiting for your answer", "banner": "Support is waiting for your answer",
           "resolved banner": "This ticket is resolved", "reply": "Your reply",
           "send reply": "Send reply", "new reply": "new reply",
           "password removed": "A password was removed from your text.",
           "cpr removed": "A CPR number was removed from your text.",
           "remote removed": "Remote-access credentials were removed from your text.",
           "knowledge": "Knowledge base", "documents": "Documents", "create doc": "Create",
           "save": "Save", "escalated": "escalated the ticket"},
    "da": {"login": "Log ind", "username": "Brugernavn", "password": "Adgangskode",
           "new ticket": "Ny sag", "title": "Titel", "description": "Beskrivelse",
           "service": "Service", "create": "Opret sag", "assigned": "Tildelt",
           "pending": "Afventer svar", "open": "Åben", "resolved": "Løst",
           "waiting": "venter på dit svar", "banner": "Support venter på dit svar",
           "resolved banner": "Denne sag er løst", "reply": "Dit svar",
           "send reply": "Send svar", "new reply": "nyt svar",
           "password removed": "En adgangskode blev fjernet fra din tekst.",
           "cpr removed": "Et CPR-nummer blev fjernet fra din tekst.",
           "remote removed": "Oplysninger til fjernadgang blev fjernet fra din tekst.",
           "knowledge": "Vidensbase", "documents": "Dokumenter", "create doc": "Oprette",
           "save": "Gem", "escalated": "eskalerede sagen"},
}

JANNET_SECRETS = ("TeamViewer ID 435 275 764, password: Sommer2024!, CPR 010190-1234. "
                  "Her er de.")


@dataclass
class Desk:
    """One browser tab playing every person in turn, in one language."""
    page: object
    base: str
    language: str
    shots: list = field(default_factory=list)

    @property
    def words(self) -> dict:
        return WORDS[self.language]

    def shot(self, name: str) -> None:
        folder = ARTIFACTS / "scenarios" / self.language
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)

    def log_in(self, username: str) -> None:
        log_in(self.page, self.base, username, self.language)

    def log_out(self) -> None:
        log_out(self.page)

    # The customer's side.
    def submit_ticket(self, title: str, description: str) -> int:
        page, words = self.page, self.words
        page.get_by_role("link", name=words["new ticket"], exact=True).first.click()
        form = page.locator("#ticket-form")  # below the guide picker
        form.get_by_label(words["title"], exact=True).fill(title)
        form.get_by_label(words["description"], exact=True).fill(description)
        form.get_by_label(words["service"], exact=True).select_option(label="Printservice")
        self.shot("customer-fills-in-the-ticket")
        form.get_by_role("button", name=words["create"]).click()
        page.wait_for_url(re.compile(r"/tickets/\d+$"))
        return int(page.url.rsplit("/", 1)[1])

    def open_my_ticket(self, number: int) -> None:
        self.page.locator(f"table.tickets a[href='/tickets/{number}']").first.click()
        self.page.wait_for_url(f"**/tickets/{number}")

    def customer_replies(self, text: str) -> None:
        self.page.get_by_label(self.words["reply"], exact=True).fill(text)
        self.page.get_by_role("button", name=self.words["send reply"]).click()
        self.page.wait_for_load_state()

    # The supporter's side.
    def open_assigned(self, number: int) -> None:
        self.page.locator(f"a[href='/admin/ticket/handle/{number}']").first.click()
        self.page.wait_for_selector("#ticket-facts")

    def staff_replies(self, text: str, status: str | None = None) -> None:
        self.page.fill("#reply-body", text)
        if status:
            self.page.select_option("#reply-form select[name=status]", status)
        self.page.click("#send-reply")
        self.page.wait_for_selector("#ticket-facts")

    def expect_status(self, key: str) -> None:
        expect(self.page.locator("#ticket-status, .facts .badge").first).to_have_text(
            self.words[key])


def test_seed_scenarios_in_the_browser(tmp_path, language):
    with demo_server(tmp_path) as base, chromium() as browser:
        desk = Desk(new_page(browser, language=language), base, language)
        scenario_one_cable_kicked_out(desk)
        scenario_two_windows_11_driver(desk)
    assert len(desk.shots) == 24 and all(path.stat().st_size > 0 for path in desk.shots)


@pytest.fixture(params=["en", "da"])
def language(request):
    return request.param


def scenario_one_cable_kicked_out(desk: Desk) -> None:
    page, words = desk.page, desk.words
    desk.log_in("Kunde")
    desk.shot("kunde-logged-in")
    number = desk.submit_ticket(
        "Jeg kan ikke printe",
        "Når jeg åbner et dokument på min PC i Word og trykker på printknappen, sker der ikke noget.")
    expect(page.locator(".facts")).to_contain_text(f"{words['assigned']}: LevelOneSupporter1")
    desk.expect_status("open")
    desk.shot("kunde-sees-the-assignment")
    desk.log_out()

    desk.log_in("LevelOneSupporter1")
    expect(page.locator("table.model-list")).to_contain_text("Jeg kan ikke printe")
    desk.shot("supporter-start-page")
    desk.open_assigned(number)
    desk.staff_replies("Er din PC forbundet til internettet?", "pending")
    desk.expect_status("pending")
    desk.shot("supporter-asks-and-sets-pending")
    desk.log_out()

    desk.log_in("Kunde")
    row = page.locator("table.tickets tr", has_text="Jeg kan ikke printe")
    expect(row).to_contain_text(words["pending"])
    expect(row).to_contain_text(words["waiting"])
    desk.shot("kunde-sees-pending-in-the-list")
    desk.open_my_ticket(number)
    expect(page.locator(".banner.pending")).to_contain_text(words["banner"])
    expect(page.locator(".timeline")).to_contain_text("Er din PC forbundet til internettet?")
    desk.shot("kunde-sees-the-pending-banner")
    desk.customer_replies("Nej, ups… Internet-stikket sad løst i harddisken, sikkert fordi John "
                          "havde trådt på kablet. Nu kan jeg printe igen. Tak for hjælpen :-)")
    desk.expect_status("open")
    expect(page.locator(".banner.pending")).to_have_count(0)
    desk.shot("kunde-answers-and-the-ticket-is-open-again")
    desk.log_out()

    desk.log_in("LevelOneSupporter1")
    expect(page.locator("tr", has_text="Jeg kan ikke printe")).to_contain_text(words["new reply"])
    desk.open_assigned(number)
    expect(page.locator(".timeline")).to_contain_text("Nej, ups…")
    desk.staff_replies("Godt at høre! Så lukker jeg sagen som løst.", "resolved")
    desk.expect_status("resolved")
    desk.shot("supporter-resolves")
    desk.log_out()


def scenario_two_windows_11_driver(desk: Desk) -> None:
    page, words = desk.page, desk.words
    desk.log_in("CustomerJannet")
    number = desk.submit_ticket(
        "Jeg kan ikke printe",
        "Jeg har lige fået ny PC, den gamle virkede fint, men nu med den nye kan jeg ikke printe.")
    expect(page.locator(".facts")).to_contain_text(f"{words['assigned']}: LevelOneTim")
    desk.shot("jannet-sees-the-assignment-to-tim")
    desk.log_out()

    conversation = [
        ("Har du forbindelse til internettet og kan virker printeren for dine kollegaer?",
         "Ja, jeg kan fint komme på internettet, og vi prøvede lige at teste print på "
         "CustomerRaul's PC, og det virkede fint."),
        ("Har du Windows 10 eller Windows 11?", "Windows 11 tror jeg."),
    ]
    for question, answer in conversation:
        desk.log_in("LevelOneTim")
        desk.open_assigned(number)
        desk.staff_replies(question, "pending")
        desk.expect_status("pending")
        desk.shot("tim-asks")
        desk.log_out()
        desk.log_in("CustomerJannet")
        desk.open_my_ticket(number)
        expect(page.locator(".banner.pending")).to_contain_text(words["banner"])
        desk.customer_replies(answer)
        desk.expect_status("open")
        desk.shot("jannet-answers")
        desk.log_out()

    desk.log_in("LevelOneTim")
    desk.open_assigned(number)
    desk.staff_replies("Jeg eskalerer sagen til en 2nd level, som vil kigge lidt på din PC.")
    page.select_option("#escalate-form select[name=level]", "2")
    ahmed = page.locator("#escalate-assignee option", has_text="LevelTwoAhmed")
    page.select_option("#escalate-assignee", ahmed.get_attribute("value"))
    desk.shot("tim-escalates-to-ahmed")
    page.click("#escalate")
    expect(page.locator("#ticket-level")).to_have_text("2")
    expect(page.locator("#ticket-assignee")).to_have_text("LevelTwoAhmed")
    expect(page.locator(".timeline")).to_contain_text(words["escalated"])
    desk.shot("escalated")
    desk.log_out()

    desk.log_in("LevelTwoAhmed")
    expect(page.locator("table.model-list")).to_contain_text("Jeg kan ikke printe")
    desk.open_assigned(number)
    page.fill("#reply-body", "Hej CustomerJannet. Du burde have TeamViewer installeret. Kan jeg "
                             "få dig til at sende dit TeamViewer ID, password og dit CPR-nummer?")
    # The desk warns while he types, and again before anything is sent.
    expect(page.locator("#secret-hint")).to_be_visible()
    page.select_option("#reply-form select[name=status]", "pending")
    page.click("#send-reply")
    expect(page.locator("#secret-warning")).to_be_visible()
    expect(page.locator(".timeline")).not_to_contain_text("TeamViewer ID")
    desk.shot("ahmed-asks-for-credentials-and-is-warned")
    page.click("#send-anyway")  # as in the seed, he sends it all the same
    desk.expect_status("pending")
    expect(page.locator(".timeline li.comment").last).to_contain_text("TeamViewer ID")
    desk.log_out()

    desk.log_in("CustomerJannet")
    desk.open_my_ticket(number)
    desk.customer_replies(JANNET_SECRETS)
    flashes = page.locator(".flash-warning")
    for key in ("password removed", "cpr removed", "remote removed"):
        expect(flashes.filter(has_text=words[key])).to_have_count(1)
    last = page.locator(".timeline li.comment").last
    expect(last).to_contain_text("[hidden]")
    for secret in ("Sommer2024!", "010190-1234", "435 275 764"):
        expect(page.locator("main")).not_to_contain_text(secret)
    desk.shot("jannet-sends-secrets-and-they-are-masked")
    desk.log_out()

    desk.log_in("LevelTwoAhmed")
    desk.open_assigned(number)
    expect(page.locator(".timeline li.comment").last).to_contain_text("[hidden]")
    expect(page.locator("body")).not_to_contain_text("Sommer2024!")
    desk.staff_replies("Din PC manglede en driver kaldet enterprise-printer-driver-123.exe; "
                       "den burde være installeret nu.", "resolved")
    desk.expect_status("resolved")
    desk.shot("ahmed-installs-the-driver-and-resolves")
    write_the_knowledge_base_article(desk)
    desk.log_out()

    desk.log_in("CustomerJannet")
    desk.open_my_ticket(number)
    expect(page.locator(".banner.resolved")).to_contain_text(words["resolved banner"])
    desk.shot("jannet-sees-it-resolved")
    page.get_by_role("link", name=words["knowledge"], exact=True).first.click()
    page.get_by_role("link", name="Windows 11 printer driver").click()
    expect(page.locator("article.document")).to_contain_text("Windows 11")
    desk.shot("jannet-reads-the-article")


def write_the_knowledge_base_article(desk: Desk) -> None:
    page, words = desk.page, desk.words
    page.get_by_role("link", name=words["knowledge"], exact=True).click()
    page.get_by_role("link", name=words["documents"], exact=True).click()
    page.wait_for_url("**/admin/document/**")
    page.get_by_role("link", name=words["create doc"], exact=True).click()
    page.wait_for_url(re.compile(r"/admin/document/new/"))
    page.fill("#title", "Windows 11 printer driver")
    page.fill("#body", "# Windows 11 printer driver\n\nNye pc'er med Windows 11 mangler "
                       "printerdriveren.\n\n1. Hent driveren fra printerens side på intranettet.\n"
                       "2. Kør filen som administrator.\n3. Genstart pc'en og print en testside.")
    page.check("#public")
    expect(page.locator("#md-preview")).to_contain_text("Nye pc'er", timeout=5000)
    assert page.evaluate(  # the preview sits under the text, above the form's buttons
        "() => !!(document.querySelector('#md-preview').compareDocumentPosition("
        "document.querySelector('form input[type=submit]')) & Node.DOCUMENT_POSITION_FOLLOWING)")
    desk.shot("ahmed-writes-the-article")
    page.locator("form input[type=submit]").first.click()
    expect(page.locator("table.model-list")).to_contain_text("Windows 11 printer driver")
    desk.shot("the-article-is-in-the-knowledge-base")
