"""Moodle GIFT import: each construct of the syntax (examples after Moodle's GIFT page),
malformed questions skipped with their line, and arbitrary text never crashing the reader."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.exchange.eschool_zip import ExchangeError, validate_lesson
from lessons.exchange.gift import MAX_GIFT_CHARS, read_gift
from lessons.exchange.report import ImportReport
from lessons.scoring import score_question


def read(text: str) -> ImportReport:
    """Read ``text``; the lesson must validate as an authored one, unchanged."""
    report = read_gift(text)
    assert report.format == "gift"
    assert validate_lesson(report.lesson) == report.lesson
    return report


def questions(text: str) -> list[dict]:
    report = read(text)
    return [q for b in report.lesson["blocks"] if b["kind"] == "quiz" for q in b["questions"]]


def only(text: str) -> dict:
    (question,) = questions(text)
    return question


def reasons(report: ImportReport) -> list[tuple[str, str]]:
    return [(s.item, s.reason) for s in report.skipped]


def test_comments_titles_and_blank_lines_separate_questions() -> None:
    text = """// a comment before
::Q1:: 1+1=2 {T}
   // a comment inside a question does not end it
// GIFT keeps // only at the start of a line: http://example.org stays

::Q2::
What is 2+2?
// another
{=4 ~5}
"""
    first, second = questions(text)
    assert first["prompt"] == "1+1=2"  # the title is not part of the prompt
    assert second["prompt"] == "What is 2+2?" and second["options"] == ["4", "5"]


def test_escapes_and_new_lines() -> None:
    question = only(r"1 \= 1\: \{one\} \~ \#1 back\\slash\nnext line {=a \= b ~c \~ d \# e}")
    assert question["prompt"] == "1 = 1: {one} ~ #1 back\\slash\nnext line"
    assert question["options"] == ["a = b", "c ~ d # e"]
    assert question["answer"] == 0


def test_text_formats() -> None:
    html, plain, markdown, moodle_html, moodle_text = questions(
        "[html]<p>The <b>next</b> one<script>alert(1)</script> &lt;here&gt;</p> "
        "{=<i>yes</i> ~no}\n\n"
        "::T::[plain]Is <b> a tag? {T}\n\n"
        "[markdown]Is **this** bold? {T}\n\n"
        "[moodle]Is <strong>this</strong> bold? {T}\n\n"
        "Is 1 < 2 and 3 > 2? {T}\n"
    )
    assert html["prompt"] == "The **next** one <here>"
    assert html["options"] == ["yes", "no"]
    assert plain["prompt"] == "Is <b> a tag?"
    assert markdown["prompt"] == "Is **this** bold?"
    assert moodle_html["prompt"] == "Is **this** bold?"
    assert moodle_text["prompt"] == "Is 1 < 2 and 3 > 2?"


def test_single_choice() -> None:
    question = only("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert question["kind"] == "single"
    assert question["options"] == ["Grant", "Jefferson", "no one"] and question["answer"] == 2


def test_weighted_answers_make_a_multiple_choice() -> None:
    question = only(
        "What two people are entombed in Grant's tomb? {\n"
        "   ~%-100%No one\n   ~%50%Grant\n   ~%50%Grant's wife\n   ~%-100%Grant's father\n}"
    )
    assert question["kind"] == "multiple" and question["answer"] == [1, 2]
    assert score_question(question, [1, 2]) == 1


def test_several_full_credit_choices_become_multiple_with_a_note() -> None:
    report = read("Pick the primes {=2 =3 ~4}")
    (question,) = report.lesson["blocks"][0]["questions"]
    assert question["kind"] == "multiple" and question["answer"] == [0, 1]
    assert reasons(report) == [
        ("line 1", "several answers give full credit: imported as a multiple-answer question")
    ]


@pytest.mark.parametrize(
    ("key", "answer"), [("T", 0), ("TRUE", 0), ("F", 1), ("FALSE", 1), ("true", 0)]
)
def test_true_false(key: str, answer: int) -> None:
    question = only(f"The sun is a star. {{{key}}}")
    assert question == {
        "kind": "single",
        "prompt": "The sun is a star.",
        "points": 1,
        "options": ["True", "False"],
        "answer": answer,
    }


def test_true_false_speaks_the_language_of_the_question() -> None:
    assert only("Москва — столица России. {T}")["options"] == ["Верно", "Неверно"]


def test_short_answer_accepts_full_credit_answers_and_reports_partial_ones() -> None:
    report = read(
        "::Jesus' hometown:: Jesus Christ was from {\n"
        "   =Nazareth#Yes! That's right!\n"
        "   =%100%Nazaret\n"
        "   =%75%Nazereth#Right, but misspelled.\n"
        "   =%25%Bethlehem#He was born here, but not raised here.\n}"
    )
    (question,) = report.lesson["blocks"][0]["questions"]
    assert question["kind"] == "text" and question["answer"] == ["Nazareth", "Nazaret"]
    assert score_question(question, "nazareth") == 1
    assert reasons(report) == [
        ("line 1", "partial-credit answers were not imported: 'Nazereth' (75%), 'Bethlehem' (25%)"),
        ("line 1", "feedback was not imported (our questions have no feedback)"),
    ]


def test_matching_with_a_distractor() -> None:
    question = only(
        "Which animal eats which food? {\n =cat -> cat food\n =dog -> dog food\n"
        " =bird -> seeds\n = -> fish\n}"
    )
    assert question["kind"] == "match"
    assert question["options"] == {
        "left": ["cat", "dog", "bird"],
        "right": ["cat food", "dog food", "seeds", "fish"],
    }
    assert question["answer"] == [[0, 0], [1, 1], [2, 2]]


def test_numeric_tolerance_range_and_several_answers() -> None:
    tolerance, range_, several, plain = questions(
        "What is pi? {#3.14:0.01}\n\n"
        "A number from 1 to 5? {#1..5}\n\n"
        "When was Ulysses S. Grant born? {#\n"
        "    =1822:0      # Correct! Full credit.\n"
        "    =%50%1822:2  # He was born in 1822. Half credit for being close.\n}\n\n"
        "How many legs has a spider? {#8}"
    )
    assert tolerance["answer"] == {"value": 3.14, "tolerance": 0.01}
    assert range_["answer"] == {"value": 3, "tolerance": 2}
    assert [score_question(range_, n) for n in (1, 5, 5.5)] == [1, 1, 0]
    assert several["answer"] == {"value": 1822, "tolerance": 0}
    assert plain["kind"] == "number" and plain["answer"] == {"value": 8, "tolerance": 0}


def test_feedback_is_reported_not_silently_dropped() -> None:
    report = read(
        "What's between orange and green? {\n"
        "  =yellow # right; good!\n  ~red # wrong\n  ####The spectrum: ROYGBIV.\n}\n\n"
        "Grass is green. {TRUE#Not quite#Yes}\n\n"
        "How are you? {=fine ####general feedback only}\n\n"
        "No feedback here {=a ~b}"
    )
    assert len(report.lesson["blocks"][0]["questions"]) == 4
    note = "feedback was not imported (our questions have no feedback)"
    assert reasons(report) == [("line 1", note), ("line 7", note), ("line 9", note)]


def test_missing_word() -> None:
    middle, start = questions(
        "Moodle costs {~lots of money =nothing ~a small amount} to download.\n\n"
        "{=Two =2} plus two equals four."
    )
    assert middle["prompt"] == "Moodle costs ____ to download."
    assert middle["kind"] == "single" and middle["answer"] == 1
    assert start["prompt"] == "____ plus two equals four." and start["kind"] == "text"


def test_essay_is_skipped_and_description_becomes_a_text_block() -> None:
    report = read(
        "::Rules::In this quiz you may use a calculator.\n\n"
        "::Essay:: How are you? {}\n\n"
        "::Essay 2:: Tell us more. {####We hope you're well.}\n\n"
        "2+2 {=4 ~5}"
    )
    text, quiz = report.lesson["blocks"]
    assert text["kind"] == "text" and text["text"] == "In this quiz you may use a calculator."
    assert quiz["kind"] == "quiz" and len(quiz["questions"]) == 1
    essay = "an essay question has no answer key to score"
    assert reasons(report) == [("line 3", essay), ("line 5", essay)]


def test_categories_start_quiz_blocks_under_a_heading() -> None:
    report = read(
        "$CATEGORY: $course$/top/Default for Algebra\n"
        "1+1 {=2 ~3}\n\n"
        "2+2 {=4 ~5}\n\n"
        "$CATEGORY: $course$/top/Default for Algebra/Week 2\n\n"
        "$CATEGORY: $course$/top/Default for Algebra/Week 3\n\n"
        "3+3 {=6 ~7}\n"
    )
    kinds = [(b["kind"], b.get("text") or len(b["questions"])) for b in report.lesson["blocks"]]
    assert kinds == [
        ("text", "## Default for Algebra"),
        ("quiz", 2),
        ("text", "## Default for Algebra / Week 3"),  # an empty category leaves no heading
        ("quiz", 1),
    ]


def test_a_malformed_question_in_the_middle_is_skipped_with_its_line() -> None:
    report = read(
        "// bank\n1+1 {=2 ~3}\n\n"
        "Broken {=a ~b\n\n"
        "Two sets {=a ~b} and {=c ~d}\n\n"
        "Bad range {#5..1}\n\n"
        "Not marked {a b}\n\n"
        "::Untitled\n\n"
        "One option {=only}{\n\n"
        "Single option {=a}\n\n"
        "Weightless {~a ~b}\n\n"
        "2+2 {=4 ~5}\n"
    )
    assert [q["prompt"] for q in report.lesson["blocks"][0]["questions"]] == [
        "1+1",
        "Single option",
        "2+2",
    ]
    assert reasons(report) == [
        ("line 4", "a } comes before any {: escape a literal brace as \\}"),
        ("line 6", "more than one {…} answer set: escape literal braces as \\{ and \\}"),
        ("line 8", "the range '5..1' runs backwards"),
        ("line 10", "answers must start with = or ~, not 'a b'"),
        ("line 12", "the title has no closing ::"),
        ("line 14", "more than one {…} answer set: escape literal braces as \\{ and \\}"),
        ("line 18", "no answer has a positive weight"),
    ]


def test_a_question_our_lessons_cannot_hold_is_skipped_with_the_reason() -> None:
    report = read("Eleven options {=1 ~2 ~3 ~4 ~5 ~6 ~7 ~8 ~9 ~10 ~11}\n\nok {=a ~b}")
    ((item, reason),) = reasons(report)
    assert item == "line 1" and reason.startswith("options: List should have at most 10")


def test_a_long_bank_fills_quiz_blocks_of_fifty() -> None:
    report = read("\n\n".join(f"{n}+1 {{#{n + 1}}}" for n in range(60)))
    assert [len(b["questions"]) for b in report.lesson["blocks"]] == [50, 10]


def test_no_question_and_too_large_are_refused() -> None:
    with pytest.raises(ExchangeError) as empty:
        read_gift("// only a comment\n\nHow are you? {}\n")
    assert (empty.value.code, empty.value.status) == ("no_questions", 422)
    with pytest.raises(ExchangeError) as large:
        read_gift("x" * (MAX_GIFT_CHARS + 1))
    assert (large.value.code, large.value.status) == ("too_large", 413)


def test_hostile_html_is_skipped_not_crashing() -> None:
    report = read(
        "[html]" + "<div>" * 200 + "deep {=a ~b}\n\n[html]<![ x ]> odd {=a ~b}\n\nfine {=a ~b}"
    )
    assert reasons(report) == [
        ("line 1", "the HTML nests deeper than 64 levels"),
        ("line 3", "the HTML could not be read"),
    ]


GIFT_PIECES = st.sampled_from(
    [
        "{",
        "}",
        "=",
        "~",
        "#",
        "####",
        ":",
        "::",
        "->",
        "%50%",
        "%-100%",
        "..",
        "\\",
        "\\n",
        "\n",
        "\n\n",
        "//",
        " ",
        "T",
        "FALSE",
        "[html]",
        "[plain]",
        "<b>",
        "</p>",
        "<![ x ]>",
        "$CATEGORY: a/b",
        "3.5",
        "1e999",
        "a",
        "й",
        "\ue001",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(GIFT_PIECES, st.text(max_size=5)), max_size=40))
def test_any_text_gives_a_report_or_an_exchange_error(pieces: list[str]) -> None:
    try:
        report = read_gift("".join(pieces))
    except ExchangeError:
        return
    assert validate_lesson(report.lesson) == report.lesson
