"""The room's durable log: :meth:`EventLog.sync` is a group commit.

Callers waiting at the same time share one transaction; nobody is released before the commit
that holds their event, and when that commit fails every one of them gets the error.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from eschool.db import SessionMaker
from eschool.seed import DemoPeople
from live.broker.memory import MemoryBroker
from live.models import LiveSession
from live.queries import events_after
from live.services import EventLog, LogNotStored

ROOM = "ROOMAB"
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
    return EventLog(sessions, broker, every_event=True, **options)  # type: ignore[arg-type]


async def append(broker: MemoryBroker, count: int) -> None:
    for number in range(count):
        await broker.append(ROOM, {"type": "test", "data": {"n": number}})


async def stored_seqs(app: Starlette, session_id: int) -> list[int]:
    async with app.state.sessionmaker() as session:
        return [row.seq for row in await events_after(session, session_id=session_id)]


def syncing(log: EventLog, session_id: int, count: int) -> list[asyncio.Task[None]]:
    return [
        asyncio.create_task(log.sync(session_id=session_id, room_id=ROOM)) for _ in range(count)
    ]


async def test_a_burst_of_syncs_is_one_transaction(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    await append(broker, 50)
    await asyncio.gather(*syncing(log, session_id, 50))
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == list(range(1, 51))
    # What is stored already needs no transaction.
    await log.sync(session_id=session_id, room_id=ROOM)
    assert sessions.commits == 1


async def test_a_transaction_holds_at_most_max_batch_events(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker, max_batch=20)
    await append(broker, 50)
    await asyncio.gather(*syncing(log, session_id, 50))
    assert sessions.commits == 3
    assert await stored_seqs(app, session_id) == list(range(1, 51))


async def test_nobody_is_released_before_the_commit(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.gate.clear()
    await append(broker, 10)
    waiting = syncing(log, session_id, 10)
    await asyncio.wait_for(sessions.committing.wait(), ARRIVAL)
    assert not any(task.done() for task in waiting)
    assert await stored_seqs(app, session_id) == []
    sessions.gate.set()
    await asyncio.wait_for(asyncio.gather(*waiting), ARRIVAL)
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == list(range(1, 11))


async def test_events_appended_during_a_commit_go_into_the_next_one(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.gate.clear()
    await append(broker, 5)
    first = syncing(log, session_id, 5)
    await asyncio.wait_for(sessions.committing.wait(), ARRIVAL)
    await append(broker, 5)
    second = syncing(log, session_id, 5)
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
    await append(broker, 8)
    results = await asyncio.gather(*syncing(log, session_id, 8), return_exceptions=True)
    assert all(isinstance(result, LogNotStored) for result in results)
    assert all(isinstance(result.__cause__, RuntimeError) for result in results)
    assert await stored_seqs(app, session_id) == []
    # The events are still in the broker: the next sync stores them all.
    sessions.failure = None
    await log.sync(session_id=session_id, room_id=ROOM)
    assert await stored_seqs(app, session_id) == list(range(1, 9))


async def test_a_caller_that_gives_up_does_not_stop_the_others(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker)
    sessions.gate.clear()
    await append(broker, 3)
    quitter, *staying = syncing(log, session_id, 3)
    await asyncio.wait_for(sessions.committing.wait(), ARRIVAL)
    quitter.cancel()
    sessions.gate.set()
    await asyncio.wait_for(asyncio.gather(*staying), ARRIVAL)
    assert quitter.cancelled()
    assert await stored_seqs(app, session_id) == [1, 2, 3]


async def test_flush_stores_what_sync_has_not(
    app: Starlette, session_id: int, sessions: GatedSessions, broker: MemoryBroker
) -> None:
    log = make_log(sessions, broker, max_batch=4)
    await append(broker, 3)
    await log.sync(session_id=session_id, room_id=ROOM)
    await append(broker, 7)
    assert await log.flush(session_id=session_id, room_id=ROOM) == 10
    assert await stored_seqs(app, session_id) == list(range(1, 11))
    assert sessions.commits == 1 + 2
