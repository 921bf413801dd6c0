"""The diary's iCalendar feed (``diary_ics``): one event per lesson slot, escaping, folding,
time zones, stable UIDs, and that calendar libraries read it back."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradebook.exports import diary_ics

STAMP = datetime(2025, 9, 1, 6, 0, tzinfo=UTC)


def make_events() -> list[dict[str, Any]]:
    return [
        {
            "slot_id": 102,
            "date": "2025-09-03",
            "starts": "10:30",
            "ends": "11:15",
            "subject": "Русский язык",
            "room": "",
            "topic": "",
            "homework": "",
        },
        {
            "slot_id": 101,
            "date": "2025-09-02",
            "starts": "08:30",
            "ends": "09:15",
            "subject": "Математика",
            "room": "каб. 21",
            "topic": "Дроби; сложение, вычитание",
            "homework": "№ 123, 124\nC:\\путь — повторить",
        },
    ]


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "") and "\r" not in text.replace("\r\n", "")
    return text.split("\r\n")[:-1]


def unfold(text: str) -> list[str]:
    logical: list[str] = []
    for line in physical_lines(text):
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    replacements = {"n": "\n", "N": "\n", "\\": "\\", ";": ";", ",": ","}
    return re.sub(r"\\(.)", lambda match: replacements[match.group(1)], value)


def parse_ics(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The calendar's own properties and each event's, TEXT values unescaped."""
    calendar: dict[str, str] = {}
    events: list[dict[str, str]] = []
    current = calendar
    for line in unfold(text):
        name_part, value = line.split(":", 1)
        name = name_part.split(";", 1)[0]
        if (name, value) == ("BEGIN", "VEVENT"):
            current = {}
            events.append(current)
        elif (name, value) == ("END", "VEVENT"):
            current = calendar
        elif name not in {"BEGIN", "END"}:
            current[name] = unescape(value)
    return calendar, events


def test_ics_is_a_calendar_with_one_event_per_slot_in_time_order() -> None:
    text = diary_ics(
        pupil_name="Иванов Иван", events=make_events(), calendar_name="Дневник", stamp=STAMP
    )
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    calendar, events = parse_ics(text)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["X-WR-CALNAME"] == "Дневник"
    assert "Иванов Иван" in calendar["X-WR-CALDESC"]
    assert [event["UID"] for event in events] == ["slot-101@eschool", "slot-102@eschool"]
    first, second = events
    assert first == {
        "UID": "slot-101@eschool",
        "DTSTAMP": "20250901T060000Z",
        "DTSTART": "20250902T083000",
        "DTEND": "20250902T091500",
        "SUMMARY": "Математика (каб. 21)",
        "LOCATION": "каб. 21",
        "DESCRIPTION": (
            "Topic: Дроби; сложение, вычитание\nHomework: № 123, 124\nC:\\путь — повторить"
        ),
    }
    assert second["SUMMARY"] == "Русский язык"
    assert "LOCATION" not in second
    assert "DESCRIPTION" not in second


def test_ics_escapes_text_specials() -> None:
    text = diary_ics(pupil_name="P", events=make_events(), calendar_name="a,b;c", stamp=STAMP)
    lines = unfold(text)
    assert "X-WR-CALNAME:a\\,b\\;c" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert description == (
        "DESCRIPTION:Topic: Дроби\\; сложение\\, вычитание\\nHomework: № 123\\, 124\\n"
        "C:\\\\путь — повторить"
    )


def test_ics_uids_are_stable_between_feeds() -> None:
    first = diary_ics(pupil_name="P", events=make_events(), calendar_name="D", stamp=STAMP)
    later = diary_ics(pupil_name="P", events=make_events(), calendar_name="D")
    assert [e["UID"] for e in parse_ics(first)[1]] == [e["UID"] for e in parse_ics(later)[1]]


@pytest.mark.parametrize(
    ("tz", "day", "start", "end"),
    [
        ("Europe/Moscow", "2025-09-02", "20250902T053000Z", "20250902T061500Z"),
        ("Europe/Berlin", "2025-09-02", "20250902T063000Z", "20250902T071500Z"),
        ("Europe/Berlin", "2025-12-02", "20251202T073000Z", "20251202T081500Z"),
    ],
)
def test_ics_with_a_time_zone_writes_utc(tz: str, day: str, start: str, end: str) -> None:
    event = make_events()[1] | {"date": day}
    text = diary_ics(pupil_name="P", events=[event], calendar_name="D", tz=tz, stamp=STAMP)
    calendar, (parsed,) = parse_ics(text)
    assert (parsed["DTSTART"], parsed["DTEND"]) == (start, end)
    assert calendar["X-WR-TIMEZONE"] == tz


def test_ics_refuses_an_unknown_zone_and_a_backwards_lesson() -> None:
    with pytest.raises(ValueError, match="time zone"):
        diary_ics(pupil_name="P", events=make_events(), calendar_name="D", tz="Mars/Olympus")
    backwards = make_events()[0] | {"starts": "11:15", "ends": "10:30"}
    with pytest.raises(ValueError, match="end after it starts"):
        diary_ics(pupil_name="P", events=[backwards], calendar_name="D")


def test_ics_folds_long_lines_at_75_octets_between_characters() -> None:
    homework = "ё" * 100 + "🙂" * 30 + " x" * 40
    event = make_events()[0] | {"homework": homework}
    text = diary_ics(pupil_name="P", events=[event], calendar_name="D", stamp=STAMP)
    lines = physical_lines(text)
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    continued = [i for i, line in enumerate(lines) if line.startswith(" ")]
    assert len(continued) >= 4
    # Folded only where the next character would not fit: no line is cut short.
    for index in continued:
        assert len(lines[index - 1].encode("utf-8")) > 75 - 4
    assert parse_ics(text)[1][0]["DESCRIPTION"] == "Homework: " + homework


def test_ics_drops_control_characters() -> None:
    event = make_events()[0] | {"topic": "a\x07b\x00c\td"}
    text = diary_ics(pupil_name="P", events=[event], calendar_name="D", stamp=STAMP)
    assert parse_ics(text)[1][0]["DESCRIPTION"] == "Topic: abc\td"


@settings(max_examples=60)
@given(homework=st.text(min_size=1, max_size=300), room=st.text(max_size=40))
def test_ics_round_trips_any_text(homework: str, room: str) -> None:
    event = make_events()[0] | {"homework": homework, "room": room}
    text = diary_ics(pupil_name="P", events=[event], calendar_name="D", stamp=STAMP)
    assert all(len(line.encode("utf-8")) <= 75 for line in physical_lines(text))

    def cleaned(value: str) -> str:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", value)

    (parsed,) = parse_ics(text)[1]
    if cleaned(homework):
        assert parsed["DESCRIPTION"] == "Homework: " + cleaned(homework)
    if room:
        assert parsed["LOCATION"] == cleaned(room)


def test_ics_reads_back_with_the_icalendar_library() -> None:
    icalendar = pytest.importorskip("icalendar")
    text = diary_ics(
        pupil_name="P", events=make_events(), calendar_name="D", tz="Europe/Moscow", stamp=STAMP
    )
    calendar = icalendar.Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert [str(event["UID"]) for event in events] == ["slot-101@eschool", "slot-102@eschool"]
    assert events[0].decoded("DTSTART") == datetime(2025, 9, 2, 5, 30, tzinfo=UTC)
    assert str(events[0]["DESCRIPTION"]).endswith("C:\\путь — повторить")
