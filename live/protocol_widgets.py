"""The commands of the board (the projector's view) and of the classroom widgets, all the
teacher's: what the board shows, chat moderation, the countdown and the random pupil picker.

Documented in docs/live-protocol.md, "The board and classroom widgets". :mod:`live.protocol`
joins these models into the one union of client commands.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from live.protocol_base import Command, NoData, Strict, SwitchData

MAX_COUNTDOWN_SECONDS = 3 * 3600


class BoardShowData(Strict):
    """The data of ``board.show``: what the board may show. A field left out stays as it is;
    at least one is given."""

    histogram: bool | None = None
    chat: bool | None = None
    work: bool | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if self.histogram is None and self.chat is None and self.work is None:
            raise ValueError("name at least one of histogram, chat, work")
        return self


class ChatRemoveData(Strict):
    # The seq of the chat message to take away.
    seq: Annotated[int, Field(ge=1)]


class TimerStartData(Strict):
    # A new countdown of ``seconds``; ``None`` (or nothing) resumes the paused one.
    seconds: Annotated[int, Field(ge=1, le=MAX_COUNTDOWN_SECONDS)] | None = None


class BoardShow(Command):
    """``board.show {histogram?, chat?, work?}``: what the board shows (the class's histograms
    and poll bars; the chat, pupils without names; the pupils' drawing, without names)."""

    type: Literal["board.show"]
    data: BoardShowData


class ChatRemove(Command):
    """``chat.remove {seq}``: take a chat message away from every screen."""

    type: Literal["chat.remove"]
    data: ChatRemoveData


class TimerStart(Command):
    """``timer.start {seconds?}``: start a countdown, or resume the paused one."""

    type: Literal["timer.start"]
    data: TimerStartData = Field(default_factory=TimerStartData)


class TimerPause(Command):
    """``timer.pause``: stop the running countdown where it is."""

    type: Literal["timer.pause"]
    data: NoData = Field(default_factory=NoData)


class TimerReset(Command):
    """``timer.reset``: back to the countdown's full length, stopped."""

    type: Literal["timer.reset"]
    data: NoData = Field(default_factory=NoData)


class TimerClear(Command):
    """``timer.clear``: take the countdown off every screen."""

    type: Literal["timer.clear"]
    data: NoData = Field(default_factory=NoData)


class PickerPick(Command):
    """``picker.pick``: pick a pupil who is here at random (the server picks; the logged event
    names the pupil)."""

    type: Literal["picker.pick"]
    data: NoData = Field(default_factory=NoData)


class PickerShow(Command):
    """``picker.show {on}``: show the picked pupil's name on the board, or hide it."""

    type: Literal["picker.show"]
    data: SwitchData


class PickerClear(Command):
    """``picker.clear``: put the picker away (nobody is on show)."""

    type: Literal["picker.clear"]
    data: NoData = Field(default_factory=NoData)
