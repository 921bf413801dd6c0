"""The end of the lesson (a server event): everything still open is closed."""

from __future__ import annotations

from live.handlers.base import Event, with_
from live.handlers.polls import open_poll
from live.handlers.quiz import open_quiz
from live.room_state import NOT_LIVE, RoomState, replace


def lesson_end(state: RoomState, event: Event) -> RoomState | None:
    """``lesson.end``: close the open quiz, every pupil-paced run and the open poll; take back
    the pen, the hands and the screen."""
    quizzes, polls = state.quizzes, state.polls
    if (run := open_quiz(state)) is not None:
        quizzes = with_(quizzes, run.block_id, replace(run, closed=True))
    if any(run.paced and not run.closed for run in quizzes.values()):
        quizzes = {
            block_id: replace(run, closed=True) if run.paced else run
            for block_id, run in quizzes.items()
        }
    if (poll := open_poll(state)) is not None:
        polls = with_(polls, poll.block_id, replace(poll, closed=True))
    return replace(
        state,
        ended=True,
        quizzes=quizzes,
        polls=polls,
        pen=None,
        hands=(),
        media=NOT_LIVE,
        screen_grant=None,
    )
