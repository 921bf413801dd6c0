"""The weekly timetable of a class and the lesson slots it generates for a term."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta

__all__ = [
    "DEFAULT_BELLS",
    "SlotPlan",
    "TimetableEntry",
    "generate_slots",
    "week_bounds",
]

DEFAULT_BELLS: dict[int, tuple[time, time]] = {
    1: (time(8, 30), time(9, 15)),
    2: (time(9, 25), time(10, 10)),
    3: (time(10, 30), time(11, 15)),
    4: (time(11, 35), time(12, 20)),
    5: (time(12, 30), time(13, 15)),
    6: (time(13, 25), time(14, 10)),
    7: (time(14, 20), time(15, 5)),
    8: (time(15, 15), time(16, 0)),
}
"""A typical school day: period → (start, end); 45-minute lessons from 8:30, breaks of
10 minutes, 20 after the 2nd and 3rd lessons (the meal breaks)."""


@dataclass(frozen=True, slots=True)
class TimetableEntry:
    """One weekly lesson: on `weekday` (0 = Monday … 6 = Sunday), in `period`."""

    weekday: int
    period: int
    course_id: int
    room: str
    starts: time
    ends: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) … 6 (Sunday), not {self.weekday!r}")
        if self.period < 0:
            raise ValueError(f"period must not be negative, not {self.period!r}")
        if self.starts >= self.ends:
            raise ValueError(f"a lesson must end after it starts: {self.starts}–{self.ends}")


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """One lesson slot to create: a timetable entry placed on a date."""

    date: date
    period: int
    course_id: int
    room: str
    starts: time
    ends: time


def generate_slots(
    entries: Iterable[TimetableEntry],
    *,
    start: date,
    end: date,
    holidays: Iterable[tuple[date, date]] = (),
) -> list[SlotPlan]:
    """The slots of every entry for each date from `start` to `end` (inclusive).

    Dates inside a holiday range (first and last day inclusive) get none. Weekends
    are not special: a Saturday gets slots exactly when an entry says Saturday.
    The result is ordered by date, then period, then course id. Two entries for
    the same course in the same weekday and period raise ValueError, as does a
    reversed date range.
    """
    if start > end:
        raise ValueError(f"the term must not end before it starts: {start}–{end}")
    by_weekday = _entries_by_weekday(entries)
    breaks = _holiday_ranges(holidays)
    plans: list[SlotPlan] = []
    day = start
    while day <= end:
        if not any(first <= day <= last for first, last in breaks):
            plans.extend(
                SlotPlan(
                    date=day,
                    period=entry.period,
                    course_id=entry.course_id,
                    room=entry.room,
                    starts=entry.starts,
                    ends=entry.ends,
                )
                for entry in by_weekday.get(day.weekday(), ())
            )
        day += timedelta(days=1)
    return plans


def week_bounds(d: date) -> tuple[date, date]:
    """The Monday and the Sunday of the week that contains `d`."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def _entries_by_weekday(entries: Iterable[TimetableEntry]) -> dict[int, list[TimetableEntry]]:
    by_weekday: dict[int, list[TimetableEntry]] = {}
    seen: set[tuple[int, int, int]] = set()
    for entry in entries:
        key = (entry.weekday, entry.period, entry.course_id)
        if key in seen:
            raise ValueError(
                f"course {entry.course_id} is timetabled twice on weekday {entry.weekday}, "
                f"period {entry.period}"
            )
        seen.add(key)
        by_weekday.setdefault(entry.weekday, []).append(entry)
    for day_entries in by_weekday.values():
        day_entries.sort(key=lambda entry: (entry.period, entry.course_id))
    return by_weekday


def _holiday_ranges(holidays: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    ranges = list(holidays)
    for first, last in ranges:
        if first > last:
            raise ValueError(f"a holiday must not end before it starts: {first}–{last}")
    return ranges
