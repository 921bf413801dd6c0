"""Moodle Aiken import: multiple-choice questions separated by blank lines.

Each question is a prompt line, options ``A.``/``A)``, and ``ANSWER: B``. Malformed questions are
skipped with their first line number; the rest are imported into one quiz block.
"""

from __future__ import annotations

import re

from lessons.exchange.eschool_zip import ExchangeError, validate_lesson
from lessons.exchange.report import ImportReport, Skipped

_OPTION = re.compile(r"^([A-Z])[.)]\s*(.+)$")
_ANSWER = re.compile(r"^ANSWER:\s*([A-Z])\s*$", re.IGNORECASE)


def _parse(lines: list[tuple[int, str]]) -> dict | str:
    if len(lines) < 4:
        return "too few lines: a prompt, two options and ANSWER are needed"
    *body, (_, last) = lines
    answer = _ANSWER.match(last)
    if not answer:
        return "no ANSWER: line at the end"
    prompt, letters, options = body[0][1], [], []
    for _, line in body[1:]:
        option = _OPTION.match(line)
        if not option:
            return f"not an option: {line[:40]!r}"
        letters.append(option.group(1))
        options.append(option.group(2).strip())
    key = answer.group(1).upper()
    if key not in letters:
        return f"ANSWER {key} names no option"
    return {"kind": "single", "prompt": prompt, "options": options, "answer": letters.index(key)}


def read_aiken(text: str, title: str = "Aiken") -> ImportReport:
    groups: list[list[tuple[int, str]]] = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line:
            groups[-1].append((number, line))
        elif groups[-1]:
            groups.append([])
    questions, skipped = [], []
    for group in groups:
        if not group:
            continue
        parsed = _parse(group)
        if isinstance(parsed, str):
            skipped.append(Skipped(f"line {group[0][0]}", parsed))
        else:
            questions.append(parsed)
    if not questions:
        raise ExchangeError("no_questions", "No Aiken question could be read.", 422)
    lesson = validate_lesson(
        {
            "title": title,
            "summary": "",
            "language": "",
            "blocks": [{"id": None, "kind": "quiz", "questions": questions}],
        }
    )
    return ImportReport(format="aiken", lesson=lesson, skipped=skipped)
