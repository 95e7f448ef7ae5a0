"""Counting SLA time: round the clock, or within the opening hours of a calendar.

Instants are naive UTC (as stored); opening hours are local to the calendar's time zone, so a
working day keeps its 08:00-16:00 across both daylight-saving changes.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A calendar with no working days would otherwise be searched for ever.
MAX_DAYS = 3660


class RoundTheClock:
    """Calendar hours: every minute counts."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` after `start`."""
        return start + duration

    def between(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) counts."""
        return max(end - start, timedelta(0))


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours on working days that are not holidays, in a time zone."""
    zone: ZoneInfo
    working_days: frozenset[int]  # ISO weekday numbers, Monday 1
    opens: time
    closes: time
    holidays: frozenset[date] = frozenset()

    def _to_utc(self, day: date, at: time) -> datetime:
        local = datetime.combine(day, at, tzinfo=self.zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.isoweekday() not in self.working_days or day in self.holidays:
            return None
        start, end = self._to_utc(day, self.opens), self._to_utc(day, self.closes)
        return (start, end) if start < end else None

    def _windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening windows (naive UTC) from the local day of `instant` on."""
        first = instant.replace(tzinfo=UTC).astimezone(self.zone).date()
        for offset in range(MAX_DAYS):
            window = self._window(first + timedelta(days=offset))
            if window is not None:
                yield window
        raise ValueError("the calendar has no opening hours")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of opening hours after `start` has passed."""
        remaining = duration
        for opens, closes in self._windows_from(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable")  # _windows_from raises first

    def between(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls in opening hours."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._windows_from(start):
            if opens >= end:
                break
            total += max(min(closes, end) - max(opens, start), timedelta(0))
        return total


def due_after(clock, start: datetime, duration: timedelta,
              pauses: list[tuple[datetime, datetime]]) -> datetime:
    """The instant `duration` of counted time after `start`, skipping the (sorted) pauses."""
    cursor, remaining = start, duration
    for paused_from, paused_until in pauses:
        if paused_until <= cursor:
            continue
        candidate = clock.add(cursor, remaining)
        if candidate <= paused_from:
            return candidate
        remaining -= clock.between(cursor, paused_from)
        cursor = paused_until
    return clock.add(cursor, remaining)
