"""The durable log of live rooms: every event is in ``live_events`` before it is acknowledged,
whichever broker carries the room.

The broker (in-process or Redis) gives a room's events their seqs and fans them out; the
database holds the durable copy:

- Each process stores the events *it* appended. The hub hands each one to
  :meth:`EventLog.record`; one writer task per process stores whatever has been recorded so far,
  in every room, in one transaction (a group commit of at most ``max_batch`` events: twenty
  rooms are one commit, not twenty, on SQLite's single writer), and :meth:`EventLog.sync`
  returns once a commit holds everything the process recorded in the room before the call: the
  WebSocket session waits for it before it acknowledges a command, and a join's welcome for
  what it shows (the events recorded when it was made, up to the newest that is not a coming
  or going: :meth:`EventLog.lasting_recorded`; arrivals and departures are not kept across a
  restore, which closes the presence the stored log shows). While nobody waits, the writer
  lingers up to :data:`LINGER_SECONDS` for more to store together (a class arriving at a bell
  is a commit every 20 ms, not one per arrival); a sync ends the lingering at once. When that
  shared transaction fails, each room's part is tried alone, so one room's trouble is not
  another's. On a SQLite file the commit is made in one step in the loop's thread when the
  database is free (:mod:`live.log_writer`), else through a session as described here. So the
  row of seq N is written by the process that got N, in the same batches whether the broker is
  in-process or Redis, and nothing is read back from the broker for it.
- When the broker has lost a room's log (Redis restarted without persistence or was flushed, the
  process of the in-process broker restarted), :meth:`EventLog.restore` puts the stored log back
  before anything new is appended (the hub appends with ``existing_only``), so seqs go on from
  the stored ones. A seq missing from the stored log (the process that got it stopped before
  storing it, so it was never acknowledged) is filled with a ``log.gap`` event that changes
  nothing. Every connection went with the log, so the presence the log shows is closed with
  ``presence.leave`` events.
- A seq found stored with another event than the one recorded here (only possible when a log
  was restored while its process was still storing it) is not acknowledged: the callers waiting
  on that commit get :class:`LogNotStored`, and when the broker's log disagrees with the
  database it is dropped, so every process rebuilds the room from the stored log.
- :meth:`EventLog.flush` (the end of a lesson) also copies what the broker holds and the
  database lacks: events of a process that stopped before storing them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from contextlib import AbstractAsyncContextManager

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.broker.base import Broker, BrokerError, Event, LogClosed
from eschool.db import SessionMaker
from eschool.direct_read import DirectReads
from eschool.session_on_demand import session_on_demand
from eschool.sqlite_direct import passive_checkpoint
from live.log_rooms import LogNotStored as LogNotStored  # where callers find it
from live.log_rooms import LogRoom, Waiter, settle
from live.log_writer import DirectLogWriter
from live.models import LiveEvent, LiveSession, SessionStatus
from live.presence import COMINGS_AND_GOINGS
from live.queries import last_stored_seq, status_by_code, stored_events
from live.room import RoomState, replay

logger = logging.getLogger(__name__)

COPY_BATCH = 500
GAP_EVENT = "log.gap"
# How long the writer waits for more events to store together when nobody waits for those
# recorded (a class's arrivals at a bell, which their welcomes do not show): a commit every
# 20 ms at most then, not one per arrival.
LINGER_SECONDS = 0.02
# How long a shutdown waits for what is recorded to be stored.
_CLOSE_SECONDS = 5.0
# Rows go in through Core, not the ORM's bulk insert: nothing is read back, and it is lighter.
_INSERT = insert(LiveEvent.__table__)  # type: ignore[attr-defined]
# How often a transaction is tried again after another writer stored some of its seqs.
_INSERT_ATTEMPTS = 4


def event_body(event: Event) -> str:
    """An event as stored: its JSON text without the seq, as the broker holds it."""
    return json.dumps(
        {key: value for key, value in event.items() if key != "seq"},
        ensure_ascii=False,
        separators=(",", ":"),
    )


class EventLog:
    """Stores rooms' events in ``live_events`` and puts a lost log back into the broker (see
    the module). ``drop_ended``: free the broker's copy once a lesson is stored (the in-process
    broker; Redis lets it expire, so other processes still read the end)."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        broker: Broker,
        *,
        drop_ended: bool = True,
        max_batch: int = COPY_BATCH,
        direct: DirectLogWriter | None = None,
        reads: DirectReads | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.broker = broker
        self.drop_ended = drop_ended
        self.max_batch = max_batch
        self.direct = direct
        # A room's lesson and stored log are read straight on the driver with these.
        self.reads = reads
        self._rooms: dict[str, LogRoom] = {}
        self._sessions: dict[str, int] = {}
        # The rooms with events to store, in the order they recorded them; the writer's task.
        self._due: dict[str, LogRoom] = {}
        self._writer: asyncio.Task[None] | None = None
        # Resolved to end the writer's lingering (see _linger).
        self._lingering: asyncio.Future[None] | None = None

    def _room(self, room_id: str) -> LogRoom:
        return self._rooms.setdefault(room_id, LogRoom())

    # --- what this process appended ------------------------------------------------------

    def record(self, room_id: str, event: Event) -> None:
        """Take an event this process appended (or found applied again) to store it; the room's
        writer starts at once, without waiting for anyone to :meth:`sync`."""
        room = self._room(room_id)
        room.pending.append((event["seq"], event_body(event)))
        room.recorded += 1
        if event.get("type") not in COMINGS_AND_GOINGS:
            room.lasting = room.recorded
        self._start_writer(room_id, room)

    def lasting_recorded(self, room_id: str) -> int:
        """How many events this process has recorded in the room up to the newest that is not
        a coming or going (``presence.join``/``presence.leave``): what a welcome made now
        waits for (``sync(upto=...)``). Presence is not kept across a rebuild of the room (a
        restore closes what the stored log shows), so a welcome may show an arrival that is not
        stored yet."""
        room = self._rooms.get(room_id)
        return room.lasting if room is not None else 0

    async def sync(
        self, *, room_id: str, session_id: int | None = None, upto: int | None = None
    ) -> None:
        """Return once a commit holds every event this process recorded in the room before
        the call (the first ``upto`` of them, with ``upto``: see :meth:`lasting_recorded`); raise
        :class:`LogNotStored` when that commit failed (nothing may be acknowledged then)."""
        if session_id:
            self._sessions.setdefault(room_id, session_id)
        room = self._rooms.get(room_id)
        if room is None:
            return
        wanted = room.recorded if upto is None else min(upto, room.recorded)
        if room.stored >= wanted:
            return
        waiter = Waiter(wanted, asyncio.get_running_loop().create_future())
        room.waiters.append(waiter)
        self._start_writer(room_id, room)
        if self._lingering is not None and not self._lingering.done():
            self._lingering.set_result(None)  # someone waits: no more lingering
        await waiter.done

    def _start_writer(self, room_id: str, room: LogRoom) -> None:
        self._due.setdefault(room_id, room)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="live-log-writer")

    async def _write(self) -> None:
        """The process's writer: one transaction after another while events are recorded,
        each holding what every room recorded so far (up to ``max_batch`` events)."""
        try:
            while self._due:
                if not any(room.waiters for room in self._due.values()):
                    await self._linger()
                batch: dict[str, list[tuple[int, str]]] = {}
                room_count = 0
                for room_id, room in list(self._due.items()):
                    if not room.pending:
                        del self._due[room_id]
                        continue
                    batch[room_id] = list(itertools.islice(room.pending, self.max_batch))
                    room_count += len(batch[room_id])
                    if room_count >= self.max_batch:
                        break
                if batch:
                    await self._store_batch(batch)
                if self.direct is not None and self.direct.checkpoint_due():
                    await self._checkpoint()
        finally:
            self._writer = None
            for room in self._due.values():
                room.fail(BrokerError("the live log's writer stopped"))
            self._due.clear()

    async def _linger(self) -> None:
        """Nobody waits for what is recorded: wait up to :data:`LINGER_SECONDS` (less when a
        :meth:`sync` comes) for more to go in the same commit."""
        loop = asyncio.get_running_loop()
        self._lingering = lingering = loop.create_future()
        timer = loop.call_later(LINGER_SECONDS, settle, lingering)
        try:
            await lingering
        finally:
            timer.cancel()
            self._lingering = None

    async def _store_batch(self, batch: dict[str, list[tuple[int, str]]]) -> None:
        """Store each room's part of ``batch`` and release its waiters: in one transaction,
        or, when that fails (or for a single room), each room in its own."""
        outcomes: dict[str, list[int] | Exception] = {}
        if self._stored_directly(batch):
            outcomes = {room_id: [] for room_id in batch}
        elif len(batch) > 1:
            try:
                await self._store_rooms(batch)
                outcomes = {room_id: [] for room_id in batch}
            except Exception:  # tried again room by room, so the cause shows there
                logger.info("live log: a shared transaction failed", exc_info=True)
        for room_id, rows in batch.items():
            if room_id not in outcomes:
                try:
                    outcomes[room_id] = await self._store(room_id, rows)
                except Exception as exc:
                    logger.warning("live room %s: log not stored", room_id, exc_info=True)
                    outcomes[room_id] = exc
        for room_id, outcome in outcomes.items():
            room = self._rooms[room_id]
            if isinstance(outcome, Exception):
                # The batch stays pending for the next writer (a record or a sync starts it).
                room.fail(outcome)
                self._due.pop(room_id, None)
            else:
                room.release(len(batch[room_id]), outcome)

    def _stored_directly(self, batch: dict[str, list[tuple[int, str]]]) -> bool:
        """Whether the batch went in on the direct writer (SQLite, rooms whose session is
        known: see live.log_writer); False when it must take the usual way."""
        if self.direct is None or not all(room_id in self._sessions for room_id in batch):
            return False
        rows = [
            (self._sessions[room_id], seq, body)
            for room_id, room_rows in batch.items()
            for seq, body in dict(sorted(room_rows)).items()
        ]
        return self.direct.store(rows)

    async def _checkpoint(self) -> None:
        """A passive WAL checkpoint off the loop, after the direct writer's commits."""
        await passive_checkpoint(self.sessionmaker)

    async def _store_rooms(self, batch: dict[str, list[tuple[int, str]]]) -> None:
        """Insert several rooms' ``(seq, body)`` rows in one transaction (any failure rolls
        it all back: see :meth:`_store_batch`)."""
        async with self.sessionmaker() as session:
            params = []
            for room_id, rows in batch.items():
                session_id = await self._session_id(session, room_id)
                params += [
                    {"session_id": session_id, "seq": seq, "body": body}
                    for seq, body in dict(sorted(rows)).items()
                ]
            await session.exec(_INSERT, params=params)
            await session.commit()

    async def _store(self, room_id: str, batch: list[tuple[int, str]]) -> list[int]:
        """Insert ``(seq, body)`` rows in one transaction. Seqs already stored with the same
        body are done (a retried command, the end's copy); returns those stored with another
        event (lost here: see the module)."""
        rows = dict(sorted(batch))
        lost: dict[int, str] = {}
        async with self.sessionmaker() as session:
            session_id = await self._session_id(session, room_id)
            for attempt in range(_INSERT_ATTEMPTS + 1):
                if not rows:
                    break
                if attempt == _INSERT_ATTEMPTS:
                    raise LogNotStored(f"room {room_id!r}: seqs kept being stored by others")
                params = [
                    {"session_id": session_id, "seq": seq, "body": body}
                    for seq, body in rows.items()
                ]
                try:
                    await session.exec(_INSERT, params=params)
                    await session.commit()
                    break
                except IntegrityError:
                    await session.rollback()
                query = select(LiveEvent.seq, LiveEvent.body).where(
                    LiveEvent.session_id == session_id, col(LiveEvent.seq).in_(list(rows))
                )
                for seq, body in (await session.exec(query)).all():
                    if rows.pop(seq) != body:
                        lost[seq] = body
        if lost:
            await self._disown(room_id, lost)
        return sorted(lost)

    async def _disown(self, room_id: str, stored: dict[int, str]) -> None:
        """Seqs recorded here hold other events in the database: if the broker's log says what
        was recorded here, it is not the stored log, and it is dropped so that every process
        rebuilds the room from the database."""
        logger.error("live room %s: seqs %s are stored with other events", room_id, sorted(stored))
        first = min(stored)
        try:
            held = await self.broker.read(room_id, first - 1, max(stored) - first + 1)
            if any(event_body(e) != stored[e["seq"]] for e in held if e["seq"] in stored):
                await self.broker.drop(room_id)
        except BrokerError:
            logger.warning("live room %s: could not compare the broker's log", room_id)

    async def _session_id(self, session: AsyncSession, room_id: str) -> int:
        known = self._sessions.get(room_id)
        if known is None:
            query = select(LiveSession.id).where(LiveSession.code == room_id)
            found = (await session.exec(query)).first()
            if found is None:
                raise LogNotStored(f"no live session has the code {room_id!r}")
            known = self._sessions[room_id] = int(found)
        return known

    # --- a log the broker lost -----------------------------------------------------------

    async def restore(
        self, *, room_id: str, session_id: int | None = None, allow_ended: bool = False
    ) -> None:
        """Put the stored log back into the broker when the broker has none (see the module).

        Raises :class:`~eschool.broker.base.LogClosed` for a lesson that has ended, unless
        ``allow_ended`` (the end itself needs the log).
        """
        if await self.broker.has_log(room_id):
            return
        room = self._room(room_id)
        async with room.restoring:
            if await self.broker.has_log(room_id):
                return
            async with self._reading() as session:
                live = await session.get(LiveSession, session_id) if session_id else None
                if live is not None and live.id is not None:
                    found: tuple[int, str] | None = (live.id, live.status)
                else:
                    found = await status_by_code(session, code=room_id, reads=self.reads)
            if found is None:
                raise LogNotStored(f"no live session has the code {room_id!r}")
            live_id, status = found
            if status != SessionStatus.active and not allow_ended:
                raise LogClosed(f"the lesson of room {room_id!r} has ended")
            self._sessions[room_id] = live_id
            await self.sync(room_id=room_id)  # what this process appended goes first
            events = await self._stored_log(room_id, live_id)
            if not await self.broker.restore(room_id, events):
                return  # another process did
            if events:
                logger.info("live room %s: %d stored events restored", room_id, len(events))
                await self._close_presence(room_id, events)

    def _reading(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for reading a room's lesson and log: with direct reads, opened only if a
        read needs it (see eschool.session_on_demand)."""
        if self.reads is None:
            return self.sessionmaker()
        return session_on_demand(self.sessionmaker)

    async def _stored_log(self, room_id: str, session_id: int) -> list[Event]:
        """The stored log without gaps: a missing seq is stored as a ``log.gap`` event first."""
        for _attempt in range(_INSERT_ATTEMPTS):
            async with self._reading() as session:
                rows = await stored_events(session, session_id=session_id, reads=self.reads)
                stored = {seq for seq, _body in rows}
                gaps = [seq for seq in range(1, rows[-1][0] if rows else 1) if seq not in stored]
                if not gaps:
                    return [json.loads(body) | {"seq": seq} for seq, body in rows]
                gap = event_body({"type": GAP_EVENT, "data": {}, "actor": None, "at": time.time()})
                params = [{"session_id": session_id, "seq": seq, "body": gap} for seq in gaps]
                try:
                    await session.exec(_INSERT, params=params)
                    await session.commit()
                except IntegrityError:
                    await session.rollback()  # one of them was stored meanwhile: read again
                    continue
                logger.warning("live room %s: seqs %s were never stored", room_id, gaps)
        raise LogNotStored(f"room {room_id!r}: the stored log kept changing")

    async def _close_presence(self, room_id: str, events: list[Event]) -> None:
        """Every connection went with the broker's log: record that everyone the log shows as
        present has left, so presence tells the truth when they come back."""
        state = replay(RoomState(), events)
        for actor_id, connections in state.present.items():
            person = state.people.get(actor_id)
            if person is None:
                continue
            for _connection in range(connections):
                event = {"type": "presence.leave", "data": {}, "actor": person.as_dict()}
                stored = await self.broker.append(
                    room_id, {**event, "at": time.time()}, existing_only=True
                )
                self.record(room_id, stored)

    # --- the end of a lesson -------------------------------------------------------------

    async def flush(self, *, session_id: int, room_id: str) -> int:
        """Store what this process recorded, then whatever else the broker holds and the
        database lacks; returns the last seq stored."""
        self._sessions.setdefault(room_id, session_id)
        await self.sync(room_id=room_id)
        try:
            await self._copy_missing(session_id, room_id)
        except BrokerError:
            logger.warning("live room %s: the broker's log was not compared", room_id)
        async with self.sessionmaker() as session:
            return await last_stored_seq(session, session_id=session_id)

    async def _copy_missing(self, session_id: int, room_id: str) -> None:
        bounds = await self.broker.bounds(room_id)
        async with self.sessionmaker() as session:
            query = select(LiveEvent.seq).where(
                LiveEvent.session_id == session_id, LiveEvent.seq >= bounds.first
            )
            stored = set((await session.exec(query)).all())
        missing = [seq for seq in range(bounds.first, bounds.last + 1) if seq not in stored]
        if not missing:
            return
        logger.info("live room %s: %d events copied from the broker", room_id, len(missing))
        wanted, after = set(missing), missing[0] - 1
        while after < missing[-1]:
            batch = await self.broker.read(room_id, after, self.max_batch)
            if not batch:
                break
            copied = [(e["seq"], event_body(e)) for e in batch if e["seq"] in wanted]
            if copied:
                await self._store(room_id, copied)
            after = batch[-1]["seq"]

    async def close(self) -> None:
        """On shutdown: store what is still recorded and not stored (for a few seconds at
        most; what is left is still in the broker, for the end's copy)."""
        rooms = [room_id for room_id, room in self._rooms.items() if room.pending]
        if rooms:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_CLOSE_SECONDS):
                    syncing = (self.sync(room_id=room_id) for room_id in rooms)
                    await asyncio.gather(*syncing, return_exceptions=True)
        if self.direct is not None:
            self.direct.close()

    async def release(self, room_id: str) -> None:
        """After the lesson is stored: forget the room here (and the broker's copy of its log
        with ``drop_ended``)."""
        room = self._rooms.get(room_id)
        if room is not None and not room.pending and room_id not in self._due:
            del self._rooms[room_id]
        if self.drop_ended:
            await self.broker.drop(room_id)
