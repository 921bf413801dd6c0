"""Scoring of quiz answers: pure functions, no database, never raising on a pupil's input.

A question is the dict stored in a quiz block (see CONTRACT.md, Lessons):
``{"kind", "prompt", "options", "answer", "points"}`` where ``answer`` is the key.
A pupil's answer has the shape of the key (``None`` when skipped). Anything that
does not fit the kind earns nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

DEFAULT_POINTS = 1.0
# Longer free-text answers are refused outright, so a hostile client cannot make the
# server normalise megabytes of text per answer.
MAX_TEXT_ANSWER_CHARS = 1000
# Room for binary floating point error when a pupil's number sits exactly at the tolerance.
_RELATIVE_EPSILON = 1e-9
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_MAX_NUMBER_TEXT_CHARS = 64


def question_max_points(question: dict) -> float:
    """Return the points a question is worth (its ``points``, 1 when absent or unusable)."""
    points = question.get("points", DEFAULT_POINTS) if isinstance(question, dict) else None
    if _is_number(points) and math.isfinite(points) and points > 0:
        return float(points)
    return DEFAULT_POINTS


def score_question(question: dict, answer: Any) -> float:
    """Return the points earned by ``answer`` to ``question``, between 0 and its max points.

    A skipped (``None``) or malformed answer earns 0; this function never raises.
    """
    if answer is None or not isinstance(question, dict):
        return 0.0
    kind = question.get("kind")
    scorer = _SCORERS.get(kind) if isinstance(kind, str) else None
    if scorer is None:
        return 0.0
    try:
        credit = scorer(question, answer)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError):
        # Only a broken answer key gets here (keys are validated when a lesson is saved);
        # a quiz in progress must not fail because of it.
        credit = 0.0
    credit = min(1.0, max(0.0, credit))
    return round(credit * question_max_points(question), 6)


def score_quiz(questions: list[dict], answers: list) -> tuple[float, float]:
    """Score a whole quiz: return ``(earned, max)`` points.

    ``answers`` holds one entry per question, in order; missing entries count as skipped,
    extra ones are ignored, and a non-list counts as every question skipped.
    """
    if not isinstance(answers, list | tuple):
        answers = []
    earned = 0.0
    maximum = 0.0
    for index, question in enumerate(questions):
        answer = answers[index] if index < len(answers) else None
        earned += score_question(question, answer)
        maximum += question_max_points(question)
    return round(earned, 6), round(maximum, 6)


def normalize_text_answer(text: str) -> str:
    """Fold a free-text answer for comparison: NFKC, casefold, ё→е, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(folded.split())


def parse_number_answer(answer: Any) -> float | None:
    """Read a pupil's numeric answer: a number, or text like ``"0.75"``, ``"0,75"``, ``"-1e3"``.

    Returns ``None`` for anything else (booleans, NaN, infinities, other text).
    """
    if _is_number(answer):
        value = float(answer)
    elif isinstance(answer, str) and len(answer) <= _MAX_NUMBER_TEXT_CHARS:
        text = answer.strip().replace("\u2212", "-")  # a typographic minus sign
        if not _NUMBER_TEXT.fullmatch(text):
            return None
        value = float(text.replace(",", "."))
    else:
        return None
    return value if math.isfinite(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _option_count(question: dict) -> int:
    options = question.get("options")
    return len(options) if isinstance(options, list) else 0


def _score_single(question: dict, answer: Any) -> float:
    return 1.0 if _is_index(answer) and answer == question["answer"] else 0.0


def _score_multiple(question: dict, answer: Any) -> float:
    if not isinstance(answer, list) or not all(_is_index(pick) for pick in answer):
        return 0.0
    picks = set(answer)
    if len(picks) != len(answer) or any(not 0 <= pick < _option_count(question) for pick in picks):
        return 0.0
    key = set(question["answer"])
    right = len(picks & key)
    wrong = len(picks - key)
    return (right - wrong) / len(key)


def _score_text(question: dict, answer: Any) -> float:
    if not isinstance(answer, str) or len(answer) > MAX_TEXT_ANSWER_CHARS:
        return 0.0
    given = normalize_text_answer(answer)
    if not given:
        return 0.0
    accepted = {normalize_text_answer(text) for text in question["answer"]}
    return 1.0 if given in accepted else 0.0


def _score_number(question: dict, answer: Any) -> float:
    given = parse_number_answer(answer)
    if given is None:
        return 0.0
    value = float(question["answer"]["value"])
    tolerance = float(question["answer"].get("tolerance", 0))
    slack = _RELATIVE_EPSILON * max(1.0, abs(value))
    return 1.0 if abs(given - value) <= tolerance + slack else 0.0


def _score_order(question: dict, answer: Any) -> float:
    """Credit for an ordering: the share of items that need not be moved.

    The fewest items to pick up and reinsert to fix an answer is ``n - L``, where ``L`` is
    the longest run of items already in the right relative order (a longest increasing
    subsequence of their places in the key). Credit is ``1 - moves / (n - 1)``: 1 when right,
    0 when reversed. Unlike "positions right", one item misplaced costs a single move, not
    every position it shifted (moving the first step to the end would otherwise score 0).
    """
    key = list(question["answer"])
    if not isinstance(answer, list) or not all(_is_index(item) for item in answer):
        return 0.0
    if sorted(answer) != sorted(key):
        return 0.0
    if len(key) < 2:
        return 1.0 if answer == key else 0.0
    place_in_key = {item: place for place, item in enumerate(key)}
    kept = _longest_increasing_run([place_in_key[item] for item in answer])
    return (kept - 1) / (len(key) - 1)


def _longest_increasing_run(values: list[int]) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for value in values:
        slot = bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
        else:
            tails[slot] = value
    return len(tails)


def _score_match(question: dict, answer: Any) -> float:
    """Credit for matching: the share of left items paired with their right item.

    A left item answered more than once counts as wrong, so listing every pairing earns nothing.
    """
    if not isinstance(answer, list):
        return 0.0
    given: dict[int, int] = {}
    repeated: set[int] = set()
    for pair in answer:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            return 0.0
        left, right = pair
        if not (_is_index(left) and _is_index(right)):
            return 0.0
        if left in given:
            repeated.add(left)
        given[left] = right
    key = {left: right for left, right in question["answer"]}
    if not key:
        return 0.0
    right_count = sum(
        1 for left, right in key.items() if left not in repeated and given.get(left) == right
    )
    return right_count / len(key)


_SCORERS: dict[str, Callable[[dict, Any], float]] = {
    "single": _score_single,
    "multiple": _score_multiple,
    "text": _score_text,
    "number": _score_number,
    "order": _score_order,
    "match": _score_match,
}
