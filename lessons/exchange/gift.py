"""Moodle GIFT import: a question bank's text → a new draft lesson with quiz blocks.

Questions are parsed by :mod:`lessons.exchange.gift_parse` and mapped to our kinds:

- ``{=right ~wrong}`` → ``single``; all ``~`` with weights (``~%50%a ~%-100%b``) → ``multiple``
  whose right options are those of positive weight (Moodle's multiple-answer form); several
  ``=`` beside ``~`` → ``multiple`` too (noted: Moodle takes any one of them);
- ``{T}``/``{F}`` → ``single`` with the options "True"/"False" ("Верно"/"Неверно" when the
  question is written in Cyrillic: the options should speak the question's language);
- ``{=a =b}`` → ``text`` accepting every full-credit answer; ``{=a -> 1 =b -> 2}`` → ``match``
  (an empty left side adds a distractor on the right); ``{#…}`` → ``number``, a range
  ``low..high`` becoming its centre ± half its width;
- text after the braces makes Moodle's missing-word question: the prompt gets ``____``.

Our questions have no title, no feedback and no partial credit, so titles are dropped, and
feedback and partial-credit answers are listed in the report's ``skipped`` (with the
question's line) rather than lost without a word. An essay ``{}`` has no key to score and is
skipped; a description (no braces) becomes a text block between quiz blocks, as Moodle shows
it between questions; ``$CATEGORY:`` starts a new quiz block under a heading with the
category's name. ``[html]`` text (and ``[moodle]`` text holding HTML tags) becomes our
Markdown through :mod:`lessons.exchange.xhtml_text`, which keeps no script, style or
attribute; ``[plain]`` and ``[markdown]`` text is kept as written. Malformed questions are
skipped with their first line number and the rest imported.

The text is untrusted: more than ``MAX_GIFT_CHARS`` is refused (413); at most
``MAX_IMPORTED_QUESTIONS`` questions and ``MAX_CHUNKS`` chunks are read, a question longer
than ``MAX_CHUNK_CHARS`` or with HTML nested deeper than ``MAX_XML_DEPTH`` is skipped, and
the report lists at most ``MAX_NOTES`` items (then how many more there were).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from lessons.blocks import MAX_BLOCKS, MAX_QUESTIONS, MAX_TEXT_CHARS, Question
from lessons.exchange.eschool_zip import ExchangeError, validate_lesson
from lessons.exchange.gift_parse import (
    CATEGORY,
    Answer,
    Chunk,
    GiftError,
    chunks,
    literal,
    parse_question,
    protect,
    split_format,
)
from lessons.exchange.gift_parse import Question as GiftQuestion
from lessons.exchange.markdown_xhtml import html_to_tree
from lessons.exchange.report import ImportReport, Skipped
from lessons.exchange.safe_xml import MAX_XML_DEPTH, xml_depth
from lessons.exchange.xhtml_text import children_of, plain_text, to_markdown

FORMAT = "gift"
MAX_GIFT_CHARS = 2_000_000
MAX_IMPORTED_QUESTIONS = 1000
MAX_CHUNKS = 5000  # questions, descriptions and categories read, skipped ones included
MAX_CHUNK_CHARS = 100_000  # one question with its answers, markup included
MAX_NOTES = 200
DEFAULT_TITLE = "GIFT"

_QUESTION: TypeAdapter[Any] = TypeAdapter(Question)
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
_HTML_TAG = re.compile(
    r"</?(?:p|br|hr|b|i|u|s|em|strong|sub|sup|span|div|font|a|img|ul|ol|li|h[1-6]|pre|code|"
    r"table|thead|tbody|tr|td|th|blockquote|script|style|iframe|object|embed)\b[^<>]*>",
    re.IGNORECASE,
)
_CATEGORY_ROOTS = {"$course$", "$system$", "$module$", "$cat$", "top"}


def read_gift(text: str, title: str = DEFAULT_TITLE) -> ImportReport:
    """Read a GIFT file's text; raises ``ExchangeError`` for a refused file."""
    if len(text) > MAX_GIFT_CHARS:
        raise ExchangeError(
            "too_large", f"a GIFT file may hold at most {MAX_GIFT_CHARS} characters", 413
        )
    lesson = _Lesson()
    for read, chunk in enumerate(chunks(text.lstrip("\ufeff"))):
        if lesson.imported >= MAX_IMPORTED_QUESTIONS or read >= MAX_CHUNKS:
            lesson.note(
                chunk.line,
                f"only the first {MAX_IMPORTED_QUESTIONS} questions (or {MAX_CHUNKS} items) "
                "are read; this one and those after it were not imported",
            )
            break
        if chunk.text.startswith(CATEGORY):
            lesson.category(chunk.text[len(CATEGORY) :])
        elif len(chunk.text) > MAX_CHUNK_CHARS:
            lesson.note(chunk.line, f"the question is longer than {MAX_CHUNK_CHARS} characters")
        else:
            lesson.add(chunk)
    if not lesson.imported:
        raise ExchangeError("no_questions", "No GIFT question could be read.", 422)
    document = validate_lesson(
        {
            "title": " ".join(title.split())[:200] or DEFAULT_TITLE,
            "summary": "",
            "language": "",
            "blocks": lesson.blocks,
        }
    )
    return ImportReport(format=FORMAT, lesson=document, skipped=lesson.notes())


class _Lesson:
    """The blocks built so far, the heading waiting for the next question, and the notes."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []
        self.imported = 0
        self._quiz: dict[str, Any] | None = None
        self._heading = ""
        self._notes: list[Skipped] = []
        self._unlisted = 0

    def note(self, line: int, reason: str) -> None:
        if len(self._notes) < MAX_NOTES:
            self._notes.append(Skipped(f"line {line}", reason))
        else:
            self._unlisted += 1

    def notes(self) -> list[Skipped]:
        if self._unlisted:
            more = Skipped("more", f"{self._unlisted} more items were skipped but not listed")
            return [*self._notes, more]
        return self._notes

    def category(self, path: str) -> None:
        parts = [part.strip() for part in literal(protect(path)).split("/")]
        named = [part for part in parts if part and part.lower() not in _CATEGORY_ROOTS]
        self._heading = " / ".join(named)[:200]
        self._quiz = None

    def add(self, chunk: Chunk) -> None:
        notes: list[str] = []
        try:
            parsed = parse_question(chunk)
            if parsed.kind == "essay":
                raise GiftError("an essay question has no answer key to score")
            if parsed.kind == "description":
                self._add_text(chunk.line, _text(parsed.prompt, parsed.text_format, []))
                return
            images: list[str] = []
            question = _convert(parsed, images, notes)
            checked = _QUESTION.validate_python(question).model_dump(mode="json")
        except GiftError as reason:
            self.note(chunk.line, str(reason))
            return
        except ValidationError as error:
            self.note(chunk.line, _problem(error))
            return
        has_room = self._quiz is not None and len(self._quiz["questions"]) < MAX_QUESTIONS
        if not self._room(0 if has_room else 1):
            self.note(chunk.line, "the lesson has too many blocks")
            return
        self._flush_heading()
        if self._quiz is None or len(self._quiz["questions"]) >= MAX_QUESTIONS:
            self._quiz = {"kind": "quiz", "questions": []}
            self.blocks.append(self._quiz)
        self._quiz["questions"].append(checked)
        self.imported += 1
        if images:
            notes.append("pictures were left out (a GIFT file carries no pictures)")
        if parsed.has_feedback():
            notes.append("feedback was not imported (our questions have no feedback)")
        for note in notes:
            self.note(chunk.line, note)

    def _add_text(self, line: int, text: str) -> None:
        if len(text) > MAX_TEXT_CHARS:
            self.note(line, f"the description is longer than {MAX_TEXT_CHARS} characters")
        elif not self._room(1):
            self.note(line, "the lesson has too many blocks")
        elif text:
            self._flush_heading()
            self.blocks.append({"kind": "text", "text": text})
            self._quiz = None

    def _room(self, blocks: int) -> bool:
        return len(self.blocks) + blocks + (1 if self._heading else 0) <= MAX_BLOCKS

    def _flush_heading(self) -> None:
        if self._heading:
            self.blocks.append({"kind": "text", "text": f"## {self._heading}"})
            self._heading = ""


def _convert(parsed: GiftQuestion, images: list[str], notes: list[str]) -> dict[str, Any]:
    """Our question for a parsed one; ``notes`` gets what could not come along."""
    prompt = _text(parsed.prompt, parsed.text_format, images)
    if parsed.kind == "truefalse":
        labels = ["Верно", "Неверно"] if _CYRILLIC.search(prompt) else ["True", "False"]
        answer = 0 if parsed.truth else 1
        return {"kind": "single", "prompt": prompt, "options": labels, "answer": answer}
    if parsed.kind == "numeric":
        full = [answer for answer in parsed.numeric if answer.weight >= 100]
        if not full:
            raise GiftError("no numeric answer gives full credit")
        _note_partial(notes, [(f"{a.value:g}±{a.tolerance:g}", a.weight) for a in parsed.numeric])
        if len(full) > 1:
            notes.append("only the first full-credit numeric answer was imported")
        key = {"value": _tidy(full[0].value), "tolerance": _tidy(full[0].tolerance)}
        return {"kind": "number", "prompt": prompt, "answer": key}
    if parsed.kind == "match":
        return _match(prompt, parsed, images)
    texts = [_line(a.text, parsed.text_format, images) for a in parsed.answers]
    weighted = list(zip(texts, [a.weight for a in parsed.answers], strict=True))
    if parsed.kind == "short" or any(answer.right for answer in parsed.answers):
        _note_partial(notes, weighted)  # in the all-"~" form positive weights are right ones
    if parsed.kind == "short":
        accepted = list(dict.fromkeys(text for text, weight in weighted if weight >= 100))
        if not accepted:
            raise GiftError("no answer gives full credit")
        if any("*" in text for text in accepted):
            notes.append("the * wildcard of short answers is taken literally")
        return {"kind": "text", "prompt": prompt, "answer": accepted}
    return _choice(prompt, texts, parsed.answers, notes)


def _choice(
    prompt: str, texts: list[str], answers: list[Answer], notes: list[str]
) -> dict[str, Any]:
    if any(answer.right for answer in answers):  # Moodle's one-answer form
        right = [index for index, answer in enumerate(answers) if answer.weight >= 100]
        if not right:
            raise GiftError("no answer gives full credit")
        if len(right) == 1:
            return {"kind": "single", "prompt": prompt, "options": texts, "answer": right[0]}
        notes.append("several answers give full credit: imported as a multiple-answer question")
    else:  # Moodle's multiple-answer form: the answers of positive weight are the right ones
        right = [index for index, answer in enumerate(answers) if answer.weight > 0]
        if not right:
            raise GiftError("no answer has a positive weight")
    return {"kind": "multiple", "prompt": prompt, "options": texts, "answer": right}


def _match(prompt: str, parsed: GiftQuestion, images: list[str]) -> dict[str, Any]:
    left: list[str] = []
    right: list[str] = []
    pairs: list[list[int]] = []
    for answer in parsed.answers:
        target = _line(answer.match or "", parsed.text_format, images)
        if target not in right:
            right.append(target)
        item = _line(answer.text, parsed.text_format, images)
        if item:  # an empty left side only adds a distractor on the right
            pairs.append([len(left), right.index(target)])
            left.append(item)
    options = {"left": left, "right": right}
    return {"kind": "match", "prompt": prompt, "options": options, "answer": pairs}


def _note_partial(notes: list[str], weighted: list[tuple[str, float]]) -> None:
    partial = [f"{text[:40]!r} ({weight:g}%)" for text, weight in weighted if 0 < weight < 100]
    if partial:
        notes.append(f"partial-credit answers were not imported: {', '.join(partial[:5])}")


def _text(raw: str, text_format: str, images: list[str]) -> str:
    """A prompt or description as our Markdown (several lines)."""
    text_format, raw = split_format(raw, text_format)
    if _is_html(raw, text_format):
        tree = _html(raw)

        def picture(src: str, alt: str) -> str:
            images.append(src)
            return alt

        text = to_markdown(children_of(tree), on_image=picture)
        return literal(text).strip()
    lines = [line.strip() for line in literal(raw).splitlines()]
    return "\n".join(lines).strip()


def _line(raw: str, text_format: str, images: list[str]) -> str:
    """An option or an accepted answer: one line of plain text."""
    text_format, raw = split_format(raw, text_format)
    if _is_html(raw, text_format):
        tree = _html(raw)
        images.extend(str(img.get("src", "")) for img in tree.iter("img"))
        raw = plain_text(tree)
    return " ".join(literal(raw).split())


def _is_html(raw: str, text_format: str) -> bool:
    return text_format == "html" or (text_format == "moodle" and bool(_HTML_TAG.search(raw)))


def _html(raw: str) -> Any:
    try:
        tree = html_to_tree(raw)
    except (AssertionError, ValueError) as error:  # HTMLParser on a malformed declaration
        raise GiftError("the HTML could not be read") from error
    if xml_depth(tree) > MAX_XML_DEPTH:
        raise GiftError(f"the HTML nests deeper than {MAX_XML_DEPTH} levels")
    return tree


def _tidy(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"][1:]) or "question"
    return f"{where}: {first['msg']}"
