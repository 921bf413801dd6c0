from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradebook.timetable import (
    DEFAULT_BELLS,
    SlotPlan,
    TimetableEntry,
    generate_slots,
    week_bounds,
)

MONDAY = date(2025, 9, 1)


def entry(weekday: int, period: int, course_id: int, room: str = "21") -> TimetableEntry:
    starts, ends = DEFAULT_BELLS[period]
    return TimetableEntry(
        weekday=weekday, period=period, course_id=course_id, room=room, starts=starts, ends=ends
    )


def plans_as_tuples(plans: list[SlotPlan]) -> list[tuple[date, int, int]]:
    return [(plan.date, plan.period, plan.course_id) for plan in plans]


def test_slots_follow_the_weekly_timetable_in_date_and_period_order() -> None:
    entries = [entry(2, 1, 7), entry(0, 3, 7), entry(0, 1, 8, room="12")]
    plans = generate_slots(entries, start=MONDAY, end=MONDAY + timedelta(days=9), holidays=[])
    assert plans_as_tuples(plans) == [
        (date(2025, 9, 1), 1, 8),
        (date(2025, 9, 1), 3, 7),
        (date(2025, 9, 3), 1, 7),
        (date(2025, 9, 8), 1, 8),
        (date(2025, 9, 8), 3, 7),
        (date(2025, 9, 10), 1, 7),
    ]
    assert plans[0] == SlotPlan(
        date=date(2025, 9, 1),
        period=1,
        course_id=8,
        room="12",
        starts=time(8, 30),
        ends=time(9, 15),
    )


def test_two_courses_in_one_period_are_ordered_by_course() -> None:
    entries = [entry(0, 2, 31, room="English 1"), entry(0, 2, 30, room="English 2")]
    plans = generate_slots(entries, start=MONDAY, end=MONDAY, holidays=[])
    assert [(plan.course_id, plan.room) for plan in plans] == [(30, "English 2"), (31, "English 1")]


def test_holidays_are_skipped_inclusive_of_both_ends() -> None:
    entries = [entry(weekday, 1, 1) for weekday in range(5)]
    holidays = [(date(2025, 9, 2), date(2025, 9, 3)), (date(2025, 9, 5), date(2025, 9, 5))]
    plans = generate_slots(entries, start=MONDAY, end=date(2025, 9, 5), holidays=holidays)
    assert [plan.date for plan in plans] == [date(2025, 9, 1), date(2025, 9, 4)]


def test_a_holiday_reaching_past_the_term_cuts_its_edges() -> None:
    entries = [entry(weekday, 1, 1) for weekday in range(5)]
    holidays = [(date(2025, 8, 25), date(2025, 9, 1)), (date(2025, 9, 5), date(2025, 9, 20))]
    plans = generate_slots(entries, start=MONDAY, end=date(2025, 9, 12), holidays=holidays)
    assert [plan.date for plan in plans] == [date(2025, 9, d) for d in (2, 3, 4)]


def test_weekends_get_slots_only_when_an_entry_says_so() -> None:
    plans = generate_slots(
        [entry(5, 1, 1)], start=MONDAY, end=MONDAY + timedelta(days=13), holidays=()
    )
    assert [plan.date for plan in plans] == [date(2025, 9, 6), date(2025, 9, 13)]


def test_no_entries_give_no_slots() -> None:
    assert generate_slots([], start=MONDAY, end=MONDAY + timedelta(days=30), holidays=[]) == []


def test_a_single_day_term() -> None:
    plans = generate_slots([entry(0, 1, 1), entry(1, 1, 1)], start=MONDAY, end=MONDAY, holidays=[])
    assert plans_as_tuples(plans) == [(MONDAY, 1, 1)]


def test_reversed_ranges_and_duplicate_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="end before it starts"):
        generate_slots([], start=MONDAY, end=MONDAY - timedelta(days=1), holidays=[])
    with pytest.raises(ValueError, match="holiday"):
        generate_slots([], start=MONDAY, end=MONDAY, holidays=[(MONDAY, MONDAY - timedelta(1))])
    with pytest.raises(ValueError, match="twice"):
        generate_slots([entry(0, 1, 1), entry(0, 1, 1, room="5")], start=MONDAY, end=MONDAY)


@pytest.mark.parametrize(
    ("weekday", "period", "starts", "ends"),
    [
        (7, 1, time(8, 30), time(9, 15)),
        (-1, 1, time(8, 30), time(9, 15)),
        (0, -1, time(8, 30), time(9, 15)),
        (0, 1, time(9, 15), time(8, 30)),
        (0, 1, time(9, 15), time(9, 15)),
    ],
)
def test_timetable_entry_refuses_impossible_lessons(
    weekday: int, period: int, starts: time, ends: time
) -> None:
    with pytest.raises(ValueError):
        TimetableEntry(
            weekday=weekday, period=period, course_id=1, room="1", starts=starts, ends=ends
        )


@pytest.mark.parametrize(
    ("day", "monday", "sunday"),
    [
        (date(2025, 9, 1), date(2025, 9, 1), date(2025, 9, 7)),
        (date(2025, 9, 4), date(2025, 9, 1), date(2025, 9, 7)),
        (date(2025, 9, 7), date(2025, 9, 1), date(2025, 9, 7)),
        (date(2024, 12, 31), date(2024, 12, 30), date(2025, 1, 5)),
        (date(2024, 2, 29), date(2024, 2, 26), date(2024, 3, 3)),
    ],
)
def test_week_bounds(day: date, monday: date, sunday: date) -> None:
    assert week_bounds(day) == (monday, sunday)


def test_default_bells_are_a_school_day_of_45_minute_lessons() -> None:
    periods = sorted(DEFAULT_BELLS)
    assert periods == list(range(1, len(periods) + 1))
    assert len(periods) >= 6
    assert DEFAULT_BELLS[1][0] == time(8, 30)
    moments = [
        (datetime.combine(MONDAY, starts), datetime.combine(MONDAY, ends))
        for starts, ends in (DEFAULT_BELLS[period] for period in periods)
    ]
    for starts, ends in moments:
        assert ends - starts == timedelta(minutes=45)
    for (_, previous_end), (next_start, _) in pairwise(moments):
        assert timedelta(minutes=10) <= next_start - previous_end <= timedelta(minutes=20)


entry_keys = st.sets(
    st.tuples(
        st.integers(min_value=0, max_value=6),
        st.integers(min_value=1, max_value=8),
        st.integers(min_value=1, max_value=4),
    ),
    max_size=12,
)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 3, 1))


@given(
    keys=entry_keys,
    start=days,
    length=st.integers(0, 40),
    breaks=st.lists(st.tuples(days, st.integers(0, 10)), max_size=3),
)
def test_each_school_day_gets_each_of_its_entries_once(
    keys: set[tuple[int, int, int]],
    start: date,
    length: int,
    breaks: list[tuple[date, int]],
) -> None:
    end = start + timedelta(days=length)
    holidays = [(first, first + timedelta(days=span)) for first, span in breaks]
    entries = [entry(weekday, period, course) for weekday, period, course in keys]
    plans = generate_slots(entries, start=start, end=end, holidays=holidays)

    expected = set()
    for offset in range(length + 1):
        day = start + timedelta(days=offset)
        if any(first <= day <= last for first, last in holidays):
            continue
        expected |= {(day, p, c) for w, p, c in keys if w == day.weekday()}
    got = plans_as_tuples(plans)
    assert len(got) == len(set(got))
    assert set(got) == expected
    assert got == sorted(got)
