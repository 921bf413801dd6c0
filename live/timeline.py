"""A lesson's replay: its stored log projected for one viewer, event by event, exactly as the
live room sent it.

The timeline is read straight from ``live_events`` (no processing step: it is there the moment
the lesson ends, and while it runs it goes up to now). Each event is folded into the room with
the room's own reducer (:func:`live.room.step`) and, when it changed the room, projected with
the live room's own code (:func:`live.projections.event_for`): what the hub would have sent a
viewer of that role at that moment. So the teacher's replay shows everything; an observer's has
no pupil's name or answer, as live. ``at`` is seconds since the lesson started.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, NotFound, Unauthorized
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import iso
from live.handlers.base import is_number
from live.models import LiveSession, SessionStatus
from live.queries import events_after
from live.report_times import LessonTimes, lesson_times
from live.room import Actor, RoomState, new_room, step
from live.services import observer_token_read
from live.views import event_for, view_for

# Kept as they are: a replay needs no more than a millisecond.
_DIGITS = 3


def unix_time(moment: datetime | None) -> float | None:
    """A stored datetime (naive ones are UTC) as unix seconds."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def event_at(event: Mapping[str, Any]) -> float | None:
    """When an event was appended (unix seconds), if it says."""
    at = event.get("at")
    return float(at) if is_number(at) and math.isfinite(at) else None


async def stored_log(session: AsyncSession, *, live: LiveSession) -> list[dict[str, Any]]:
    """The room's stored events in seq order, as the reducer takes them."""
    rows = await events_after(session, session_id=live.id or 0)
    events = []
    for row in rows:
        try:
            body = json.loads(row.body)
        except ValueError:
            continue
        if isinstance(body, dict):
            events.append(body | {"seq": row.seq})
    return events


async def stored_times(
    session: AsyncSession, *, live: LiveSession, now: float | None = None
) -> LessonTimes:
    """When each slide was shown and who was here when, from the stored log (the report's
    timing parts)."""
    events = await stored_log(session, live=live)
    return lesson_times(
        new_room(live.blocks),
        events,
        origin=unix_time(live.started_at),
        now=now if now is not None else time.time(),
    )


# --- who may replay -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayViewer:
    """Whose eyes a replay is seen with: the teacher's (the teacher and admins) or an
    observer's."""

    actor: Actor

    @property
    def is_teacher(self) -> bool:
        return self.actor.role == "teacher"


def teacher_actor(live: LiveSession, teacher: User | None) -> Actor:
    """The lesson's teacher as the room knows them."""
    return Actor(id=live.teacher_id, role="teacher", name=teacher.name if teacher else "")


async def replay_viewer(
    session: AsyncSession, *, live: LiveSession, user: User | None, token: str | None, secret: str
) -> ReplayViewer:
    """Who may replay a lesson, and with whose view.

    The lesson's teacher and the school's admins: the teacher's view. An observer (a visitor's
    pass, or another teacher of the school when observers were allowed): an observer's view, only
    when the teacher allowed observers to replay (403 ``no_replay`` otherwise). Pupils: 403;
    another school: 404; nobody: 401.
    """
    if token:
        observer = observer_token_read(secret=secret, token=token, session_id=live.id or 0)
        if observer is None:
            raise Unauthorized(_("This guest pass is not valid any more. Join again."))
        _require_observer_replay(live)
        return ReplayViewer(observer)
    if user is None:
        raise Unauthorized(_("Sign in, or join as a guest with the code and your name."))
    if user.school_id != live.school_id:
        raise NotFound(_("No live lesson has this code."), code="unknown_code")
    if user.id == live.teacher_id or user.role == Role.admin:
        teacher = user if user.id == live.teacher_id else await session.get(User, live.teacher_id)
        return ReplayViewer(teacher_actor(live, teacher))
    if user.role == Role.teacher and live.allow_observers:
        _require_observer_replay(live)
        return ReplayViewer(Actor(id=user.id or 0, role="observer", name=user.name))
    raise Forbidden(_("Only the teacher and the observers the teacher allows may replay a lesson."))


def _require_observer_replay(live: LiveSession) -> None:
    if not live.allow_observer_replay:
        raise Forbidden(
            _("The teacher has not allowed observers to watch the replay."), code="no_replay"
        )


# --- the projection -------------------------------------------------------------------------


def timeline(
    initial: RoomState,
    events: Iterable[Mapping[str, Any]],
    viewer: Actor,
    *,
    origin: float | None,
    end: float | None,
) -> dict[str, Any]:
    """The log as ``viewer`` would have seen it live: ``{"duration", "events": [{"seq", "at",
    "type", "data"}], "initial", "you", "seq", "ended", "started"}``.

    ``initial`` is the room before any event (``initial`` in the answer is the viewer's snapshot
    of it, the ``state`` a ``welcome`` would carry); ``at`` counts seconds from ``origin`` (the
    lesson's start, unix seconds; the first event's time without one) and never goes back, even
    where two processes' clocks disagree. ``end``: when the lesson ended (or now, while it runs).
    """
    state = initial
    projected: list[dict[str, Any]] = []
    start = origin
    last = 0.0
    for event in events:
        state, changed = step(state, event)
        moment = event_at(event)
        if start is None and moment is not None:
            start = moment
        if moment is not None and start is not None:
            last = max(last, moment - start)
        if not changed:
            continue
        frame = event_for(event, viewer, state=state)
        if frame is None:
            continue
        projected.append(
            {
                "seq": frame["seq"],
                "at": round(last, _DIGITS),
                "type": frame["type"],
                "data": frame["data"],
            }
        )
    if end is not None and start is not None:
        last = max(last, end - start)
    return {
        "duration": round(last, _DIGITS),
        "started": start,
        "started_at": iso(datetime.fromtimestamp(start, UTC)) if start is not None else None,
        "seq": state.seq,
        "ended": state.ended,
        "you": viewer.as_dict(),
        "initial": view_for(initial, viewer),
        "events": projected,
    }


async def timeline_for(
    session: AsyncSession, *, live: LiveSession, viewer: ReplayViewer, initial: RoomState
) -> dict[str, Any]:
    """The stored log of ``live`` projected for ``viewer`` (see :func:`timeline`)."""
    events = await stored_log(session, live=live)
    ended = live.status == SessionStatus.ended
    end = unix_time(live.ended_at) if ended else time.time()
    body = timeline(initial, events, viewer.actor, origin=unix_time(live.started_at), end=end)
    return {**body, "status": live.status, "title": live.title}
