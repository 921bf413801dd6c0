"""The handlers of the room reducer, one module per concern, and the table of event types.

:mod:`live.room` folds events with :data:`HANDLERS`; each handler is
``(state, event) -> new state | None`` and raises :class:`~live.handlers.base.Reject` for an
event that does not fit (see :mod:`live.handlers.base`).
"""

from __future__ import annotations

from live.handlers import board, lesson, media, people, polls, quiz, slides, widgets
from live.handlers.base import Event, Handler, Reject, switch

HANDLERS: dict[str, Handler] = {
    "slide.goto": slides.slide_goto,
    "pace.set": slides.pace_set,
    "pupil.goto": slides.pupil_goto,
    "nav.free": switch("nav_free"),
    "chat.mode": switch("chat_on"),
    "room.lock": switch("locked"),
    "quiz.open": quiz.quiz_open,
    "quiz.answer": quiz.quiz_answer,
    "quiz.close": quiz.quiz_close,
    "quiz.reveal": quiz.quiz_reveal,
    "quiz.timer": quiz.quiz_timer,
    "poll.open": polls.poll_open,
    "poll.vote": polls.poll_vote,
    "poll.close": polls.poll_close,
    "board.stroke": board.board_stroke,
    "board.clear": board.board_clear,
    "board.grant": board.board_grant,
    "rtc.grant": media.rtc_grant,
    "rtc.record": switch("recording"),
    "rtc.state": media.rtc_state,
    "hand.raise": people.hand_raise,
    "hand.lower": people.hand_lower,
    "chat.post": people.chat_post,
    "room.kick": people.room_kick,
    "presence.join": people.presence_join,
    "presence.leave": people.presence_leave,
    "lesson.end": lesson.lesson_end,
    "board.show": widgets.board_show,
    "chat.remove": widgets.chat_remove,
    "timer.start": widgets.timer_start,
    "timer.pause": widgets.timer_pause,
    "timer.reset": widgets.timer_reset,
    "timer.clear": widgets.timer_clear,
    "picker.pick": widgets.picker_pick,
    "picker.show": widgets.picker_show,
    "picker.clear": widgets.picker_clear,
}

__all__ = ["HANDLERS", "Event", "Handler", "Reject"]
