"""The timed parts of a lesson's report: how long each slide was shown and who was here when.

Pure, like :mod:`live.report`: the log is folded with the room's own reducer
(:func:`live.room.step`), so a slide counts from the moment the room moved to it and a person
is here exactly while the room has a connection of theirs. Times come from the events' ``at``
(unix seconds); the answers count seconds from the lesson's start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from live.handlers.base import is_number
from live.room import ActorId, RoomState, step

_DIGITS = 1


@dataclass
class LessonTimes:
    """When the lesson started and ended, the slides shown in turn (``(slide, from, to)``) and
    each person's stays (``actor id → [(from, to)]``), all unix seconds."""

    start: float | None = None
    end: float | None = None
    visits: list[tuple[int, float, float]] = field(default_factory=list)
    stays: dict[ActorId, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        """The lesson's length in seconds (so far, while it runs)."""
        if self.start is None or self.end is None:
            return None
        return max(0.0, self.end - self.start)


def _at(event: Mapping[str, Any]) -> float | None:
    at = event.get("at")
    return float(at) if is_number(at) and math.isfinite(at) else None


def lesson_times(
    initial: RoomState,
    events: Iterable[Mapping[str, Any]],
    *,
    origin: float | None = None,
    now: float | None = None,
) -> LessonTimes:
    """Fold the log from ``initial`` and note when the slide changed and who came and went.

    ``origin``: when the lesson started (else the first event's time); the lesson ends at its
    ``lesson.end`` event, else at ``now`` (a lesson still running), else at the last event.
    Times never go back, even where two processes' clocks disagree.
    """
    times = LessonTimes(start=origin)
    state = initial
    clock = origin
    slide, slide_from = initial.slide, origin
    here: dict[ActorId, float] = {}
    for event in events:
        moment = _at(event)
        if moment is not None:
            clock = moment if clock is None else max(clock, moment)
            if times.start is None:
                times.start = slide_from = clock
        state, changed = step(state, event)
        if not changed or clock is None:
            continue
        if state.slide != slide and not times.end:
            times.visits.append((slide, slide_from or clock, clock))
            slide, slide_from = state.slide, clock
        for actor_id in state.present:
            here.setdefault(actor_id, clock)
        for actor_id in [actor_id for actor_id in here if actor_id not in state.present]:
            times.stays.setdefault(actor_id, []).append((here.pop(actor_id), clock))
        if state.ended and times.end is None:
            times.end = clock
    if times.end is None:
        times.end = max(clock, now) if clock is not None and now is not None else (clock or now)
    end = times.end
    if end is not None and slide_from is not None:
        times.visits.append((slide, slide_from, max(end, slide_from)))
    for actor_id, since in here.items():
        times.stays.setdefault(actor_id, []).append((since, max(end or since, since)))
    return times


def _seconds(value: float) -> float:
    return round(max(value, 0.0), _DIGITS)


def slide_timeline(times: LessonTimes, state: RoomState) -> dict[str, Any]:
    """``slides``: per slide of the lesson, its seconds on show and how often it was shown;
    ``slide_visits``: the slides in the order shown, each from (seconds after the start) and for
    how long."""
    totals: dict[int, list[float]] = {}
    visits: list[dict[str, Any]] = []
    start = times.start or 0.0
    for index, begin, finish in times.visits:
        if finish - begin <= 0 and visits:
            continue  # a slide passed over within the same moment
        totals.setdefault(index, []).append(finish - begin)
        visits.append(
            {"index": index, "from": _seconds(begin - start), "seconds": _seconds(finish - begin)}
        )
    slides = []
    for index, block in enumerate(state.blocks):
        spent = totals.get(index, [])
        slides.append(
            {
                "index": index,
                "block_id": str(block.get("id")),
                "kind": block.get("kind"),
                "title": block_title(block),
                "seconds": _seconds(sum(spent)),
                "visits": len(spent),
            }
        )
    return {"slides": slides, "slide_visits": visits}


def stay_of(times: LessonTimes, actor_id: ActorId) -> dict[str, Any]:
    """When someone joined and left (seconds after the start; ``left`` is ``None`` for who was
    still here at the end) and how long they were here in all."""
    stays = times.stays.get(actor_id, [])
    if not stays:
        return {"joined_at": None, "left_at": None, "seconds": 0.0}
    start = times.start or stays[0][0]
    end = times.end if times.end is not None else stays[-1][1]
    last_left = stays[-1][1]
    return {
        "joined_at": _seconds(stays[0][0] - start),
        # Still here when the lesson ended (the connections close just after the end).
        "left_at": None if last_left >= end else _seconds(last_left - start),
        "seconds": _seconds(sum(min(finish, end) - min(begin, end) for begin, finish in stays)),
    }


def block_title(block: Mapping[str, Any]) -> str:
    """A short readable title of a lesson block: its title, a poll's prompt, a quiz's first
    question, a picture's description, the first line of a text; else empty."""
    for key in ("title", "prompt", "alt"):
        value = block.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:120]
    if block.get("kind") == "quiz":
        questions = block.get("questions")
        if isinstance(questions, list) and questions and isinstance(questions[0], dict):
            prompt = questions[0].get("prompt")
            if isinstance(prompt, str) and prompt.strip():
                return prompt.strip()[:120]
    text = block.get("text")
    if isinstance(text, str):
        for line in text.splitlines():
            line = line.strip().lstrip("#").strip()
            if line:
                return line[:120]
    return ""
