"""The interface in English and Danish: complete catalogues, Danish pages with no English left,
values and times in the reader's language and time zone, and the switch in both navigations."""
import re

import pytest
from babel.messages.pofile import read_po

from models import MajorIncidentProposal, ProposalStatus, Status, User, db, utcnow
from scripts.translations import catalogues, extract, untranslated
from services import documents
from tests.i18n_support import (
    OUR_DA,
    catalogues_compiled,
    english_left,
    english_phrases,
    visible_text,
)

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


@pytest.fixture(autouse=True)
def compiled():
    assert catalogues_compiled()


def test_every_message_has_a_danish_translation_that_is_not_fuzzy():
    assert [po.parent.parent.name for po in catalogues()] == ["da"]
    assert untranslated(OUR_DA) == []


def test_every_message_in_the_code_is_in_the_danish_catalogue(tmp_path):
    """A new _() without `make translations` would show English to Danish readers: extract
    afresh and compare."""
    extract(tmp_path / "messages.pot")
    with (tmp_path / "messages.pot").open("rb") as source:
        in_code = {message.id for message in read_po(source) if message.id}
    with OUR_DA.open("rb") as source:
        translated = {message.id for message in read_po(source)
                      if message.id and message.string and not message.fuzzy}
    assert sorted(map(str, in_code - translated)) == []


def test_danish_translations_keep_every_placeholder():
    with OUR_DA.open("rb") as source:
        catalog = read_po(source)
    def forms(text) -> tuple:  # a plural message has a tuple of forms
        return text if isinstance(text, tuple) else (text,)
    wrong = [m.id for m in catalog if m.id
             for english in forms(m.id) for danish in forms(m.string)
             if sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(danish))]
    assert wrong == []


def test_the_leftover_check_finds_english():
    """The page check below can fail: it sees English words in text and in labels."""
    assert any(found.startswith("Conversation and history")
               for found in english_left("<b>Conversation and history</b>"))
    assert english_left(visible_text('<button aria-label="Send reply">x</button>')) == [
        "Send reply … Send reply x"]
    assert english_left(visible_text("<h1>Samtale og historik</h1>")) == []
    assert len(english_phrases()) > 300


def _as(user: User, language: str, timezone: str | None = None) -> User:
    user.language = language
    user.timezone = timezone
    db.session.commit()
    return user


@pytest.fixture
def desk(make_user, make_ticket, staff):
    """A customer's pending ticket with a reply, in the demo's Danish words."""
    kunde = make_user("Kunde")
    ticket = make_ticket(kunde)
    return {"kunde": kunde, "ticket": ticket, **staff}


def _pending(client, desk):
    supporter = desk["ticket"].assignee
    client.login(supporter.username)
    client.post_form(f"/admin/ticket/handle/{desk['ticket'].number}/respond",
                     {"body": "Er din PC forbundet til internettet?", "status": "pending"})
    client.logout()
    assert db.session.get(type(desk["ticket"]), desk["ticket"].id).status == Status.PENDING
    return supporter


def _danish_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert '<html lang="da">' in html or 'admin_a11y.js" data-lang="da"' in html, url
    return visible_text(html)


def test_login_page_follows_accept_language(client):
    english = visible_text(client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True))
    danish = visible_text(client.get("/login", headers={"Accept-Language": "da"}).get_data(as_text=True))
    assert "Forgot your password?" in english and "Glemt din adgangskode?" in danish
    assert english_left(danish) == []


def test_customer_pages_in_danish_have_no_english_left(client, desk):
    supporter = _pending(client, desk)
    _as(desk["kunde"], "da")
    client.login("Kunde")
    number = desk["ticket"].number
    for url in ("/tickets/", "/tickets/new", f"/tickets/{number}", "/account", "/notifications/",
                "/", "/kb/", "/sla", "/service-catalog"):
        text = _danish_page(client, url)
        assert english_left(text) == [], url
    ticket_page = _danish_page(client, f"/tickets/{number}")
    assert "Afventer svar" in ticket_page and "Support venter på dit svar" in ticket_page
    assert "ændrede status fra Åben til Afventer svar" in ticket_page
    assert supporter.username in ticket_page


def test_backoffice_pages_in_danish_have_no_english_left(client, desk):
    supporter = _pending(client, desk)
    _as(supporter, "da")
    client.login(supporter.username)
    number = desk["ticket"].number
    for url in ("/admin/my-tickets/", "/admin/queue/", "/admin/readable/",
                f"/admin/ticket/handle/{number}", "/admin/document/", "/admin/document/new/"):
        text = _danish_page(client, url)
        assert english_left(text) == [], url
    grid = _danish_page(client, "/admin/my-tickets/")
    assert "Med udvalgte" in grid  # Flask-Admin's own catalogue
    assert "Afventer svar" in grid and "Fejl" in grid  # status and type, ours
    client.logout()
    _as(desk["manager"], "da")
    client.login(desk["manager"].username)
    for url in ("/admin/dashboard/", "/admin/ticket/", f"/admin/ticket/handle/{number}"):
        assert english_left(_danish_page(client, url)) == [], url


# Grid headings that are the same word in Danish.
SAME_IN_DANISH = {"Type", "Status", "Service", "Supporter", "SLA", "Id", "E-mail"}


def _headings(html: str) -> set[str]:
    cells = re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)
    return {re.sub(r"\s+", " ", re.sub(r"<[^>]+>|&nbsp;", "", cell)).strip() for cell in cells}


def test_every_backoffice_page_in_danish_has_no_english_left(app, client, desk):
    """Each registered backoffice view, as its reader: no English phrase of the catalogues,
    and no grid heading that reads the same in English (an unlabelled column)."""
    _pending(client, desk)
    for user in (desk["admin"], desk["l1"]):
        client.login(user.username)
        for view in app.extensions["admin"][0]._views:
            url = view.url.rstrip("/") + "/"
            english = client.get(url, headers={"Accept-Language": "en"})
            if english.status_code != 200:  # another role's view
                continue
            _as(user, "en")
            english_headings = _headings(client.get(url).get_data(as_text=True))
            _as(user, "da")
            danish = client.get(url).get_data(as_text=True)
            same = {heading for heading in _headings(danish) & english_headings
                    if re.search("[A-Za-z]{3}", heading)} - SAME_IN_DANISH
            assert same == set(), url
            assert english_left(visible_text(danish)) == [], url
        client.logout()


def test_empty_choice_cells_and_proposal_states_read_as_danish(client, desk):
    db.session.add(MajorIncidentProposal(title="Printeren", status=ProposalStatus.PROPOSED,
                                         created_at=utcnow()))
    documents.save(desk["admin"], None, "Printervejledning", "Tænd printeren.")
    db.session.commit()
    _as(desk["admin"], "da")
    client.login(desk["admin"].username)
    listed = client.get("/admin/document/").get_data(as_text=True)
    assert "Printervejledning" in listed
    assert "None" not in visible_text(listed)  # not pinned: an empty cell
    incidents = visible_text(client.get("/admin/major-incidents/").get_data(as_text=True))
    assert "Foreslået" in incidents and "proposed" not in incidents


def test_times_follow_the_readers_locale_and_time_zone(client, desk):
    desk["ticket"].created_at = desk["ticket"].created_at.replace(
        year=2026, month=1, day=15, hour=8, minute=5)
    db.session.commit()
    number = desk["ticket"].number
    client.login(_as(desk["kunde"], "da", "Europe/Copenhagen").username)
    assert "Oprettet: 15.01.2026 09.05" in _danish_page(client, f"/tickets/{number}")
    client.logout()
    client.login(_as(desk["kunde"], "en", "America/New_York").username)
    english = visible_text(client.get(f"/tickets/{number}").get_data(as_text=True))
    assert "Created: 1/15/26, 3:05\u202fAM" in english or "Created: 1/15/26, 3:05 AM" in english


def test_language_switch_in_the_backoffice_navigation_saves_the_profile(client, desk):
    supporter = desk["l1"]
    client.login(supporter.username)
    page = client.get("/admin/my-tickets/").get_data(as_text=True)
    assert 'id="language-switch"' in page and 'value="da"' in page
    response = client.post_form("/language", {"language": "da", "next": "/admin/my-tickets/"})
    assert response.status_code == 302 and response.location.endswith("/admin/my-tickets/")
    assert db.session.get(User, supporter.id).language == "da"
    assert "Mine sager" in visible_text(client.get("/admin/my-tickets/").get_data(as_text=True))


def test_the_language_chosen_before_signing_in_stays_with_the_account(client, desk):
    kunde = desk["kunde"]
    assert kunde.language == "en"
    client.post_form("/language", {"language": "da", "next": "/login"})
    client.login(kunde.username)
    assert "Mine sager" in visible_text(client.get("/tickets/").get_data(as_text=True))
    assert db.session.get(User, kunde.id).language == "da"  # its emails follow
    client.logout()
    client.login(kunde.username)  # no choice this time: the account's language
    assert "Mine sager" in visible_text(client.get("/tickets/").get_data(as_text=True))


def test_a_new_account_keeps_the_language_it_registered_in(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "da-DK,da;q=0.9"
    response = client.post_form("/register", {
        "username": "Mette", "email": "mette@example.com", "password": "correct-horse-battery",
        "confirm": "correct-horse-battery"})
    assert response.status_code == 302
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    assert db.session.scalar(db.select(User).where(User.username == "Mette")).language == "da"
    assert "Mine sager" in visible_text(client.get("/tickets/").get_data(as_text=True))


def test_form_errors_on_danish_pages_are_danish_in_the_portal_and_the_backoffice(client, desk):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "da"
    page = client.post_form("/register", {"username": "a", "email": "ikke-en-mail",
                                          "password": "", "confirm": ""})
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    text = visible_text(page.get_data(as_text=True))
    for message in ("Feltet skal være mellem 2 og 80 tegn langt.", "Ugyldig e-mailadresse.",
                    "Dette felt skal udfyldes."):
        assert message in text
    assert english_left(text) == []
    _as(desk["admin"], "da")
    client.login(desk["admin"].username)
    page = client.post_form("/admin/service/new/", {"name": "x" * 500, "description": ""})
    text = visible_text(page.get_data(as_text=True))
    assert "Feltet må højst være" in text and english_left(text) == []


def test_enum_values_are_translated_in_grid_filters_and_selects(client, desk):
    _as(desk["l1"], "da")
    client.login(desk["l1"].username)
    handle = client.get(f"/admin/ticket/handle/{desk['ticket'].number}").get_data(as_text=True)
    assert '<option value="pending">Afventer svar</option>' in handle
    assert '<option value="high">Høj</option>' in handle
    assert '<option value="incident" selected>Fejl</option>' in handle


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("zone", ["Europe/Copenhagen", "America/New_York", "UTC"])
def test_localtime_writes_what_flask_babel_writes(app, language, zone):
    """The grids' fast date formatting, across both daylight-saving changes and midnight."""
    from datetime import datetime

    from flask_babel import force_locale, format_datetime, refresh

    from views.labels import localtime
    moments = [datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 0),
               datetime(2026, 10, 25, 0, 59), datetime(2026, 10, 25, 1, 0),
               datetime(2026, 12, 31, 23, 30, 59)]
    with app.test_request_context():
        app.config["TIMEZONE"] = zone
        refresh()
        with force_locale(language):
            assert [localtime(m) for m in moments] == [format_datetime(m, "short")
                                                       for m in moments]
    assert localtime(None) == ""
