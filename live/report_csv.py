"""A lesson's report as one CSV file: a section per table.

Each section is a row with its title alone (``# Attendance``), a row of column names, its rows,
then an empty row. UTF-8 with a byte order mark (spreadsheets then read Cyrillic right); text
that a spreadsheet would take for a formula is prefixed with ``'``. Times are seconds after the
lesson's start. See docs/open-lessons.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eschool.i18n import gettext as _

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WRONG_COLUMNS = 3


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _section(writer: Any, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer.writerow([f"# {title}"])
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    writer.writerow([])


def _list(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = body.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _percent(share: Any) -> Any:
    return round(share * 100, 1) if isinstance(share, int | float) else None


def _wrong_cells(question: Mapping[str, Any]) -> list[Any]:
    cells: list[Any] = []
    for wrong in _list(question, "wrong")[:WRONG_COLUMNS]:
        cells += [wrong.get("answer"), wrong.get("count")]
    return cells


def report_csv(body: Mapping[str, Any]) -> bytes:
    """The report (``live.services.session_report``'s answer) as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    _section(
        writer,
        _("Lesson"),
        [_("Title"), _("Started (unix time)"), _("Duration (s)")],
        [[body.get("title"), body.get("started"), body.get("duration")]],
    )
    _section(
        writer,
        _("Attendance"),
        [_("Pupil"), _("Joined"), _("Joined at (s)"), _("Left at (s)"), _("Time here (s)")],
        (
            [
                e.get("name"),
                bool(e.get("joined")),
                e.get("joined_at"),
                e.get("left_at"),
                e.get("seconds"),
            ]
            for e in _list(body, "attendance")
        ),
    )
    _section(
        writer,
        _("Participants"),
        [_("Name"), _("Role"), _("Joined at (s)"), _("Left at (s)"), _("Time here (s)")],
        (
            [e.get("name"), e.get("role"), e.get("joined_at"), e.get("left_at"), e.get("seconds")]
            for e in _list(body, "participants")
        ),
    )
    quizzes = _list(body, "quiz")
    _section(
        writer,
        _("Quiz results"),
        [_("Quiz"), _("Pupil"), _("Answered"), _("Points"), _("Max"), "%", _("Proposed mark")],
        (
            [
                index,
                r.get("name"),
                bool(r.get("answered")),
                r.get("score"),
                r.get("max"),
                r.get("percent"),
                r.get("mark"),
            ]
            for index, quiz in enumerate(quizzes, 1)
            for r in _list(quiz, "results")
        ),
    )
    wrong_header = []
    for n in range(1, WRONG_COLUMNS + 1):
        wrong_header += [_("Wrong answer {n}", n=n), _("How many")]
    _section(
        writer,
        _("Questions"),
        [
            _("Quiz"),
            _("Question"),
            _("Prompt"),
            _("Answered"),
            _("Right"),
            _("Right, %"),
            *wrong_header,
        ],
        (
            [
                index,
                q.get("index", 0) + 1,
                q.get("prompt"),
                q.get("answered"),
                q.get("right"),
                _percent(q.get("share_right")),
                *_wrong_cells(q),
            ]
            for index, quiz in enumerate(quizzes, 1)
            for q in _list(quiz, "questions")
        ),
    )
    _section(
        writer,
        _("Polls"),
        [_("Poll"), _("Prompt"), _("Option"), _("Votes"), _("Voted")],
        (
            [index, poll.get("prompt"), option.get("label"), option.get("count"), poll.get("total")]
            for index, poll in enumerate(_list(body, "polls"), 1)
            for option in _list(poll, "options")
        ),
    )
    _section(
        writer,
        _("Slides"),
        [_("Slide"), _("Title"), _("Kind"), _("Time on the slide (s)"), _("Times shown")],
        (
            [
                s.get("index", 0) + 1,
                s.get("title"),
                s.get("kind"),
                s.get("seconds"),
                s.get("visits"),
            ]
            for s in _list(body, "slides")
        ),
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
