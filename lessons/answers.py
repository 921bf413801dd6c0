"""The shape of a pupil's answer to each question kind (CONTRACT.md, Lessons).

:mod:`lessons.scoring` never raises and scores a malformed answer 0; this module says *why*
an answer does not fit its question, so that work saved for later (homework) is refused
with a clear message instead of being silently worth nothing. ``None`` is always a fit: the
question is skipped.
"""

from __future__ import annotations

from typing import Any

from lessons.scoring import MAX_TEXT_ANSWER_CHARS, parse_number_answer


def _is_index(value: Any, count: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count


def _options(question: dict[str, Any]) -> list[Any]:
    options = question.get("options")
    return options if isinstance(options, list) else []


def _single(question: dict[str, Any], answer: Any) -> str | None:
    count = len(_options(question))
    if not _is_index(answer, count):
        return f"give the index of one option, 0 to {count - 1}"
    return None


def _multiple(question: dict[str, Any], answer: Any) -> str | None:
    count = len(_options(question))
    if not isinstance(answer, list) or not all(_is_index(pick, count) for pick in answer):
        return f"give a list of option indices, each 0 to {count - 1}"
    if len(set(answer)) != len(answer):
        return "give each option at most once"
    return None


def _text(question: dict[str, Any], answer: Any) -> str | None:
    if not isinstance(answer, str):
        return "give the answer as text"
    if len(answer) > MAX_TEXT_ANSWER_CHARS:
        return f"give at most {MAX_TEXT_ANSWER_CHARS} characters"
    return None


def _number(question: dict[str, Any], answer: Any) -> str | None:
    if parse_number_answer(answer) is None:
        return "give a number"
    return None


def _order(question: dict[str, Any], answer: Any) -> str | None:
    count = len(_options(question))
    if (
        not isinstance(answer, list)
        or not all(_is_index(pick, count) for pick in answer)
        or sorted(answer) != list(range(count))
    ):
        return f"give every option index 0 to {count - 1} once, in your order"
    return None


def _match(question: dict[str, Any], answer: Any) -> str | None:
    options = question.get("options")
    left = options.get("left") if isinstance(options, dict) else None
    right = options.get("right") if isinstance(options, dict) else None
    lefts, rights = len(left or []), len(right or [])
    pairs_ok = isinstance(answer, list) and all(
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and _is_index(pair[0], lefts)
        and _is_index(pair[1], rights)
        for pair in answer
    )
    if not pairs_ok or sorted(pair[0] for pair in answer) != list(range(lefts)):
        return "give one [left, right] pair for every left item"
    return None


_CHECKS = {
    "single": _single,
    "multiple": _multiple,
    "text": _text,
    "number": _number,
    "order": _order,
    "match": _match,
}


def answer_problem(question: dict[str, Any], answer: Any) -> str | None:
    """Why ``answer`` does not fit ``question`` (a short English phrase), or None when it
    does; a skipped question (``None``) always fits."""
    if answer is None:
        return None
    check = _CHECKS.get(str(question.get("kind")))
    if check is None:
        return "this question takes no answer"
    return check(question, answer)
