"""The room's snapshot as the server sends it (``welcome.state``, the board's
``board.show.view``) and the people and pieces every server frame shares, as pydantic models
for the protocol's JSON Schema (:mod:`live.server_messages`, :mod:`live.protocol_schema`).

Built from what :mod:`live.views`, :mod:`live.visibility`, :mod:`live.pace_views` and
:mod:`live.board_views` produce; a field only some viewers get is optional.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["teacher", "pupil", "observer", "board"]
Mode = Literal["teacher", "pupil"]
Seq = Annotated[int, Field(ge=0)]
Points = list[tuple[float, float]]


class Shape(BaseModel):
    """A server frame's part: exactly these keys."""

    model_config = ConfigDict(extra="forbid")


# --- people ----------------------------------------------------------------------------------


class Person(Shape):
    """A participant by name: ``id`` a user's id, or a visiting observer's or board's string id
    (``role`` and ``name`` ``null`` for someone the room no longer knows)."""

    id: int | str
    role: Role | None
    name: str | None


class RoleOnly(Shape):
    """A participant the viewer may not see by name (pupils to observers and the board,
    observers to all but the teacher)."""

    role: Role


PersonView = Person | RoleOnly | None


class Counts(Shape):
    """How many pupils and observers are connected; ``pace_counts`` (observers and the board,
    while pupil-paced): pupils per slide."""

    pupils: int
    observers: int
    pace_counts: list[int] | None = None


# --- the pieces of a snapshot -----------------------------------------------------------------


class Bar(Shape):
    """One question of a quiz's histogram: how many answered, per option of a choice
    question, and (once revealed, or to the teacher) how many got full points."""

    answered: int
    options: list[int] | None = None
    correct: int | None = None


class ScoreEntry(Shape):
    """One pupil's answers to a quiz with their points (``answers`` alone before reveal)."""

    answers: list[Any]
    points: list[float] | None = None
    score: float | None = None
    max: float | None = None


class AnswerRow(ScoreEntry):
    """The teacher's line of one pupil's answers."""

    person: PersonView


class QuizTimerView(Shape):
    seconds: int
    started_at: float | None


class QuizView(Shape):
    """The open quiz (``answers`` the teacher's, ``mine`` a pupil's)."""

    block_id: str
    closed: bool
    revealed: bool
    timer: QuizTimerView | None
    answered: int
    pupils: int
    max: float
    histogram: list[Bar] | None
    answers: list[AnswerRow] | None = None
    mine: ScoreEntry | None = None


class QuizSummary(Shape):
    block_id: str
    closed: bool
    revealed: bool
    paced: bool | None = None


class Vote(Shape):
    person: PersonView
    option: int


class PollView(Shape):
    """The open poll (``votes`` the teacher's, ``mine`` a pupil's vote)."""

    block_id: str
    closed: bool
    counts: list[int] | None
    total: int
    votes: list[Vote] | None = None
    mine: int | None = None


class StrokeView(Shape):
    seq: int
    slide: int
    by: PersonView
    points: Points
    color: str
    width: float


class BoardView(Shape):
    pen: PersonView
    strokes: list[StrokeView]


class ChatMessageView(Shape):
    seq: int
    by: PersonView
    text: str
    at: float | None


class ChatView(Shape):
    on: bool
    messages: list[ChatMessageView]


class PeopleView(Shape):
    """Who is here (``left`` and ``missing``: the teacher's)."""

    present: list[Person]
    teacher: bool
    pupils: int
    observers: int
    left: list[Person] | None = None
    missing: list[Person] | None = None


class MediaView(Shape):
    live: bool
    kind: Literal["camera", "screen"] | None
    publisher: PersonView
    publication: int | None
    grant: PersonView
    recording: bool


class PaceRow(Shape):
    """One pupil's line in the teacher's pupil-paced table."""

    person: PersonView
    slide: int
    answered_blocks: list[str]
    score: float
    max: float


class PaceView(Shape):
    """The teacher's ``{mode, start, pupils}``, a pupil's ``{mode, slide, mine}``,
    observers' and the board's ``{mode, counts}``."""

    mode: Mode
    start: int | None = None
    pupils: list[PaceRow] | None = None
    slide: int | None = None
    mine: dict[str, list[Any]] | None = None
    counts: list[int] | None = None


class ShowView(Shape):
    """What the board shows."""

    histogram: bool
    chat: bool
    work: bool


class TimerView(Shape):
    """The countdown: ``ends_at`` (server's clock) while running, ``remaining`` seconds."""

    seconds: int
    running: bool
    ends_at: float | None
    remaining: float


class PickerView(Shape):
    """The picked pupil: the name only while shown (never to observers); ``person`` and
    ``left`` the teacher's, ``mine`` a pupil's."""

    shown: bool
    name: str | None
    person: Person | None = None
    left: int | None = None
    mine: bool | None = None


class RoomView(Shape):
    """The room as one viewer may see it (``welcome.state``, the board's ``board.show.view``).
    ``slides`` are the lesson's blocks (CONTRACT.md, Lessons), without answer keys for all but
    the teacher until a quiz is revealed."""

    title: str
    seq: Seq
    slides: list[dict[str, Any]]
    slide: int
    nav_free: bool
    locked: bool
    ended: bool
    quiz: QuizView | None
    quizzes: list[QuizSummary]
    poll: PollView | None
    board: BoardView
    hands: list[PersonView]
    chat: ChatView
    people: PeopleView
    media: MediaView
    pace: PaceView
    show: ShowView
    timer: TimerView | None
    picker: PickerView | None
