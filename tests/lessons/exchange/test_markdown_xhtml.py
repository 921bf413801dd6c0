"""Markdown prompts and options through QTI 3.0 item bodies and back, spelling for spelling."""

from __future__ import annotations

import io
import zipfile

import pytest

from lessons.exchange.qti3 import read_qti3, write_qti3

PROMPTS = [
    "**Жирный**, *курсив*, `код`, ~~зачёркнуто~~ и [ссылка](https://example.org/x?a=1&b=2).",
    "Формула $E = mc^2$ в строке\n\n$$\n\\frac{a}{b}\n$$",
    "- один\n- два\n   - вложенный\n\n1. первый\n2. второй",
    "# Заголовок\n\n> цитата\n\n---\n\nтекст",
    "```\nfor i in range(3):\n    print(i)  # *not emphasis*\n```",
    "2*3*4, a * b, snake_case_name, costs $5, x & y, <tag>",
    "\\*not emphasis\\* and \\[not a link\\](x)",
    "Ёжик в тумане: «ёлка», ЁЛКА.",
]


def _round_trip(question: dict) -> dict:
    lesson = {"title": "t", "blocks": [{"kind": "quiz", "id": "q", "questions": [question]}]}
    (back,) = read_qti3(write_qti3(lesson, {})).lesson["blocks"][0]["questions"]
    return back


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_prompt_comes_back_as_the_same_markdown(prompt: str) -> None:
    question = {"kind": "text", "prompt": prompt, "options": [], "answer": ["x"], "points": 1}
    assert _round_trip(question)["prompt"] == prompt


@pytest.mark.parametrize(
    "option", ["- 5", "1. Jan", "# 1", "**bold** and `code`", "2*3*4", "$x$", "Ёлка"]
)
def test_an_option_comes_back_as_the_same_text(option: str) -> None:
    question = {
        "kind": "single",
        "prompt": "?",
        "options": [option, "other"],
        "answer": 0,
        "points": 1,
    }
    assert _round_trip(question)["options"] == [option, "other"]


def test_the_body_is_well_formed_xhtml_without_named_entities() -> None:
    question = {
        "kind": "text",
        "prompt": "a &nbsp; b &copy; <br> \x0b line",
        "options": [],
        "answer": ["x"],
        "points": 1,
    }
    lesson = {"title": "t", "blocks": [{"kind": "quiz", "id": "q", "questions": [question]}]}
    with zipfile.ZipFile(io.BytesIO(write_qti3(lesson, {}))) as archive:
        xml = archive.read("items/Q-q-0.xml")
    assert b"&nbsp;" not in xml and b"&copy;" not in xml and b"\x0b" not in xml
    assert "\u00a0".encode() in xml and "©".encode() in xml
    assert b"&lt;br&gt;" in xml  # raw HTML in Markdown stays text


HOSTILE_BODY = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="h"
  title="h" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>A</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-item-body>
    <p onclick="steal()">Click <a href="javascript:steal()">here</a> or
      <a href="https://example.org/ok" style="x">there</a><script>steal()</script></p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-simple-choice identifier="A"><strong>yes</strong></qti-simple-choice>
      <qti-simple-choice identifier="B">no<iframe src="https://evil"/></qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
</qti-assessment-item>"""


def test_scripts_handlers_and_javascript_links_do_not_survive() -> None:
    (question,) = read_qti3(HOSTILE_BODY.encode()).lesson["blocks"][0]["questions"]
    assert question["prompt"] == "Click here or [there](https://example.org/ok)"
    assert question["options"] == ["**yes**", "no"]
