"""What the live lessons' JSON API answers (``/api/v1/live…``, ``/api/v1/rubrics…``): one
``*Public`` model per answer, serialized once by pydantic (:mod:`eschool.api_schema`).

The request models and the limits they share are in :mod:`live.models`; the report is built as
data by :mod:`live.report` (it is stored with the session) and validated into
:class:`LiveReportPublic` on its way out. The replay's events and its ``initial`` state are the
live protocol's messages (``/api/v1/live/protocol.schema.json``), kept as they were sent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from eschool.api_schema import Public
from live.models import MAX_OBSERVER_NAME, RubricCriterion, SessionStatus

# Text the server wrote with ``eschool.timeutil.iso`` (UTC, ``Z``) or ``isoformat()``.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
# Who someone is in a room: a user's id, or a visitor's pass id (``"v-…"``).
ActorId = Annotated[int | str, Field(description="A user's id, or a visitor's id (`v-…`).")]
# Points: whole numbers, or fractions where a question gives partial credit.
Points = int | float
RoomRole = Literal["teacher", "pupil", "observer", "board"]
NotesFormat = Literal["json", "txt", "csv"]
Seconds = Annotated[float, Field(ge=0, description="Seconds after the lesson started.")]
Share = Annotated[float, Field(ge=0, le=1, description="A share of the points, 0–1.")]
Percent = Annotated[float, Field(ge=0, le=100)]


# --- sessions ----------------------------------------------------------------------------------


class LiveSessionPublic(Public):
    """A live run of a lesson, with the addresses its people use."""

    id: int
    code: str = Field(description="The join code as people read it: `K7QF-29`.")
    title: str
    lesson_id: int
    version: int = Field(description="The lesson's version being run.")
    slot_id: int | None
    class_id: int | None
    allow_observers: bool
    allow_observer_replay: bool
    status: SessionStatus
    started_at: IsoTime
    ended_at: IsoTime | None
    join_url: str
    ws_url: str = Field(description="The room's WebSocket (the live protocol).")
    present_url: str
    board_url: str


class ObserverPassPublic(Public):
    """A visitor's pass to watch one lesson: send it as ``Authorization: Bearer`` or
    ``?token=`` (the WebSocket too)."""

    token: str
    role: Literal["observer"]
    id: str = Field(description="The visitor's id in the room (`v-…`).")
    name: str = Field(max_length=MAX_OBSERVER_NAME)
    code: str
    title: str
    ws_url: str


class BoardPassPublic(Public):
    """A pairing code for ``/board`` and a board pass (the projector's read-only view)."""

    code: str = Field(description="The pairing code, typed on the board computer.")
    token: str = Field(description="The board's pass (`Authorization: Bearer` or `?token=`).")
    expires_at: float = Field(description="When the pairing code expires (unix seconds).")
    expires_in: int = Field(ge=0, description="Seconds the pairing code stays valid.")
    url: str = Field(description="The board's page.")
    pair_url: str = Field(description="The page a board computer types the code into.")


class MediaStatusPublic(Public):
    """The room's media as its home process sees it."""

    homed: bool = Field(description="Whether a process homes the room's media.")
    live: bool = Field(description="Whether something is being published.")
    kind: str | None = Field(description="What is published (camera, screen…).")
    viewers: int = Field(ge=0)
    peers: int = Field(ge=0, description="Peer connections of the room.")
    process_peers: int | None = Field(ge=0, description="Peer connections of its home process.")


class RecordingPublic(Public):
    """A video recording of the lesson (WebM), played from ``url``."""

    name: str
    size: int = Field(ge=0, description="Bytes.")
    started: IsoTime
    url: str


class ReplayRecordingPublic(RecordingPublic):
    """A recording placed on the replay's time line."""

    offset: float = Field(description="Seconds after the lesson started.")


class JournalWrittenPublic(Public):
    """What the confirmation wrote into the journal slot."""

    slot_id: int
    marks: list[int] = Field(description="The ids of the marks written.")
    attendance: dict[int, Literal["present", "absent"]] = Field(
        description="By pupil id, the attendance taken (empty unless asked)."
    )


# --- the report --------------------------------------------------------------------------------


class _Stay(Public):
    joined_at: Seconds | None = None
    left_at: Seconds | None = Field(default=None, description="None: still here at the end.")
    seconds: Seconds = Field(default=0.0, description="How long they were here in all.")


class ParticipantPublic(_Stay):
    """Someone who joined (boards aside), in joining order."""

    id: ActorId
    role: RoomRole
    name: str
    joined_seq: int = Field(ge=0)
    present: bool = Field(description="Still connected (when the report was made).")


class AttendancePublic(_Stay):
    """A pupil of the class, or one who joined: whether they came."""

    id: ActorId
    name: str
    joined: bool


class QuizResultPublic(Public):
    """One pupil's result in one quiz run (``share``/``percent``/``mark`` None: not answered)."""

    pupil_id: ActorId
    name: str
    answered: bool
    score: Points
    max: Points
    share: Share | None
    percent: Percent | None
    mark: str | None = Field(description="The mark proposed on the course's scale.")


class WrongAnswerPublic(Public):
    answer: str
    count: int = Field(ge=1)


class QuestionBreakdownPublic(Public):
    """One question of a quiz run: how many answered, how many got it right, the commonest
    wrong answers."""

    index: int = Field(ge=0)
    prompt: str
    kind: str | None
    answered: int = Field(ge=0)
    right: int = Field(ge=0)
    share_right: Share | None
    wrong: list[WrongAnswerPublic]


class QuizReportPublic(Public):
    """One quiz run."""

    block_id: str
    title: str
    max: Points
    results: list[QuizResultPublic]
    questions: list[QuestionBreakdownPublic] = Field(default_factory=list)


class ProposedMarkPublic(Public):
    """A pupil's share of all the quizzes' points together, and the mark it proposes."""

    pupil_id: ActorId
    name: str
    score: Points
    max: Points
    share: Share | None
    percent: Percent | None = None
    mark: str | None


class PollOptionPublic(Public):
    index: int = Field(ge=0)
    label: str
    count: int = Field(ge=0)


class PollResultPublic(Public):
    """One poll run: the votes for each option."""

    block_id: str
    prompt: str
    closed: bool
    total: int = Field(ge=0)
    options: list[PollOptionPublic]


class SlidePublic(Public):
    """A slide of the lesson: its seconds on show, and how often it was shown."""

    index: int = Field(ge=0)
    block_id: str
    kind: str | None
    title: str
    seconds: Seconds
    visits: int = Field(ge=0)


class SlideVisitPublic(Public):
    """One showing of a slide, in the order shown."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_alias=True)

    index: int = Field(ge=0)
    start: Seconds = Field(alias="from")
    seconds: Seconds


class ScalePublic(Public):
    """The marking scale the proposed marks are on."""

    code: str
    label: str
    values: list[str]
    numeric: bool


class LiveReportPublic(Public):
    """The report of a lesson (so far, while it runs): who came, how each pupil did."""

    title: str
    participants: list[ParticipantPublic]
    attendance: list[AttendancePublic]
    quiz: list[QuizReportPublic]
    proposed: list[ProposedMarkPublic]
    polls: list[PollResultPublic] = Field(default_factory=list)
    scale: ScalePublic
    slides: list[SlidePublic] = Field(default_factory=list)
    slide_visits: list[SlideVisitPublic] = Field(default_factory=list)
    started: float | None = Field(default=None, description="The start (unix seconds).")
    duration: Seconds | None = None


class LiveReportReadPublic(LiveReportPublic):
    """The report as ``GET …/report`` reads it: with the session and its recordings."""

    session: LiveSessionPublic
    recordings: list[RecordingPublic]


# --- rubric feedback and observers' notes ------------------------------------------------------


class RubricSnapshotPublic(Public):
    """The rubric a lesson was started with, as it was then."""

    id: int | None = Field(description="The rubric's id (None once deleted for good).")
    title: str
    criteria: list[RubricCriterion]


class NoteAuthorPublic(Public):
    id: str = Field(description="A visitor's id (`v-…`) or a user's id, as text.")
    name: str
    kind: Literal["staff", "guest"]


class NotePublic(Public):
    """An observer's note and/or score (``level``: 0-based index into the criterion's
    levels)."""

    id: int
    at: IsoTime
    offset: int | None = Field(ge=0, description="Seconds after the lesson started.")
    seq: int = Field(ge=0, description="The room's seq when it arrived.")
    slide: int = Field(ge=0)
    text: str
    criterion: str | None
    level: int | None = Field(ge=0)
    by: NoteAuthorPublic


class ScorerPublic(Public):
    id: str
    name: str


class ObserverScorePublic(Public):
    """One observer's latest level for a criterion (``score`` = level + 1)."""

    by: ScorerPublic
    level: int = Field(ge=0)
    score: int = Field(ge=1)
    descriptor: str


class CriterionScorePublic(Public):
    criterion: str
    title: str
    levels: int = Field(ge=0, description="How many levels the criterion has.")
    by_observer: list[ObserverScorePublic]
    average: float | None


class FeedbackPublic(Public):
    """Observers' rubric scores and every note of a lesson."""

    rubric: RubricSnapshotPublic | None
    scores: list[CriterionScorePublic]
    notes: list[NotePublic]


class OwnNotesPublic(Public):
    """An observer's own notes, with the lesson's rubric."""

    rubric: RubricSnapshotPublic | None
    items: list[NotePublic]
    total: int = Field(ge=0)


# --- the replay --------------------------------------------------------------------------------


class RoomActorPublic(Public):
    id: ActorId
    role: RoomRole
    name: str


class TimelineEventPublic(Public):
    """One event as the viewer received it live (a server message of the live protocol)."""

    seq: int = Field(ge=1)
    at: Seconds
    type: str
    data: dict[str, Any]


class TimelinePublic(Public):
    """The stored log projected for the viewer (the teacher's view, or an observer's)."""

    duration: Seconds
    started: float | None = Field(description="The start (unix seconds).")
    started_at: IsoTime | None
    seq: int = Field(ge=0)
    ended: bool
    you: RoomActorPublic
    initial: dict[str, Any] = Field(description="The room as a `welcome` shows it, at the start.")
    events: list[TimelineEventPublic]
    status: SessionStatus
    title: str
    recordings: list[ReplayRecordingPublic] = Field(
        description="The lesson's recordings (the teacher's view only)."
    )


# --- query parameters --------------------------------------------------------------------------


class PassQuery(BaseModel):
    """A visitor's pass in the address (or send it as ``Authorization: Bearer``)."""

    token: str = Field(
        default="",
        description="An observer's or a board's pass (else `Authorization: Bearer`, or the "
        "cookie the join set).",
    )


class NotesQuery(PassQuery):
    """``GET …/notes``: the pass, and how to answer."""

    format: NotesFormat = Field(
        default="json", description="`txt` or `csv`: download the notes as a file."
    )
