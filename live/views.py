"""What each viewer sees of a live room.

``view_for`` projects the whole state for one viewer (the ``state`` of ``welcome``);
``event_for`` and ``projection_key`` (from :mod:`live.projections`) project one logged event.
All pure: the state comes from :mod:`live.room`, nothing here changes it. The room's summary
for the teacher and the journal is :mod:`live.report`.

The rules: the teacher sees everything; a pupil sees the slides without answer keys (until a
quiz is revealed), their own answers and score and the class histogram once a quiz is closed;
an observer sees counts of pupils but no pupil's name, id or answer; the board (the projector)
less still (:mod:`live.board_views`). Pupil-paced mode adds a ``pace`` part
(:mod:`live.pace_views`); ``show``, ``timer`` and ``picker`` are the board's switches and the
classroom widgets.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from live.board_views import (
    picker_view,
    show_view,
    shows_chat,
    shows_results,
    shows_stroke,
    timer_view,
)
from live.pace_views import pace_view
from live.projections import event_for, projection_key
from live.room import (
    Actor,
    ActorId,
    ChatMessage,
    PollRun,
    QuizRun,
    RoomState,
    Stroke,
    questions_of,
)
from live.visibility import (
    ANSWER_KEYS,
    hands_view,
    histogram,
    max_points,
    person_for,
    person_shown,
    poll_counts,
    score_entry,
    strip_answer_keys,
)

__all__ = [
    "ANSWER_KEYS",
    "event_for",
    "max_points",
    "person_for",
    "projection_key",
    "view_for",
]


def _slides_for(state: RoomState, viewer: Actor) -> list[dict[str, Any]]:
    slides = []
    for block in state.blocks:
        run = state.quizzes.get(str(block.get("id")))
        shows_keys = viewer.role == "teacher" or (run is not None and run.revealed)
        slides.append(copy.deepcopy(block) if shows_keys else strip_answer_keys(block))
    return slides


# The slides as each kind of viewer sees them, encoded: every welcome of a room sends them,
# and they change only with the lesson's blocks or a quiz revealed. Keyed by the blocks'
# identity (kept in the entry, so an id is never mistaken for another's), whether answer keys
# are shown and which quizzes are revealed; a few rooms' worth at most.
_SLIDES_KEPT = 256
_slides_encoded: dict[tuple[int, bool, tuple[str, ...]], tuple[object, str]] = {}


def slides_json(state: RoomState, viewer: Actor, encode: Callable[[Any], str]) -> str:
    """``view_for(state, viewer)["slides"]`` encoded with ``encode`` (kept: see above)."""
    revealed = tuple(sorted(key for key, run in state.quizzes.items() if run.revealed))
    key = (id(state.blocks), viewer.role == "teacher", revealed)
    found = _slides_encoded.get(key)
    if found is not None and found[0] is state.blocks:
        return found[1]
    encoded = encode(_slides_for(state, viewer))
    if len(_slides_encoded) >= _SLIDES_KEPT:
        _slides_encoded.clear()
    _slides_encoded[key] = (state.blocks, encoded)
    return encoded


def _quiz_view(state: RoomState, run: QuizRun, viewer: Actor) -> dict[str, Any]:
    teacher = viewer.role == "teacher"
    view: dict[str, Any] = {
        "block_id": run.block_id,
        "closed": run.closed,
        "revealed": run.revealed,
        "timer": (
            {"seconds": run.timer_seconds, "started_at": run.timer_started_at}
            if run.timer_seconds
            else None
        ),
        "answered": len(run.answers),
        "pupils": state.present_count("pupil"),
        "max": sum(max_points(questions_of(state.block(run.block_id)))),
        # Pupils see the class's answers only once nobody can change theirs any more; the
        # board only while the teacher lets it.
        "histogram": (
            histogram(state, run, with_correct=teacher or run.revealed)
            if teacher or (run.closed and shows_results(state, viewer))
            else None
        ),
    }
    if teacher:
        view["answers"] = [
            {"person": person_for(state, pupil, viewer), **score_entry(state, run, pupil)}
            for pupil in run.answers
        ]
    elif viewer.role == "pupil":
        mine = score_entry(state, run, viewer.id) if viewer.id in run.answers else None
        if mine is not None and not run.revealed:
            mine = {"answers": mine["answers"]}
        view["mine"] = mine
    return view


def _poll_view(state: RoomState, run: PollRun, viewer: Actor) -> dict[str, Any]:
    view: dict[str, Any] = {
        "block_id": run.block_id,
        "closed": run.closed,
        "counts": poll_counts(run) if shows_results(state, viewer) else None,
        "total": len(run.votes),
    }
    if viewer.role == "teacher":
        view["votes"] = [
            {"person": person_for(state, voter, viewer), "option": option}
            for voter, option in run.votes.items()
        ]
    elif viewer.role == "pupil":
        view["mine"] = run.votes.get(viewer.id)
    return view


def _stroke_view(state: RoomState, stroke: Stroke, viewer: Actor) -> dict[str, Any]:
    return {
        "seq": stroke.seq,
        "slide": stroke.slide,
        "by": person_for(state, stroke.by, viewer),
        "points": [list(point) for point in stroke.points],
        "color": stroke.color,
        "width": stroke.width,
    }


def _chat_view(state: RoomState, message: ChatMessage, viewer: Actor) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "by": person_for(state, message.by, viewer),
        "text": message.text,
        "at": message.at,
    }


# The newest state's present participants whom every viewer may see named (all but the
# observers: an open lesson has a thousand, counted instead), with their places in
# ``present``: ``[present, people, ((place, id), ...)]``. ``present`` and ``people`` are
# replaced, never changed, whenever someone comes or goes, so one pass serves every welcome
# of a state, and a pass is a tight loop rather than a call per participant.
_NAMED_PRESENT: list[Any] = [None, None, ()]


def _named_present(state: RoomState) -> tuple[tuple[int, ActorId], ...]:
    cached = _NAMED_PRESENT
    if cached[0] is not state.present or cached[1] is not state.people:
        people = state.people
        named = tuple(
            (place, actor_id)
            for place, actor_id in enumerate(state.present)
            if (person := people.get(actor_id)) is None or person.role != "observer"
        )
        cached[:] = [state.present, state.people, named]
    named_now: tuple[tuple[int, ActorId], ...] = cached[2]
    return named_now


def _present_for(state: RoomState, viewer: Actor) -> list[ActorId]:
    """Who of those present ``viewer`` may see as a person, in the order they came: everyone
    for the teacher; for anyone else all but the observers, and themselves."""
    if viewer.role == "teacher":
        return list(state.present)
    named = _named_present(state)
    me = state.people.get(viewer.id)
    if viewer.id in state.present and me is not None and me.role == "observer":
        place = list(state.present).index(viewer.id)
        named = tuple(sorted((*named, (place, viewer.id))))
    return [actor_id for _place, actor_id in named]


def _people_view(state: RoomState, viewer: Actor) -> dict[str, Any]:
    view: dict[str, Any] = {
        "present": [
            person
            for actor_id in _present_for(state, viewer)
            if (person := person_for(state, actor_id, viewer)) is not None and "id" in person
        ],
    }
    view.update(_people_counts(state, viewer))
    return view


def _people_counts(state: RoomState, viewer: Actor) -> dict[str, Any]:
    """The people view but ``present``."""
    view: dict[str, Any] = {
        "teacher": state.present_count("teacher") > 0,
        "pupils": state.present_count("pupil"),
        "observers": state.present_count("observer"),
    }
    if viewer.role == "teacher":
        # Who dropped out, and which pupils of the class have not come at all.
        view["left"] = [
            state.people[actor_id].as_dict()
            for actor_id in state.attended
            if actor_id not in state.present and actor_id in state.people
        ]
        view["missing"] = [
            pupil.as_dict() for pupil in state.roster if pupil.id not in state.attended
        ]
    return view


# Each participant shown in full, encoded (``{"id", "role", "name"}``): every welcome lists
# those present, and a participant's record stays the same object while they are in the room.
# Keyed by the record's identity (kept in the entry, so an id is never mistaken for
# another's); a few rooms' worth at most.
_PEOPLE_KEPT = 8_192
_people_encoded: dict[int, tuple[Actor, str]] = {}


def _person_json(person: Actor, encode: Callable[[Any], str]) -> str:
    found = _people_encoded.get(id(person))
    if found is not None and found[0] is person:
        return found[1]
    encoded = encode(person.as_dict())
    if len(_people_encoded) >= _PEOPLE_KEPT:
        _people_encoded.clear()
    _people_encoded[id(person)] = (person, encoded)
    return encoded


def people_json(state: RoomState, viewer: Actor, encode: Callable[[Any], str]) -> str:
    """``view_for(state, viewer)["people"]`` encoded with ``encode``, each person shown in
    full encoded once (kept: see above)."""
    present = []
    for actor_id in _present_for(state, viewer):
        shown = person_shown(state, actor_id, viewer)
        if isinstance(shown, Actor):
            present.append(_person_json(shown, encode))
        elif shown is not None and "id" in shown:
            present.append(encode(shown))
    counts = encode(_people_counts(state, viewer))  # (never empty: "{...}")
    return '{"present":[' + ",".join(present) + "]," + counts[1:]


def _media_view(state: RoomState, viewer: Actor) -> dict[str, Any]:
    media = state.media
    return {
        "live": media.live,
        "kind": media.kind,
        "publisher": person_for(state, media.publisher, viewer),
        "publication": media.publication,
        "grant": person_for(state, state.screen_grant, viewer),
        "recording": state.recording,
    }


def _quizzes_view(state: RoomState, viewer: Actor) -> list[dict[str, Any]]:
    # A pupil-paced run is listed (``paced``) only for the teacher, who hears of every answer;
    # pupils have their own in ``pace.mine``.
    teacher = viewer.role == "teacher"
    return [
        {"block_id": run.block_id, "closed": run.closed, "revealed": run.revealed}
        | ({"paced": True} if run.paced else {})
        for run in state.quizzes.values()
        if teacher or not run.paced
    ]


def view_for(
    state: RoomState, viewer: Actor, *, slides: bool = True, people: bool = True
) -> dict[str, Any]:
    """The JSON snapshot of the room that ``viewer`` may see (the ``state`` of ``welcome``).

    The teacher sees everything; a pupil sees the slides without answer keys (until a quiz is
    revealed), their own answers and score and the class histogram once a quiz is closed;
    an observer sees counts of pupils but no pupil's name, id or answer; the board sees what
    :mod:`live.board_views` allows. ``pace`` tells who sets the pace and, for a pupil, their own
    slide (:func:`live.pace_views.pace_view`); ``show`` what the board shows, ``timer`` the
    countdown and ``picker`` the random pupil picker. Without ``slides`` there is no
    ``"slides"``, without ``people`` no ``"people"`` (the welcome adds them encoded:
    :func:`slides_json`, :func:`people_json`).
    """
    quiz = state.quizzes.get(state.active_quiz) if state.active_quiz else None
    poll = state.polls.get(state.active_poll) if state.active_poll else None
    view: dict[str, Any] = {"slides": _slides_for(state, viewer)} if slides else {}
    view.update(
        {
            "title": state.title,
            "seq": state.seq,
            "slide": state.slide,
            "nav_free": state.nav_free,
            "locked": state.locked,
            "ended": state.ended,
            "quiz": _quiz_view(state, quiz, viewer) if quiz else None,
            "quizzes": _quizzes_view(state, viewer),
            "poll": _poll_view(state, poll, viewer) if poll else None,
            "board": {
                "pen": person_for(state, state.pen, viewer),
                "strokes": [
                    _stroke_view(state, stroke, viewer)
                    for stroke in state.strokes
                    if shows_stroke(state, stroke.by, viewer)
                ],
            },
            "hands": hands_view(state, viewer),
            "chat": {
                "on": state.chat_on,
                "messages": (
                    [_chat_view(state, message, viewer) for message in state.chat]
                    if shows_chat(state, viewer)
                    else []
                ),
            },
        }
    )
    if people:
        view["people"] = _people_view(state, viewer)
    view.update(
        {
            "media": _media_view(state, viewer),
            "pace": pace_view(state, viewer),
            "show": show_view(state),
            "timer": timer_view(state),
            "picker": picker_view(state, viewer),
        }
    )
    return view
