"""Moodle GIFT syntax → parsed questions; what they become in a lesson is ``gift``'s business.

A GIFT file is a list of chunks separated by blank lines; lines starting with ``//`` are
comments. A chunk is a ``$CATEGORY:`` line or a question::

    ::title:: [format] text before { answers #### general feedback } text after

Inside the braces: nothing (essay), ``T``/``F``/``TRUE``/``FALSE`` (true/false), ``#…``
(numeric: ``3.14:0.01``, ``1..5`` or several ``=%50%3.1:0.1``), or answers each starting with
``=`` (right) or ``~`` (wrong), with an optional weight ``%50%``, a match ``left -> right``
and feedback ``#…``. No braces at all make a description. A backslash escapes ``~ = # { } :``
and itself; ``\\n`` is a new line. Escaped characters are carried as private-use placeholders
until :func:`literal` turns them back, so the parser only ever sees unescaped syntax.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

FORMATS = ("moodle", "html", "plain", "markdown")
DEFAULT_FORMAT = "moodle"
BLANK = "____"  # where the answer goes in a missing-word question

_PLACEHOLDER = {
    "\\": "\ue000",
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
}
_LITERAL = {placeholder: char for char, placeholder in _PLACEHOLDER.items()}
_PLACEHOLDERS = re.compile("[\ue000-\ue006]")
_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_FORMAT = re.compile(r"\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"
_RANGE = re.compile(rf"({_NUMBER})\s*\.\.\s*({_NUMBER})")
_TOLERANCE = re.compile(rf"({_NUMBER})(?:\s*:\s*({_NUMBER}))?")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
CATEGORY = "$CATEGORY:"


class GiftError(Exception):
    """A question that cannot be read; the message says why (shown to the teacher)."""


def protect(text: str) -> str:
    """Replace escapes by placeholders (``\\n`` by a new line); drop stray placeholders."""
    text = _PLACEHOLDERS.sub("", text)
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else _PLACEHOLDER[m.group(1)], text)


def literal(text: str) -> str:
    """Turn placeholders back into the characters they escaped."""
    return _PLACEHOLDERS.sub(lambda m: _LITERAL[m.group()], text)


@dataclass(frozen=True)
class Chunk:
    """Lines between blank lines, comments left out: ``line`` is the first one's number."""

    line: int
    text: str


def chunks(text: str) -> Iterator[Chunk]:
    """The file's chunks; a ``$CATEGORY:`` line is a chunk of its own even without a blank
    line after it."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            continue
        if stripped.startswith(CATEGORY) or not stripped:
            if lines:
                yield Chunk(lines[0][0], "\n".join(line for _, line in lines))
                lines = []
            if stripped:
                yield Chunk(number, stripped)
            continue
        lines.append((number, raw))
    if lines:
        yield Chunk(lines[0][0], "\n".join(line for _, line in lines))


@dataclass
class Answer:
    """One answer inside the braces (its texts still protected)."""

    right: bool  # written with "=" rather than "~"
    weight: float  # percent of the marks: an explicit %n%, else 100 for "=" and 0 for "~"
    text: str
    feedback: str = ""
    match: str | None = None  # the right-hand side of "left -> right"


@dataclass
class NumericAnswer:
    weight: float
    value: float
    tolerance: float
    feedback: str = ""


@dataclass
class Question:
    """A parsed question. ``kind`` is ``description``, ``essay``, ``truefalse``, ``numeric``,
    ``choice``, ``short`` or ``match``; ``prompt`` holds ``____`` where the braces stood when
    text follows them (Moodle's missing-word form)."""

    line: int
    kind: str
    title: str
    text_format: str
    prompt: str
    answers: list[Answer] = field(default_factory=list)
    numeric: list[NumericAnswer] = field(default_factory=list)
    truth: bool | None = None
    feedback: list[str] = field(default_factory=list)  # every feedback text, general included

    def has_feedback(self) -> bool:
        return any(text.strip() for text in self.feedback)


def parse_question(chunk: Chunk) -> Question:
    """Parse one question chunk; raises :class:`GiftError` saying what is wrong."""
    text = protect(chunk.text).strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise GiftError("the title has no closing ::")
        title, text = text[2:end].strip(), text[end + 2 :]
    text_format, text = split_format(text, DEFAULT_FORMAT)
    opening, closing = text.find("{"), text.find("}")
    if opening < 0 and closing < 0:
        if not text.strip():
            raise GiftError("the question has no text")
        return Question(chunk.line, "description", title, text_format, text)
    if opening < 0 or closing < opening:
        raise GiftError("a } comes before any {: escape a literal brace as \\}")
    if text.count("{") > 1 or text.count("}") > 1:
        raise GiftError("more than one {…} answer set: escape literal braces as \\{ and \\}")
    before, body, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    prompt = f"{before}{BLANK}{after}" if after.strip() else before
    question = Question(chunk.line, "", title, text_format, prompt)
    body, _, general = body.partition("####")
    question.feedback.append(general)
    _parse_answers(question, body.strip())
    return question


def split_format(text: str, default: str) -> tuple[str, str]:
    """A leading ``[html]``/``[moodle]``/``[plain]``/``[markdown]`` and the text after it."""
    found = _FORMAT.match(text)
    if not found:
        return default, text
    return found.group(1).lower(), text[found.end() :]


def _parse_answers(question: Question, body: str) -> None:
    head, *feedback = body.split("#")
    if not body:
        question.kind = "essay"
    elif body.startswith("#"):
        question.kind = "numeric"
        question.numeric = _numeric_answers(body[1:], question.feedback)
    elif head.strip().upper() in _TRUE_FALSE:
        question.kind = "truefalse"
        question.truth = _TRUE_FALSE[head.strip().upper()]
        question.feedback.extend(feedback)
    else:
        question.answers = [_answer(marker, text) for marker, text in _split_marked(body)]
        question.feedback.extend(answer.feedback for answer in question.answers)
        question.kind = _choice_kind(question.answers)


def _split_marked(body: str) -> list[tuple[str, str]]:
    parts = re.split(r"([=~])", body)
    if parts[0].strip():
        raise GiftError(f"answers must start with = or ~, not {literal(parts[0].strip())[:40]!r}")
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _weight(text: str, right: bool) -> tuple[float, str]:
    found = _WEIGHT.match(text)
    if not found:
        return (100.0 if right else 0.0), text
    weight = float(found.group(1))
    if not -100 <= weight <= 100:
        raise GiftError(f"the weight {found.group(1)}% is not between -100% and 100%")
    return weight, text[found.end() :]


def _answer(marker: str, text: str) -> Answer:
    weight, text = _weight(text, marker == "=")
    text, _, feedback = text.partition("#")
    answer = Answer(marker == "=", weight, text, feedback)
    if "->" in text:
        left, _, right = text.partition("->")
        answer.text, answer.match = left, right
    return answer


def _choice_kind(answers: list[Answer]) -> str:
    if any(answer.match is not None for answer in answers):
        if not all(answer.right and answer.match is not None for answer in answers):
            raise GiftError("a matching question needs every answer as = left -> right")
        return "match"
    return "choice" if any(not answer.right for answer in answers) else "short"


def _numeric_answers(body: str, feedback: list[str]) -> list[NumericAnswer]:
    if not re.search(r"[=~]", body):
        spec, _, note = body.partition("#")
        feedback.append(note)
        return [_numeric(spec, 100.0, note)]
    answers = []
    for marker, text in _split_marked(body):
        weight, text = _weight(text, marker == "=")
        spec, _, note = text.partition("#")
        feedback.append(note)
        if marker == "~" and not spec.strip():
            continue  # a wrong answer that only carries feedback
        answers.append(_numeric(spec, weight, note))
    return answers


def _numeric(spec: str, weight: float, feedback: str) -> NumericAnswer:
    spec = literal(spec).strip()
    if found := _RANGE.fullmatch(spec):
        low, high = _number(found.group(1)), _number(found.group(2))
        if low > high:
            raise GiftError(f"the range {spec!r} runs backwards")
        return NumericAnswer(weight, low / 2 + high / 2, high / 2 - low / 2, feedback)
    if found := _TOLERANCE.fullmatch(spec):
        tolerance = _number(found.group(2)) if found.group(2) else 0.0
        if tolerance < 0:
            raise GiftError(f"the tolerance in {spec!r} is negative")
        return NumericAnswer(weight, _number(found.group(1)), tolerance, feedback)
    raise GiftError(f"not a number, number:tolerance or low..high: {spec[:40]!r}")


def _number(text: str) -> float:
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise GiftError(f"{text[:40]!r} is too large a number")
    return value
