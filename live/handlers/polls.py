"""Polls: the teacher opens one at a time, pupils vote (a vote may change until the close)."""

from __future__ import annotations

from live.handlers.base import Event, Reject, with_
from live.room_state import PollRun, RoomState, replace


def open_poll(state: RoomState) -> PollRun | None:
    """The poll that is open now, if any."""
    run = state.polls.get(state.active_poll) if state.active_poll else None
    return run if run is not None and not run.closed else None


def poll_open(state: RoomState, event: Event) -> RoomState | None:
    """``poll.open``: start a poll block (one poll open at a time, each block run once)."""
    block_id = event.text("block_id")
    block = state.block(block_id)
    if block is None or block.get("kind") != "poll":
        raise Reject("invalid", "this block is not a poll")
    if open_poll(state) is not None:
        raise Reject("conflict", "close the open poll first")
    if block_id in state.polls:
        raise Reject("conflict", "this poll has already been run")
    options = block.get("options")
    run = PollRun(
        block_id=block_id,
        opened_seq=event.seq,
        options=len(options) if isinstance(options, list) else 0,
    )
    return replace(state, polls=with_(state.polls, block_id, run), active_poll=block_id)


def _running_poll(state: RoomState, event: Event) -> PollRun:
    run = open_poll(state)
    if run is None:
        raise Reject("conflict", "no poll is open")
    if run.block_id != event.data.get("block_id"):
        raise Reject("conflict", "this poll is not open")
    return run


def poll_vote(state: RoomState, event: Event) -> RoomState | None:
    """``poll.vote``: a pupil's vote in the open poll (a later vote replaces it)."""
    run = _running_poll(state, event)
    option = event.integer("option")
    if not 0 <= option < run.options:
        raise Reject("invalid", "there is no such option")
    if run.votes.get(event.who.id) == option:
        return None
    run = replace(run, votes=with_(run.votes, event.who.id, option))
    return replace(state, polls=with_(state.polls, run.block_id, run))


def poll_close(state: RoomState, event: Event) -> RoomState | None:
    """``poll.close``: close the open poll."""
    run = replace(_running_poll(state, event), closed=True)
    return replace(state, polls=with_(state.polls, run.block_id, run))
