"""The live-lesson wire protocol: client commands as pydantic models, server frames as JSON.

Every client frame is one envelope ``{"type": ..., "id": ..., "data": {...}}``; the ``type``
picks the command model (a discriminated union), and unknown fields are refused everywhere.
Server frames are ``{"v": 1, "type": ..., "seq": N, "data": {...}}`` plus ``ack`` and ``error``.

Pupil-paced mode (docs/live-protocol.md, "Pupil-paced mode"): the teacher sends
``pace.set {"mode": "pupil" | "teacher"}``; while the lesson is pupil-paced each pupil moves with
``pupil.goto {"index"}`` and answers any quiz block with ``quiz.answer`` without the teacher
opening it. Server-only frames of the mode: ``pace.counts`` (observers: pupils per slide).

The board and the classroom widgets (docs/live-protocol.md, "The board and classroom
widgets"): ``board.show``, ``chat.remove``, ``timer.*`` and ``picker.*``, all the teacher's, are
modelled in :mod:`live.protocol_widgets`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BeforeValidator,
    Field,
    JsonValue,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

from live.protocol_base import MAX_MESSAGE_ID_LENGTH, NoData, SwitchData
from live.protocol_base import Command as _Command
from live.protocol_base import Strict as _Strict
from live.protocol_notes import NoteAdd
from live.protocol_widgets import (
    BoardShow,
    ChatRemove,
    PickerClear,
    PickerPick,
    PickerShow,
    TimerClear,
    TimerPause,
    TimerReset,
    TimerStart,
)

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
MAX_BLOCK_ID_LENGTH = 64
MAX_SLIDE_INDEX = 10_000
MAX_QUIZ_ANSWERS = 200
MAX_POLL_OPTIONS = 100
MAX_STROKE_POINTS = 1_000
MAX_STROKE_WIDTH = 50.0
MAX_CHAT_TEXT = 500
MAX_RTC_DATA_BYTES = 32 * 1024
MAX_SDP_CHARS = 30 * 1024
MAX_QUIZ_TIMER_SECONDS = 3_600

# WebRTC signalling: answered by the media layer, never logged (``rtc.grant`` is a room command).
SIGNALLING_TYPES = frozenset(
    {"rtc.offer", "rtc.answer", "rtc.candidate", "rtc.state", "rtc.stop", "rtc.config"}
)


class ProtocolError(Exception):
    """A client frame that cannot be accepted; ``code`` is one of ``bad_json``, ``too_large``,
    ``unknown_type`` or ``invalid``. ``message_id`` is the frame's ``id`` when it could be read,
    so the error frame can name the message it answers."""

    def __init__(self, code: str, message: str, *, message_id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_id = message_id


def _number_to_str(value: object) -> object:
    # Lesson block ids may be integers in JSON; the room compares them as strings.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


BlockId = Annotated[
    str,
    BeforeValidator(_number_to_str),
    StringConstraints(min_length=1, max_length=MAX_BLOCK_ID_LENGTH),
]
UserId = Annotated[int, Field(ge=1)]
ObserverId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_ID_LENGTH)]
Coordinate = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
ChatText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT_TEXT)
]


class SlideGotoData(_Strict):
    index: Annotated[int, Field(ge=0, le=MAX_SLIDE_INDEX)]


class BlockData(_Strict):
    block_id: BlockId


class PaceSetData(_Strict):
    """The data of ``pace.set``: who sets the pace. ``"pupil"``: each pupil moves through the
    slides (``pupil.goto``) and answers the quizzes at their own pace, starting from the
    teacher's slide; ``"teacher"``: everyone is back on the teacher's slide."""

    mode: Literal["teacher", "pupil"]


class QuizAnswerData(_Strict):
    block_id: BlockId
    # One entry per question, in order; each shaped as the Lessons section of CONTRACT.md
    # describes for its kind, ``None`` for a skipped question.
    answers: Annotated[list[JsonValue], Field(max_length=MAX_QUIZ_ANSWERS)]


class QuizTimerData(_Strict):
    # ``None`` cancels the countdown.
    seconds: Annotated[int, Field(ge=1, le=MAX_QUIZ_TIMER_SECONDS)] | None


class PollVoteData(_Strict):
    option: Annotated[int, Field(ge=0, lt=MAX_POLL_OPTIONS)]


class BoardStrokeData(_Strict):
    # A batch of points in coordinates normalised to 0..1 of the board; a long drawing is sent
    # as several batches.
    points: Annotated[
        list[tuple[Coordinate, Coordinate]], Field(min_length=1, max_length=MAX_STROKE_POINTS)
    ]
    color: Color
    width: Annotated[float, Field(gt=0.0, le=MAX_STROKE_WIDTH, allow_inf_nan=False)]


class BoardGrantData(_Strict):
    # ``None`` takes the pen back.
    user_id: UserId | None


class RtcGrantData(_Strict):
    # The one pupil who may share their screen; ``None`` takes the right back.
    user_id: UserId | None


class RtcOfferData(_Strict):
    """The data of ``rtc.offer``: a browser's complete (ICE gathered) SDP offer, to send
    (``publish``: the teacher, or the pupil allowed to share the screen) or to receive
    (``subscribe``)."""

    role: Literal["publish", "subscribe"]
    kind: Literal["camera", "screen"] = "camera"
    sdp: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SDP_CHARS)]


class RtcStopData(_Strict):
    """The data of ``rtc.stop``: stop publishing (the default) or stop receiving."""

    role: Literal["publish", "subscribe"] = "publish"


class HandLowerData(_Strict):
    # A pupil lowers their own hand (``None`` or their id); the teacher names a pupil, or
    # ``None`` to lower every hand.
    user_id: UserId | None = None


class ChatPostData(_Strict):
    text: ChatText


class KickData(_Strict):
    # Users have integer ids, visiting observers string ids.
    user_id: UserId | ObserverId


class SlideGoto(_Command):
    type: Literal["slide.goto"]
    data: SlideGotoData


class PaceSet(_Command):
    """``pace.set {mode}`` (teacher only): switch the lesson between teacher-paced and
    pupil-paced. Refused (``conflict``) while a teacher-paced quiz is open. The logged event
    also names the teacher's slide (``slide``), where pupils start."""

    type: Literal["pace.set"]
    data: PaceSetData


class PupilGoto(_Command):
    """``pupil.goto {index}`` (pupils only, pupil-paced mode only): move this pupil, and only
    this pupil, to a slide. ``conflict`` while the lesson is teacher-paced, ``invalid`` for a
    slide that does not exist. The teacher sees it as ``pupil.goto {person, index}``, the pupil
    as ``pupil.goto {index}``, observers as ``pace.counts {counts}``; other pupils see nothing."""

    type: Literal["pupil.goto"]
    data: SlideGotoData


class NavFree(_Command):
    type: Literal["nav.free"]
    data: SwitchData


class QuizOpen(_Command):
    type: Literal["quiz.open"]
    data: BlockData


class QuizAnswer(_Command):
    """``quiz.answer {block_id, answers}`` (pupils only). Teacher-paced: to the open quiz.
    Pupil-paced: to any quiz block of the lesson not run by the teacher, without opening it.
    A later answer to the same block replaces the earlier one."""

    type: Literal["quiz.answer"]
    data: QuizAnswerData


class QuizClose(_Command):
    type: Literal["quiz.close"]
    data: NoData = Field(default_factory=NoData)


class QuizReveal(_Command):
    type: Literal["quiz.reveal"]
    data: NoData = Field(default_factory=NoData)


class QuizTimer(_Command):
    type: Literal["quiz.timer"]
    data: QuizTimerData


class PollOpen(_Command):
    type: Literal["poll.open"]
    data: BlockData


class PollVote(_Command):
    type: Literal["poll.vote"]
    data: PollVoteData


class PollClose(_Command):
    type: Literal["poll.close"]
    data: NoData = Field(default_factory=NoData)


class BoardStroke(_Command):
    type: Literal["board.stroke"]
    data: BoardStrokeData


class BoardClear(_Command):
    type: Literal["board.clear"]
    data: NoData = Field(default_factory=NoData)


class BoardGrant(_Command):
    type: Literal["board.grant"]
    data: BoardGrantData


class HandRaise(_Command):
    type: Literal["hand.raise"]
    data: NoData = Field(default_factory=NoData)


class HandLower(_Command):
    type: Literal["hand.lower"]
    data: HandLowerData = Field(default_factory=HandLowerData)


class ChatPost(_Command):
    type: Literal["chat.post"]
    data: ChatPostData


class ChatMode(_Command):
    type: Literal["chat.mode"]
    data: SwitchData


class RoomLock(_Command):
    type: Literal["room.lock"]
    data: SwitchData


class RoomKick(_Command):
    type: Literal["room.kick"]
    data: KickData


class _Signalling(_Command):
    data: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _bounded(cls, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        if len(json.dumps(value, separators=(",", ":"))) > MAX_RTC_DATA_BYTES:
            raise ValueError(f"signalling data is larger than {MAX_RTC_DATA_BYTES} bytes")
        return value


class RtcOffer(_Signalling):
    type: Literal["rtc.offer"]


class RtcAnswer(_Signalling):
    type: Literal["rtc.answer"]


class RtcCandidate(_Signalling):
    type: Literal["rtc.candidate"]


class RtcState(_Signalling):
    type: Literal["rtc.state"]


class RtcStop(_Signalling):
    type: Literal["rtc.stop"]


class RtcConfig(_Signalling):
    type: Literal["rtc.config"]


class RtcGrant(_Command):
    type: Literal["rtc.grant"]
    data: RtcGrantData


class RtcRecord(_Command):
    # Record the lesson's video into the server's data dir (each publication a file).
    type: Literal["rtc.record"]
    data: SwitchData


class Ping(_Command):
    type: Literal["ping"]
    data: NoData = Field(default_factory=NoData)


ClientMessage = Annotated[
    SlideGoto
    | PaceSet
    | PupilGoto
    | NavFree
    | QuizOpen
    | QuizAnswer
    | QuizClose
    | QuizReveal
    | QuizTimer
    | PollOpen
    | PollVote
    | PollClose
    | BoardStroke
    | BoardClear
    | BoardGrant
    | HandRaise
    | HandLower
    | ChatPost
    | ChatMode
    | RoomLock
    | RoomKick
    | RtcOffer
    | RtcAnswer
    | RtcCandidate
    | RtcState
    | RtcStop
    | RtcConfig
    | RtcGrant
    | RtcRecord
    | Ping
    | BoardShow
    | ChatRemove
    | TimerStart
    | TimerPause
    | TimerReset
    | TimerClear
    | PickerPick
    | PickerShow
    | PickerClear
    | NoteAdd,
    Field(discriminator="type"),
]

_client_message_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

CLIENT_MESSAGE_TYPES: frozenset[str] = frozenset(
    get_args(model.model_fields["type"].annotation)[0]
    for model in get_args(get_args(ClientMessage)[0])
)


def _frame_size(raw: str | bytes) -> int:
    if isinstance(raw, bytes):
        return len(raw)
    if len(raw) > MAX_FRAME_BYTES:
        return len(raw)  # already too large whatever the encoding
    return len(raw.encode("utf-8", errors="surrogatepass"))


def _readable_message_id(raw: str | bytes) -> str | None:
    try:
        decoded = json.loads(raw)
    except ValueError:
        return None
    if isinstance(decoded, dict):
        message_id = decoded.get("id")
        if isinstance(message_id, str) and 0 < len(message_id) <= MAX_MESSAGE_ID_LENGTH:
            return message_id
    return None


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Parse one client frame into its command model or raise :class:`ProtocolError`."""
    if _frame_size(raw) > MAX_FRAME_BYTES:
        raise ProtocolError("too_large", f"a frame may hold at most {MAX_FRAME_BYTES} bytes")
    try:
        return _client_message_adapter.validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        kinds = {error["type"] for error in errors}
        if "json_invalid" in kinds:
            raise ProtocolError("bad_json", "the frame is not valid JSON") from None
        message_id = _readable_message_id(raw)
        if "union_tag_invalid" in kinds:
            raise ProtocolError(
                "unknown_type", "unknown message type", message_id=message_id
            ) from None
        raise ProtocolError(
            "invalid", "; ".join(_describe(error) for error in errors[:3]), message_id=message_id
        ) from None


# One encoder for every frame (``json.dumps`` with options makes a new one each call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(payload: dict[str, Any]) -> str:
    return _ENCODER.encode(payload)


def server_frame(type: str, seq: int, data: dict[str, Any]) -> str:
    """Encode one server event frame: ``{"v":1,"type":..,"seq":N,"data":{..}}``."""
    return _dumps({"v": PROTOCOL_VERSION, "type": type, "seq": seq, "data": data})


def encode(value: Any) -> str:
    """``value`` as the frames encode it (compact JSON, UTF-8 text as is)."""
    return _ENCODER.encode(value)


def encoded_server_frame(type: str, seq: int, data: str) -> str:
    """:func:`server_frame` of ``data`` encoded already (with :func:`encode`)."""
    return f'{{"v":{PROTOCOL_VERSION},"type":{_ENCODER.encode(type)},"seq":{seq},"data":{data}}}'


def direct_frame(type: str, data: dict[str, Any]) -> str:
    """Encode a frame for one client that is not an event of the log (no seq), such as the
    ``rtc.answer`` to its offer: ``{"v":1,"type":..,"data":{..}}``."""
    return _dumps({"v": PROTOCOL_VERSION, "type": type, "data": data})


def ack_frame(id: str, seq: int) -> str:
    """Encode the acknowledgement of client message ``id``, applied at ``seq``."""
    return _dumps({"v": PROTOCOL_VERSION, "type": "ack", "id": id, "seq": seq})


def error_frame(id: str | None, code: str, message: str) -> str:
    """Encode the refusal of client message ``id`` (``None`` when the id could not be read)."""
    return _dumps(
        {
            "v": PROTOCOL_VERSION,
            "type": "error",
            "id": id,
            "error": {"code": code, "message": message},
        }
    )
