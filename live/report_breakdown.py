"""The report's view of the class as a whole: per quiz question the share right and the
commonest wrong answers, per poll the votes for each option. Names no one. Pure.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from live.room import PollRun, QuizRun, RoomState, questions_of
from live.visibility import max_points, poll_counts

# How many wrong answers the report lists per question.
COMMON_WRONG = 3
_MAX_TEXT = 120


def _options(question: Mapping[str, Any]) -> list[Any]:
    options = question.get("options")
    return options if isinstance(options, list) else []


def _label(options: list[Any], index: Any) -> str:
    if type(index) is int and 0 <= index < len(options):
        return str(options[index])
    return str(index)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def answer_text(question: Mapping[str, Any], answer: Any) -> str:
    """A pupil's answer to a question as people read it: the option's text rather than its
    number, ``a → b`` for an order, ``left → right`` pairs for a match."""
    kind = question.get("kind")
    options = _options(question)
    if answer is None:
        return "—"
    if kind == "single":
        text = _label(options, answer)
    elif kind == "multiple" and isinstance(answer, list):
        text = ", ".join(_label(options, index) for index in answer) or "—"
    elif kind == "order" and isinstance(answer, list):
        text = " → ".join(_label(options, index) for index in answer)
    elif kind == "match" and isinstance(answer, list):
        sides = question.get("options")
        left = sides.get("left") if isinstance(sides, Mapping) else None
        right = sides.get("right") if isinstance(sides, Mapping) else None
        pairs = []
        for pair in answer:
            if isinstance(pair, list) and len(pair) == 2:
                pairs.append(
                    f"{_label(left if isinstance(left, list) else [], pair[0])} → "
                    f"{_label(right if isinstance(right, list) else [], pair[1])}"
                )
        text = "; ".join(pairs) or "—"
    elif kind == "number" and isinstance(answer, int | float):
        text = _number(answer)
    elif isinstance(answer, str):
        text = " ".join(answer.split())
    else:
        text = json.dumps(answer, ensure_ascii=False)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _same_answer(question: Mapping[str, Any], answer: Any) -> str:
    """What makes two answers the same answer (the order of a multiple choice, the case and
    spacing of a typed text do not matter)."""
    kind = question.get("kind")
    if kind == "multiple" and isinstance(answer, list):
        answer = sorted({index for index in answer if type(index) is int})
    elif isinstance(answer, str):
        answer = " ".join(answer.split()).casefold()
    elif isinstance(answer, float) and math.isfinite(answer) and answer.is_integer():
        answer = int(answer)
    return json.dumps(answer, ensure_ascii=False, sort_keys=True)


def question_breakdown(state: RoomState, run: QuizRun) -> list[dict[str, Any]]:
    """Per question of a quiz run: how many answered, how many got it right (full points) and
    their share of those who answered, and the :data:`COMMON_WRONG` commonest wrong answers
    with how many gave each."""
    questions = questions_of(state.block(run.block_id))
    most = max_points(questions)
    breakdown = []
    for index, question in enumerate(questions):
        answered = right = 0
        wrong: Counter[str] = Counter()
        shown: dict[str, str] = {}
        for pupil, answers in run.answers.items():
            answer = answers[index] if index < len(answers) else None
            if answer is None:
                continue
            answered += 1
            points = run.points.get(pupil, ())
            if most[index] > 0 and index < len(points) and points[index] >= most[index]:
                right += 1
                continue
            key = _same_answer(question, answer)
            wrong[key] += 1
            shown.setdefault(key, answer_text(question, answer))
        # Ties keep the order the answers came in (Counter.most_common is stable).
        commonest = [
            {"answer": shown[key], "count": count} for key, count in wrong.most_common(COMMON_WRONG)
        ]
        prompt = question.get("prompt")
        breakdown.append(
            {
                "index": index,
                "prompt": prompt if isinstance(prompt, str) else "",
                "kind": question.get("kind"),
                "answered": answered,
                "right": right,
                "share_right": round(right / answered, 3) if answered else None,
                "wrong": commonest,
            }
        )
    return breakdown


def _poll_result(state: RoomState, run: PollRun) -> dict[str, Any]:
    block = state.block(run.block_id) or {}
    options = block.get("options")
    labels = options if isinstance(options, list) else []
    counts = poll_counts(run)
    prompt = block.get("prompt")
    return {
        "block_id": run.block_id,
        "prompt": prompt if isinstance(prompt, str) else "",
        "closed": run.closed,
        "total": len(run.votes),
        "options": [
            {"index": index, "label": _label(labels, index), "count": count}
            for index, count in enumerate(counts)
        ],
    }


def poll_results(state: RoomState) -> list[dict[str, Any]]:
    """Per poll run, in the order they were opened: each option with its votes."""
    return [_poll_result(state, run) for run in state.polls.values()]
