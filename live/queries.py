"""Reads of live lessons: sessions by code, who may join, the room's log, and what the
``/live`` page offers. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import direct_read
from eschool.access import taught_class_ids
from eschool.direct_read import DirectReads
from eschool.errors import NotFound
from eschool.models import Enrolment, Role, SchoolClass, User
from eschool.timeutil import iso
from gradebook.queries import teacher_slots_on
from lessons.models import LessonFilters
from lessons.search_queries import lessons_search
from live.models import CODE_LENGTH, LiveEvent, LiveSession, SessionStatus
from live.public_models import LiveSessionPublic
from live.room import Actor

# No 0/O, 1/I/L: a code read off a board is typed without guessing.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_INPUT_NOISE = re.compile(r"[\s\-–—_.]+")
_CODE_SHAPE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


# --- codes -----------------------------------------------------------------------------


def code_normalize(raw: str) -> str | None:
    """The canonical code (``"K7QF29"``) for what someone typed (``"k7qf-29"``), or ``None``
    when it cannot be a code. Case, spaces and dashes do not matter."""
    if len(raw) > 32:
        return None
    code = _CODE_INPUT_NOISE.sub("", raw).upper()
    return code if _CODE_SHAPE.match(code) else None


def code_display(code: str) -> str:
    """The code as people read it: ``K7QF-29``."""
    return f"{code[:4]}-{code[4:]}"


# --- sessions --------------------------------------------------------------------------


# Built once (every room a process opens reads its lesson, twice: for admission and the room).
_BY_CODE = select(LiveSession).where(col(LiveSession.code) == bindparam("code"))
_BY_CODE_IN_SCHOOL = _BY_CODE.where(col(LiveSession.school_id) == bindparam("school"))


async def session_by_code(
    session: AsyncSession, *, code: str, school_id: int | None = None
) -> LiveSession:
    """The live session with this code (typed in any case, with or without the dash).

    With ``school_id`` (anyone signed in) only that school's sessions are found, so one
    school never reaches another's lessons; visitors are not of any school. 404 otherwise.
    """
    canonical = code_normalize(code)
    if canonical is None:
        raise NotFound("No live lesson has this code.", code="unknown_code")
    values: dict[str, Any] = {"code": canonical}
    if school_id is None:
        query = _BY_CODE
    else:
        query, values["school"] = _BY_CODE_IN_SCHOOL, school_id
    found = (await session.exec(query, params=values)).first()
    if found is None:
        raise NotFound("No live lesson has this code.", code="unknown_code")
    return found


# What opening a room reads of its lesson, straight on the driver when the caller has direct
# reads (eschool.direct_read): a room opens on its first join, in a storm of joins at a bell.
_LIVE = LiveSession.__table__.c  # type: ignore[attr-defined]
_LESSON_FIELDS = tuple(column.key for column in _LIVE if column.key not in ("blocks", "report"))
_LESSON_OF_CODE = select(*(_LIVE[key] for key in _LESSON_FIELDS)).where(
    _LIVE.code == bindparam("code")
)
_STATUS_OF_CODE = select(_LIVE.id, _LIVE.status).where(_LIVE.code == bindparam("code"))
_ROOM_OF_CODE = select(_LIVE.title, _LIVE.class_id, _LIVE.blocks).where(
    _LIVE.code == bindparam("code")
)


async def _row_of_code(
    session: AsyncSession, statement: Any, code: str, reads: DirectReads | None
) -> tuple[Any, ...]:
    """``statement``'s row for the live session with this code (typed in any case, with or
    without the dash), straight on the driver with ``reads``; 404 when there is none."""
    canonical = code_normalize(code)
    row = None
    if canonical is not None:
        row = await direct_read.first(session, statement, {"code": canonical}, reads)
    if row is None:
        raise NotFound("No live lesson has this code.", code="unknown_code")
    return row


async def lesson_by_code(
    session: AsyncSession, *, code: str, reads: DirectReads | None = None
) -> LiveSession:
    """The live session with this code (as :func:`session_by_code` finds it, with no school)
    without its ``blocks`` and ``report`` (left empty): a copy of the row, never in
    ``session``, read straight on the driver with ``reads``."""
    row = await _row_of_code(session, _LESSON_OF_CODE, code, reads)
    return LiveSession(**dict(zip(_LESSON_FIELDS, row, strict=True)), blocks=[])


async def status_by_code(
    session: AsyncSession, *, code: str, reads: DirectReads | None = None
) -> tuple[int, str] | None:
    """``(id, status)`` of the live session with this exact code, or None; straight on the
    driver with ``reads``."""
    row = await direct_read.first(session, _STATUS_OF_CODE, {"code": code}, reads)
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True, slots=True)
class RoomLesson:
    """What a room starts from: the lesson's title, its blocks and its class (if any)."""

    title: str
    blocks: list[dict[str, Any]]
    class_id: int | None


async def room_lesson(
    session: AsyncSession, *, code: str, reads: DirectReads | None = None
) -> RoomLesson:
    """The title, blocks and class of the live session with this code (404 when none),
    straight on the driver with ``reads``."""
    title, class_id, blocks = await _row_of_code(session, _ROOM_OF_CODE, code, reads)
    return RoomLesson(title=title, blocks=blocks or [], class_id=class_id)


def session_public(live: LiveSession, *, base_url: str) -> LiveSessionPublic:
    """The wire form of a session: ``{"id","code","title","status",...,"join_url","ws_url"}``."""
    base = base_url.rstrip("/")
    display = code_display(live.code)
    ws_base = "wss" + base[5:] if base.startswith("https") else "ws" + base[4:]
    return LiveSessionPublic(
        id=live.id or 0,
        code=display,
        title=live.title,
        lesson_id=live.lesson_id,
        version=live.lesson_version,
        slot_id=live.slot_id,
        class_id=live.class_id,
        allow_observers=live.allow_observers,
        allow_observer_replay=live.allow_observer_replay,
        status=SessionStatus(live.status),
        started_at=iso(live.started_at) or "",
        ended_at=iso(live.ended_at),
        join_url=f"{base}/join?code={display}",
        ws_url=f"{ws_base}/live/{display}/ws",
        present_url=f"{base}/live/{display}/present",
        board_url=f"{base}/live/{display}/board",
    )


async def sessions_running(session: AsyncSession, *, actor: User) -> list[LiveSession]:
    """The active sessions that concern the actor, newest first: a teacher's own, the ones a
    pupil's class may join, every one of the school for an admin."""
    query = select(LiveSession).where(
        LiveSession.school_id == actor.school_id, LiveSession.status == SessionStatus.active
    )
    if actor.role == Role.teacher:
        query = query.where(LiveSession.teacher_id == actor.id)
    elif actor.role == Role.pupil:
        classes = select(Enrolment.class_id).where(Enrolment.pupil_id == actor.id)
        query = query.where(col(LiveSession.class_id).in_(classes))
    elif actor.role != Role.admin:
        return []
    rows = await session.exec(query.order_by(col(LiveSession.started_at).desc()))
    return list(rows.all())


async def sessions_recent(
    session: AsyncSession, *, actor: User, limit: int = 10
) -> list[LiveSession]:
    """A teacher's latest ended sessions, newest first (their reports)."""
    rows = await session.exec(
        select(LiveSession)
        .where(
            LiveSession.school_id == actor.school_id,
            LiveSession.teacher_id == actor.id,
            LiveSession.status == SessionStatus.ended,
        )
        .order_by(col(LiveSession.ended_at).desc())
        .limit(limit)
    )
    return list(rows.all())


# --- who may join ----------------------------------------------------------------------


# One statement each, compiled once (straight on the driver when the caller has direct reads):
# whether the pupil is enrolled in the lesson's class, or in any class the teacher teaches.
# (One row, true or false: the database stops at the first enrolment it finds.)
_ENROLLED_IN = select(
    exists().where(
        col(Enrolment.pupil_id) == bindparam("pupil"),
        col(Enrolment.class_id) == bindparam("class_id"),
    )
)
_ENROLLED_WITH = select(
    exists().where(
        col(Enrolment.pupil_id) == bindparam("pupil"),
        col(Enrolment.class_id).in_(taught_class_ids(bindparam("school"), bindparam("teacher"))),
    )
)


async def may_pupil_join(
    session: AsyncSession, *, live: LiveSession, pupil: User, reads: DirectReads | None = None
) -> bool:
    """Whether a pupil belongs to the class of the lesson (any class the teacher teaches
    when the session names none): one read, never kept (an enrolment changed a moment ago
    counts), straight on the driver with ``reads``."""
    if pupil.school_id != live.school_id:
        return False
    if live.class_id is not None:
        statement, values = _ENROLLED_IN, {"pupil": pupil.id, "class_id": live.class_id}
    else:
        statement = _ENROLLED_WITH
        values = {"pupil": pupil.id, "school": live.school_id, "teacher": live.teacher_id}
    row = await direct_read.first(session, statement, values, reads)
    return row is not None and bool(row[0])


_ROSTER = (
    select(col(User.id), col(User.name))
    .join(Enrolment, col(Enrolment.pupil_id) == User.id)
    .where(col(Enrolment.class_id) == bindparam("class_id"), col(User.role) == Role.pupil)
    .order_by(col(User.name), col(User.id))
)


async def roster_of(
    session: AsyncSession, *, class_id: int | None, reads: DirectReads | None = None
) -> list[Actor]:
    """The pupils expected at a lesson of the class, as room actors, by name; empty without a
    class. Straight on the driver with ``reads``."""
    if class_id is None:
        return []
    rows = await direct_read.all_rows(session, _ROSTER, {"class_id": class_id}, reads)
    return [Actor(id=pupil_id or 0, role="pupil", name=name) for pupil_id, name in rows]


async def class_name(session: AsyncSession, *, class_id: int | None) -> str | None:
    """The name of a class ("7A"), if any."""
    if class_id is None:
        return None
    found = await session.get(SchoolClass, class_id)
    return found.name if found else None


# --- the log ---------------------------------------------------------------------------


async def events_after(
    session: AsyncSession, *, session_id: int, after_seq: int = 0, limit: int | None = None
) -> list[LiveEvent]:
    """The stored events of a session's room with ``seq > after_seq``, in order."""
    query = (
        select(LiveEvent)
        .where(LiveEvent.session_id == session_id, LiveEvent.seq > after_seq)
        .order_by(col(LiveEvent.seq))
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await session.exec(query)).all())


_STORED_EVENTS = (
    select(col(LiveEvent.seq), col(LiveEvent.body))
    .where(col(LiveEvent.session_id) == bindparam("session_id"))
    .order_by(col(LiveEvent.seq))
)


async def stored_events(
    session: AsyncSession, *, session_id: int, reads: DirectReads | None = None
) -> list[tuple[int, str]]:
    """Every stored event of a session's room as ``(seq, body)``, in order, straight on the
    driver with ``reads``."""
    rows = await direct_read.all_rows(session, _STORED_EVENTS, {"session_id": session_id}, reads)
    return [(seq, body) for seq, body in rows]


async def last_stored_seq(session: AsyncSession, *, session_id: int) -> int:
    """The seq of the newest stored event of a session's room (0 when none)."""
    row = (
        await session.exec(
            select(LiveEvent.seq)
            .where(LiveEvent.session_id == session_id)
            .order_by(col(LiveEvent.seq).desc())
            .limit(1)
        )
    ).first()
    return int(row or 0)


# --- what the /live page offers --------------------------------------------------------


@dataclass(frozen=True)
class SlotChoice:
    """A journal slot of today the teacher may tie a live lesson to."""

    id: int
    label: str
    lesson_id: int | None


async def slots_today(session: AsyncSession, *, actor: User, today: date) -> list[SlotChoice]:
    """Today's journal slots of the courses the teacher teaches, by period."""
    rows = await teacher_slots_on(session, actor=actor, day=today)
    return [
        SlotChoice(
            id=slot.id or 0,
            label=f"{slot.period}. {slot.starts.strftime('%H:%M')} · {school_class.name} · "
            f"{subject.name}" + (f" · {slot.topic}" if slot.topic else ""),
            lesson_id=slot.lesson_id,
        )
        for slot, school_class, subject in rows
    ]


async def startable_lessons(session: AsyncSession, *, actor: User) -> list[dict[str, Any]]:
    """The published library lessons the actor may run (summaries, newest first)."""
    items, _total = await lessons_search(
        session, actor=actor, filters=LessonFilters(sort="title"), per_page=200
    )
    return [item.model_dump(mode="json") for item in items if item.version]
