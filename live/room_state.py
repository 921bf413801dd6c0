"""The state of one live room: who is in it, the lesson's blocks and everything that happened.

Plain frozen dataclasses, built by :func:`new_room` and changed only by the reducer in
:mod:`live.room` (through the handlers of :mod:`live.handlers`), so the state is always
``reduce(apply, log, initial)``. :mod:`live.room` re-exports every public name here.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MemberDescriptorType
from typing import Any, Literal, TypeVar, cast, get_args

from lessons.scoring import score_question

# ``board``: the projector's view (a board pass, or the teacher's second window): it watches
# and changes nothing; it sees no pupil's name, id or answer.
Role = Literal["teacher", "pupil", "observer", "board"]
ActorId = int | str
# Who sets the pace: everyone on the teacher's slide, or each pupil on their own.
Pace = Literal["teacher", "pupil"]

ROLES: frozenset[str] = frozenset(get_args(Role))
PACES: frozenset[str] = frozenset(get_args(Pace))
MAX_STROKES = 2_000
MAX_BOARD_POINTS = 50_000
MAX_CHAT_MESSAGES = 200
# Each actor's newest command ids the room keeps (a retry of one is not applied again).
MAX_APPLIED_IDS_PER_ACTOR = 256
# Roles that watch a lesson and change nothing in it.
WATCHING_ROLES: frozenset[str] = frozenset({"observer", "board"})


class RoomError(Exception):
    """A command refused by the room: ``code`` is ``forbidden``, ``conflict``, ``invalid``,
    ``locked`` or ``ended``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone in the room: a user (integer id) or a visiting observer (string id)."""

    id: ActorId
    role: Role
    name: str

    def as_dict(self) -> dict[str, Any]:
        """The actor as stored in events: ``{"id", "role", "name"}``."""
        return {"id": self.id, "role": self.role, "name": self.name}

    @classmethod
    def from_dict(cls, value: object) -> Actor | None:
        """Read an actor from an event, or ``None`` when the value is not a well-formed actor."""
        if not isinstance(value, Mapping):
            return None
        actor_id, role, name = value.get("id"), value.get("role"), value.get("name")
        id_ok = (type(actor_id) is int) or (isinstance(actor_id, str) and actor_id != "")
        if not id_ok or role not in ROLES or not isinstance(name, str):
            return None
        return cls(id=cast(ActorId, actor_id), role=cast(Role, role), name=name)


@dataclass(frozen=True, slots=True)
class QuizRun:
    """One run of a quiz block: the answers so far and the points each answer scored.

    ``paced``: the run was started by a pupil answering at their own pace (pupil-paced mode),
    not by the teacher opening the quiz; it is never the ``active_quiz`` and stays open to
    pupil-paced answers until the lesson ends.
    """

    block_id: str
    opened_seq: int
    answers: dict[ActorId, tuple[Any, ...]] = field(default_factory=dict)
    points: dict[ActorId, tuple[float, ...]] = field(default_factory=dict)
    closed: bool = False
    revealed: bool = False
    timer_seconds: int | None = None
    timer_started_at: float | None = None
    paced: bool = False


@dataclass(frozen=True, slots=True)
class PollRun:
    """One run of a poll block: each voter's chosen option."""

    block_id: str
    opened_seq: int
    options: int
    votes: dict[ActorId, int] = field(default_factory=dict)
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Stroke:
    """A batch of whiteboard points drawn on one slide."""

    seq: int
    slide: int
    by: ActorId
    points: tuple[tuple[float, float], ...]
    color: str
    width: float


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line."""

    seq: int
    by: ActorId
    text: str
    at: float | None


MEDIA_KINDS = frozenset({"camera", "screen"})


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the room's WebRTC media shows, as the media home last told (``rtc.state``)."""

    live: bool = False
    kind: str | None = None  # "camera" | "screen" while live
    publisher: ActorId | None = None  # who is shown while live
    publication: int | None = None  # changes with every new publication


NOT_LIVE = MediaInfo()


@dataclass(frozen=True, slots=True)
class BoardShow:
    """What the teacher lets the board (the projector) show: the class's histograms and poll
    bars, the chat (pupils without names), the pupils' drawing on the whiteboard."""

    histogram: bool = True
    chat: bool = False
    work: bool = True


@dataclass(frozen=True, slots=True)
class Countdown:
    """The classroom countdown: ``seconds`` long; while ``running`` it ends at ``ends_at``
    (the server's clock) and ``remaining`` is what was left when it started, else
    ``remaining`` seconds are left."""

    seconds: int
    running: bool
    ends_at: float | None
    remaining: float


@dataclass(frozen=True, slots=True)
class Picker:
    """The random pupil picker: who was picked last (``None``: nobody on show), whether the
    teacher shows the name on the board, and who has been picked in this round (a round ends
    when every pupil who is here has been picked once)."""

    pupil: ActorId | None = None
    shown: bool = False
    picked: tuple[ActorId, ...] = ()


NO_PICK = Picker()


@dataclass(frozen=True, slots=True)
class RoomState:
    """Everything a room knows; built only by :func:`new_room` and :func:`apply`.

    The containers are plain dicts and tuples for speed, but are never changed in place:
    every update builds new ones.
    """

    blocks: tuple[dict[str, Any], ...] = ()
    title: str = ""
    roster: tuple[Actor, ...] = ()
    seq: int = 0
    slide: int = 0
    nav_free: bool = False
    # Pupil-paced mode: each pupil's own slide (only those who have moved since the mode
    # began; the others are on ``pace_start``, the teacher's slide when it began).
    pace: Pace = "teacher"
    pace_start: int = 0
    positions: dict[ActorId, int] = field(default_factory=dict)
    quizzes: dict[str, QuizRun] = field(default_factory=dict)
    active_quiz: str | None = None
    polls: dict[str, PollRun] = field(default_factory=dict)
    active_poll: str | None = None
    strokes: tuple[Stroke, ...] = ()
    board_points: int = 0
    pen: ActorId | None = None
    hands: tuple[ActorId, ...] = ()
    chat: tuple[ChatMessage, ...] = ()
    chat_on: bool = True
    people: dict[ActorId, Actor] = field(default_factory=dict)
    present: dict[ActorId, int] = field(default_factory=dict)
    attended: dict[ActorId, int] = field(default_factory=dict)
    kicked: frozenset[ActorId] = frozenset()
    locked: bool = False
    ended: bool = False
    media: MediaInfo = NOT_LIVE
    screen_grant: ActorId | None = None
    recording: bool = False
    show: BoardShow = BoardShow()
    countdown: Countdown | None = None
    picker: Picker = NO_PICK
    applied: dict[ActorId, dict[str, int]] = field(default_factory=dict)

    def applied_seq(self, actor_id: ActorId, message_id: str) -> int | None:
        """The seq at which ``actor_id``'s message ``message_id`` was applied, if it was."""
        return self.applied.get(actor_id, {}).get(message_id)

    def block(self, block_id: str) -> dict[str, Any] | None:
        """The lesson block with this id (compared as text), if any."""
        for block in self.blocks:
            if str(block.get("id")) == block_id:
                return block
        return None

    def present_count(self, role: Role) -> int:
        """How many people of ``role`` are connected now."""
        return self._role_counts().get(role, 0)

    def _role_counts(self) -> dict[str | None, int]:
        """How many people of each role are connected now (counted once per state: a welcome
        and a fan-out ask many times, and a room may hold a thousand; rooms filling at the
        same time each keep theirs)."""
        # ``present`` and ``people`` are replaced, never changed, whenever someone comes or goes.
        cached = _PRESENT_COUNTS.get(id(self.present))
        if cached is not None and cached[0] is self.present and cached[1] is self.people:
            return cached[2]
        counts: dict[str | None, int] = {}
        for actor_id in self.present:
            role = self.role_of(actor_id)
            counts[role] = counts.get(role, 0) + 1
        if len(_PRESENT_COUNTS) >= _PRESENT_COUNTS_KEPT:
            _PRESENT_COUNTS.clear()
        _PRESENT_COUNTS[id(self.present)] = (self.present, self.people, counts)
        return counts

    def role_of(self, actor_id: ActorId) -> str | None:
        """The role of a participant who has been in the room, if any."""
        person = self.people.get(actor_id)
        return person.role if person else None

    def position_of(self, pupil: ActorId) -> int:
        """The slide a pupil is on: their own in pupil-paced mode, else the teacher's."""
        if self.pace != "pupil":
            return self.slide
        return self.positions.get(pupil, self.pace_start)


# The newest states' counts of who is here, by their ``present``'s identity (kept in the
# entry, so an id is never mistaken for another's): ``(present, people, {role: count})``; a
# few rooms' worth (each entry holds its state's ``present`` and ``people``).
_PRESENT_COUNTS_KEPT = 16
_PRESENT_COUNTS: dict[int, tuple[Any, Any, dict[str | None, int]]] = {}

_Frozen = TypeVar("_Frozen")
# Each frozen dataclass's copier (see :func:`replace`), made on first use.
_COPIERS: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def replace(value: _Frozen, /, **changes: Any) -> _Frozen:
    """:func:`dataclasses.replace` for the room's frozen dataclasses (none has an
    ``__init__`` of its own, a ``__post_init__`` or an ``init=False`` field): a copy with
    ``changes``, made without running ``__init__``. A room's state has some thirty fields and
    is copied for every event, where the generic ``replace`` reads each field's definition
    and passes every value by keyword (about ten times slower)."""
    copier = _COPIERS.get(type(value))
    if copier is None:
        copier = _COPIERS[type(value)] = _copier(type(value))
    return cast(_Frozen, copier(value, changes))


def _copier(cls: type) -> Callable[[Any, dict[str, Any]], Any]:
    """A function ``(value, changes) -> copy`` for the frozen dataclass ``cls``: one line per
    field, each stored through the field's slot (what ``object.__setattr__`` does in the
    dataclass's own ``__init__``, without looking the name up each time)."""
    names = tuple(item.name for item in fields(cls))
    setters: dict[str, Callable[[Any, Any], None]] = {}
    for name in names:
        slot = cls.__dict__.get(name)
        if isinstance(slot, MemberDescriptorType):
            setters[name] = slot.__set__
        else:  # (a dataclass without slots)
            setters[name] = functools.partial(_put, name=name)
    lines = [
        "def copy(value, changes):",
        "    new = make(cls)",
        *(f"    setters[{name!r}](new, value.{name})" for name in names),
        "    for name, item in changes.items():",
        "        if name not in setters:",
        "            raise TypeError(f'{cls.__name__} has no field {name}')",
        "        setters[name](new, item)",
        "    return new",
    ]
    namespace: dict[str, Any] = {"cls": cls, "make": object.__new__, "setters": setters}
    exec("\n".join(lines), namespace)  # noqa: S102 - the code is made from field names
    return cast(Callable[[Any, dict[str, Any]], Any], namespace["copy"])


def _put(value: object, item: Any, *, name: str) -> None:
    object.__setattr__(value, name, item)


def new_room(
    blocks: Iterable[Mapping[str, Any]],
    *,
    title: str = "",
    roster: Iterable[Actor] = (),
    handed_over: bool = False,
) -> RoomState:
    """A fresh room for a lesson version's blocks (each a dict with ``id`` and ``kind``);
    ``roster`` lists the pupils expected, so the report can name the absent. The blocks are
    copied, unless ``handed_over`` (made for the room alone: read and decoded for it)."""
    copied = dict if handed_over else lambda block: copy.deepcopy(dict(block))
    return RoomState(
        blocks=tuple(copied(block) for block in blocks),
        title=title,
        roster=tuple(roster),
    )


def questions_of(block: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The questions of a quiz block (an empty list for anything else)."""
    if block is None or block.get("kind") != "quiz":
        return []
    questions = block.get("questions")
    if not isinstance(questions, list):
        return []
    return [question for question in questions if isinstance(question, dict)]


def score_answers(questions: list[dict[str, Any]], answers: Iterable[Any]) -> tuple[float, ...]:
    """Points scored by each answer, by ``lessons.scoring``; a question the scorer cannot
    handle scores 0 rather than breaking the room."""
    points: list[float] = []
    for question, answer in zip(questions, answers, strict=False):
        try:
            scored = float(score_question(question, answer))
        except Exception:  # the scorer sees pupils' raw input; a room must outlive its bugs
            scored = 0.0
        points.append(scored if math.isfinite(scored) else 0.0)
    return tuple(points)
