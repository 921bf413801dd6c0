import math

import pytest

from lessons.scoring import (
    normalize_text_answer,
    parse_number_answer,
    question_max_points,
    score_question,
    score_quiz,
)

SINGLE = {"kind": "single", "prompt": "2+2?", "options": ["3", "5", "4"], "answer": 2, "points": 2}
MULTIPLE = {
    "kind": "multiple",
    "prompt": "Primes?",
    "options": ["2", "4", "5", "9"],
    "answer": [0, 2],
    "points": 4,
}
TEXT = {
    "kind": "text",
    "prompt": "Capital of Russia?",
    "options": [],
    "answer": ["Moscow", "Москва"],
}
NUMBER = {
    "kind": "number",
    "prompt": "3/4 as a decimal?",
    "options": [],
    "answer": {"value": 0.75, "tolerance": 0.01},
}
ORDER = {
    "kind": "order",
    "prompt": "Order the steps",
    "options": ["a", "b", "c", "d", "e"],
    "answer": [2, 0, 1, 4, 3],
    "points": 4,
}
MATCH = {
    "kind": "match",
    "prompt": "Match",
    "options": {"left": ["cat", "dog", "cow"], "right": ["moo", "meow", "woof"]},
    "answer": [[0, 1], [1, 2], [2, 0]],
    "points": 3,
}


def test_max_points_defaults_to_one() -> None:
    assert question_max_points(TEXT) == 1.0
    assert question_max_points(SINGLE) == 2.0
    assert question_max_points({"kind": "single", "points": -5}) == 1.0


@pytest.mark.parametrize(("answer", "earned"), [(2, 2.0), (0, 0.0), (7, 0.0), (-1, 0.0)])
def test_single(answer: int, earned: float) -> None:
    assert score_question(SINGLE, answer) == earned


@pytest.mark.parametrize(
    ("answer", "earned"),
    [
        ([0, 2], 4.0),
        ([2, 0], 4.0),
        ([0], 2.0),  # half the key, no wrong pick
        ([0, 2, 1], 2.0),  # (2 right - 1 wrong) / 2
        ([0, 1], 0.0),  # (1 - 1) / 2
        ([1, 3], 0.0),  # clamped at zero, not negative
        ([0, 1, 2, 3], 0.0),  # ticking everything earns nothing
        ([], 0.0),
    ],
)
def test_multiple_partial_credit(answer: list[int], earned: float) -> None:
    assert score_question(MULTIPLE, answer) == pytest.approx(earned)


@pytest.mark.parametrize(
    "answer",
    [
        "москва",
        "МОСКВА",
        "  moscow ",
        "MOSCOW",
        "Ｍｏｓｃｏｗ",  # fullwidth letters fold under NFKC
        "Москва\u00a0",
    ],
)
def test_text_accepts_normalised_variants(answer: str) -> None:
    assert score_question(TEXT, answer) == 1.0


@pytest.mark.parametrize("answer", ["Moskva", "", "   ", "Moscow city", "Mosc ow"])
def test_text_refuses_other_answers(answer: str) -> None:
    assert score_question(TEXT, answer) == 0.0


def test_text_collapses_inner_whitespace_and_treats_yo_as_ye() -> None:
    question = {**TEXT, "answer": ["Пётр Первый"]}
    assert score_question(question, "петр   первый") == 1.0
    assert score_question(question, "ПЁТР\tПЕРВЫЙ") == 1.0
    assert normalize_text_answer("  Ёлка \n  зелёная ") == "елка зеленая"


def test_text_refuses_oversized_answer() -> None:
    question = {**TEXT, "answer": ["a" * 2000]}
    assert score_question(question, "a" * 2000) == 0.0


@pytest.mark.parametrize(
    ("answer", "earned"),
    [
        (0.75, 1.0),
        (0.76, 1.0),  # exactly at the tolerance, despite float error (0.76-0.75 > 0.01)
        (0.74, 1.0),
        (0.7601, 0.0),  # just beyond
        (0.7399, 0.0),
        ("0,75", 1.0),
        ("0.75", 1.0),
        (" 0,76 ", 1.0),
        ("7.5e-1", 1.0),
        (1, 0.0),
        ("0,75,1", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
        (math.nan, 0.0),
        (math.inf, 0.0),
        ("3/4", 0.0),
        ("0_75", 0.0),
    ],
)
def test_number_tolerance(answer: object, earned: float) -> None:
    assert score_question(NUMBER, answer) == earned


def test_number_with_zero_tolerance_needs_exact_value() -> None:
    question = {**NUMBER, "answer": {"value": 0.3, "tolerance": 0}}
    assert score_question(question, 0.1 + 0.2) == 1.0
    assert score_question(question, 0.3001) == 0.0


def test_number_accepts_integer_and_negative_values() -> None:
    question = {**NUMBER, "answer": {"value": -12, "tolerance": 0}}
    assert score_question(question, -12) == 1.0
    assert score_question(question, "−12") == 1.0  # typographic minus sign
    assert score_question(question, 12) == 0.0


def test_parse_number_answer() -> None:
    assert parse_number_answer("1,5") == 1.5
    assert parse_number_answer(True) is None
    assert parse_number_answer("1" * 100) is None


@pytest.mark.parametrize(
    ("answer", "earned"),
    [
        ([2, 0, 1, 4, 3], 4.0),
        ([0, 1, 4, 3, 2], 3.0),  # the first step moved to the end: one move, 1 - 1/4
        ([2, 0, 1, 3, 4], 3.0),  # the last two swapped: one move
        ([3, 4, 1, 0, 2], 0.0),  # reversed
        ([2, 0, 1, 4], 0.0),  # not a permutation of the key
        ([2, 0, 1, 4, 4], 0.0),
        ([2, 0, 1, 4, 9], 0.0),
    ],
)
def test_order_partial_credit(answer: list[int], earned: float) -> None:
    assert score_question(ORDER, answer) == pytest.approx(earned)


@pytest.mark.parametrize(
    ("answer", "earned"),
    [
        ([[0, 1], [1, 2], [2, 0]], 3.0),
        ([[2, 0], [0, 1], [1, 2]], 3.0),  # order of pairs does not matter
        ([[0, 1], [1, 0], [2, 2]], 1.0),
        ([[0, 1]], 1.0),  # unanswered left items earn nothing
        ([[0, 1], [0, 0], [0, 2], [1, 2]], 1.0),  # left 0 answered thrice: wrong
        ([(0, 1), (1, 2), (2, 0)], 3.0),
        ([], 0.0),
    ],
)
def test_match_partial_credit(answer: list, earned: float) -> None:
    assert score_question(MATCH, answer) == pytest.approx(earned)


ALL_QUESTIONS = [SINGLE, MULTIPLE, TEXT, NUMBER, ORDER, MATCH]
HOSTILE_ANSWERS = [
    None,
    True,
    False,
    "2",
    2.0,
    -1,
    10**100,
    [],
    [None],
    [True, False],
    ["0", "2"],
    [[0]],
    [[0, 1, 2]],
    [[0, "1"]],
    [[True, 1]],
    {"value": 0.75},
    {"0": 1},
    [0, 2, 0],
    [-1, 0],
    [[-1, 1], [0, 1]],
    object(),
    b"bytes",
    "x" * 100_000,
    [[[0]]],
]


def _answer_id(answer: object) -> str:
    """A test id the same in every process (a bare object's repr holds its address)."""
    return "object()" if type(answer) is object else repr(answer)


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q["kind"])
@pytest.mark.parametrize("answer", HOSTILE_ANSWERS, ids=_answer_id)
def test_hostile_answers_never_raise_and_never_exceed_max(question: dict, answer: object) -> None:
    earned = score_question(question, answer)
    assert 0.0 <= earned <= question_max_points(question)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (SINGLE, True),  # bool is an int subclass; True must not mean option 1
        (SINGLE, "2"),
        (SINGLE, 2.0),
        (MULTIPLE, [0, 2, 0]),  # duplicates
        (MULTIPLE, [0, 2, 9]),  # out of range
        (MULTIPLE, [True]),
        (TEXT, ["Moscow"]),
        (NUMBER, True),
        (NUMBER, {"value": 0.75}),
        (ORDER, [2.0, 0, 1, 4, 3]),
        (MATCH, [[0, 1], [1, 2], [2]]),
        (MATCH, [[0, 1], [1, 2], [2, "0"]]),
        (MATCH, {"0": 1}),
    ],
)
def test_malformed_answers_score_zero(question: dict, answer: object) -> None:
    assert score_question(question, answer) == 0.0


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q["kind"])
def test_skipped_scores_zero(question: dict) -> None:
    assert score_question(question, None) == 0.0


def test_broken_key_or_unknown_kind_scores_zero_without_raising() -> None:
    assert score_question({"kind": "essay", "answer": "x"}, "x") == 0.0
    assert score_question({"kind": "multiple", "options": ["a"], "answer": []}, [0]) == 0.0
    assert score_question({"kind": "number", "answer": "0.75"}, 0.75) == 0.0
    assert score_question({"kind": ["single"]}, 1) == 0.0


def test_score_quiz_sums_and_treats_missing_answers_as_skipped() -> None:
    earned, maximum = score_quiz([SINGLE, MULTIPLE, TEXT], [2, [0], None])
    assert (earned, maximum) == (4.0, 7.0)
    assert score_quiz([SINGLE, TEXT], [2]) == (2.0, 3.0)
    assert score_quiz([SINGLE], [2, "extra", "ignored"]) == (2.0, 2.0)
    assert score_quiz([SINGLE, TEXT], "not a list") == (0.0, 3.0)  # type: ignore[arg-type]
    assert score_quiz([], []) == (0.0, 0.0)
