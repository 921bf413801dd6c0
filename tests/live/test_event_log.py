"""The room's durable log (live/event_log.py).

:meth:`EventLog.sync` is a group commit: callers waiting at the same time share one transaction,
nobody is released before the commit that holds their event, and when that commit fails every
one of them gets the error. Each process stores the events it appended (the row of seq N is
written by whoever got N); a broker that lost a room's log gets the stored one back, and the
seqs go on from it.
"""

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from eschool.broker.base import BrokerError, LogClosed, LogMissing
from eschool.broker.memory import MemoryBroker, MemoryStore
from eschool.db import SessionMaker
from eschool.seed import DemoPeople
from live.event_log import GAP_EVENT, EventLog, LogNotStored, event_body
from live.hub import Hub
from live.log_writer import DirectLogWriter
from live.models import LiveEvent, LiveSession, SessionStatus
from live.protocol import parse_client_message
from live.queries import events_after
from live.room import Actor
from live.services import room_loader

ROOM = "RM7K2Q"
# A bound on waiting for something that must happen, so a broken log fails instead of hanging.
ARRIVAL = 5.0


class GatedSessions:
    """The app's sessions, with every commit counted and held until :attr:`gate` is open (and
    failing with :attr:`failure` when one is set)."""

    def __init__(self, real: SessionMaker) -> None:
        self.real = real
        self.commits = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.committing = asyncio.Event()
        self.failure: Exception | None = None

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        async with self.real() as session:
            real_commit = session.commit

            async def commit() -> None:
                self.committing.set()
                await self.gate.wait()
                if self.failure is not None:
                    raise self.failure
                await real_commit()
                self.commits += 1

            session.commit = commit  # type: ignore[method-assign]
            yield session


@pytest.fixture
async def session_id(app: Starlette, people: DemoPeople) -> int:
    async with app.state.sessionmaker() as session:
        live = LiveSession(
            school_id=people.school.id or 0,
            code=ROOM,
            teacher_id=people.staff["teacher"].id or 0,
            lesson_id=1,
            lesson_version=1,
            title="Fractions",
            blocks=[{"id": "a", "kind": "text", "text": "A"}, {"id": "b", "kind": "text"}],
        )
        session.add(live)
        await session.commit()
        return live.id or 0


@pytest.fixture
def sessions(app: Starlette) -> GatedSessions:
    return GatedSessions(app.state.sessionmaker)


@pytest.fixture
async def broker() -> AsyncIterator[MemoryBroker]:
    async with MemoryBroker() as connected:
        yield connected


def make_log(sessions: GatedSessions, broker: MemoryBroker, **options: Any) -> EventLog:
    return EventLog(sessions, broker, **options)  # type: ignore[arg-type]


async def append(log: EventLog, count: int, **extra: Any) -> list[int]:
    """Append ``count`` events as the hub does: to the broker, then recorded for storing."""
    seqs = []
    for number in range(count):
        stored = await log.broker.append(ROOM, {"type": "test", "data": {"n": number}, **extra})
        log.record(ROOM, stored)
        seqs.append(stored["seq"])
    return seqs


async def stored_seqs(app: Starlette, session_id: int) -> list[int]:
    async with app.state.sessionmaker() as session:
        return [row.seq for row in await events_after(session, session_id=session_id)]


async def stored_log(app: Starlette, session_id: int) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        rows = await events_after(session, session_id=session_id)
        return [json.loads(row.body) | {"seq": row.seq} for row in rows]


def syncing(log: EventLog, count: int) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(log.sync(room_id=ROOM)) for _ in range(count)]


# --- the group commit --------------------------------------------------------------------------


async def test_a_burst_of_syncs_is_one_transaction(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    await append(log, 50)
    await asyncio.gather(*syncing(log, 50))
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == list(range(1, 51))
    # What is stored already needs no transaction.
    await log.sync(room_id=ROOM)
    assert sessions.commits == 1


async def test_a_transaction_holds_at_most_max_batch_events(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker, max_batch=20)
    await append(log, 50)
    await asyncio.gather(*syncing(log, 50))
    assert sessions.commits == 3
    assert await stored_seqs(app, session_id) == list(range(1, 51))


async def test_nobody_is_released_before_the_commit(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.gate.clear()
    await append(log, 10)
    waiting = syncing(log, 10)
    await asyncio.wait_for(sessions.committing.wait(), ARRIVAL)
    assert not any(task.done() for task in waiting)
    assert await stored_seqs(app, session_id) == []
    sessions.gate.set()
    await asyncio.wait_for(asyncio.gather(*waiting), ARRIVAL)
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == list(range(1, 11))


async def test_events_recorded_during_a_commit_go_into_the_next_one(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.gate.clear()
    await append(log, 5)
    first = syncing(log, 5)
    await asyncio.wait_for(sessions.committing.wait(), ARRIVAL)
    await append(log, 5)
    second = syncing(log, 5)
    await asyncio.sleep(0)
    assert not any(task.done() for task in first + second)
    sessions.gate.set()
    await asyncio.wait_for(asyncio.gather(*first, *second), ARRIVAL)
    assert sessions.commits == 2
    assert await stored_seqs(app, session_id) == list(range(1, 11))


async def test_a_failed_commit_fails_every_waiter(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.failure = RuntimeError("disk full")
    await append(log, 8)
    results = await asyncio.gather(*syncing(log, 8), return_exceptions=True)
    assert all(isinstance(result, LogNotStored) for result in results)
    assert all(isinstance(result.__cause__, RuntimeError) for result in results)
    assert await stored_seqs(app, session_id) == []
    # The events are still recorded: the next writer stores them all (here: the shutdown's).
    sessions.failure = None
    await log.close()
    assert await stored_seqs(app, session_id) == list(range(1, 9))


async def test_rooms_recording_at_once_share_one_transaction(
    app: Starlette,
    session_id: int,
    people: DemoPeople,
    sessions: GatedSessions,
    broker: MemoryBroker,
) -> None:
    other = "QX4P7M"
    async with app.state.sessionmaker() as session:
        session.add(
            LiveSession(
                school_id=people.school.id or 0,
                code=other,
                teacher_id=people.staff["teacher"].id or 0,
                lesson_id=1,
                lesson_version=1,
                title="Decimals",
                blocks=[{"id": "a", "kind": "text", "text": "A"}],
            )
        )
        await session.commit()
    log = make_log(sessions, broker)
    await append(log, 3)
    for number in range(4):
        log.record(other, await broker.append(other, {"type": "test", "data": {"n": number}}))
    await asyncio.gather(log.sync(room_id=ROOM), log.sync(room_id=other))
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == [1, 2, 3]


async def test_a_room_that_cannot_be_stored_does_not_hold_up_the_others(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    await append(log, 3)
    log.record("NOSUCH", await broker.append("NOSUCH", {"type": "test", "data": {}}))
    stored, refused = await asyncio.gather(
        log.sync(room_id=ROOM), log.sync(room_id="NOSUCH"), return_exceptions=True
    )
    assert stored is None
    assert isinstance(refused, LogNotStored)
    assert await stored_seqs(app, session_id) == [1, 2, 3]


def direct_writer(app: Starlette) -> DirectLogWriter:
    writer = DirectLogWriter.for_url(app.state.settings.database_url)
    if writer is None:
        pytest.skip("the direct writer is for SQLite files")
    return writer


async def test_on_sqlite_a_commit_is_made_directly_when_the_database_is_free(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker, direct=direct_writer(app))
    await log.sync(room_id=ROOM, session_id=session_id)  # as a socket does when it joins
    await append(log, 3)
    await asyncio.gather(*syncing(log, 3))
    await append(log, 2)
    await asyncio.gather(*syncing(log, 2))
    assert await stored_seqs(app, session_id) == [1, 2, 3, 4, 5]
    assert sessions.commits == 0
    await log.close()


async def test_a_busy_database_takes_the_usual_way(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    writer = direct_writer(app)
    log = make_log(sessions, broker, direct=writer)
    await log.sync(room_id=ROOM, session_id=session_id)
    blocker = sqlite3.connect(writer.path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        assert not writer.store([(session_id, 99, "{}")])  # refused at once, nothing stored
        await append(log, 3)
        waiting = syncing(log, 3)
        for _turn in range(20):  # the writer is refused, then waits for the lock
            await asyncio.sleep(0)
        assert not any(task.done() for task in waiting)
        blocker.execute("COMMIT")
        await asyncio.wait_for(asyncio.gather(*waiting), ARRIVAL)
    finally:
        blocker.close()
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == [1, 2, 3]
    # A seq stored already: the usual way finds it stored with the same event.
    log.record(ROOM, (await broker.read(ROOM, 0))[0])
    await log.sync(room_id=ROOM)
    assert await stored_seqs(app, session_id) == [1, 2, 3]
    await log.close()


async def test_a_caller_that_gives_up_does_not_stop_the_others(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.gate.clear()
    await append(log, 3)
    quitter, *staying = syncing(log, 3)
    await asyncio.wait_for(sessions.committing.wait(), ARRIVAL)
    quitter.cancel()
    sessions.gate.set()
    await asyncio.wait_for(asyncio.gather(*staying), ARRIVAL)
    assert quitter.cancelled()
    assert await stored_seqs(app, session_id) == [1, 2, 3]


# --- several processes -------------------------------------------------------------------------


async def test_each_process_stores_the_seqs_it_got_once(
    app: Starlette, session_id: int, sessions: GatedSessions
) -> None:
    store = MemoryStore()
    here = make_log(sessions, MemoryBroker(store=store))
    there = make_log(GatedSessions(app.state.sessionmaker), MemoryBroker(store=store))
    for _round in range(5):
        await append(here, 3)
        await append(there, 2)
    # A retry through the other process: the broker gives back the original, both store it.
    original = await here.broker.append(ROOM, {"type": "hand.raise"}, dedupe_key="7:m1")
    here.record(ROOM, original)
    again = await there.broker.append(ROOM, {"type": "hand.raise", "x": 1}, dedupe_key="7:m1")
    there.record(ROOM, again)
    await asyncio.gather(here.sync(room_id=ROOM), there.sync(room_id=ROOM))
    assert await stored_seqs(app, session_id) == list(range(1, 27))
    assert sessions.commits >= 1


async def test_a_seq_stored_with_another_event_is_not_acknowledged(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    await append(log, 2)
    await log.sync(room_id=ROOM)
    # Seq 3 reached the database from a log that has since been replaced.
    async with app.state.sessionmaker() as session:
        other = event_body({"type": "test", "data": {"n": "other"}})
        await session.exec(
            insert(LiveEvent), params=[{"session_id": session_id, "seq": 3, "body": other}]
        )  # type: ignore[call-overload]
        await session.commit()
    await append(log, 2)
    with pytest.raises(LogNotStored):
        await log.sync(room_id=ROOM)
    assert [e["data"]["n"] for e in await stored_log(app, session_id)] == [0, 1, "other", 1]
    # The broker's log disagrees with the database: it is dropped, to be rebuilt from it.
    assert not await broker.has_log(ROOM)


# --- a broker that lost the log ----------------------------------------------------------------


async def test_a_lost_log_is_restored_and_its_seqs_go_on(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    joined = {"id": 7, "role": "pupil", "name": "Anna"}
    stored = await broker.append(ROOM, {"type": "presence.join", "data": {}, "actor": joined})
    log.record(ROOM, stored)
    await append(log, 3)
    await log.sync(room_id=ROOM)

    store = MemoryStore()  # the broker's memory is gone; two processes share the new one
    restarted = MemoryBroker(store=store)
    log = make_log(sessions, restarted)
    with pytest.raises(LogMissing):
        await restarted.append(ROOM, {"type": "test"}, existing_only=True)
    other = make_log(sessions, MemoryBroker(store=store))
    await asyncio.gather(log.restore(room_id=ROOM), other.restore(room_id=ROOM))
    held = await restarted.read(ROOM, 0)
    assert [e["seq"] for e in held] == [1, 2, 3, 4, 5]
    # Whoever was connected went with the broker: the log says so.
    assert held[-1]["type"] == "presence.leave" and held[-1]["actor"] == joined
    after = await restarted.append(ROOM, {"type": "test"}, existing_only=True)
    assert after["seq"] == 6
    log.record(ROOM, after)
    await log.sync(room_id=ROOM)
    assert await stored_log(app, session_id) == [*held, after]


async def test_seqs_never_stored_are_filled_before_the_log_is_restored(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    for seq in (1, 2, 4):  # the process that got 3 stopped before storing it
        log.record(ROOM, {"type": "test", "data": {"n": seq}, "seq": seq})
    await log.sync(room_id=ROOM)
    await log.restore(room_id=ROOM)
    held = await broker.read(ROOM, 0)
    assert [e["seq"] for e in held] == [1, 2, 3, 4]
    assert held[2]["type"] == GAP_EVENT
    assert await stored_log(app, session_id) == held


async def test_an_ended_lesson_is_not_restored_unless_for_its_end(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    async with app.state.sessionmaker() as session:
        live = await session.get(LiveSession, session_id)
        assert live is not None
        live.status = SessionStatus.ended
        session.add(live)
        await session.commit()
    log = make_log(sessions, broker)
    with pytest.raises(LogClosed):
        await log.restore(room_id=ROOM)
    await log.restore(room_id=ROOM, allow_ended=True)
    assert await broker.has_log(ROOM)


async def test_flush_copies_what_the_broker_holds_and_the_database_lacks(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker, max_batch=4)
    await append(log, 3)
    await log.sync(room_id=ROOM)
    # Another process appended seven and stopped before storing them.
    for number in range(7):
        await broker.append(ROOM, {"type": "test", "data": {"n": number}})
    assert await log.flush(session_id=session_id, room_id=ROOM) == 10
    assert await stored_seqs(app, session_id) == list(range(1, 11))

    # What this process recorded is stored even when the broker cannot be read any more.
    await append(log, 2)

    async def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise BrokerError("down")

    broker.bounds = unreachable  # type: ignore[method-assign]
    assert await log.flush(session_id=session_id, room_id=ROOM) == 12


async def test_a_hub_whose_broker_lost_the_log_restores_it_and_resyncs(
    app: Starlette, session_id: int, people: DemoPeople, broker: MemoryBroker
) -> None:
    log = EventLog(app.state.sessionmaker, broker)
    hub = Hub(broker, load_room=room_loader(app.state.sessionmaker), log=log)
    teacher = Actor(people.staff["teacher"].id or 0, "teacher", "Teacher")

    def goto(index: int) -> Any:
        return parse_client_message(
            json.dumps({"type": "slide.goto", "id": f"go{index}", "data": {"index": index}})
        )

    try:
        connection, _frames = await hub.join(ROOM, teacher)
        first = await hub.submit(ROOM, teacher, goto(1))
        await log.sync(room_id=ROOM)
        await broker.drop(ROOM)  # the broker forgets the room, as after a restart
        again = await hub.submit(ROOM, teacher, goto(0))
        await log.sync(room_id=ROOM)
    finally:
        await hub.close()
    # Restored from the database, the teacher's old connection closed in the log, then the new
    # event: the seqs go on, and the connection that saw the old log resyncs.
    assert (first, again) == (2, 4)
    assert connection.close_reason == "resync"
    assert [e["type"] for e in await stored_log(app, session_id)] == [
        "presence.join",
        "slide.goto",
        "presence.leave",
        "slide.goto",
    ]
