"""``note.add`` over the room's socket: an observer's note or score, stored apart from the
room (never an event of the log, never fanned out), answered to its author alone.

Not a reducer handler like the rest of this package: the WebSocket session
(``_handle`` in :mod:`live.socket_session`) hands ``note.add`` here before the hub sees it,
and calls :func:`notes_welcome` after the welcome, so an observer's panel gets back the rubric
and their own notes on every (re)connect. Frames sent here: ``note.list {"rubric", "notes"}`` and
``note.added {"note"}`` (direct frames, no seq), then the ``ack`` (its seq: the room's seq the
note was stamped with) or an ``error`` (``forbidden``, ``invalid``, ``rate_limited``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from eschool.i18n import gettext as _
from live.admission import session_for_socket
from live.feedback import NoteInput, NoteRefused, author_key, note_public, note_store, notes_of
from live.models import LiveSession
from live.protocol import ack_frame, direct_frame, error_frame
from live.protocol_notes import NoteAdd
from live.room import Actor
from live.rubrics import session_rubric

logger = logging.getLogger(__name__)


class Channel(Protocol):
    """What this module needs of the socket session's channel (live.socket_session.LiveChannel)."""

    live_id: int
    room_id: str
    actor: Actor

    @property
    def app(self) -> Starlette: ...

    async def send(self, frame: str) -> None: ...


# Per lesson, what an observer's panel needs besides their notes: when the lesson started and
# the rubric snapshot it was started with. Both are written once, with the lesson, and never
# change, so a copy read once per app (one database) serves every observer's (re)connect;
# nothing to invalidate. Bounded: cleared when full (a later join reads it again).
_PANEL_FACTS = "live_panel_facts"  # the app.state attribute
_PANEL_FACTS_MOST = 4_096
PanelFacts = tuple[datetime, dict[str, Any] | None]


async def _panel_facts(session: AsyncSession, channel: Channel) -> PanelFacts:
    """``(started_at, rubric)`` of the channel's lesson (see ``_PANEL_FACTS``); the lesson
    as the socket's admission found it (its content is not read again)."""
    state = channel.app.state
    kept: dict[int, PanelFacts] | None = getattr(state, _PANEL_FACTS, None)
    if kept is None:
        kept = {}
        setattr(state, _PANEL_FACTS, kept)
    found = kept.get(channel.live_id)
    if found is None:
        live = await session_for_socket(session, code=channel.room_id)
        if len(kept) >= _PANEL_FACTS_MOST:
            kept.clear()
        found = kept[channel.live_id] = (live.started_at, await session_rubric(session, live=live))
    return found


async def notes_welcome(channel: Channel) -> None:
    """After the welcome: an observer gets ``note.list`` (the lesson's rubric and their own
    notes so far); nobody else gets anything. One read per join: the notes."""
    if channel.actor.role != "observer":
        return
    async with channel.app.state.sessionmaker() as session:
        started, rubric = await _panel_facts(session, channel)
        notes = await notes_of(session, live_id=channel.live_id, author=author_key(channel.actor))
        items = [note_public(note, started=started).model_dump(mode="json") for note in notes]
        body: dict[str, Any] = {"rubric": rubric, "notes": items}
    await channel.send(direct_frame("note.list", body))


async def note_add(channel: Channel, message: NoteAdd) -> None:
    """Store an observer's ``note.add`` stamped with the room's seq and slide; answer it."""
    actor = channel.actor
    if actor.role != "observer":
        await channel.send(
            error_frame(message.id, "forbidden", _("Only observers write notes on a lesson."))
        )
        return
    state = channel.app.state.hub.replica(channel.room_id)
    if state is None or state.ended:
        await channel.send(error_frame(message.id, "ended", _("This live lesson has ended.")))
        return
    data = message.data
    note = NoteInput(
        mid=message.id,
        text=data.text,
        criterion=data.criterion,
        level=data.level,
        seq=state.seq,
        slide=state.slide,
    )
    try:
        async with channel.app.state.sessionmaker() as session:
            stored = await note_store(session, live_id=channel.live_id, actor=actor, note=note)
            live = await session.get(LiveSession, channel.live_id)
            started = live.started_at if live else None
            public = note_public(stored, started=started).model_dump(mode="json")
    except NoteRefused as refusal:
        await channel.send(error_frame(message.id, refusal.code, refusal.message))
        return
    except Exception:
        logger.exception("live room %s: a note was not stored", channel.room_id)
        await channel.send(
            error_frame(message.id, "unavailable", _("Not saved: try again in a moment."))
        )
        return
    await channel.send(direct_frame("note.added", {"note": public}))
    await channel.send(ack_frame(message.id, public["seq"]))
