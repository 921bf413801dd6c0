import copy
from typing import Any

import pytest
from pydantic import ValidationError

from lessons.blocks import (
    MAX_BLOCKS,
    MAX_TEXT_CHARS,
    block_assets,
    block_search_text,
    blocks_for_display,
    blocks_to_json,
    new_block_id,
    parse_blocks,
    strip_answer_keys,
)
from lessons.scoring import score_question

PICTURE = "a" * 64
CLIP = "b" * 64
HANDOUT = "c" * 64
BOARD = "d" * 64
INLINE = "e" * 64


def single(**changes: Any) -> dict:
    return {"kind": "single", "prompt": "2+2?", "options": ["3", "4"], "answer": 1, **changes}


def quiz(*questions: dict) -> dict:
    return {"kind": "quiz", "questions": list(questions)}


EVERY_QUESTION = [
    single(points=2),
    {"kind": "multiple", "prompt": "Primes", "options": ["2", "4", "5"], "answer": [0, 2]},
    {"kind": "text", "prompt": "Capital", "answer": ["Moscow", "Москва"]},
    {"kind": "number", "prompt": "3/4", "answer": {"value": 0.75, "tolerance": 0.01}},
    {"kind": "order", "prompt": "Sort", "options": ["b", "a", "c"], "answer": [1, 0, 2]},
    {
        "kind": "match",
        "prompt": "Pairs",
        "options": {"left": ["cat", "dog"], "right": ["woof", "meow"]},
        "answer": [[0, 1], [1, 0]],
        "points": 0.5,
    },
]
EVERY_BLOCK = [
    {"kind": "text", "text": f"# Fractions\n\nSee ![plan](/assets/{INLINE}) and $x^2$."},
    {"kind": "image", "asset": PICTURE, "alt": "A pie cut in four"},
    {"kind": "video", "asset": CLIP},
    {"kind": "file", "asset": HANDOUT},
    quiz(*EVERY_QUESTION),
    {"kind": "poll", "prompt": "Did you like it?", "options": ["Yes", "No"]},
    {"kind": "whiteboard", "background": BOARD},
    {"kind": "whiteboard"},
]


def error_messages(raw: list) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_blocks(raw)
    return " | ".join(
        f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in caught.value.errors()
    )


def test_every_kind_parses_and_round_trips() -> None:
    blocks = parse_blocks(EVERY_BLOCK)
    stored = blocks_to_json(blocks)
    assert [block["kind"] for block in stored] == [block["kind"] for block in EVERY_BLOCK]
    assert stored[4]["questions"][5]["answer"] == [[0, 1], [1, 0]]
    assert stored[4]["questions"][2]["points"] == 1  # the default
    assert stored[7]["background"] is None
    assert blocks_to_json(parse_blocks(stored)) == stored


def test_missing_ids_are_generated_and_given_ids_kept() -> None:
    stored = blocks_to_json(parse_blocks([{"kind": "text", "text": "a"}, {**EVERY_BLOCK[1]}]))
    assert stored[0]["id"] != stored[1]["id"]
    assert all(block["id"] for block in stored)
    kept = blocks_to_json(parse_blocks([{"id": "intro-1", "kind": "text", "text": "a"}]))
    assert kept[0]["id"] == "intro-1"
    fresh = blocks_to_json(parse_blocks([{"id": None, "kind": "text", "text": "a"}]))
    assert fresh[0]["id"]
    assert new_block_id() != new_block_id()


def test_html_sent_back_by_a_client_is_accepted_and_dropped() -> None:
    stored = blocks_to_json(parse_blocks([{"kind": "text", "text": "hi", "html": "<script>"}]))
    assert "html" not in stored[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([{"kind": "slideshow"}], "does not match any of the expected tags"),
        ([{"text": "no kind"}], "discriminator 'kind'"),
        ([{"kind": "text", "text": "a", "colour": "red"}], "Extra inputs are not permitted"),
        ([{"kind": "text"}], "text: Field required"),
        ([{"kind": "text", "text": "x" * (MAX_TEXT_CHARS + 1)}], "at most 50000 characters"),
        ([{"kind": "text", "text": "a", "id": "has space"}], "id: String should match pattern"),
        ([{"kind": "text", "text": "a", "id": ""}], "id: String should have at least 1"),
        ([{"kind": "image", "asset": "../etc/passwd", "alt": ""}], "asset: String should match"),
        ([{"kind": "image", "asset": PICTURE.upper()}], "asset: String should match"),
        ([{"kind": "video"}], "asset: Field required"),
        ([{"kind": "whiteboard", "background": "x.png"}], "background: String should match"),
        ([{"kind": "poll", "prompt": "?", "options": ["only one"]}], "at least 2 items"),
        ([{"kind": "poll", "prompt": "?", "options": ["x"] * 11}], "at most 10 items"),
        ([{"kind": "poll", "prompt": "  ", "options": ["a", "b"]}], "prompt: Value error, must"),
        ([{"kind": "poll", "prompt": "?", "options": ["a", " "]}], "options.1: Value error"),
        ([quiz()], "questions: List should have at least 1 item"),
        ([quiz(*[single()] * 51)], "questions: List should have at most 50 items"),
        ([quiz(single(kind="essay"))], "does not match any of the expected tags"),
        ([quiz(single(answer=2))], "answer 2 is not an option index (0..1)"),
        ([quiz(single(answer=-1))], "answer: Input should be greater than or equal to 0"),
        ([quiz(single(answer="1"))], "answer: Input should be a valid integer"),
        ([quiz(single(answer=True))], "answer: Input should be a valid integer"),
        ([quiz(single(options=["only"]))], "options: List should have at least 2 items"),
        ([quiz(single(points=0))], "points must be more than 0 and at most 100"),
        ([quiz(single(points=101))], "points must be more than 0 and at most 100"),
        ([quiz(single(points=True))], "points: Value error, must be a number"),
        ([quiz(single(points=float("inf")))], "must be a finite number"),
        ([quiz(single(prompt=""))], "prompt: Value error, must not be blank"),
        ([quiz(single(hint="x"))], "hint: Extra inputs are not permitted"),
        ([quiz(single(kind="multiple", answer=[]))], "answer: List should have at least 1"),
        ([quiz(single(kind="multiple", answer=[1, 1]))], "must not list an option twice"),
        ([quiz(single(kind="multiple", answer=[0, 5]))], "answer 5 is not an option index"),
        ([quiz({"kind": "text", "prompt": "?", "answer": []})], "at least 1 item"),
        ([quiz({"kind": "text", "prompt": "?", "answer": [" "]})], "must not be blank"),
        (
            [quiz({"kind": "text", "prompt": "?", "options": ["a"], "answer": ["a"]})],
            "options: List should have at most 0 items",
        ),
        ([quiz({"kind": "number", "prompt": "?", "answer": 3})], "valid dictionary"),
        (
            [quiz({"kind": "number", "prompt": "?", "answer": {"value": 3, "tolerance": -1}})],
            "tolerance must not be negative",
        ),
        (
            [quiz({"kind": "number", "prompt": "?", "answer": {"value": "3"}})],
            "value: Value error, must be a number",
        ),
        (
            [quiz({"kind": "number", "prompt": "?", "answer": {"value": 1, "tol": 1}})],
            "tol: Extra inputs are not permitted",
        ),
        ([quiz(single(kind="order", answer=[0, 0]))], "every option index 0..1 exactly once"),
        ([quiz(single(kind="order", answer=[1]))], "every option index 0..1 exactly once"),
        ([quiz(single(kind="order", answer=[0, 1, 2]))], "every option index 0..1 exactly once"),
        ([quiz(single(kind="match", answer=[[0, 0], [1, 1]]))], "valid dictionary"),
        (
            [quiz(single(kind="match", options={"left": ["a", "b"]}, answer=[[0, 0], [1, 1]]))],
            "right: Field required",
        ),
        (
            [
                quiz(
                    single(
                        kind="match",
                        options={"left": ["a", "b"], "right": ["x", "y"]},
                        answer=[[0, 0], [0, 1]],
                    )
                )
            ],
            "pair every left item exactly once",
        ),
        (
            [
                quiz(
                    single(
                        kind="match",
                        options={"left": ["a", "b"], "right": ["x", "y"]},
                        answer=[[0, 0], [1, 2]],
                    )
                )
            ],
            "answer right item 2 is not an option index (0..1)",
        ),
        (
            [
                quiz(
                    single(
                        kind="match",
                        options={"left": ["a", "b"], "right": ["x", "y"]},
                        answer=[[0, 0, 0], [1, 1]],
                    )
                )
            ],
            "Tuple should have at most 2 items",
        ),
        (
            [{"id": "x", "kind": "text", "text": "a"}, {"id": "x", "kind": "text", "text": "b"}],
            "block id 'x' is used twice",
        ),
        ([{"kind": "text", "text": "a"}] * (MAX_BLOCKS + 1), "at most 200 items"),
        ("not a list", "Input should be a valid list"),
    ],
)
def test_invalid_blocks_are_refused_with_a_clear_message(raw: list, expected: str) -> None:
    assert expected in error_messages(raw)


def test_errors_are_located() -> None:
    messages = error_messages([{"kind": "text", "text": "a"}, quiz(single(), single(answer=9))])
    assert messages.startswith("1.quiz.questions.1.single")


def test_strip_answer_keys_removes_every_key_and_leaves_the_input_alone() -> None:
    stored = blocks_to_json(parse_blocks(EVERY_BLOCK))
    before = copy.deepcopy(stored)
    stripped = strip_answer_keys(stored)
    assert stored == before
    questions = stripped[4]["questions"]
    assert len(questions) == len(EVERY_QUESTION)
    assert all("answer" not in question for question in questions)
    assert questions[0]["options"] == ["3", "4"]
    assert stripped[5] == stored[5]  # a poll has no key to remove


def test_blocks_for_display_adds_html_and_hides_keys_from_pupils() -> None:
    stored = blocks_to_json(parse_blocks(EVERY_BLOCK))
    pupil = blocks_for_display(stored, with_answers=False)
    teacher = blocks_for_display(stored, with_answers=True)
    assert pupil[0]["html"].startswith("<h1>Fractions</h1>")
    assert '<span class="math-inline">x^2</span>' in pupil[0]["html"]
    assert "answer" not in pupil[4]["questions"][0]
    assert teacher[4]["questions"][0]["answer"] == 1
    assert "html" not in stored[0]


def test_block_assets_finds_every_reference() -> None:
    stored = blocks_to_json(parse_blocks(EVERY_BLOCK))
    assert block_assets(stored) == {PICTURE, CLIP, HANDOUT, BOARD, INLINE}
    assert block_assets([{"kind": "text", "text": "no pictures"}]) == set()
    assert block_assets([{"kind": "text", "text": f"/assets/{INLINE}0"}]) == set()


def test_block_search_text_has_words_and_prompts_but_no_markup_or_keys() -> None:
    text = block_search_text(parse_blocks(EVERY_BLOCK))
    assert "Fractions" in text
    assert "#" not in text
    assert "Did you like it?" in text
    assert "Capital" in text
    assert "Москва" not in text  # answer keys are not searchable
    assert block_search_text(blocks_to_json(parse_blocks(EVERY_BLOCK))) == text


def test_parsed_questions_score_with_lessons_scoring() -> None:
    questions = blocks_to_json(parse_blocks([quiz(*EVERY_QUESTION)]))[0]["questions"]
    answers = [1, [0, 2], "москва", "0,75", [1, 0, 2], [[0, 1], [1, 0]]]
    earned = [
        score_question(question, answer)
        for question, answer in zip(questions, answers, strict=True)
    ]
    assert earned == [2.0, 1.0, 1.0, 1.0, 1.0, 0.5]
