"""Who gets what from every route: endpoint x role x method, generated from the URL map.

EXPECTED below is the one table of answers. A route without a line fails the suite, and so
does a line whose route is gone: add a line (or a block, e.g. the API's) with the route.
Columns: anonymous, customer, supporter L1, L2, L3, manager, admin. `login` is a redirect
to the login page; other numbers are status codes. GETs carry no form; POSTs carry a valid
CSRF token and nothing else. Requests run in endpoint order in the world of
tests/access_world.py (one customer's level-1 ticket, a public document), so earlier
requests may change later answers (l1 marks themself away at `admin.toggle_away`);
`auth.logout` runs last.
"""
import csv
import io

import openpyxl
import pytest
from flask import url_for

from models import Document, Status, Ticket, User, db
from services import tickets
from tests.access_world import ROLES, ROW_MODELS, USERNAMES, build_world
from views.admin import export

EXPECTED_TABLE = """
account.me                  GET    401   200   200   200   200   200   200
admin.index                 GET  login   403   302   302   302   200   200
admin.static                GET    200   200   200   200   200   200   200
admin.toggle_away           POST login   403   302   302   302   302   302
api-docs.openapi_json       GET    200   200   200   200   200   200   200
api-docs.openapi_redoc      GET    200   200   200   200   200   200   200
audit.action_view           POST login   403   403   403   403   302   302
audit.ajax_lookup           GET  login   403   403   403   403   404   404
audit.create_view           GET  login   403   403   403   403   403   403
audit.create_view           POST login   403   403   403   403   403   403
audit.details_view          GET  login   403   403   403   403   200   200
audit.edit_view             GET  login   403   403   403   403   403   403
audit.edit_view             POST login   403   403   403   403   403   403
audit.export                GET  login   403   403   403   403   403   403
audit.index_view            GET  login   403   403   403   403   200   200
auth.account                GET  login   200   200   200   200   200   200
auth.account                POST login   200   200   200   200   200   200
auth.login                  GET    200   302   302   302   302   302   302
auth.login                  POST   200   302   302   302   302   302   302
auth.logout                 POST login login login login login login login
auth.register               GET    200   302   302   302   302   302   302
auth.register               POST   200   302   302   302   302   302   302
auth.revoke_token           POST login   302   302   302   302   302   302
calendar.action_view        POST login   403   403   403   403   302   302
calendar.ajax_lookup        GET  login   403   403   403   403   404   404
calendar.create_view        GET  login   403   403   403   403   403   200
calendar.create_view        POST login   403   403   403   403   403   200
calendar.details_view       GET  login   403   403   403   403   200   200
calendar.edit_view          GET  login   403   403   403   403   403   200
calendar.edit_view          POST login   403   403   403   403   403   200
calendar.export             GET  login   403   403   403   403   403   403
calendar.index_view         GET  login   403   403   403   403   200   200
canned_reply.action_view    POST login   403   403   403   403   302   302
canned_reply.ajax_lookup    GET  login   403   403   403   403   404   404
canned_reply.create_view    GET  login   403   403   403   403   403   200
canned_reply.create_view    POST login   403   403   403   403   403   200
canned_reply.details_view   GET  login   403   403   403   403   200   200
canned_reply.edit_view      GET  login   403   403   403   403   403   200
canned_reply.edit_view      POST login   403   403   403   403   403   200
canned_reply.export         GET  login   403   403   403   403   403   403
canned_reply.index_view     GET  login   403   403   403   403   200   200
comment.action_view         POST login   403   403   403   403   302   302
comment.ajax_lookup         GET  login   403   403   403   403   404   404
comment.create_view         GET  login   403   403   403   403   403   403
comment.create_view         POST login   403   403   403   403   403   403
comment.details_view        GET  login   403   403   403   403   200   200
comment.edit_view           GET  login   403   403   403   403   403   403
comment.edit_view           POST login   403   403   403   403   403   403
comment.export              GET  login   403   403   403   403   403   403
comment.index_view          GET  login   403   403   403   403   200   200
dashboard.download          GET  login   403   403   403   403   200   200
dashboard.index             GET  login   403   403   403   403   200   200
intake_template.action_view POST login 403 403 403 403 403 302
intake_template.ajax_lookup GET login 403 403 403 403 403 404
intake_template.create_view GET login 403 403 403 403 403 200
intake_template.create_view POST login 403 403 403 403 403 200
intake_template.details_view GET login 403 403 403 403 403 200
intake_template.edit_view   GET  login 403 403 403 403 403 200
intake_template.edit_view   POST login 403 403 403 403 403 200
intake_template.export      GET  login 403 403 403 403 403 403
intake_template.index_view  GET  login 403 403 403 403 403 200
major_incidents.accept      POST login 403 404 404 404 404 404
major_incidents.dismiss     POST login 403 404 404 404 404 404
major_incidents.index       GET  login 403 200 200 200 200 200
document.action_view        POST login   403   302   302   302   302   302
document.ajax_lookup        GET  login   403   404   404   404   404   404
document.create_view        GET  login   403   200   200   200   403   200
document.create_view        POST login   403   200   200   200   403   200
document.details_view       GET  login   403   200   200   200   200   200
document.edit_view          GET  login   403   200   200   200   403   200
document.edit_view          POST login   403   302   302   302   403   302
document.export             GET  login   403   403   403   403   403   403
document.index_view         GET  login   403   200   200   200   200   200
document.preview            POST login   403   200   200   200   200   200
documents.service_catalog   GET    404   404   404   404   404   404   404
documents.sla               GET    404   404   404   404   404   404   404
holiday.action_view         POST login   403   403   403   403   302   302
holiday.ajax_lookup         GET  login   403   403   403   403   404   404
holiday.create_view         GET  login   403   403   403   403   403   200
holiday.create_view         POST login   403   403   403   403   403   200
holiday.details_view        GET  login   403   403   403   403   200   200
holiday.edit_view           GET  login   403   403   403   403   403   200
holiday.edit_view           POST login   403   403   403   403   403   200
holiday.export              GET  login   403   403   403   403   403   403
holiday.index_view          GET  login   403   403   403   403   200   200
my_tickets.action_view      POST login   403   302   302   302   403   403
my_tickets.ajax_lookup      GET  login   403   404   404   404   403   403
my_tickets.create_view      GET  login   403   403   403   403   403   403
my_tickets.create_view      POST login   403   403   403   403   403   403
my_tickets.details_view     GET  login   403   404   404   404   403   403
my_tickets.edit_view        GET  login   403   403   403   403   403   403
my_tickets.edit_view        POST login   403   403   403   403   403   403
my_tickets.export           GET  login   403   403   403   403   403   403
my_tickets.index_view       GET  login   403   200   200   200   403   403
outbox.action_view          POST login   403   403   403   403   403   302
outbox.ajax_lookup          GET  login   403   403   403   403   403   404
outbox.ajax_update          POST login   403   403   403   403   403   404
outbox.create_view          GET  login   403   403   403   403   403   302
outbox.create_view          POST login   403   403   403   403   403   302
outbox.delete_view          POST login   403   403   403   403   403   302
outbox.details_view         GET  login   403   403   403   403   403   200
outbox.edit_view            GET  login   403   403   403   403   403   302
outbox.edit_view            POST login   403   403   403   403   403   302
outbox.export               GET  login   403   403   403   403   403   302
outbox.index_view           GET  login   403   403   403   403   403   200
outbox.send_test            POST login   403   403   403   403   403   302
password.request_reset      GET    200   200   200   200   200   200   200
password.request_reset      POST   200   200   200   200   200   200   200
password.reset_with_token   GET    302   302   302   302   302   302   302
password.reset_with_token   POST   302   302   302   302   302   302   302
portal.attachment           GET  login   200   200   200   200   200   200
portal.close                POST login   302   403   403   403   403   302
portal.my_tickets           GET  login   200   302   302   302   302   302
portal.intake_solved        POST login   404   403   403   403   403   403
portal.new_ticket           GET  login   200   403   403   403   403   403
portal.new_ticket           POST login   200   403   403   403   403   403
portal.notifications        GET  login   200   200   200   200   200   200
portal.notifications_read   POST login   302   302   302   302   302   302
portal.rate                 POST login   422   403   403   403   403   403
portal.reply                POST login   422   422   422   422   422   422
portal.ticket               GET  login   200   302   302   302   302   302
public.healthz              GET    200   200   200   200   200   200   200
public.index                GET    200   200   200   200   200   200   200
public.kb_document          GET    200   200   200   200   200   200   200
public.kb_index             GET    200   200   200   200   200   200   200
public.kb_suggest           GET    200   200   200   200   200   200   200
public.service_catalog      GET    200   200   200   200   200   200   200
public.set_language         POST   302   302   302   302   302   302   302
public.sla                  GET    200   200   200   200   200   200   200
queue.action_view           POST login   403   302   302   302   403   403
queue.ajax_lookup           GET  login   403   404   404   404   403   403
queue.create_view           GET  login   403   403   403   403   403   403
queue.create_view           POST login   403   403   403   403   403   403
queue.details_view          GET  login   403   200   404   404   403   403
queue.edit_view             GET  login   403   403   403   403   403   403
queue.edit_view             POST login   403   403   403   403   403   403
queue.export                GET  login   403   403   403   403   403   403
queue.index_view            GET  login   403   200   200   200   403   403
readable.action_view        POST login   403   302   302   302   403   403
readable.ajax_lookup        GET  login   403   404   404   404   403   403
readable.create_view        GET  login   403   403   403   403   403   403
readable.create_view        POST login   403   403   403   403   403   403
readable.details_view       GET  login   403   200   200   200   403   403
readable.edit_view          GET  login   403   403   403   403   403   403
readable.edit_view          POST login   403   403   403   403   403   403
readable.export             GET  login   403   403   403   403   403   403
readable.index_view         GET  login   403   200   200   200   403   403
revision.action_view        POST login   403   302   302   302   302   302
revision.ajax_lookup        GET  login   403   404   404   404   404   404
revision.create_view        GET  login   403   403   403   403   403   403
revision.create_view        POST login   403   403   403   403   403   403
revision.details_view       GET  login   403   200   200   200   200   200
revision.edit_view          GET  login   403   403   403   403   403   403
revision.edit_view          POST login   403   403   403   403   403   403
revision.export             GET  login   403   403   403   403   403   403
revision.index_view         GET  login   403   200   200   200   200   200
service.action_view         POST login   403   403   403   403   302   302
service.ajax_lookup         GET  login   403   403   403   403   404   404
service.create_view         GET  login   403   403   403   403   403   200
service.create_view         POST login   403   403   403   403   403   200
service.details_view        GET  login   403   403   403   403   200   200
service.edit_view           GET  login   403   403   403   403   403   200
service.edit_view           POST login   403   403   403   403   403   200
service.export              GET  login   403   403   403   403   403   403
service.index_view          GET  login   403   403   403   403   200   200
sla_policy.action_view      POST login   403   403   403   403   302   302
sla_policy.ajax_lookup      GET  login   403   403   403   403   404   404
sla_policy.create_view      GET  login   403   403   403   403   403   403
sla_policy.create_view      POST login   403   403   403   403   403   403
sla_policy.details_view     GET  login   403   403   403   403   200   200
sla_policy.edit_view        GET  login   403   403   403   403   403   200
sla_policy.edit_view        POST login   403   403   403   403   403   200
sla_policy.export           GET  login   403   403   403   403   403   403
sla_policy.index_view       GET  login   403   403   403   403   200   200
static                      GET    200   200   200   200   200   200   200
ticket-actions.comment      POST   401   422   422   422   422   422   422
ticket-actions.escalate     POST   401   422   422   422   422   422   422
ticket-actions.link         POST   401   422   422   422   422   422   422
ticket-actions.take         POST   401   403   403   403   403   403   403
ticket-actions.unlink       DELETE  401   403   403   403   403   403   403
ticket.action_view          POST login   403   302   302   302   302   302
ticket.ajax_lookup          GET  login   403   404   404   404   404   404
ticket.bulk                 GET  login   403   200   200   200   403   200
ticket.bulk                 POST login   403   302   302   302   403   302
ticket.create_view          GET  login   403   403   403   403   403   403
ticket.create_view          POST login   403   403   403   403   403   403
ticket.details_view         GET  login   403   200   200   200   200   200
ticket.edit_view            GET  login   403   403   403   403   403   403
ticket.edit_view            POST login   403   403   403   403   403   403
ticket.export               GET  login   403   403   403   403   200   200
ticket.handle               GET  login   403   200   200   200   200   200
ticket.index_view           GET  login   403   302   302   302   200   200
ticket.operate              POST login   403   302   302   302   302   302
tickets.create              POST   401   422   422   422   422   422   422
tickets.list_               GET    401   200   200   200   200   200   200
tickets.read                GET    401   200   200   200   200   200   200
tickets.update              PATCH  401   422   422   422   422   422   422
user.action_view            POST login   403   403   403   403   403   302
user.ajax_lookup            GET  login   403   403   403   403   403   404
user.anonymise              POST login   403   403   403   403   403   302
user.create_view            GET  login   403   403   403   403   403   200
user.create_view            POST login   403   403   403   403   403   200
user.details_view           GET  login   403   403   403   403   403   200
user.edit_view              GET  login   403   403   403   403   403   200
user.edit_view              POST login   403   403   403   403   403   302
user.export                 GET  login   403   403   403   403   403   403
user.index_view             GET  login   403   403   403   403   403   200
user.reset_password         POST login   403   403   403   403   403   302
"""

# URL arguments for the sample world; per-endpoint overrides below.
ARGUMENTS = {"export_type": "csv", "operation": "take"}
ENDPOINT_ARGUMENTS = {
    "static": {"filename": "style.css"},
    "admin.static": {"filename": "admin/css/bootstrap4/admin.css"},
    "ticket.bulk": {"operation": "status"},
    "dashboard.download": {"key": "supporter_load"},
    "password.reset_with_token": {"token": "not-a-valid-token"},
    "major_incidents.accept": {"proposal_id": 1},
    "major_incidents.dismiss": {"proposal_id": 1},
}
# Which world row a model view's details and edit pages open.
ROW_OF_MODEL = {Ticket: "ticket_id", User: "user_id", Document: "document_id",
                **{model: f"{model.__tablename__}_row" for model in ROW_MODELS}}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def parse_table(text: str) -> dict:
    table = {}
    for line in text.strip().splitlines():
        endpoint, method, *answers = line.split()
        assert len(answers) == len(ROLES), f"{endpoint} {method}: one answer per role"
        table[(endpoint, method)] = dict(zip(ROLES, answers, strict=True))
    return table


EXPECTED = parse_table(EXPECTED_TABLE)


def routes(app) -> list[tuple]:
    """(rule, method) for every route; logout last, since it ends the session."""
    pairs = [(rule, method) for rule in app.url_map.iter_rules()
             for method in sorted(rule.methods - IGNORED_METHODS)]
    return sorted(pairs, key=lambda p: (p[0].endpoint == "auth.logout", p[0].endpoint, p[1]))


def model_view_rows(app) -> dict[str, str]:
    """Endpoint prefix of each registered admin model view -> world key of its sample row."""
    admin = app.extensions["admin"][0]
    return {view.endpoint: ROW_OF_MODEL[view.model] for view in admin._views
            if getattr(view, "model", None) in ROW_OF_MODEL}


def url_of(app, rule, world: dict) -> str:
    values = {**world, **ARGUMENTS, **ENDPOINT_ARGUMENTS.get(rule.endpoint, {})}
    arguments = {name: values[name] for name in rule.arguments}
    view, _, name = rule.endpoint.rpartition(".")
    row = model_view_rows(app).get(view)
    if name in ("details_view", "edit_view") and row:
        arguments["id"] = world[row]
    with app.test_request_context():
        return url_for(rule.endpoint, **arguments)


def answer_of(response) -> str:
    response.close()
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "login"
    return str(response.status_code)


@pytest.fixture
def world(app, staff, make_user, make_ticket, tmp_path):
    world = build_world(staff, make_user, make_ticket)
    (tmp_path / "uploads").mkdir(exist_ok=True)
    (tmp_path / "uploads" / ("0" * 32)).write_text("ok")
    return world


def test_every_route_has_exactly_one_rule(app):
    present = {(rule.endpoint, method) for rule, method in routes(app)}
    assert sorted(present - EXPECTED.keys()) == [], "routes without a rule in EXPECTED_TABLE"
    assert sorted(EXPECTED.keys() - present) == [], "rules for routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, client, world, role):
    """OTRS CVE-2013-3551: a second code path that skips the check shows up here."""
    if role != "anonymous":
        client.login(USERNAMES[role])
    token = client.csrf_token("/")
    wrong = []
    for rule, method in routes(app):
        url = url_of(app, rule, world)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
        expected = EXPECTED[(rule.endpoint, method)][role]
        if answer_of(response) != expected:
            wrong.append(f"{rule.endpoint} {method} {url}: {answer_of(response)}, "
                         f"expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_every_post_without_a_csrf_token_is_refused(app, client, world, role):
    if role != "anonymous":
        client.login(USERNAMES[role])
    accepted = []
    for rule, method in routes(app):
        if method == "GET":
            continue
        response = client.open(url_of(app, rule, world), method=method, data={})
        # The API authenticates first: an anonymous caller learns only that it must sign in.
        refused = "401" if role == "anonymous" and rule.rule.startswith("/api/") else "400"
        if answer_of(response) != refused:
            accepted.append(f"{rule.endpoint} {method}: {response.status_code}")
    assert accepted == []


@pytest.fixture
def level3_ticket(staff, make_ticket) -> Ticket:
    """A ticket l1b escalated to level 3: out of l1a's scope (not their level, never theirs)."""
    make_ticket()  # l1a's
    ticket = make_ticket()  # l1b's
    tickets.escalate(staff["l1b"], ticket, level=3)
    db.session.commit()
    return ticket


@pytest.mark.parametrize("url", [
    "/admin/ticket/details/?id={id}", "/admin/readable/details/?id={id}",
    "/admin/queue/details/?id={id}", "/admin/my-tickets/details/?id={id}",
    "/admin/ticket/handle/{number}",
])
def test_out_of_scope_ticket_pages_answer_404(client, staff, level3_ticket, url):
    client.login("l1a")
    answer = client.get(url.format(id=level3_ticket.id, number=level3_ticket.number))
    assert answer.status_code == 404


def test_out_of_scope_ticket_operations_answer_404(client, staff, level3_ticket):
    client.login("l1a")
    for operation in ("respond", "take", "status", "escalate"):
        answer = client.post_form(
            f"/admin/ticket/handle/{level3_ticket.number}/{operation}", {"body": "hi"})
        assert answer.status_code == 404, operation


def test_actions_with_foreign_ids_change_nothing(client, staff, level3_ticket):
    client.login("l1a")
    token = client.csrf_token("/admin/queue/")
    client.post("/admin/queue/action/", data={"csrf_token": token, "action": "take",
                                              "rowid": [str(level3_ticket.id), "999999"]})
    client.post_form("/admin/ticket/bulk/priority", {
        "ids": [str(level3_ticket.id)], "priority": "P1", "reason": "mine now"})
    db.session.expire_all()
    ticket = db.session.get(Ticket, level3_ticket.id)
    assert (ticket.assignee_id, ticket.priority.value) == (staff["l3"].id, "P3")


def test_disallowed_action_is_refused_with_403(client, staff, world):
    client.login("boss")
    token = client.csrf_token("/admin/ticket/")
    answer = client.post("/admin/ticket/action/", data={
        "csrf_token": token, "action": "status", "rowid": [str(world["ticket_id"])]})
    assert answer.status_code == 403


@pytest.mark.parametrize("username", ["anna", "l1a", "l3a"])
def test_exports_are_denied_to_supporters_and_customers(client, world, username):
    """GLPI CVE-2026-32312: export is a right of its own, not a generic read right."""
    client.login(username)
    for view in ("ticket", "readable", "queue", "my-tickets", "user", "comment", "audit"):
        for kind in ("csv", "xlsx"):
            assert client.get(f"/admin/{view}/export/{kind}/").status_code == 403


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_exports_neutralise_formulas(client, staff, make_user, make_ticket):
    """osTicket #3767: CSV cells like =cmd|' /C calc'!A0 must not run when opened."""
    anna = make_user("anna")
    make_ticket(anna, title="=HYPERLINK(\"http://evil\")", description="x")
    make_ticket(anna, title="@SUM(1+1)", description="x")
    make_ticket(anna, title="Plain printer trouble", description="x")
    client.login("boss")
    rows = _csv_rows(client.get("/admin/ticket/export/csv/?sort=0"))
    header, data = rows[0], rows[1:]
    assert header[:2] == ["Number", "Title"]
    assert [row[0] for row in data] == ["1", "2", "3"]
    assert data[0][1].startswith("'=") and data[1][1].startswith("'@")
    filtered = _csv_rows(client.get("/admin/ticket/export/csv/?search=Plain"))
    assert [row[1] for row in filtered[1:]] == ["Plain printer trouble"]
    answer = client.get("/admin/ticket/export/xlsx/")
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=ticket-")
    assert answer.headers["Content-Disposition"].endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["Sheet"]
    header, *data = book.active.iter_rows(values_only=True)
    assert header[:2] == ("Number", "Title")
    titles = [row[1] for row in data]
    assert sorted(titles) == ["'=HYPERLINK(\"http://evil\")", "'@SUM(1+1)",
                              "Plain printer trouble"]
    assert [row[0] for row in data] == [3, 2, 1]  # numbers stay numbers


def test_an_xlsx_export_past_a_sheets_rows_is_refused_not_cut(client, staff, make_ticket,
                                                              monkeypatch):
    for _n in range(3):
        make_ticket()
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)
    client.login("boss")
    answer = client.get("/admin/ticket/export/xlsx/?search=printe&_method=DELETE")
    assert answer.status_code == 302  # back to the same list (url_for's own arguments dropped)
    assert "/admin/ticket/?search=printe" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "A spreadsheet holds at most 2 rows" in page
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 3)
    answer = client.get("/admin/ticket/export/xlsx/")
    assert len(list(openpyxl.load_workbook(io.BytesIO(answer.data)).active.iter_rows())) == 4


def test_no_export_holds_password_hashes_or_internal_notes(client, staff, make_ticket):
    ticket = make_ticket()
    tickets.add_comment(staff["l1"], ticket, "secret internal remark", internal=True)
    tickets.change_status(staff["l1"], ticket, Status.PENDING)
    db.session.commit()
    hashes = [user.password_hash for user in staff.values()]
    client.login("root")
    admin = client.application.extensions["admin"][0]
    for view in admin._views:
        if not hasattr(view, "export_types"):
            continue
        for kind in view.export_types:
            answer = client.get(f"{view.url}/export/{kind}/")
            if answer.status_code != 200:
                continue
            data = answer.get_data()
            assert b"secret internal remark" not in data, view.endpoint
            assert not any(h.encode() in data for h in hashes), view.endpoint
            assert b"scrypt" not in data, view.endpoint
