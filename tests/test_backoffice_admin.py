"""Users, knowledge base and exports in the backoffice, through HTTP with CSRF on."""

from sqlalchemy import func, select, update

from models import (
    AuditEvent,
    Document,
    DocumentRevision,
    Notification,
    OutboxEmail,
    Pin,
    Role,
    Ticket,
    User,
    db,
)
from services import documents, tickets, users
from tests.conftest import PASSWORD


def _user(name: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def test_admin_creates_a_supporter_with_the_password_policy(client, staff):
    client.login("root")
    weak = client.post_form("/admin/user/new/", {"username": "newbie", "role": "supporter",
                                                 "level": "2", "password": "short"})
    assert weak.status_code == 200 and "Use at least 12 characters." in weak.get_data(as_text=True)
    assert _user("newbie") is None
    client.post_form("/admin/user/new/", {"username": "newbie", "role": "supporter",
                                          "level": "2", "password": PASSWORD, "email": ""})
    assert (_user("newbie").role, _user("newbie").level) == (Role.SUPPORTER, 2)


def test_a_created_account_has_the_chosen_language_and_only_supporters_a_level(client, staff):
    client.login("root")
    levelled = client.post_form("/admin/user/new/", {"username": "kunde2", "role": "customer",
                                                     "level": "3", "password": PASSWORD})
    assert "Only supporters have a level." in levelled.get_data(as_text=True)
    assert _user("kunde2") is None
    client.post_form("/admin/user/new/", {"username": "kunde2", "role": "customer", "level": "",
                                          "password": PASSWORD, "language": "da"})
    assert (_user("kunde2").level, _user("kunde2").language) == (None, "da")


def test_marking_a_supporter_away_redistributes_their_tickets(client, staff, make_ticket):
    ticket = make_ticket()
    assert ticket.assignee_id == staff["l1"].id
    client.login("root")
    answer = client.post_form(f"/admin/user/edit/?id={staff['l1'].id}",
                              {"level": "1", "away": "y", "active": "y"})
    assert answer.status_code == 302
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id == staff["l1b"].id
    assert _user("l1a").open_ticket_count == 0 and _user("l1b").open_ticket_count == 1
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id.desc())) == "reassigned"


def test_supporter_toggles_their_own_away_flag(client, staff, make_ticket):
    ticket = make_ticket()
    client.login("l1a")
    client.post_form("/admin/away", {})
    assert _user("l1a").away is True
    assert db.session.get(Ticket, ticket.id).assignee_id == staff["l1b"].id
    client.post_form("/admin/away", {})
    assert _user("l1a").away is False


def _set_level_one(**values) -> None:
    db.session.execute(update(User).where(User.username.in_(("l1a", "l1b"))).values(**values))
    db.session.commit()


def _queued(make_ticket, count: int) -> list[int]:
    """`count` tickets that wait in the level-1 queue (nobody at level 1 can take them)."""
    return [make_ticket(title=f"Kan ikke logge ind {n}").id for n in range(count)]


def _assignees(ids: list[int]) -> list:
    db.session.expire_all()
    return [db.session.get(Ticket, ticket_id).assignee_id for ticket_id in ids]


def test_a_supporter_coming_back_takes_up_the_queue_at_once(client, staff, make_ticket):
    _set_level_one(away=True)
    queued = _queued(make_ticket, 3)
    assert _assignees(queued) == [None, None, None]
    client.login("l1a")
    page = client.post_form("/admin/away", {}, follow_redirects=True).get_data(as_text=True)
    assert "3 tickets waiting in your level" in page
    assert _assignees(queued) == [staff["l1"].id] * 3
    assert _user("l1a").open_ticket_count == 3
    page = client.post_form("/admin/away", {}, follow_redirects=True).get_data(as_text=True)
    assert "3 of your open and pending tickets went to colleagues" in page  # here: the queue
    assert _assignees(queued) == [None, None, None]
    client.logout()
    client.login("root")
    client.post_form(f"/admin/user/edit/?id={staff['l1b'].id}", {"level": "1", "active": "y"})
    assert _assignees(queued) == [staff["l1b"].id] * 3  # the admin brought l1b back


def test_a_new_or_reactivated_supporter_takes_up_the_queue(client, staff, make_ticket):
    _set_level_one(active=False)
    queued = _queued(make_ticket, 2)
    client.login("root")
    client.post_form("/admin/user/new/", {"username": "ny", "role": "supporter", "level": "1",
                                          "password": PASSWORD, "language": "da"})
    assert _assignees(queued) == [_user("ny").id] * 2
    client.post_form(f"/admin/user/edit/?id={_user('ny').id}", {"level": "1"})  # inactive
    assert _assignees(queued) == [None, None]
    client.post_form(f"/admin/user/edit/?id={staff['l1'].id}", {"level": "1", "active": "y"})
    assert _assignees(queued) == [staff["l1"].id] * 2


def test_an_edit_that_takes_a_supporter_off_duty_hands_them_no_queue(client, staff,
                                                                      make_ticket):
    _set_level_one(away=True)
    queued = _queued(make_ticket, 2)
    client.login("root")
    # Moved to level 1 and deactivated in one edit; reactivated but away in the next.
    client.post_form(f"/admin/user/edit/?id={staff['l2'].id}", {"level": "1"})
    client.post_form(f"/admin/user/edit/?id={staff['l2'].id}",
                     {"level": "1", "active": "y", "away": "y"})
    assert _assignees(queued) == [None, None]
    assigned = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.ticket_id.in_(queued), AuditEvent.action == "assigned"))
    assert assigned == 0  # not handed out and taken back: nothing to log


def test_last_admin_cannot_be_deactivated(client, staff):
    client.login("root")
    answer = client.post_form(f"/admin/user/edit/?id={staff['admin'].id}", {"level": ""})
    assert "The last admin cannot be deactivated." in answer.get_data(as_text=True)
    assert _user("root").active is True


def test_anonymising_a_customer_keeps_the_tickets(client, staff, make_user, make_ticket):
    anna = make_user("anna", email="anna@example.com")
    ticket = make_ticket(anna)
    client.login("root")
    client.post_form(f"/admin/user/anonymise/{anna.id}", {})
    user = db.session.get(User, anna.id)
    db.session.refresh(user)
    assert (user.username, user.email, user.active) == (f"anonymised-{anna.id}", None, False)
    assert user.anonymised_at is not None
    assert db.session.get(Ticket, ticket.id).customer_id == anna.id


def test_anonymising_a_supporter_is_refused_on_their_page(client, staff):
    client.login("root")
    answer = client.post_form(f"/admin/user/anonymise/{staff['l1'].id}", {},
                              follow_redirects=True)
    assert answer.status_code == 200 and "Only customers are anonymised." in answer.get_data(
        as_text=True)
    assert _user("l1a").anonymised_at is None


def test_anonymising_leaves_the_name_and_address_nowhere_else(client, staff, make_user,
                                                            make_ticket):
    anna = make_user("anna", email="anna@example.com")
    ticket = make_ticket(anna)
    tickets.add_comment(anna, ticket, "Den virker stadig ikke")  # tells the assignee, by name
    users.reset_password(staff["admin"], anna, "a-new-long-secret")
    users.set_active(staff["admin"], anna, False)
    db.session.add(OutboxEmail(recipient="anna@example.com", subject="[#1] Printer",
                               body_text="Hej anna", message_id="<1@helpdesk.test>"))
    db.session.add(OutboxEmail(recipient="tim@example.com", subject="[#1] Printer",
                               body_text="Hej tim", message_id="<2@helpdesk.test>"))
    db.session.commit()
    client.login("root")
    assert client.post_form(f"/admin/user/anonymise/{anna.id}", {}).status_code == 302
    db.session.expire_all()
    pseudonym = f"anonymised-{anna.id}"
    assert db.session.scalars(select(OutboxEmail.recipient)).all() == ["tim@example.com"]
    account_events = db.session.execute(select(AuditEvent.old_value, AuditEvent.new_value)
                                        .where(AuditEvent.action.like("user%"))).all()
    written = " ".join(value or "" for row in account_events for value in row)
    assert "anna" not in written and f"{pseudonym}: True" in written
    messages = db.session.scalars(select(Notification.message)).all()
    assert messages and not any("anna" in message for message in messages)
    assert any(pseudonym in message for message in messages)
    outbox_page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "anna@example.com" not in outbox_page


def test_admin_resets_a_password(client, staff):
    client.login("root")
    client.post_form(f"/admin/user/password/{staff['l1'].id}", {"password": "a-new-long-secret"})
    client.logout()
    assert client.post_form("/login", {"username": "l1a",
                                       "password": "a-new-long-secret"}).status_code == 302


def test_supporter_writes_a_document_and_revisions_are_kept(client, staff):
    client.login("l2a")
    client.post_form("/admin/document/new/", {"title": "Windows 11 printer driver",
                                               "body": "Install the **driver**."})
    document = db.session.scalar(select(Document))
    client.post_form(f"/admin/document/edit/?id={document.id}",
                     {"title": "Windows 11 printer driver", "body": "Version 2", "public": "y"})
    assert db.session.scalar(select(func.count()).select_from(DocumentRevision)) == 2
    details = client.get("/admin/revision/?search=driver").get_data(as_text=True)
    assert "Windows 11 printer driver" in details
    client.post_form(f"/admin/document/edit/?id={document.id}", {
        "title": "Windows 11 printer driver", "body": "| Model | Driver |\n|---|---|\n| HP | 7 |"})
    shown = client.get(f"/admin/document/details/?id={document.id}").get_data(as_text=True)
    assert '<div class="markdown"><table>' in shown  # ruled like the readers' page (admin.css)


def test_the_outbox_says_when_email_is_off(client, staff):
    client.login("root")  # the tests' desk has no SMTP_HOST
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert 'id="email-off"' in page and "SMTP_HOST is not set" in page


def test_preview_renders_sanitised_markdown(client, staff):
    client.login("l1a")
    answer = client.post_form("/admin/document/preview",
                              {"body": "**bold** [x](javascript:alert(1))"})
    html = answer.get_data(as_text=True)
    assert "<strong>bold</strong>" in html and 'href="javascript' not in html


def test_the_sla_document_cannot_become_the_catalog_and_leave_no_sla(client, staff):
    """Exactly one of each stays pinned: the SLA document pinned as the catalog too would
    have left no SLA at all."""
    admin = staff["admin"]
    sla_document = documents.save(admin, None, "SLA", "P1: 4 hours")
    catalog = documents.save(admin, None, "Catalog", "Print service")
    documents.pin(admin, sla_document, Pin.SLA)
    documents.pin(admin, catalog, Pin.CATALOG)
    db.session.commit()
    client.login("root")
    answer = client.post_form("/admin/document/action/", {
        "action": "pin_catalog", "rowid": str(sla_document.id)}, follow_redirects=True)
    assert "pinned as the other kind" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert documents.pinned(Pin.SLA).id == sla_document.id
    assert documents.pinned(Pin.CATALOG).id == catalog.id


def test_only_admins_pin_and_edit_pinned_documents(client, staff):
    client.login("l1a")
    client.post_form("/admin/document/new/", {"title": "SLA", "body": "P1: 4 hours"})
    document = db.session.scalar(select(Document))
    refused = client.post_form("/admin/document/action/", {"action": "pin_sla",
                                                            "rowid": str(document.id)})
    assert refused.status_code == 403 and db.session.get(Document, document.id).pinned_as is None
    client.logout()
    client.login("root")
    client.post_form("/admin/document/action/", {"action": "pin_sla", "rowid": str(document.id)})
    db.session.expire_all()
    assert db.session.get(Document, document.id).pinned_as == Pin.SLA
    client.logout()
    client.login("l1a")
    assert client.get(f"/admin/document/edit/?id={document.id}").status_code == 403
    answer = client.post_form(f"/admin/document/edit/?id={document.id}",
                              {"title": "SLA", "body": "changed"})
    assert answer.status_code == 403  # refused on opening the form, not only on saving
    assert db.session.get(Document, document.id).body == "P1: 4 hours"
    assert client.get(f"/admin/document/details/?id={document.id}").status_code == 200
