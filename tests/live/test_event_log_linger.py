"""The durable log's writer lingers while nobody waits (a class's arrivals at a bell go in one
commit, not one each), and a join's welcome waits only for what it shows to be stored, but
for comings and goings (the joiner's own arrival and the others')."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette

from eschool.broker.memory import MemoryBroker
from eschool.seed import DemoPeople
from live import event_log
from live.event_log import EventLog
from live.hub import Hub
from live.room import Actor
from live.services import room_loader
from tests.live import test_event_log as base
from tests.live.test_event_log import ARRIVAL, ROOM, GatedSessions, append, make_log, stored_seqs

# The durable log's own test fixtures (a lesson, its counted sessions, a memory broker).
session_id, sessions, broker = base.session_id, base.sessions, base.broker


async def _stored(app: Starlette, session_id: int, seqs: list[int]) -> None:
    async with asyncio.timeout(ARRIVAL):
        while await stored_seqs(app, session_id) != seqs:
            await asyncio.sleep(0.01)


async def test_events_nobody_waits_for_wait_for_company_until_someone_syncs(
    app: Starlette,
    session_id: int,
    sessions: GatedSessions,
    broker: MemoryBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_log, "LINGER_SECONDS", 60.0)
    log = make_log(sessions, broker)
    for _arrival in range(5):  # arrivals on separate turns of the loop
        await append(log, 1)
        await asyncio.sleep(0)
    assert sessions.commits == 0
    assert await stored_seqs(app, session_id) == []
    # Someone waits: the writer stops lingering at once, and stores all five together.
    await asyncio.wait_for(log.sync(room_id=ROOM), ARRIVAL)
    assert sessions.commits == 1
    assert await stored_seqs(app, session_id) == [1, 2, 3, 4, 5]


async def test_events_nobody_waits_for_are_stored_all_the_same(
    app: Starlette,
    session_id: int,
    sessions: GatedSessions,
    broker: MemoryBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_log, "LINGER_SECONDS", 0.01)
    log = make_log(sessions, broker)
    await append(log, 3)
    await _stored(app, session_id, [1, 2, 3])


async def test_a_sync_upto_waits_only_for_that_many(
    app: Starlette,
    session_id: int,
    sessions: GatedSessions,
    broker: MemoryBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_log, "LINGER_SECONDS", 60.0)
    log = make_log(sessions, broker)
    await append(log, 2)
    await asyncio.wait_for(log.sync(room_id=ROOM), ARRIVAL)
    await append(log, 1)  # recorded after: not waited for
    await asyncio.wait_for(log.sync(room_id=ROOM, upto=2), ARRIVAL)
    assert sessions.commits == 1
    assert log.lasting_recorded(ROOM) == 3
    assert await stored_seqs(app, session_id) == [1, 2]


async def test_a_welcome_waits_for_what_it_shows_but_comings_and_goings(
    app: Starlette,
    session_id: int,
    people: DemoPeople,
    broker: MemoryBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_log, "LINGER_SECONDS", 60.0)  # stored only when someone waits
    log = EventLog(app.state.sessionmaker, broker)
    hub = Hub(broker, load_room=room_loader(app.state.sessionmaker), log=log)
    teacher = Actor(people.staff["teacher"].id or 0, "teacher", "Teacher")
    anna, boris = (Actor(p.id or 0, "pupil", p.name) for p in people.pupils["7A"][:2])
    try:
        await hub.join(ROOM, teacher)
        first, frames = await hub.join(ROOM, anna)
        # Her welcome shows the teacher's arrival (seq 1), which it does not wait for.
        assert first.shown_recorded == 0 and '"seq":1' in frames[0]
        await asyncio.wait_for(log.sync(room_id=ROOM, upto=first.shown_recorded), ARRIVAL)
        assert await stored_seqs(app, session_id) == []
        # Something lasting (seq 3): the next welcome shows it, and waits for it.
        stopped = {"live": False, "kind": None, "publisher": None, "publication": None}
        await hub.emit(ROOM, "rtc.state", {**stopped, "reason": "stopped"})
        second, frames = await hub.join(ROOM, boris)
        assert second.shown_recorded == 3 and '"seq":3' in frames[0]
        await asyncio.wait_for(log.sync(room_id=ROOM, upto=second.shown_recorded), ARRIVAL)
        assert (await stored_seqs(app, session_id))[:3] == [1, 2, 3]
    finally:
        await hub.close()
    await log.close()
    assert await stored_seqs(app, session_id) == [1, 2, 3, 4]
