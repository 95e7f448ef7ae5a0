"""Calendars, Danish public holidays and the default SLA policies of the SLA document."""
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz
from flask import current_app
from sqlalchemy import select

from models import Calendar, Holiday, Priority, SlaPolicy, db, utcnow

DEFAULT_CALENDAR = "Danmark, hverdage 8-16"

# (first response, resolution) in minutes, and whether they count business hours only:
# the table "Svar- og løsningstider" of services/demo.py SLA_TEXT (a working day is 8 hours).
DEFAULT_POLICIES = {
    Priority.P1: (60, 4 * 60, False),
    Priority.P2: (4 * 60, 8 * 60, True),
    Priority.P3: (8 * 60, 3 * 8 * 60, True),
    Priority.P4: (2 * 8 * 60, 10 * 8 * 60, True),
}


def known_time_zone(name: str) -> bool:
    """A zone both clocks know: pages format times with pytz (Flask-Babel), the rules compute
    with zoneinfo, which also opens files such as "localtime" or "posix/..." that pytz lacks."""
    if name not in pytz.all_timezones_set:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def danish_holidays(year: int) -> list[tuple[date, str]]:
    """The days a Danish workplace is closed in `year`, in date order."""
    easter = easter_sunday(year)
    movable = [(-3, "Skærtorsdag"), (-2, "Langfredag"), (0, "Påskedag"), (1, "2. påskedag"),
               (39, "Kristi himmelfartsdag"), (49, "Pinsedag"), (50, "2. pinsedag")]
    if year < 2024:  # Store bededag was abolished from 2024
        movable.append((26, "Store bededag"))
    days = [(easter + timedelta(days=offset), name) for offset, name in movable]
    days += [(date(year, 1, 1), "Nytårsdag"), (date(year, 6, 5), "Grundlovsdag"),
             (date(year, 12, 24), "Juleaftensdag"), (date(year, 12, 25), "Juledag"),
             (date(year, 12, 26), "2. juledag")]
    return sorted(days)


def load_danish_holidays(calendar: Calendar, years) -> int:
    """Add the Danish public holidays of `years` that `calendar` lacks; returns how many."""
    known = set(db.session.scalars(select(Holiday.date).where(Holiday.calendar_id == calendar.id)))
    created = 0
    for year in years:
        for day, name in danish_holidays(year):
            if day not in known:
                db.session.add(Holiday(calendar_id=calendar.id, date=day, name=name))
                known.add(day)
                created += 1
    db.session.flush()
    return created


def default_calendar() -> Calendar:
    """The working week of the SLA document (Mon-Fri 08-16 in TIMEZONE), created if missing."""
    calendar = db.session.scalar(select(Calendar).where(Calendar.name == DEFAULT_CALENDAR))
    if calendar is None:
        calendar = Calendar(name=DEFAULT_CALENDAR, timezone=current_app.config["TIMEZONE"])
        db.session.add(calendar)
        db.session.flush()
    return calendar


def ensure_sla_defaults(today: date | None = None) -> int:
    """The default calendar with this and next year's holidays, and any missing policy."""
    today = today or utcnow().date()
    calendar = default_calendar()
    created = load_danish_holidays(calendar, (today.year, today.year + 1))
    existing = set(db.session.scalars(select(SlaPolicy.priority)))
    for priority, (response, resolution, business) in DEFAULT_POLICIES.items():
        if priority not in existing:
            db.session.add(SlaPolicy(priority=priority, first_response_minutes=response,
                                     resolution_minutes=resolution, business_hours=business,
                                     calendar_id=calendar.id, at_risk_percent=80))
            created += 1
    db.session.flush()
    return created
