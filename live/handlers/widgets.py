"""The board's settings and the classroom widgets: what the board shows, chat moderation, the
countdown and the random pupil picker. Every command here is the teacher's.

The countdown is kept in the server's time: a running one ends at ``ends_at`` (the event's
``at`` plus what is left), so every screen that knows the server's clock shows the same second.
The picker's choice is made by ``decide`` (the event names the pupil), so replaying the log
picks the same pupils again.
"""

from __future__ import annotations

from live.handlers.base import Event, Reject
from live.protocol_widgets import MAX_COUNTDOWN_SECONDS
from live.room_state import NO_PICK, ActorId, Countdown, Picker, RoomState, replace

SHOW_FIELDS = ("histogram", "chat", "work")


def board_show(state: RoomState, event: Event) -> RoomState | None:
    """``board.show``: switch what the board shows (fields left out stay as they are)."""
    changes = {}
    for name in SHOW_FIELDS:
        if name in event.data and event.data[name] is not None:
            changes[name] = event.flag(name)
    if not changes:
        raise Reject("invalid", "name at least one of histogram, chat, work")
    show = replace(state.show, **changes)
    return None if show == state.show else replace(state, show=show)


def chat_remove(state: RoomState, event: Event) -> RoomState | None:
    """``chat.remove``: take one chat message away."""
    seq = event.integer("seq")
    kept = tuple(message for message in state.chat if message.seq != seq)
    if len(kept) == len(state.chat):
        raise Reject("invalid", "there is no such chat message")
    return replace(state, chat=kept)


def _now(event: Event) -> float:
    # The hub stamps every event; a log without times still replays to one state.
    return event.at if event.at is not None else 0.0


def timer_start(state: RoomState, event: Event) -> RoomState | None:
    """``timer.start``: a new countdown of ``seconds``; without, resume the paused one (or
    start it again from its whole length when it is running or has run out)."""
    seconds = event.optional_integer("seconds")
    timer = state.countdown
    if seconds is not None:
        if not 0 < seconds <= MAX_COUNTDOWN_SECONDS:
            raise Reject("invalid", "a countdown lasts from a second to three hours")
        timer = Countdown(seconds, True, _now(event) + seconds, float(seconds))
        return replace(state, countdown=timer)
    if timer is None:
        raise Reject("conflict", "there is no countdown to resume")
    # Paused with time left: go on from there; otherwise (running, or run out) start again
    # from the whole length. (``decide`` knows no time: the choice must not depend on it.)
    left = timer.remaining if not timer.running and timer.remaining > 0 else float(timer.seconds)
    resumed = replace(timer, running=True, ends_at=_now(event) + left, remaining=left)
    return replace(state, countdown=resumed)


def timer_pause(state: RoomState, event: Event) -> RoomState | None:
    """``timer.pause``: stop the running countdown with what is left."""
    timer = state.countdown
    if timer is None or not timer.running or timer.ends_at is None:
        raise Reject("conflict", "no countdown is running")
    left = max(0.0, timer.ends_at - _now(event))
    return replace(state, countdown=replace(timer, running=False, ends_at=None, remaining=left))


def timer_reset(state: RoomState, event: Event) -> RoomState | None:
    """``timer.reset``: the whole length again, stopped."""
    timer = state.countdown
    if timer is None:
        raise Reject("conflict", "there is no countdown")
    reset = Countdown(timer.seconds, False, None, float(timer.seconds))
    return None if reset == timer else replace(state, countdown=reset)


def timer_clear(state: RoomState, event: Event) -> RoomState | None:
    """``timer.clear``: no countdown any more."""
    return None if state.countdown is None else replace(state, countdown=None)


def pupils_here(state: RoomState) -> list[ActorId]:
    """The pupils connected now, in the order they came."""
    return [
        actor_id
        for actor_id in state.present
        if state.role_of(actor_id) == "pupil" and actor_id not in state.kicked
    ]


def pick_candidates(state: RoomState) -> list[ActorId]:
    """Whom ``picker.pick`` may pick now: the pupils here not yet picked in this round (all of
    them again once everyone here has been picked)."""
    here = pupils_here(state)
    fresh = [pupil for pupil in here if pupil not in state.picker.picked]
    return fresh or here


def picker_pick(state: RoomState, event: Event) -> RoomState | None:
    """``picker.pick``: the pupil ``decide`` chose (``pupil``) is on show, name hidden."""
    pupil = event.person_id("pupil")
    if not pupils_here(state):
        raise Reject("conflict", "no pupil is here to pick")
    if pupil is None or pupil not in pick_candidates(state):
        raise Reject("invalid", "the pick must be a pupil who is here")
    fresh = [p for p in pupils_here(state) if p not in state.picker.picked]
    picked = (*state.picker.picked, pupil) if fresh else (pupil,)
    return replace(state, picker=Picker(pupil=pupil, shown=False, picked=picked))


def picker_show(state: RoomState, event: Event) -> RoomState | None:
    """``picker.show``: the picked pupil's name on the board, or off it."""
    on = event.flag("on")
    if state.picker.pupil is None:
        raise Reject("conflict", "nobody has been picked")
    if state.picker.shown == on:
        return None
    return replace(state, picker=replace(state.picker, shown=on))


def picker_clear(state: RoomState, event: Event) -> RoomState | None:
    """``picker.clear``: nobody on show (the round goes on)."""
    if state.picker.pupil is None:
        return None
    return replace(state, picker=replace(NO_PICK, picked=state.picker.picked))
