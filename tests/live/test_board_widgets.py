"""The classroom widgets in the room reducer and its projections: the countdown on the server's
clock, the random pupil picker, and that the frames each viewer gets keep its widgets as a
fresh view has them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from live.room import Countdown, step
from live.views import projection_key, view_for
from tests.live.board_room_support import (
    ANNA,
    BOARD,
    BORIS,
    CLARA,
    TEACHER,
    VIEWERS,
    VISITOR,
    Room,
    event,
    joined_room,
)


@pytest.fixture
def room() -> Room:
    return joined_room()


# --- the countdown ------------------------------------------------------------------------------


def test_the_countdown_runs_on_the_servers_clock(room: Room) -> None:
    (started,) = room.send(TEACHER, "timer.start", {"seconds": 300}, at=1000.0)
    assert room.state.countdown == Countdown(300, True, 1300.0, 300.0)
    expected = {"seconds": 300, "running": True, "ends_at": 1300.0, "remaining": 300.0}
    for viewer in VIEWERS:  # every screen gets the same end time
        assert room.seen(viewer, started) == {
            "type": "timer.start",
            "seq": started["seq"],
            "data": {"timer": expected},
        }
    room.send(TEACHER, "timer.pause", at=1100.0)
    assert room.state.countdown == Countdown(300, False, None, 200.0)
    assert room.refused(TEACHER, "timer.pause") == "conflict"
    room.send(TEACHER, "timer.start", at=2000.0)  # resumes with what was left
    assert room.state.countdown == Countdown(300, True, 2200.0, 200.0)
    room.send(TEACHER, "timer.reset", at=2050.0)
    assert room.state.countdown == Countdown(300, False, None, 300.0)
    room.send(TEACHER, "timer.start", {"seconds": 60}, at=3000.0)  # a new one replaces it
    assert room.state.countdown == Countdown(60, True, 3060.0, 60.0)
    room.send(TEACHER, "timer.pause", at=4000.0)  # long over: nothing is left
    assert room.state.countdown == Countdown(60, False, None, 0.0)
    room.send(TEACHER, "timer.start", at=5000.0)  # starting an ended one starts it afresh
    assert room.state.countdown == Countdown(60, True, 5060.0, 60.0)
    room.send(TEACHER, "timer.start", at=5030.0)  # a running one starts again too
    assert room.state.countdown == Countdown(60, True, 5090.0, 60.0)
    room.send(TEACHER, "timer.clear")
    assert room.state.countdown is None
    assert view_for(room.state, BOARD)["timer"] is None
    for type_ in ("timer.pause", "timer.reset"):
        assert room.refused(TEACHER, type_) == "conflict"
    assert room.refused(TEACHER, "timer.start") == "conflict"


# --- the random pupil picker --------------------------------------------------------------------


def test_the_picker_picks_every_pupil_here_once_a_round(room: Room) -> None:
    room.join(CLARA)
    picks = []
    for _round in range(2):
        for _pupil in range(3):
            (picked,) = room.send(TEACHER, "picker.pick")
            picks.append(picked["data"]["pupil"])
    assert sorted(picks[:3]) == sorted(picks[3:]) == [ANNA.id, BORIS.id, CLARA.id]
    # The pick is in the log: replaying it picks the same pupils.
    assert room.state.picker.pupil == picks[-1]


def test_the_picked_name_reaches_the_board_only_when_shown(room: Room) -> None:
    room.append(event("presence.leave", BORIS))
    (picked,) = room.send(TEACHER, "picker.pick")
    assert picked["data"] == {"pupil": ANNA.id}  # the only pupil here
    assert room.seen(TEACHER, picked)["data"]["picker"] == {  # type: ignore[index]
        "shown": False,
        "name": ANNA.name,
        "person": ANNA.as_dict(),
        "left": 0,
    }
    assert room.seen(ANNA, picked)["data"]["picker"]["mine"] is True  # type: ignore[index]
    assert room.seen(BOARD, picked)["data"]["picker"] == {"shown": False, "name": None}  # type: ignore[index]
    assert projection_key(picked, ANNA) != projection_key(picked, BORIS)
    (shown,) = room.send(TEACHER, "picker.show", {"on": True})
    assert room.seen(BOARD, shown)["data"]["picker"] == {"shown": True, "name": ANNA.name}  # type: ignore[index]
    assert room.seen(VISITOR, shown)["data"]["picker"]["name"] is None  # type: ignore[index]
    assert view_for(room.state, BOARD)["picker"] == {"shown": True, "name": ANNA.name}
    room.send(TEACHER, "room.kick", {"user_id": ANNA.id})  # off the board with her
    assert view_for(room.state, BOARD)["picker"] is None
    assert room.refused(TEACHER, "picker.pick") == "conflict"  # nobody left to pick
    assert room.refused(TEACHER, "picker.show", {"on": True}) == "conflict"


def test_a_forged_pick_in_the_log_changes_nothing(room: Room) -> None:
    before = room.state
    for pupil in (CLARA.id, VISITOR.id, TEACHER.id, None):
        after, changed = step(
            before, {**event("picker.pick", TEACHER, pupil=pupil), "seq": before.seq + 1}
        )
        assert not changed and after.picker == before.picker


# --- zulip style: the frames a viewer gets keep its widgets as a fresh view has them -----------


def follow(view: dict[str, Any], frame: dict[str, Any]) -> None:
    """What static/js/live/model.js does with the widgets' frames."""
    kind, data = frame["type"], frame["data"]
    if kind.startswith("timer."):
        view["timer"] = data["timer"]
    elif kind.startswith("picker."):
        view["picker"] = data["picker"]
    elif kind == "board.show":
        view["show"] = data["show"]
    elif kind == "chat.remove":
        view["chat"]["messages"] = [m for m in view["chat"]["messages"] if m["seq"] != data["seq"]]
    elif kind == "chat.post":
        view["chat"]["messages"].append({"seq": frame["seq"], **data})


def watched(view: dict[str, Any]) -> dict[str, Any]:
    return {key: view[key] for key in ("timer", "picker", "show", "chat")}


SCRIPT: list[Callable[[Room], object]] = [
    lambda r: r.send(TEACHER, "timer.start", {"seconds": 120}),
    lambda r: r.send(ANNA, "chat.post", {"text": "hi"}),
    lambda r: r.send(TEACHER, "timer.pause"),
    lambda r: r.send(TEACHER, "picker.pick"),
    lambda r: r.send(TEACHER, "picker.show", {"on": True}),
    lambda r: r.send(TEACHER, "board.show", {"chat": True, "work": False}),
    lambda r: r.send(BORIS, "chat.post", {"text": "me too"}),
    lambda r: r.send(TEACHER, "chat.remove", {"seq": r.state.chat[0].seq}),
    lambda r: r.send(TEACHER, "picker.pick"),
    lambda r: r.send(TEACHER, "timer.reset"),
    lambda r: r.send(TEACHER, "picker.clear"),
    lambda r: r.send(TEACHER, "board.show", {"chat": False}),
    lambda r: r.send(TEACHER, "timer.clear"),
]


def test_the_frames_each_viewer_gets_keep_its_widgets_fresh(room: Room) -> None:
    views = {viewer.id: copy.deepcopy(view_for(room.state, viewer)) for viewer in VIEWERS}
    for number, action in enumerate(SCRIPT):
        for viewer in VIEWERS:
            room.frames[viewer.id].clear()
        action(room)
        for viewer in VIEWERS:
            view = views[viewer.id]
            for frame in room.frames[viewer.id]:
                if frame["type"] == "board.show" and "view" in frame["data"]:
                    view.update(copy.deepcopy(frame["data"]["view"]))
                follow(view, frame)
            fresh = view_for(room.state, viewer)
            assert watched(view) == watched(fresh), (number, viewer.name)
