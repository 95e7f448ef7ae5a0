"""Guided intake, fields: a guide asks for details (asset tag, room, since when) on its
service's ticket form; required ones must be filled in, and the answers go into the ticket,
masked like the rest of the description. Integrations using the API are not held to them."""
import io

import pytest
from sqlalchemy import func, select

from models import Attachment, IntakeTemplate, Service, Ticket, db
from services import intake
from services.secrets import MASK

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ASSET = "Asset tag / PC name"
ROOM = "Location / room"


def _tickets() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


@pytest.fixture
def printing(app, staff) -> Service:
    """A covered service whose guide has one check, a required and an optional field."""
    service = Service(name="Printservice", covered=True)
    db.session.add(service)
    db.session.flush()
    intake.save_template(service, [("Er printeren tændt?", "")],
                         fields=[(ASSET, "Står på mærkaten under skærmen.", True),
                                 (ROOM, "", False)])
    db.session.commit()
    return service


def _field_names(service: Service) -> dict[str, str]:
    template = db.session.scalar(select(IntakeTemplate).where(
        IntakeTemplate.service_id == service.id))
    return {f.label: intake.field_name(f) for f in template.fields}


def _submit(client, service: Service, answers: dict[str, str], **extra):
    names = _field_names(service)
    values = {"title": "Printeren virker ikke", "description": "Der kommer intet papir ud.",
              "type": "incident", "urgency": "medium", "service": str(service.id), "guided": "1",
              **{names[label]: value for label, value in answers.items()}, **extra}
    return client.post_form("/tickets/new", values, content_type="multipart/form-data")


def test_an_admin_writes_a_guide_with_a_required_field_and_the_form_asks_for_it(client, staff,
                                                                               make_user):
    service = Service(name="Skærme", covered=True)
    db.session.add(service)
    db.session.commit()
    client.login("root")
    answer = client.post_form("/admin/intake-template/new/", {
        "service": str(service.id), "introduction": "",
        "checks-0-position": "1", "checks-0-question": "Er skærmen tændt?", "checks-0-hint": "",
        "fields-0-position": "1", "fields-0-label": ASSET,
        "fields-0-help": "Står på mærkaten.", "fields-0-required": "y",
        "fields-1-position": "2", "fields-1-label": ROOM, "fields-1-help": ""})
    assert answer.status_code == 302
    template = db.session.scalar(select(IntakeTemplate).where(
        IntakeTemplate.service_id == service.id))
    assert [(f.label, f.required) for f in template.fields] == [(ASSET, True), (ROOM, False)]
    details = client.get(f"/admin/intake-template/details/?id={template.id}")
    assert ASSET in details.get_data(as_text=True)
    client.logout()
    make_user("anna")
    client.login("anna")
    page = client.get(f"/tickets/new?service={service.id}&step=form").get_data(as_text=True)
    names = _field_names(service)
    assert f'for="{names[ASSET]}">{ASSET}</label>' in page and "Står på mærkaten." in page
    assert f'name="{names[ASSET]}"' in page and 'aria-required="true"' in page
    assert f"{ROOM} <span" in page and "(optional)" in page


def test_without_a_required_field_the_form_comes_back_and_nothing_is_created(
        client, make_user, printing):
    make_user("anna")
    client.login("anna")
    answer = _submit(client, printing, {ASSET: "  ", ROOM: "Lokale 2.14"})
    page = answer.get_data(as_text=True)
    names = _field_names(printing)
    assert answer.status_code == 200
    assert f'<p class="error" id="{names[ASSET]}-error">Fill in {ASSET}.</p>' in page
    assert 'value="Lokale 2.14"' in page  # what was written is kept
    assert 'name="guided" value="1"' in page  # and so is the guide's note
    assert _tickets() == 0


def test_with_the_required_field_its_label_and_answer_are_in_the_ticket(
        client, make_user, printing):
    make_user("anna")
    client.login("anna")
    answer = _submit(client, printing, {ASSET: "PC-4711", ROOM: "Lokale 2.14"})
    assert answer.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.description.startswith("Der kommer intet papir ud.")
    assert "- Er printeren tændt?" in ticket.description
    assert f"- {ASSET}: PC-4711\n- {ROOM}: Lokale 2.14" in ticket.description


def test_an_optional_field_may_stay_empty(client, make_user, printing):
    make_user("anna")
    client.login("anna")
    assert _submit(client, printing, {ASSET: "PC-4711"}).status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert f"- {ASSET}: PC-4711" in ticket.description and ROOM not in ticket.description


def test_a_secret_in_an_answer_is_masked(client, make_user, printing):
    make_user("anna")
    client.login("anna")
    answer = _submit(client, printing, {ASSET: "PC-4711 password: Sommer2024!",
                                        ROOM: "CPR 010190-1234"})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "A CPR number was removed from your text." in page
    assert "A password was removed from your text." in page
    description = db.session.scalar(select(Ticket.description))
    assert "Sommer2024" not in description and "010190-1234" not in description
    assert f"- {ASSET}: PC-4711 password: {MASK}" in description
    assert f"- {ROOM}: CPR {MASK}" in description


def test_a_too_long_answer_is_refused_with_a_message(client, make_user, printing):
    make_user("anna")
    client.login("anna")
    answer = _submit(client, printing, {ASSET: "x" * (intake.ANSWER_MAX + 1)})
    assert answer.status_code == 200
    assert f"At most {intake.ANSWER_MAX} characters." in answer.get_data(as_text=True)
    assert _tickets() == 0


def test_answers_are_one_line_each(client, make_user, printing):
    make_user("anna")
    client.login("anna")
    _submit(client, printing, {ASSET: "PC-4711\n- Falsk linje:\r\n ja"})
    assert f"- {ASSET}: PC-4711 - Falsk linje: ja" in db.session.scalar(select(Ticket.description))


def test_a_guide_with_fields_only_goes_straight_to_the_form(client, make_user, staff):
    service = Service(name="Adgangskort", covered=True)
    db.session.add(service)
    db.session.flush()
    intake.save_template(service, [], fields=[("Kortnummer", "", True)])
    db.session.commit()
    make_user("anna")
    client.login("anna")
    page = client.get(f"/tickets/new?service={service.id}").get_data(as_text=True)
    assert 'id="ticket-form"' in page and "Kortnummer" in page and 'name="guided"' not in page
    answer = _submit(client, service, {"Kortnummer": "K-17"}, guided="")
    assert answer.status_code == 302
    description = db.session.scalar(select(Ticket.description))
    assert description.endswith("- Kortnummer: K-17") and "Checked with the guide" not in description


def test_the_files_chosen_are_kept_while_a_field_is_corrected(client, make_user, printing):
    make_user("anna")
    client.login("anna")
    first = _submit(client, printing, {}, attachments=[(io.BytesIO(PNG), "printer.png")])
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "printer.png" in page and _tickets() == 0
    tokens = [line.split('value="')[1].split('"')[0] for line in page.splitlines()
              if 'name="pending"' in line]
    assert len(tokens) == 1
    second = _submit(client, printing, {ASSET: "PC-4711"}, pending=tokens)
    assert second.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert attachment.filename == "printer.png"
    assert client.get(f"/attachments/{attachment.id}").data == PNG


def test_the_api_is_not_held_to_the_fields(client, make_user, printing):
    """Integrations file through the API without the portal's form: fields do not block them."""
    make_user("anna")
    client.login("anna")
    token = client.csrf_token("/")
    created = client.post("/api/v1/tickets", headers={"X-CSRFToken": token}, json={
        "title": "Printer", "description": "Fra overvågningen.", "type": "incident",
        "service": printing.name})
    assert created.status_code == 201
    assert created.get_json()["description"] == "Fra overvågningen."
