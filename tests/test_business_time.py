"""SLA time in the Danish working week: nights, weekends, holidays and daylight saving."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import Priority, SlaPolicy, db
from services.business_time import RoundTheClock, due_after
from services.calendars import danish_holidays, ensure_sla_defaults
from services.sla import clock_for

CPH = ZoneInfo("Europe/Copenhagen")


def utc(local: str) -> datetime:
    """A Copenhagen wall-clock time as the naive UTC the database stores."""
    aware = datetime.fromisoformat(local).replace(tzinfo=CPH)
    return aware.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def business(app):
    """The default calendar (Mon-Fri 08-16 Copenhagen) with the 2026 and 2027 holidays."""
    ensure_sla_defaults(today=date(2026, 1, 1))
    policy = db.session.scalar(db.select(SlaPolicy).where(SlaPolicy.priority == Priority.P3))
    return clock_for(policy)


@pytest.mark.parametrize("start, hours, due", [
    ("2026-03-02 09:00", 4, "2026-03-02 13:00"),   # within a Monday
    ("2026-03-02 15:30", 4, "2026-03-03 11:30"),   # over the night
    ("2026-03-03 02:00", 1, "2026-03-03 09:00"),   # created at night: counts from opening
    ("2026-03-03 17:00", 8, "2026-03-04 16:00"),   # created after closing
    ("2026-03-06 14:00", 4, "2026-03-09 10:00"),   # over the weekend
    ("2026-03-07 11:00", 1, "2026-03-09 09:00"),   # created on a Saturday
    ("2026-04-01 15:00", 8, "2026-04-07 15:00"),   # Easter: Thursday to Monday closed
    ("2026-04-30 15:00", 2, "2026-05-01 09:00"),   # Store bededag is a working day since 2024
    ("2026-05-13 15:00", 2, "2026-05-15 09:00"),   # Kristi himmelfartsdag
    ("2026-05-22 15:00", 2, "2026-05-26 09:00"),   # Whit Monday (2. pinsedag)
    ("2026-06-04 15:00", 2, "2026-06-08 09:00"),   # Grundlovsdag on a Friday
    ("2026-12-23 15:00", 2, "2026-12-28 09:00"),   # Christmas
    ("2026-12-31 15:00", 2, "2027-01-04 09:00"),   # New Year's Day, then a weekend
    ("2026-03-27 15:00", 2, "2026-03-30 09:00"),   # over the spring DST change
    ("2026-10-23 15:00", 2, "2026-10-26 09:00"),   # over the autumn DST change
    ("2026-03-02 09:00", 24, "2026-03-05 09:00"),  # three working days
])
def test_business_hours_due_time(business, start, hours, due):
    assert business.add(utc(start), timedelta(hours=hours)) == utc(due)


def test_dst_changes_move_opening_hours_in_utc(business):
    assert business.add(utc("2026-03-27 15:00"), timedelta(hours=2)) == datetime(2026, 3, 30, 7, 0)
    assert business.add(utc("2026-10-23 15:00"), timedelta(hours=2)) == datetime(2026, 10, 26, 8, 0)


@pytest.mark.parametrize("start, end, hours", [
    ("2026-03-06 12:00", "2026-03-09 12:00", 8),   # Friday noon to Monday noon
    ("2026-03-02 07:00", "2026-03-02 20:00", 8),   # a whole working day
    ("2026-04-01 12:00", "2026-04-07 12:00", 8),   # Easter in between
    ("2026-03-27 12:00", "2026-03-30 12:00", 8),   # spring DST weekend
    ("2026-03-02 12:00", "2026-03-02 11:00", 0),   # backwards counts nothing
])
def test_business_hours_between(business, start, end, hours):
    assert business.between(utc(start), utc(end)) == timedelta(hours=hours)


def test_round_the_clock_counts_real_hours_over_both_dst_nights():
    clock = RoundTheClock()
    spring = clock.add(utc("2026-03-29 00:30"), timedelta(hours=4))
    autumn = clock.add(utc("2026-10-25 00:30"), timedelta(hours=4))
    assert spring == utc("2026-03-29 05:30")  # the clocks jumped 02:00 -> 03:00
    assert autumn == utc("2026-10-25 03:30")  # the clocks fell back 03:00 -> 02:00


def test_due_time_skips_pauses(business):
    start = utc("2026-03-02 09:00")
    assert due_after(business, start, timedelta(hours=8), []) == utc("2026-03-03 09:00")
    paused = [(utc("2026-03-02 11:00"), utc("2026-03-04 10:00"))]
    # 2 hours before the pause, 6 after it
    assert due_after(business, start, timedelta(hours=8), paused) == utc("2026-03-04 16:00")
    # a pause after the due time changes nothing
    late = [(utc("2026-03-05 10:00"), utc("2026-03-06 10:00"))]
    assert due_after(business, start, timedelta(hours=8), late) == utc("2026-03-03 09:00")


def test_danish_holidays_2026():
    assert danish_holidays(2026) == [
        (date(2026, 1, 1), "Nytårsdag"), (date(2026, 4, 2), "Skærtorsdag"),
        (date(2026, 4, 3), "Langfredag"), (date(2026, 4, 5), "Påskedag"),
        (date(2026, 4, 6), "2. påskedag"), (date(2026, 5, 14), "Kristi himmelfartsdag"),
        (date(2026, 5, 24), "Pinsedag"), (date(2026, 5, 25), "2. pinsedag"),
        (date(2026, 6, 5), "Grundlovsdag"), (date(2026, 12, 24), "Juleaftensdag"),
        (date(2026, 12, 25), "Juledag"), (date(2026, 12, 26), "2. juledag")]


def test_store_bededag_only_before_2024():
    assert (date(2023, 5, 5), "Store bededag") in danish_holidays(2023)
    assert not [name for _, name in danish_holidays(2024) if name == "Store bededag"]
    assert danish_holidays(2027)[1] == (date(2027, 3, 25), "Skærtorsdag")


def test_demo_and_cli_load_policies_and_holidays_once(app, runner, demo):
    from models import Holiday
    from services.demo import load_demo
    policies = db.session.scalars(db.select(SlaPolicy).order_by(SlaPolicy.priority)).all()
    assert [(p.priority.value, p.first_response_minutes, p.resolution_minutes, p.business_hours)
            for p in policies] == [("P1", 60, 240, False), ("P2", 240, 480, True),
                                   ("P3", 480, 1440, True), ("P4", 960, 4800, True)]
    assert load_demo("helpdesk-demo") == 0
    result = runner.invoke(args=["sla-holidays", "2030"])
    assert result.exit_code == 0 and "12 records created" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Holiday).where(
        Holiday.date == date(2030, 4, 19))) == 1  # Langfredag 2030
    assert "0 records created" in runner.invoke(args=["sla-holidays", "2030"]).output
