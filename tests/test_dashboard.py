"""The manager's dashboard over HTTP: access by role, and every figure against a small
hand-made data set, in the HTML table and in the CSV download."""
import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from models import AuditEvent, Priority, Service, SlaState, Status, Ticket, TicketType, db, utcnow

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def table(html: str, key: str) -> list[list[str]]:
    """The body cells of the figure's HTML table."""
    section = re.search(rf'data-figure="{key}">(.*?)</table>', html, re.S).group(1)
    body = section.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def download(client, key: str) -> list[list[str]]:
    response = client.get(f"/admin/dashboard/{key}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]


@pytest.fixture
def desk(app, make_user):
    """Six tickets with known times; `now` is the moment they were written."""
    now = utcnow()
    anna = make_user("anna")
    s1, s2 = make_user("s1", "supporter", level=1), make_user("s2", "supporter", level=2)
    printing = Service(name="Printservice")
    db.session.add(printing)
    db.session.flush()

    def ticket(number, priority, status, created, assignee, level=1, **fields):
        row = Ticket(number=number, title=f"T{number}", description="-", type=TicketType.INCIDENT,
                     status=status, priority=priority, level=level, customer_id=anna.id,
                     assignee_id=assignee.id, created_at=created, updated_at=created,
                     status_changed_at=created, **fields)
        db.session.add(row)
        db.session.flush()
        return row

    def resolved_event(row, at, old=Status.OPEN, new=Status.RESOLVED):
        db.session.add(AuditEvent(ticket_id=row.id, action="status", old_value=old.value,
                                  new_value=new.value, created_at=at))

    c1 = now - 120 * MINUTE
    ticket(1, Priority.P1, Status.OPEN, c1, s1, service_id=printing.id,
           sla_state=SlaState.BREACHED, first_response_at=c1 + 30 * MINUTE,
           response_due_at=c1 + 60 * MINUTE, resolution_due_at=now + 120 * MINUTE)
    ticket(2, Priority.P2, Status.PENDING, now - 2 * DAY - MINUTE, s2, level=2,
           sla_state=SlaState.AT_RISK)
    c3 = now - 5 * DAY
    t3 = ticket(3, Priority.P3, Status.RESOLVED, c3, s1, first_response_at=c3 + 60 * MINUTE,
                response_due_at=c3 + 120 * MINUTE, resolved_at=c3 + DAY,
                resolution_due_at=c3 + 2 * DAY)
    resolved_event(t3, c3 + DAY)
    c4 = now - 10 * DAY
    t4 = ticket(4, Priority.P3, Status.CLOSED, c4, s1, first_response_at=c4 + 240 * MINUTE,
                response_due_at=c4 + 120 * MINUTE, resolved_at=c4 + 3 * DAY,
                resolution_due_at=c4 + 2 * DAY, rating=2, rated_at=now - 6 * DAY)
    resolved_event(t4, c4 + 3 * DAY)
    c5 = now - 3 * DAY
    t5 = ticket(5, Priority.P3, Status.RESOLVED, c5, s1, first_response_at=c5 + 90 * MINUTE,
                response_due_at=c5 + 120 * MINUTE, resolved_at=c5 + DAY / 2,
                resolution_due_at=c5 + 2 * DAY, rating=5, rated_at=now - DAY)
    resolved_event(t5, c5 + DAY / 4)
    resolved_event(t5, c5 + DAY / 3, old=Status.RESOLVED, new=Status.OPEN)
    resolved_event(t5, c5 + DAY / 2)
    ticket(6, Priority.P4, Status.OPEN, now - 40 * DAY, s1, service_id=printing.id)
    db.session.commit()
    return now


EXPECTED = {
    "open_by_status": [["open", "2"], ["pending", "1"]],
    "open_by_priority": [["P1", "1"], ["P2", "1"], ["P3", "0"], ["P4", "1"]],
    "open_by_level": [["1", "2"], ["2", "1"], ["3", "0"]],
    "open_by_sla_state": [["on track", "1"], ["at risk", "1"], ["breached", "1"]],
    "open_by_service": [["Printservice", "2"], ["(no service)", "1"]],
    "sla_compliance": [["P1", "1", "1", "100.0", "0", "0", ""],
                       ["P2", "0", "0", "", "0", "0", ""],
                       ["P3", "3", "2", "66.7", "3", "2", "66.7"],
                       ["P4", "0", "0", "", "0", "0", ""]],
    "median_times": [["P1", "30.0", ""], ["P2", "", ""], ["P3", "90.0", "1440.0"],
                     ["P4", "", ""], ["all", "75.0", "1440.0"]],
    "reopen_rate": [["3", "1", "33.3"]],
    "backlog_age": [["under 1 day", "1"], ["1-3 days", "1"], ["3-7 days", "0"],
                    ["7-30 days", "0"], ["over 30 days", "1"]],
    "supporter_load": [["s1", "1", "2", "0", "0", "1", "2"], ["s2", "2", "0", "1", "1", "0", "1"]],
    "satisfaction": [["1", "0", "0.0"], ["2", "1", "50.0"], ["3", "0", "0.0"],
                     ["4", "0", "0.0"], ["5", "1", "50.0"]],
    "average_rating": [["2", "3.5"]],
}


def test_dashboard_figures_in_table_and_csv(client, desk, make_user):
    client.login(make_user("boss", "manager").username)
    page = client.get("/admin/dashboard/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key, rows in EXPECTED.items():
        assert download(client, key) == rows, key
        assert table(html, key) == [[cell or "–" for cell in row] for row in rows], key
    assert re.search(r'id="tile-breached">[^<]*<strong>1</strong>', html)
    assert "<svg" in html and "<script src=\"http" not in html


def test_created_and_resolved_per_day_cover_thirty_days(client, desk, staff):
    client.login(staff["admin"].username)
    rows = download(client, "created_resolved")
    assert len(rows) == 30
    assert sum(int(row[1]) for row in rows) == 5  # ticket 6 is 40 days old
    assert sum(int(row[2]) for row in rows) == 3
    html = client.get("/admin/dashboard/").get_data(as_text=True)
    assert table(html, "created_resolved") == rows


@pytest.mark.parametrize("who, expected", [
    (None, 302), ("customer", 403), ("l1", 403), ("l3", 403), ("manager", 200), ("admin", 200),
])
def test_dashboard_is_for_managers_and_admins(client, make_user, staff, who, expected):
    if who == "customer":
        client.login(make_user("anna").username)
    elif who:
        client.login(staff[who].username)
    for url in ("/admin/dashboard/", "/admin/dashboard/open_by_status.csv"):
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 302:
            assert "/login" in response.headers["Location"]


def test_unknown_figure_is_404(client, staff):
    client.login(staff["manager"].username)
    assert client.get("/admin/dashboard/nope.csv").status_code == 404


def test_csv_cells_cannot_run_as_formulas(client, make_user, make_ticket, staff):
    db.session.add(Service(name="=HYPERLINK(\"http://evil\")"))
    db.session.commit()
    service = db.session.scalar(db.select(Service))
    make_ticket(service=service)
    client.login(staff["manager"].username)
    assert download(client, "open_by_service")[0][0].startswith("'=")


def test_staff_see_the_sla_badge_on_the_ticket_page_customers_do_not(client, make_user,
                                                                     make_ticket, staff):
    ticket = make_ticket(make_user("anna"))
    ticket.sla_state = SlaState.BREACHED
    db.session.commit()
    client.login(staff["admin"].username)
    assert "SLA breached" in client.get(f"/admin/ticket/handle/{ticket.number}").get_data(
        as_text=True)
    assert "SLA breached" in client.get("/admin/ticket/").get_data(as_text=True)
    client.logout()
    client.login("anna")
    assert "SLA breached" not in client.get(f"/tickets/{ticket.number}").get_data(as_text=True)


def reopen_ticket_2() -> None:
    """Ticket 2 goes from pending to open behind the dashboard's back."""
    db.session.execute(update(Ticket).where(Ticket.number == 2).values(status=Status.OPEN))
    db.session.commit()


def test_dashboard_shows_a_stored_snapshot_until_the_jobs_refresh_it(client, desk, staff):
    from services import jobs
    client.login(staff["manager"].username)
    assert download(client, "open_by_status") == [["open", "2"], ["pending", "1"]]
    assert 'id="computed-at"' in client.get("/admin/dashboard/").get_data(as_text=True)
    reopen_ticket_2()
    assert download(client, "open_by_status") == [["open", "2"], ["pending", "1"]]
    assert jobs.run_all().dashboards == 1
    assert download(client, "open_by_status") == [["open", "3"], ["pending", "0"]]


def test_a_stale_snapshot_is_computed_again_by_the_page(app, client, desk, staff):
    client.login(staff["manager"].username)
    assert download(client, "open_by_status") == [["open", "2"], ["pending", "1"]]
    reopen_ticket_2()
    app.config["DASHBOARD_MAX_AGE_SECONDS"] = 0
    assert download(client, "open_by_status") == [["open", "3"], ["pending", "0"]]


def test_a_snapshot_is_shown_in_the_viewers_language(client, desk, staff, make_user):
    client.login(staff["manager"].username)
    assert download(client, "open_by_status")[0][0] == "open"
    boss = make_user("dansk-chef", "manager")
    boss.language = "da"
    db.session.commit()
    client.logout()
    client.login(boss.username)
    page = client.get("/admin/dashboard/").get_data(as_text=True)
    assert table(page, "open_by_status")[0][0] == "åben"
