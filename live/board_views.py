"""What the board (the projector) may see, and every viewer's view of the classroom widgets.

The board is shown to the whole class, so it sees the lesson as an observer does and less: no
pupil's name, id or answer (people other than the teacher appear only as ``{"role": ...}``),
counts, the class's histograms and poll bars only while the teacher lets it (``show.histogram``),
the chat only when the teacher puts it on the board (``show.chat``), the pupils' drawing only
while ``show.work`` is on, and the picked pupil's name only when the teacher shows it. Event
types not listed in :data:`BOARD_EVENT_TYPES` never reach it. All pure.
"""

from __future__ import annotations

from typing import Any

from live.handlers.widgets import pupils_here
from live.room import Actor, ActorId, RoomState

# Every event type the board is sent (projected); anything else, now or added later, is not.
BOARD_EVENT_TYPES = frozenset(
    {
        "slide.goto",
        "pace.set",
        "pupil.goto",
        "nav.free",
        "chat.mode",
        "room.lock",
        "quiz.open",
        "quiz.answer",
        "quiz.close",
        "quiz.reveal",
        "quiz.timer",
        "poll.open",
        "poll.vote",
        "poll.close",
        "board.stroke",
        "board.clear",
        "board.grant",
        "hand.raise",
        "hand.lower",
        "chat.post",
        "room.kick",
        "presence.join",
        "presence.leave",
        "rtc.grant",
        "rtc.record",
        "rtc.state",
        "lesson.end",
        "board.show",
        "chat.remove",
        "timer.start",
        "timer.pause",
        "timer.reset",
        "timer.clear",
        "picker.pick",
        "picker.show",
        "picker.clear",
    }
)
# The widget events (their frames carry the widget's whole state, the same for every viewer
# of a kind).
TIMER_EVENTS = frozenset({"timer.start", "timer.pause", "timer.reset", "timer.clear"})
PICKER_EVENTS = frozenset({"picker.pick", "picker.show", "picker.clear"})


def shows_results(state: RoomState, viewer: Actor) -> bool:
    """Whether ``viewer`` may see the class's histograms and poll bars (the board only while
    the teacher lets it)."""
    return viewer.role != "board" or state.show.histogram


def shows_chat(state: RoomState, viewer: Actor) -> bool:
    """Whether ``viewer`` is sent the chat (the board only when the teacher puts it there)."""
    return viewer.role != "board" or state.show.chat


def shows_stroke(state: RoomState, by: ActorId, viewer: Actor) -> bool:
    """Whether ``viewer`` sees a stroke drawn by ``by`` (the board hides the pupils' drawing
    while ``show.work`` is off)."""
    if viewer.role != "board" or state.show.work:
        return True
    return state.role_of(by) != "pupil"


def show_view(state: RoomState) -> dict[str, bool]:
    """The teacher's switches of what the board shows."""
    show = state.show
    return {"histogram": show.histogram, "chat": show.chat, "work": show.work}


def timer_view(state: RoomState) -> dict[str, Any] | None:
    """The countdown as every screen shows it: ``{"seconds", "running", "ends_at",
    "remaining"}`` (``ends_at`` on the server's clock while running), or ``None``."""
    timer = state.countdown
    if timer is None:
        return None
    return {
        "seconds": timer.seconds,
        "running": timer.running,
        "ends_at": timer.ends_at,
        "remaining": timer.remaining,
    }


def picker_view(state: RoomState, viewer: Actor) -> dict[str, Any] | None:
    """The picker as ``viewer`` sees it, or ``None`` when nobody is on show.

    Everyone: ``{"shown", "name"}``, the name only while the teacher shows it on the board
    (observers never get it). The teacher also gets ``person`` and ``left`` (pupils here not
    yet picked in this round); the picked pupil ``mine: true``.
    """
    picker = state.picker
    if picker.pupil is None:
        return None
    person = state.people.get(picker.pupil)
    name = person.name if person is not None else None
    view: dict[str, Any] = {"shown": picker.shown, "name": None}
    if picker.shown and viewer.role != "observer":
        view["name"] = name
    if viewer.role == "teacher":
        view["name"] = name
        view["person"] = person.as_dict() if person is not None else None
        view["left"] = len([p for p in pupils_here(state) if p not in picker.picked])
    elif viewer.role == "pupil":
        view["mine"] = viewer.id == picker.pupil
    return view
