"""Exports of the gradebook: the journal as CSV and XLSX, the diary as an iCalendar feed.

The journal exports take the journal dict of the JSON API
(`GET /courses/{id}/journal`) and lay it out as a grid: a header block naming
the class, subject, teacher, term and scale, a blank row, then one row per pupil
and one column per lesson slot (headed `YYYY-MM-DD (period)`, in date and period
order), closed by the pupil's weighted average. A cell holds the marks of that
slot, joined by a space in the order they were given, followed by the
attendance code of the Russian paper journal: н absent, оп late, уп excused,
б ill; nothing when present.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

__all__ = [
    "ATTENDANCE_CODES",
    "diary_ics",
    "journal_csv",
    "journal_xlsx",
    "parse_journal_csv",
    "parse_journal_xlsx",
]

ATTENDANCE_CODES: dict[str, str] = {
    "present": "",
    "absent": "н",
    "late": "оп",
    "excused": "уп",
    "ill": "б",
}
"""The code a journal cell shows for each attendance status."""

_ATTENDANCE_LEGEND = "н = absent; оп = late; уп = excused; б = ill"
_META_LABELS = ("Class", "Subject", "Teacher", "Term", "Scale", "Attendance")
_PUPIL_HEADER = "Pupil"
_AVERAGE_HEADER = "Average"
_SHEET_TITLE = "Journal"
# A spreadsheet treats a cell starting with one of these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


@dataclass(frozen=True)
class _Grid:
    meta: list[list[str]]
    header: list[str]
    rows: list[tuple[str, list[str], float | None]]


# --- the journal grid -------------------------------------------------------------------


def _name_of(thing: Any) -> str:
    """A display name from the API's `class`/`subject`/`teacher` (a string or `{"name"}`)."""
    if thing is None:
        return ""
    if isinstance(thing, Mapping):
        return str(thing.get("name") or thing.get("title") or "")
    return str(thing)


def _slot_headers(slots: Iterable[Mapping[str, Any]]) -> list[tuple[Any, str]]:
    ordered = sorted(slots, key=lambda slot: (str(slot["date"]), int(slot["period"]), slot["id"]))
    headers: list[tuple[Any, str]] = []
    used: set[str] = set()
    for slot in ordered:
        header = f"{slot['date']} ({slot['period']})"
        if header in used:  # two slots in one period: keep the columns apart
            header = f"{header} #{slot['id']}"
        used.add(header)
        headers.append((slot["id"], header))
    return headers


def _journal_grid(journal: Mapping[str, Any]) -> _Grid:
    course = journal["course"]
    term = journal["term"]
    meta = [
        ["Class", _name_of(course.get("class"))],
        ["Subject", _name_of(course.get("subject"))],
        ["Teacher", _name_of(course.get("teacher"))],
        ["Term", _name_of(term.get("name")), str(term.get("start", "")), str(term.get("end", ""))],
        ["Scale", _name_of(course.get("scale"))],
        ["Attendance", _ATTENDANCE_LEGEND],
    ]
    slot_headers = _slot_headers(journal.get("slots", ()))

    marks_in: dict[tuple[Any, Any], list[str]] = {}
    for mark in sorted(journal.get("marks", ()), key=lambda mark: mark["id"]):
        marks_in.setdefault((mark["pupil_id"], mark["slot_id"]), []).append(str(mark["value"]))
    status_in: dict[tuple[Any, Any], str] = {}
    for record in journal.get("attendance", ()):
        status = record["status"]
        if status not in ATTENDANCE_CODES:
            raise ValueError(f"unknown attendance status {status!r}")
        status_in[(record["pupil_id"], record["slot_id"])] = status

    averages = journal.get("averages") or {}
    rows = []
    for pupil in journal.get("pupils", ()):
        pupil_id = pupil["id"]
        cells = []
        for slot_id, _header in slot_headers:
            parts = list(marks_in.get((pupil_id, slot_id), ()))
            code = ATTENDANCE_CODES[status_in.get((pupil_id, slot_id), "present")]
            if code:
                parts.append(code)
            cells.append(" ".join(parts))
        # A journal that went through JSON has string keys in `averages`.
        average = averages.get(pupil_id, averages.get(str(pupil_id)))
        rows.append((str(pupil["name"]), cells, None if average is None else float(average)))
    header = [_PUPIL_HEADER, *(header for _slot_id, header in slot_headers), _AVERAGE_HEADER]
    return _Grid(meta=meta, header=header, rows=rows)


def _grid_dict(
    meta_rows: list[list[str]], header: list[str], rows: Iterable[tuple[str, list[str], str]]
) -> dict[str, Any]:
    """The parsed form shared by both readers (see `parse_journal_csv`)."""
    meta: dict[str, str] = {}
    for row in meta_rows:
        padded = [*row, "", "", ""]
        label, values = padded[0], padded[1:]
        key = label.strip().casefold()
        if key == "term":
            meta |= {"term": values[0], "term_start": values[1], "term_end": values[2]}
        elif key in {"class", "subject", "teacher", "scale"}:
            meta[key] = values[0]
    if not header or header[0] != _PUPIL_HEADER or header[-1] != _AVERAGE_HEADER:
        raise ValueError("not a journal export: the grid header row is missing")
    slots = header[1:-1]
    pupils: dict[str, dict[str, str]] = {}
    averages: dict[str, float | None] = {}
    for name, cells, average in rows:
        if name in pupils:
            raise ValueError(f"two pupils named {name!r}: a mapping by name would be ambiguous")
        cells = [*cells, *[""] * (len(slots) - len(cells))]
        pupils[name] = dict(zip(slots, cells, strict=False))
        averages[name] = float(average) if average.strip() else None
    return {"meta": meta, "slots": slots, "pupils": pupils, "averages": averages}


# --- CSV --------------------------------------------------------------------------------


def _csv_safe(text: str) -> str:
    """Neutralise a leading formula character; a leading quote is doubled so reading is exact."""
    if text.startswith((*_FORMULA_STARTS, _QUOTE)):
        return _QUOTE + text
    return text


def _csv_unsafe(text: str) -> str:
    """Undo `_csv_safe`."""
    if text.startswith(_QUOTE) and text[1:].startswith((*_FORMULA_STARTS, _QUOTE)):
        return text[1:]
    return text


def journal_csv(journal: Mapping[str, Any], *, delimiter: str = ",") -> str:
    """The journal grid as CSV text, starting with a UTF-8 BOM so Excel reads Cyrillic.

    Rows end in CRLF (RFC 4180); the average is written with a decimal point and
    two decimals. Every text cell that a spreadsheet would take for a formula
    (a leading `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`, as is one
    that already starts with `'`. `delimiter` may be `";"` for spreadsheets set
    to a locale whose list separator is the semicolon.
    """
    if delimiter not in {",", ";"}:
        raise ValueError(f"the delimiter must be ',' or ';', not {delimiter!r}")
    grid = _journal_grid(journal)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for meta_row in grid.meta:
        writer.writerow([_csv_safe(cell) for cell in meta_row])
    writer.writerow([])
    writer.writerow([_csv_safe(cell) for cell in grid.header])
    for name, cells, average in grid.rows:
        shown = "" if average is None else f"{average:.2f}"
        writer.writerow([_csv_safe(name), *(_csv_safe(cell) for cell in cells), shown])
    return "\ufeff" + out.getvalue()


def parse_journal_csv(text: str) -> dict[str, Any]:
    """Read a `journal_csv` export back.

    Returns `{"meta": {"class", "subject", "teacher", "term", "term_start",
    "term_end", "scale"}, "slots": [slot header, …], "pupils": {pupil name:
    {slot header: cell}}, "averages": {pupil name: float | None}}`. Raises
    ValueError for text that is not such an export, or when two pupils share a name.
    """
    text = text.removeprefix("\ufeff")
    first_label = _META_LABELS[0]
    if not text.startswith(first_label) or len(text) <= len(first_label):
        raise ValueError("not a journal export: it does not start with the header block")
    delimiter = text[len(first_label)]
    if delimiter not in {",", ";"}:
        raise ValueError("not a journal export: unknown delimiter")
    records = [
        [_csv_unsafe(cell) for cell in record]
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    ]
    blank = next((index for index, record in enumerate(records) if not any(record)), None)
    if blank is None or blank + 1 >= len(records):
        raise ValueError("not a journal export: the grid is missing")
    header = records[blank + 1]
    rows = [(record[0], record[1:-1], record[-1]) for record in records[blank + 2 :] if record]
    return _grid_dict(records[:blank], header, rows)


# --- XLSX -------------------------------------------------------------------------------


def _xlsx_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put_text(sheet: Any, row: int, column: int, text: str, *, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = _xlsx_text(text)
    if cell.data_type == "f":  # openpyxl takes a leading "=" for a formula: keep it text
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)


def journal_xlsx(journal: Mapping[str, Any]) -> bytes:
    """The journal grid as an XLSX workbook (one sheet, `Journal`).

    The grid's header row and the pupil column are frozen and bold; a cell with a
    single whole-number mark is a number (no "number stored as text" flags),
    averages are numbers shown with two decimals, and text is never a formula.
    """
    grid = _journal_grid(journal)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _SHEET_TITLE
    for row_index, meta_row in enumerate(grid.meta, start=1):
        for column_index, text in enumerate(meta_row, start=1):
            _put_text(sheet, row_index, column_index, text, bold=column_index == 1)
    header_row = len(grid.meta) + 2
    centred = Alignment(horizontal="center")
    for column_index, text in enumerate(grid.header, start=1):
        _put_text(sheet, header_row, column_index, text, bold=True)
        if column_index > 1:
            sheet.cell(row=header_row, column=column_index).alignment = centred
    average_column = len(grid.header)
    for row_index, (name, cells, average) in enumerate(grid.rows, start=header_row + 1):
        _put_text(sheet, row_index, 1, name)
        for column_index, text in enumerate(cells, start=2):
            if not text:
                continue
            if text.isascii() and text.isdigit():
                sheet.cell(row=row_index, column=column_index, value=int(text))
            else:
                _put_text(sheet, row_index, column_index, text)
            sheet.cell(row=row_index, column=column_index).alignment = centred
        if average is not None:
            cell = sheet.cell(row=row_index, column=average_column, value=average)
            cell.number_format = "0.00"
            cell.font = Font(bold=True)

    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    longest_name = max((len(name) for name, _cells, _average in grid.rows), default=0)
    sheet.column_dimensions["A"].width = min(max(longest_name, len(_META_LABELS[-1])) + 2, 40)
    for column_index, text in enumerate(grid.header[1:], start=2):
        sheet.column_dimensions[get_column_letter(column_index)].width = max(len(text) + 2, 8)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_journal_xlsx(data: bytes) -> dict[str, Any]:
    """Read a `journal_xlsx` export back into the same shape as `parse_journal_csv`."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise ValueError(f"not a journal export: not an XLSX workbook ({error})") from None
    try:
        sheet = workbook[_SHEET_TITLE] if _SHEET_TITLE in workbook.sheetnames else workbook.active
        records = [
            [_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    for record in records:  # trailing empty cells of a short row are None → ""
        while record and record[-1] == "":
            record.pop()
    blank = next((index for index, record in enumerate(records) if not record), None)
    if blank is None or blank + 1 >= len(records):
        raise ValueError("not a journal export: the grid is missing")
    header = records[blank + 1]
    width = len(header)
    rows = []
    for record in records[blank + 2 :]:
        if not record:
            continue
        record = [*record, *[""] * (width - len(record))]
        rows.append((record[0], record[1 : width - 1], record[width - 1]))
    return _grid_dict(records[:blank], header, rows)


# --- iCalendar --------------------------------------------------------------------------

_CRLF = "\r\n"
_LINE_OCTETS = 75
# RFC 5545 TEXT allows no control characters but HTAB; newlines are escaped before this.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _ics_text(text: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    return _CONTROL_CHARACTERS.sub("", text)


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character."""
    if len(line) * 4 <= _LINE_OCTETS or len(line.encode("utf-8")) <= _LINE_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    limit = _LINE_OCTETS
    for character in line:
        size = len(character.encode("utf-8"))
        if used + size > limit:
            pieces.append("".join(current))
            current, used, limit = [], 0, _LINE_OCTETS - 1  # the leading space takes one
        current.append(character)
        used += size
    pieces.append("".join(current))
    return (_CRLF + " ").join(pieces)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(value)


def _as_time(value: time | str) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


def _zone(tz: str | None) -> ZoneInfo | None:
    if tz is None:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


@functools.lru_cache(maxsize=4096)  # a feed repeats the same days and bell times
def _ics_datetime(day: date, moment: time, zone: ZoneInfo | None) -> str:
    local = datetime.combine(day, moment.replace(tzinfo=None))
    if zone is None:
        return local.strftime("%Y%m%dT%H%M%S")
    return local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _utc_stamp(moment: datetime) -> str:
    """An iCalendar UTC date-time; a naive moment is taken as UTC (as the database keeps it)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _event_lines(
    event: Mapping[str, Any], *, zone: ZoneInfo | None, stamp: str, uid_domain: str
) -> list[str]:
    day = _as_date(event["date"])
    starts, ends = _as_time(event["starts"]), _as_time(event["ends"])
    if starts >= ends:
        raise ValueError(f"slot {event['slot_id']}: a lesson must end after it starts")
    subject = str(event.get("subject") or "")
    room = str(event.get("room") or "")
    summary = f"{subject} ({room})" if room else subject
    description = [
        f"{label}: {event[key]}"
        for label, key in (("Topic", "topic"), ("Homework", "homework"))
        if event.get(key)
    ]
    updated = event.get("updated")
    if updated is not None:
        stamp = _utc_stamp(updated)
    lines = [
        "BEGIN:VEVENT",
        f"UID:slot-{event['slot_id']}@{uid_domain}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_ics_datetime(day, starts, zone)}",
        f"DTEND:{_ics_datetime(day, ends, zone)}",
        f"SUMMARY:{_ics_text(summary)}",
    ]
    if room:
        lines.append(f"LOCATION:{_ics_text(room)}")
    if description:
        lines.append(f"DESCRIPTION:{_ics_text(chr(10).join(description))}")
    lines.append("END:VEVENT")
    return lines


def diary_ics(
    *,
    pupil_name: str,
    events: Iterable[Mapping[str, Any]],
    calendar_name: str,
    tz: str | None = None,
    stamp: datetime | None = None,
    uid_domain: str = "eschool",
) -> str:
    """A pupil's timetable with homework as an iCalendar (RFC 5545) feed.

    `events` are `{"slot_id", "date", "starts", "ends", "subject", "room", "topic",
    "homework"}` and optionally `"updated"` (date and times as ISO strings or
    `date`/`time` objects, `updated` a datetime, UTC when naive). Each becomes one
    VEVENT with the stable UID `slot-<slot_id>@<uid_domain>` (the same whatever
    address the feed is fetched under: keep `uid_domain` fixed), SUMMARY
    `subject (room)`, LOCATION the room, DESCRIPTION `Topic: …` and `Homework: …`
    lines. Without `tz` the times are floating local times; with an IANA zone
    name (e.g. "Europe/Moscow") they are read in that zone and written in UTC,
    which needs no VTIMEZONE block. An event's DTSTAMP is its `updated` moment, else
    `stamp` (an aware datetime, default now): with `updated` on every event the same
    data gives the same bytes, so a client polling an unchanged feed can be told so.
    Lines are folded at 75 octets and end in CRLF.
    """
    zone = _zone(tz)
    moment = (stamp or datetime.now(UTC)).astimezone(UTC)
    stamp_text = moment.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//eschool//diary//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{_ics_text(calendar_name)}",
        f"X-WR-CALNAME:{_ics_text(calendar_name)}",
        f"X-WR-CALDESC:{_ics_text(f'Timetable and homework of {pupil_name}')}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    if tz is not None:
        lines.append(f"X-WR-TIMEZONE:{_ics_text(tz)}")
    ordered = sorted(
        events,
        key=lambda event: (_as_date(event["date"]), _as_time(event["starts"]), event["slot_id"]),
    )
    for event in ordered:
        lines.extend(_event_lines(event, zone=zone, stamp=stamp_text, uid_domain=uid_domain))
    lines.append("END:VCALENDAR")
    return "".join(
        line + _CRLF if len(line) <= _LINE_OCTETS and line.isascii() else _fold(line) + _CRLF
        for line in lines
    )
