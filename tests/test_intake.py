"""Guided intake: the guide before the form, deflections counted, requests only for covered
services, and public articles suggested as the customer types."""
import re

from sqlalchemy import func, select

from models import Deflection, Document, IntakeTemplate, Service, Ticket, db
from services import documents
from tests.conftest import DEMO_PASSWORD


def _service(name: str) -> Service:
    return db.session.scalar(select(Service).where(Service.name == name))


def _deflections() -> int:
    return db.session.scalar(select(func.count()).select_from(Deflection))


def test_demo_guides_exist_once(demo):
    from services.demo import load_demo
    assert load_demo(DEMO_PASSWORD) == 0  # idempotent
    db.session.commit()
    guides = {t.service.name: [c.question for c in t.checks]
              for t in db.session.scalars(select(IntakeTemplate))}
    assert guides == {"Printservice": ["Er printeren tændt?", "Er kablet sat i?",
                                       "Er der papir i bakken?"],
                      "IT-support": ["Er skærmen tændt?", "Er kablet sat i?"]}


def test_a_customer_with_an_unplugged_screen_files_no_ticket(client, demo):
    support = _service("IT-support")
    client.login("Kunde", DEMO_PASSWORD)
    first = client.get(f"/tickets/new?service={support.id}").get_data(as_text=True)
    assert "Er skærmen tændt?" in first and "Check 1 of 2" in first
    second = client.get(f"/tickets/new?service={support.id}&step=2").get_data(as_text=True)
    assert "Er kablet sat i?" in second
    answer = client.post_form("/tickets/new/solved", {"service": str(support.id)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/tickets/"
    assert _deflections() == 1
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    client.logout()
    client.login("manager", DEMO_PASSWORD)
    page = client.get("/admin/dashboard/").get_data(as_text=True)
    row = re.search(r'data-figure="deflections">.*?<tbody>\s*<tr>(.*?)</tr>', page, re.S)
    assert re.findall(r"<td>(.*?)</td>", row.group(1)) == ["IT-support", "1"]


def test_still_broken_leads_to_the_form_and_the_checks_go_into_the_ticket(client, demo):
    printing = _service("Printservice")
    client.login("Kunde", DEMO_PASSWORD)
    last = client.get(f"/tickets/new?service={printing.id}&step=3").get_data(as_text=True)
    assert 'name="step" value="form"' in last
    form = client.get(f"/tickets/new?service={printing.id}&step=form").get_data(as_text=True)
    assert 'name="guided" value="1"' in form
    client.post_form("/tickets/new", {"title": "Jeg kan ikke printe", "type": "incident",
                                      "description": "Intet sker.", "urgency": "medium",
                                      "service": str(printing.id), "guided": "1"})
    ticket = db.session.scalar(select(Ticket))
    assert ticket.description.startswith("Intet sker.")
    for question in ("Er printeren tændt?", "Er kablet sat i?", "Er der papir i bakken?"):
        assert f"- {question}" in ticket.description
    assert _deflections() == 0


def test_deflection_needs_a_service_with_a_guide(client, demo):
    client.login("Kunde", DEMO_PASSWORD)
    users = _service("Brugeradministration")
    assert client.post_form("/tickets/new/solved", {"service": str(users.id)}).status_code == 404
    assert _deflections() == 0


def test_admins_write_guides_in_the_backoffice(client, demo):
    users = _service("Brugeradministration")
    client.login("admin", DEMO_PASSWORD)
    answer = client.post_form("/admin/intake-template/new/", {
        "service": str(users.id), "introduction": "Før du skriver",
        "checks-0-position": "1", "checks-0-question": "Har du prøvet at nulstille?",
        "checks-0-hint": "Brug linket på login-siden."})
    assert answer.status_code == 302
    template = db.session.scalar(select(IntakeTemplate).where(
        IntakeTemplate.service_id == users.id))
    assert [c.question for c in template.checks] == ["Har du prøvet at nulstille?"]
    client.logout()
    client.login("LevelOneTim", DEMO_PASSWORD)
    assert client.get("/admin/intake-template/").status_code == 403


def test_a_request_without_a_covered_service_is_refused_on_the_portal(client, demo):
    client.login("Kunde", DEMO_PASSWORD)
    phones = _service("Mobiltelefoner")
    for service in ("", str(phones.id)):
        page = client.post_form("/tickets/new", {
            "title": "Ny telefon", "description": "Jeg vil gerne have en ny telefon.",
            "type": "request", "urgency": "medium", "service": service}).get_data(as_text=True)
        assert "A request must name a service we cover" in page
        assert 'href="/service-catalog"' in page
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_request_without_a_covered_service_is_refused_by_the_api(client, demo):
    client.login("Kunde", DEMO_PASSWORD)
    token = client.csrf_token("/")
    for extra in ({}, {"service": "Mobiltelefoner"}):
        answer = client.post("/api/v1/tickets", headers={"X-CSRFToken": token}, json={
            "title": "Ny telefon", "description": "Tak.", "type": "request", **extra})
        assert answer.status_code == 422
        assert "/service-catalog" in answer.get_json()["message"]
    created = client.post("/api/v1/tickets", headers={"X-CSRFToken": token}, json={
        "title": "Ny bruger", "description": "Til praktikant.", "type": "request",
        "service": "Brugeradministration"})
    assert created.status_code == 201


def test_public_articles_are_suggested_for_the_title(client, demo):
    admin = demo["admin"]
    documents.save(admin, None, "Windows 11 printer driver", "Installer driveren.", public=True)
    documents.save(admin, None, "Intern printer-opsætning", "Kun for os.", public=False)
    db.session.commit()
    found = client.get("/kb/suggest?q=Jeg kan ikke printe").get_json()["items"]
    assert [item["title"] for item in found] == ["Windows 11 printer driver"]
    assert client.get("/kb/suggest?q=kan ikke").get_json()["items"] == []
    client.login("Kunde", DEMO_PASSWORD)
    page = client.post_form("/tickets/new", {"title": "Jeg kan ikke printe", "description": "",
                                             "type": "incident"}).get_data(as_text=True)
    document = db.session.scalar(select(Document).where(Document.public.is_(True),
                                                        Document.title.like("Windows%")))
    assert f'href="/kb/{document.id}"' in page
    assert "Intern printer" not in page
