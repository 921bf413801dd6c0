"""The frames the server sends on a live room's socket, as pydantic models (for the protocol's
JSON Schema, :mod:`live.protocol_schema`; the server itself builds them as dicts).

Three kinds of frame:

- an **event** ``{"v": 1, "type", "seq", "data"}``: one logged event as one viewer sees it
  (:mod:`live.projections`), the ``welcome`` (:mod:`live.hub`) and ``presence.counts``
  (:mod:`live.presence`);
- a **direct** frame ``{"v": 1, "type", "data"}`` (no seq) for one client: ``note.list``,
  ``note.added`` (:mod:`live.handlers.notes`), ``rtc.answer``, ``rtc.config``
  (:mod:`live.media`);
- the answer to a command: ``ack`` ``{"v", "type", "id", "seq"}`` or ``error``
  ``{"v", "type", "id", "error": {"code", "message"}}`` (:mod:`live.protocol`).

What differs between viewers (the teacher sees names and answers, an observer roles and
counts) is one model with the fields only some viewers get left optional. The snapshot and
the pieces frames share (people, counts) are in :mod:`live.server_views`; a frame's data model
is named ``*Out`` where a client command's data model has the same name, so the two stay apart
in the schema's ``$defs``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from live.protocol import PROTOCOL_VERSION
from live.public_models import NotePublic, RubricSnapshotPublic
from live.server_views import (
    Bar,
    Counts,
    Mode,
    PaceRow,
    Person,
    PersonView,
    PickerView,
    Points,
    RoomView,
    ScoreEntry,
    Seq,
    Shape,
    ShowView,
    TimerView,
)

# --- the data of each frame -------------------------------------------------------------------


class WelcomeData(Shape):
    """The first frame: who you are, the room, its seq and the server's clock (``now``)."""

    you: Person
    state: RoomView
    seq: Seq
    now: float


class IndexData(Shape):
    index: int


class OnData(Shape):
    on: bool


class SlideData(Shape):
    slide: int


class BlockIdData(Shape):
    block_id: str


class EmptyData(Shape):
    """Nothing."""


class PaceSetOut(Shape):
    """``start`` and ``pupils``: the teacher's; ``counts``: observers' and the board's."""

    mode: Mode
    slide: int
    start: int | None = None
    pupils: list[PaceRow] | None = None
    counts: list[int] | None = None


class PupilGotoData(Shape):
    """The teacher gets ``person``; the pupil who moved only ``index``."""

    index: int
    person: PersonView = None


class PaceCountsData(Shape):
    counts: list[int]


class QuizTimerOut(Shape):
    seconds: int | None
    block_id: str | None
    started_at: float | None


class QuizProgressData(Shape):
    block_id: str
    answered: int
    pupils: int


class QuizAnswerOut(QuizProgressData):
    """The teacher's (with ``person``, points, ``row`` when pupil-paced) or the answering
    pupil's own (``answers``)."""

    person: PersonView = None
    answers: list[Any] | None = None
    points: list[float] | None = None
    score: float | None = None
    max: float | None = None
    paced: bool | None = None
    row: PaceRow | None = None


class QuizResultData(QuizProgressData):
    """``quiz.close`` and ``quiz.reveal`` (``keys`` and a pupil's ``mine`` on reveal)."""

    histogram: list[Bar] | None
    keys: list[Any] | None = None
    mine: ScoreEntry | None = None


class PollTallyData(Shape):
    """``counts`` ``null`` for the board while histograms are off; ``person`` the teacher's,
    ``option`` the teacher's and the voter's own."""

    block_id: str
    counts: list[int] | None
    total: int
    person: PersonView = None
    option: int | None = None


class StrokeData(Shape):
    slide: int | None
    points: Points
    color: str
    width: float
    by: PersonView


class PersonData(Shape):
    person: PersonView


class HandData(PersonData):
    queue: list[PersonView]


class ChatPostOut(Shape):
    by: PersonView
    text: str
    at: float | None


class ChatRemoveOut(Shape):
    seq: int


class PresenceData(Counts):
    """``here``: whether the person still has a connection (a second tab may stay open)."""

    person: PersonView
    here: bool


class KickOut(Counts):
    person: PersonView


class PresenceCountsData(Counts):
    """Observers' comings and goings, once a tick; ``joined``/``left``: the teacher's."""

    joined: list[Person] | None = None
    left: list[Person] | None = None


class RtcStateData(Shape):
    """What video is shown: its kind, publisher and publication number while ``live``."""

    live: bool
    kind: Literal["camera", "screen"] | None
    publisher: PersonView
    publication: int | None
    reason: Literal["live", "stopped", "replaced", "publisher_lost"] | None


class BoardShowOut(Shape):
    """``view``: the board's whole fresh snapshot (what it may see has just changed)."""

    show: ShowView
    view: RoomView | None = None


class TimerData(Shape):
    timer: TimerView | None


class PickerData(Shape):
    picker: PickerView | None


class NoteListData(Shape):
    """After each welcome, to an observer: the lesson's rubric and their own notes."""

    rubric: RubricSnapshotPublic | None
    notes: list[NotePublic]


class NoteAddedData(Shape):
    """The note just stored (an observer's notes: docs/open-lessons.md)."""

    note: NotePublic


class RtcAnswerData(Shape):
    """The SDP answer to the client's ``rtc.offer`` ``id``."""

    id: str
    sdp: str


class IceServer(Shape):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class RtcConfigData(Shape):
    """The answer to ``rtc.config`` ``id``: the browser's ``RTCConfiguration.iceServers``."""

    id: str
    ice_servers: list[IceServer]


# Every event frame's type and data (what :mod:`live.projections` sends, and the welcome).
EVENT_DATA: dict[str, type[BaseModel]] = {
    "welcome": WelcomeData,
    "slide.goto": IndexData,
    "pace.set": PaceSetOut,
    "pupil.goto": PupilGotoData,
    "pace.counts": PaceCountsData,
    "nav.free": OnData,
    "chat.mode": OnData,
    "room.lock": OnData,
    "board.clear": SlideData,
    "quiz.open": BlockIdData,
    "quiz.timer": QuizTimerOut,
    "quiz.answer": QuizAnswerOut,
    "quiz.progress": QuizProgressData,
    "quiz.close": QuizResultData,
    "quiz.reveal": QuizResultData,
    "poll.open": BlockIdData,
    "poll.vote": PollTallyData,
    "poll.progress": PollTallyData,
    "poll.close": PollTallyData,
    "board.stroke": StrokeData,
    "board.grant": PersonData,
    "board.show": BoardShowOut,
    "hand.raise": HandData,
    "hand.lower": HandData,
    "chat.post": ChatPostOut,
    "chat.remove": ChatRemoveOut,
    "presence.join": PresenceData,
    "presence.leave": PresenceData,
    "presence.counts": PresenceCountsData,
    "room.kick": KickOut,
    "rtc.grant": PersonData,
    "rtc.record": OnData,
    "rtc.state": RtcStateData,
    "timer.start": TimerData,
    "timer.pause": TimerData,
    "timer.reset": TimerData,
    "timer.clear": TimerData,
    "picker.pick": PickerData,
    "picker.show": PickerData,
    "picker.clear": PickerData,
    "lesson.end": EmptyData,
}
# Frames for one client, outside the log (no seq).
DIRECT_DATA: dict[str, type[BaseModel]] = {
    "note.list": NoteListData,
    "note.added": NoteAddedData,
    "rtc.answer": RtcAnswerData,
    "rtc.config": RtcConfigData,
}


class ServerFrame(Shape):
    v: Literal[1] = Field(description=f"The protocol's version ({PROTOCOL_VERSION}).")


class Ack(ServerFrame):
    """A command applied at ``seq`` (the room's seq for commands that log nothing)."""

    type: Literal["ack"]
    id: str
    seq: Seq


class ErrorBody(Shape):
    """``code``: ``bad_json``, ``too_large``, ``unknown_type``, ``invalid``, ``forbidden``,
    ``conflict``, ``locked``, ``ended``, ``rate_limited``, ``unavailable``, ``unauthorized``,
    ``not_found``, or a media refusal (``no_publisher``, ``too_many_viewers``, ``observer``,
    ``bad_offer``, ``closed``, ``unsupported``, ``media_unavailable``, ``media_failed``);
    ``message``: a sentence in the participant's language."""

    code: str
    message: str


class Error(ServerFrame):
    """A command refused (``id`` ``null`` when it could not be read, or at the handshake)."""

    type: Literal["error"]
    id: str | None
    error: ErrorBody


def _class_name(kind: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in kind.split(".")) + suffix


def _frame_model(kind: str, data: type[BaseModel], *, event: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {"type": (Literal[kind], ...), "data": (data, ...)}
    if event:
        fields["seq"] = (Seq, ...)
    name = _class_name(kind, "Event" if event else "Frame")
    doc = f"``{kind}``" + (f": {data.__doc__.strip()}" if data.__doc__ else "")
    return create_model(name, __base__=ServerFrame, __doc__=doc, **fields)


EVENT_FRAMES = [_frame_model(kind, data, event=True) for kind, data in EVENT_DATA.items()]
DIRECT_FRAMES = [_frame_model(kind, data, event=False) for kind, data in DIRECT_DATA.items()]
SERVER_FRAMES: list[type[BaseModel]] = [*EVENT_FRAMES, *DIRECT_FRAMES, Ack, Error]
SERVER_MESSAGE_TYPES: frozenset[str] = frozenset({*EVENT_DATA, *DIRECT_DATA, "ack", "error"})
