"""Database work of live lessons: start, who joins as what, the room's durable log, the end,
the report and the write into the journal.

A room is named by its session's canonical join code in the broker and the hub. The broker
orders its log while the lesson runs; :class:`~live.event_log.EventLog` stores every event in
``live_events`` before it is acknowledged, whichever the broker, and puts the stored log back
into a broker that lost it, so the room resumes where it was.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.marking import journal_marks_write, marker_for
from eschool.access import classes_taught
from eschool.broker.base import Broker, BrokerError
from eschool.db import SessionMaker
from eschool.direct_read import DirectReads
from eschool.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unauthorized,
)
from eschool.i18n import LANGUAGES, current_language, set_language
from eschool.i18n import gettext as _
from eschool.models import Role, SchoolClass, User
from eschool.session_on_demand import session_on_demand
from eschool.timeutil import utcnow
from gradebook.queries import course_of_slot, slot_get
from gradebook.scales import DEFAULT_SCALE, get_scale
from lessons.queries import lesson_version_get
from live.admission import admission_forget
from live.admission import session_for_socket as session_for_socket  # where callers find it
from live.event_log import COPY_BATCH, EventLog
from live.event_log import LogNotStored as LogNotStored  # where callers have found it
from live.guesses import CodeGuesses as CodeGuesses  # where callers have found it
from live.hub import Hub
from live.models import JournalConfirm, LiveSession, LiveStart, SessionStatus
from live.queries import (
    CODE_ALPHABET,
    events_after,
    may_pupil_join,
    room_lesson,
    roster_of,
    session_by_code,
)
from live.report import report
from live.report_times import LessonTimes
from live.room import Actor, RoomState, new_room, replay
from live.rubrics import rubric_for_start, rubric_snapshot_add

logger = logging.getLogger(__name__)

OBSERVER_TOKEN_SECONDS = 12 * 3600
_TOKEN_PURPOSE = b"eschool live observer token v1"
_CODE_ATTEMPTS = 20
_COPY_BATCH = 500


# --- join codes ------------------------------------------------------------------------


def code_generate() -> str:
    """A random canonical join code: six characters of :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


async def _unused_code(session: AsyncSession) -> str:
    for _attempt in range(_CODE_ATTEMPTS):
        code = code_generate()
        taken = (await session.exec(select(LiveSession.id).where(LiveSession.code == code))).first()
        if taken is None:
            return code
    raise Conflict("Could not find a free join code; try again.")  # pragma: no cover


# --- observer tokens -------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, body: str) -> str:
    key = hmac.new(secret.encode(), _TOKEN_PURPOSE, hashlib.sha256).digest()
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def observer_token_issue(
    *,
    secret: str,
    session_id: int,
    name: str,
    now: float | None = None,
    ttl: int = OBSERVER_TOKEN_SECONDS,
) -> tuple[str, Actor]:
    """A signed token that lets a visitor watch one session until it expires.

    Returns ``(token, actor)``; the actor is the observer (a fresh string id and the name).
    """
    observer = Actor(id=f"v-{secrets.token_urlsafe(6)}", role="observer", name=name)
    expires = int((time.time() if now is None else now) + ttl)
    payload = {"s": session_id, "o": observer.id, "n": name, "e": expires}
    body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{body}.{_signature(secret, body)}", observer


def observer_token_read(
    *, secret: str, token: str, session_id: int, now: float | None = None
) -> Actor | None:
    """The observer a token names, or ``None`` when it is forged, expired or for another
    session."""
    body, _dot, signature = token.partition(".")
    # A token we issued is ASCII (base64 and a dot): anything else is forged, not a 500.
    if not body or not signature or len(token) > 1024 or not token.isascii():
        return None
    if not hmac.compare_digest(signature, _signature(secret, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict) or payload.get("s") != session_id:
        return None
    expires, observer_id, name = payload.get("e"), payload.get("o"), payload.get("n")
    if not isinstance(expires, int) or expires < (time.time() if now is None else now):
        return None
    if not isinstance(observer_id, str) or not isinstance(name, str):
        return None
    return Actor(id=observer_id, role="observer", name=name)


# --- starting and joining --------------------------------------------------------------


async def session_start(session: AsyncSession, *, actor: User, data: LiveStart) -> LiveSession:
    """Start a published lesson version live (teachers only).

    With ``slot_id`` the lesson is tied to a journal slot of a course the actor writes, and the
    slot's class may join; with ``class_id`` that class (one the actor teaches); with neither,
    the pupils of every class the actor teaches. Observers may watch when ``allow_observers``.
    """
    if actor.role != Role.teacher:
        raise Forbidden(_("Only teachers run live lessons."))
    lesson = await lesson_version_get(
        session, actor=actor, lesson_id=data.lesson_id, version=data.version
    )
    class_id = data.class_id
    if data.slot_id is not None:
        slot = await slot_get(session, actor=actor, slot_id=data.slot_id)
        if slot.course.access != "write":
            raise Forbidden(_("You do not teach this lesson slot."))
        class_id = slot.school_class.id
    elif class_id is not None:
        school_class = await session.get(SchoolClass, class_id)
        if school_class is None or school_class.school_id != actor.school_id:
            raise NotFound(_("No such class."))
        if class_id not in await classes_taught(session, actor):
            raise Forbidden(_("You do not teach this class."))
    rubric = await rubric_for_start(session, actor=actor, rubric_id=data.rubric_id)
    live = LiveSession(
        school_id=actor.school_id,
        code=await _unused_code(session),
        teacher_id=actor.id or 0,
        lesson_id=lesson["lesson_id"],
        lesson_version=lesson["version"],
        title=str(lesson.get("title") or "")[:300],
        blocks=list(lesson.get("blocks") or []),
        slot_id=data.slot_id,
        class_id=class_id,
        allow_observers=data.allow_observers,
        allow_observer_replay=data.allow_observer_replay,
    )
    session.add(live)
    await rubric_snapshot_add(session, live=live, rubric=rubric)
    await session.commit()
    await session.refresh(live)
    return live


def _require_active(live: LiveSession) -> None:
    if live.status != SessionStatus.active:
        raise Conflict(_("This live lesson has ended."), code="ended")


async def participant_for(
    session: AsyncSession,
    *,
    live: LiveSession,
    user: User | None,
    token: str | None,
    secret: str,
    reads: DirectReads | None = None,
) -> Actor:
    """Who someone is in a session's room.

    An observer token, when given, names a visiting observer. Otherwise the signed-in user:
    the session's teacher is the ``teacher``; a pupil of the lesson's class a ``pupil`` (a
    pupil of another class: 403); another teacher or an admin of the school an ``observer``
    (teachers only when observers are allowed). Nobody at all: 401. The pupil's class is
    read straight on the driver with ``reads``.
    """
    if token:
        observer = observer_token_read(secret=secret, token=token, session_id=live.id or 0)
        if observer is None:
            raise Unauthorized(_("This guest pass is not valid any more. Join again."))
        if not live.allow_observers:
            raise Forbidden(_("The teacher does not allow observers."), code="no_observers")
        return observer
    if user is None:
        raise Unauthorized(_("Sign in, or join as a guest with the code and your name."))
    if user.school_id != live.school_id:
        raise NotFound(_("No live lesson has this code."), code="unknown_code")
    if user.id == live.teacher_id:
        return Actor(id=user.id, role="teacher", name=user.name)
    if user.role == Role.pupil:
        if await may_pupil_join(session, live=live, pupil=user, reads=reads):
            return Actor(id=user.id or 0, role="pupil", name=user.name)
        raise Forbidden(_("This live lesson is for another class."), code="other_class")
    if user.role == Role.admin or (user.role == Role.teacher and live.allow_observers):
        return Actor(id=user.id or 0, role="observer", name=user.name)
    raise Forbidden(_("You may not join this live lesson."))


async def observer_join(
    session: AsyncSession, *, code: str, name: str, secret: str
) -> tuple[LiveSession, str, Actor]:
    """Let a visitor watch: ``(session, token, observer)``. 403 when the teacher does not allow
    observers, 409 when the lesson has ended, 404 for an unknown code."""
    live = await session_by_code(session, code=code)
    _require_active(live)
    if not live.allow_observers:
        raise Forbidden(_("The teacher does not allow observers."), code="no_observers")
    token, observer = observer_token_issue(secret=secret, session_id=live.id or 0, name=name)
    return live, token, observer


def require_runner(actor: User, live: LiveSession) -> None:
    """Refuse anyone but the session's teacher or an admin of its school (404 for another
    school, so codes are not confirmed across schools)."""
    if actor.school_id != live.school_id:
        raise NotFound(_("No live lesson has this code."), code="unknown_code")
    if actor.id != live.teacher_id and actor.role != Role.admin:
        raise Forbidden(_("Only the teacher who runs this lesson may do this."))


# --- the room's log ------------------------------------------------------------------
# The durable log itself (EventLog, LogNotStored) lives in live/event_log.py.


async def room_initial(session: AsyncSession, *, live: LiveSession) -> RoomState:
    """A session's room before any event: the lesson's blocks and the class's roster."""
    roster = await roster_of(session, class_id=live.class_id)
    return new_room(live.blocks, title=live.title, roster=roster)


def room_loader(
    sessionmaker: SessionMaker, reads: DirectReads | None = None
) -> Callable[[str], Awaitable[RoomState]]:
    """The hub's ``load_room``: a room's initial state (the hub has the durable log put the
    stored events back into the broker first, when the broker lost them). Read straight on
    the driver with ``reads``, in a session opened only if a read needs one."""

    async def load(room_id: str) -> RoomState:
        async with session_on_demand(sessionmaker) as session:
            lesson = await room_lesson(session, code=room_id, reads=reads)
            roster = await roster_of(session, class_id=lesson.class_id, reads=reads)
        return new_room(lesson.blocks, title=lesson.title, roster=roster, handed_over=True)

    return load


async def room_state_now(session: AsyncSession, *, live: LiveSession, broker: Broker) -> RoomState:
    """The room as its whole log says: the stored events as far as they go without a gap, then
    what the broker holds (events other processes are storing right now), else the rest of the
    stored ones."""
    state = await room_initial(session, live=live)
    stored = [
        json.loads(row.body) | {"seq": row.seq}
        for row in await events_after(session, session_id=live.id or 0)
    ]
    unbroken = next(
        (index for index, event in enumerate(stored) if event["seq"] != index + 1), len(stored)
    )
    state = replay(state, stored[:unbroken])
    try:
        while True:
            batch = await broker.read(live.code, state.seq, COPY_BATCH)
            if not batch or batch[0]["seq"] != state.seq + 1:
                break
            state = replay(state, batch)
    except BrokerError:
        logger.warning("live room %s: broker unreachable, report from stored log", live.code)
    return replay(state, stored[unbroken:])


# --- the end, the report, the journal --------------------------------------------------


async def session_end(
    session: AsyncSession, *, actor: User, live: LiveSession, hub: Hub, log: EventLog
) -> dict[str, Any]:
    """End the lesson (the session's teacher or an admin): mark it ended, emit ``lesson.end``
    (every connection closes), store the whole log and the report. Ending twice returns the
    same report."""
    require_runner(actor, live)
    room_id, session_id = live.code, live.id or 0
    admission_forget(room_id)
    if live.status == SessionStatus.active:
        live.status = SessionStatus.ended
        live.ended_at = utcnow()
        session.add(live)
        await session.commit()
    if live.report is None:
        # After a restart the broker may hold nothing yet: the end must follow the stored log.
        await log.restore(session_id=session_id, room_id=room_id, allow_ended=True)
        who = Actor(id=actor.id or 0, role="teacher", name=actor.name)
        await hub.emit(room_id, "lesson.end", actor=who if actor.id == live.teacher_id else None)
        await log.flush(session_id=session_id, room_id=room_id)
        state = await room_state_now(session, live=live, broker=log.broker)
        live.report = report(state, times=await _times(session, live=live))
        session.add(live)
        await session.commit()
        await log.release(room_id)
    return await report_with_marks(session, live=live, body=live.report)


async def _times(session: AsyncSession, *, live: LiveSession) -> LessonTimes:
    """When each slide was shown and who was here when (the report's timed parts)."""
    from live.timeline import stored_times  # it reads passes with this module's code

    return await stored_times(session, live=live)


async def session_report(
    session: AsyncSession, *, actor: User, live: LiveSession, broker: Broker
) -> dict[str, Any]:
    """The report (teacher of the session or admin): the stored one once the lesson has ended,
    else the report so far."""
    require_runner(actor, live)
    if live.report is not None:
        return await report_with_marks(session, live=live, body=live.report)
    state = await room_state_now(session, live=live, broker=broker)
    body = report(state, times=await _times(session, live=live))
    return await report_with_marks(session, live=live, body=body)


def _entry_share(entry: dict[str, Any]) -> float | None:
    """A report entry's share of the points (reports stored before shares had percents)."""
    share = entry.get("share")
    if isinstance(share, int | float):
        return float(share)
    percent = entry.get("percent")
    return percent / 100 if isinstance(percent, int | float) else None


async def report_with_marks(
    session: AsyncSession, *, live: LiveSession, body: dict[str, Any]
) -> dict[str, Any]:
    """The report with a mark proposed for every result on the course's own scale (through
    classwork, the path homework takes too) and that scale; a lesson not tied to a journal
    slot proposes marks on the default scale."""
    course = await course_of_slot(session, slot_id=live.slot_id) if live.slot_id else None
    scale_code = course.scale if course is not None else DEFAULT_SCALE
    mark = await marker_for(session, school_id=live.school_id, scale_code=scale_code)

    def marked(entry: dict[str, Any]) -> dict[str, Any]:
        share = _entry_share(entry)
        return {**entry, "share": share, "mark": mark(share) if share is not None else None}

    return {
        **body,
        "scale": get_scale(scale_code).as_dict(),
        "proposed": [marked(entry) for entry in body.get("proposed", [])],
        "quiz": [
            {**quiz, "results": [marked(entry) for entry in quiz.get("results", [])]}
            for quiz in body.get("quiz", [])
        ],
    }


async def _journal_comment(session: AsyncSession, *, live: LiveSession) -> str:
    """The marks' comment, in the language of the lesson taught (the school's, not the
    teacher's interface: pupils and parents read it), else in the request's."""
    from lessons.models import LessonVersion

    language = (
        await session.exec(
            select(LessonVersion.language).where(
                LessonVersion.lesson_id == live.lesson_id,
                LessonVersion.number == live.lesson_version,
            )
        )
    ).first()
    base = (language or "").split("-")[0]
    previous = current_language()
    set_language(base if base in LANGUAGES else previous)
    try:
        return _("Live lesson: {title}", title=live.title)[:500]
    finally:
        set_language(previous)


async def journal_write(
    session: AsyncSession, *, actor: User, live: LiveSession, data: JournalConfirm
) -> dict[str, Any]:
    """Write the confirmed marks (and, with ``attendance``, present/absent from who joined)
    into the tied journal slot through the gradebook's services, in one transaction.

    409 ``no_slot`` when the session is not tied to a slot, ``not_ended`` while it runs,
    ``already_written`` the second time; a mark the course's scale refuses → 422 and nothing is
    written.
    """
    from gradebook.services import attendance_take

    require_runner(actor, live)
    if live.slot_id is None:
        raise Conflict(
            _("This live lesson is not tied to a journal slot, so there is nowhere to write."),
            code="no_slot",
        )
    if live.status != SessionStatus.ended or live.report is None:
        raise Conflict(_("End the lesson before writing it into the journal."), code="not_ended")
    if live.journal_at is not None:
        raise Conflict(_("This lesson is already in the journal."), code="already_written")
    marked = {mark.pupil_id for mark in data.marks}
    if len(marked) != len(data.marks):
        raise Conflict(_("Give each pupil one mark."), code="duplicate_pupil")
    comment = data.comment or await _journal_comment(session, live=live)
    mark_ids: list[int] = []
    statuses: dict[int, str] = {}
    try:
        written = await journal_marks_write(
            session,
            actor=actor,
            slot_id=live.slot_id,
            marks=[(proposed.pupil_id, proposed.value) for proposed in data.marks],
            work_type=data.work_type,
            comment=comment,
        )
        mark_ids = [mark.id or 0 for mark in written.values()]
        if data.attendance:
            for entry in live.report.get("attendance", []):
                pupil_id = entry.get("id")
                if type(pupil_id) is not int:
                    continue
                status = "present" if entry.get("joined") else "absent"
                await attendance_take(
                    session,
                    actor=actor,
                    pupil_id=pupil_id,
                    slot_id=live.slot_id,
                    status=status,
                    commit=False,
                )
                statuses[pupil_id] = status
        live.journal_at = utcnow()
        live.journal_by = actor.id
        session.add(live)
        await session.commit()
    except (DomainError, IntegrityError):
        await session.rollback()
        raise
    return {"slot_id": live.slot_id, "marks": mark_ids, "attendance": statuses}
