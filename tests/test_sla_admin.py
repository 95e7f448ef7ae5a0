"""Admins edit SLA policies, calendars and holidays in the backoffice; managers only read."""
from datetime import date

from sqlalchemy import select

from models import Calendar, Holiday, Priority, SlaPolicy, db
from services.calendars import ensure_sla_defaults


def _policy(priority: str) -> SlaPolicy:
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.priority == Priority(priority)))


def _defaults(app):
    ensure_sla_defaults()
    db.session.commit()


def test_admin_changes_a_policy_target(app, client, staff):
    _defaults(app)
    policy = _policy("P2")
    client.login("root")
    response = client.post_form(f"/admin/sla-policy/edit/?id={policy.id}", {
        "first_response_minutes": "120", "resolution_minutes": "600", "business_hours": "y",
        "calendar": str(policy.calendar_id), "at_risk_percent": "75"})
    assert response.status_code == 302
    db.session.refresh(policy)
    assert (policy.first_response_minutes, policy.resolution_minutes, policy.at_risk_percent) == (
        120, 600, 75)


def test_the_policy_form_names_its_priority_and_the_empty_calendar(app, client, staff):
    _defaults(app)
    policy = _policy("P2")
    client.login("root")
    page = client.get(f"/admin/sla-policy/edit/?id={policy.id}").get_data(as_text=True)
    assert "Targets for priority P2" in page
    assert '<option value="__None">(none)</option>' in page and ">__None<" not in page


def test_a_target_of_zero_is_refused_and_changes_nothing(app, client, staff):
    _defaults(app)
    policy = _policy("P3")
    before = policy.resolution_minutes
    client.login("root")
    response = client.post_form(f"/admin/sla-policy/edit/?id={policy.id}", {
        "first_response_minutes": "60", "resolution_minutes": "0",
        "calendar": str(policy.calendar_id), "at_risk_percent": "80"})
    assert response.status_code == 200
    assert "Number must be between" in response.get_data(as_text=True)
    db.session.refresh(policy)
    assert policy.resolution_minutes == before


def test_calendar_needs_a_real_time_zone_and_sane_hours(app, client, staff):
    _defaults(app)
    calendar = db.session.scalar(select(Calendar))
    client.login("root")
    response = client.post_form(f"/admin/calendar/edit/?id={calendar.id}", {
        "name": calendar.name, "timezone": "Mars/Olympus", "working_days": "11",
        "opens_at": "16:00", "closes_at": "08:00"})
    page = response.get_data(as_text=True)
    assert "Unknown time zone" in page and "each at most once" in page
    assert "Closing time must be after opening time." in page
    db.session.refresh(calendar)
    assert calendar.timezone == "Europe/Copenhagen"


def test_admin_adds_a_holiday(app, client, staff):
    _defaults(app)
    calendar = db.session.scalar(select(Calendar))
    client.login("root")
    response = client.post_form("/admin/holiday/new/", {
        "date": "2027-06-06", "name": "Firmadag", "calendar": str(calendar.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(Holiday.name).where(Holiday.date == date(2027, 6, 6))) == \
        "Firmadag"


def test_manager_reads_policies_but_cannot_change_them(app, client, staff):
    _defaults(app)
    policy = _policy("P1")
    client.login("boss")
    assert client.get("/admin/sla-policy/").status_code == 200
    response = client.post_form(f"/admin/sla-policy/edit/?id={policy.id}", {
        "first_response_minutes": "1", "resolution_minutes": "1", "at_risk_percent": "50"})
    assert response.status_code == 403
    db.session.refresh(policy)
    assert policy.first_response_minutes == 60


def test_supporters_do_not_see_sla_administration(client, staff):
    client.login("l1a")
    for url in ("/admin/sla-policy/", "/admin/calendar/", "/admin/holiday/"):
        assert client.get(url).status_code == 403
