"""Observers are counted, not announced one by one, and every event is encoded once per
projection (the hub in this process, on the in-process broker).

A storm of arrivals reaches each connection as a bounded number of ``presence.counts`` frames;
only the teacher learns who came; a reconnecting client gets one frame for all of it; pupils and
the teacher still come and go with frames of their own.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

import live.hub_support
import live.presence
from eschool.broker import Broker
from eschool.broker.memory import MemoryBroker, MemoryStore
from live.hub import Connection, Hub
from live.protocol import parse_client_message
from live.room import Actor, RoomState, new_room

ROOM = "room-p"
TEACHER = Actor(1, "teacher", "Teacher Tamara")
PUPILS = [Actor(100 + n, "pupil", f"Pupil {n}") for n in range(30)]
OBSERVERS = [Actor(f"v-{n}", "observer", f"Guest {n}") for n in range(50)]
BOARD = Actor("b-1", "board", "Board")
BLOCKS = [{"id": "intro", "kind": "text", "text": "Hello"}, {"id": "two", "kind": "text"}]


async def _load(room_id: str) -> RoomState:
    return new_room(BLOCKS, title="Lesson", roster=PUPILS)


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    # A tick far longer than the test: what is counted goes out only when something else does.
    made = Hub(MemoryBroker(), load_room=_load, presence_tick=60.0)
    yield made
    await made.close()


def drain(connection: Connection) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in connection.take_queued()]


def command(type_: str, data: dict[str, Any], id_: str) -> Any:
    return parse_client_message(json.dumps({"type": type_, "id": id_, "data": data}))


async def test_a_storm_of_observers_is_one_counted_frame_per_viewer(hub: Hub) -> None:
    teacher, _ = await hub.join(ROOM, TEACHER)
    pupil, _ = await hub.join(ROOM, PUPILS[0])
    first, _ = await hub.join(ROOM, OBSERVERS[0])  # the first goes out at once
    drain(teacher), drain(pupil), drain(first)
    for observer in OBSERVERS[1:]:
        await hub.join(ROOM, observer)
    assert drain(teacher) == drain(pupil) == drain(first) == []  # held for the tick
    # Anything else that happens sends what is held first, in seq order.
    await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 1}, "t1"))
    to_teacher, to_pupil, to_first = drain(teacher), drain(pupil), drain(first)
    assert [f["type"] for f in to_teacher] == ["presence.counts", "slide.goto"]
    assert to_teacher[0]["seq"] < to_teacher[1]["seq"]
    counted = to_teacher[0]["data"]
    assert (counted["pupils"], counted["observers"]) == (1, 50)
    assert counted["joined"] == [o.as_dict() for o in OBSERVERS[1:]] and counted["left"] == []
    # Pupils and observers get the same counts, and no observer's name.
    assert to_pupil[0]["data"] == to_first[0]["data"] == {"pupils": 1, "observers": 50}
    assert to_pupil[0]["seq"] == to_first[0]["seq"] == to_teacher[0]["seq"]


async def test_observers_see_each_other_only_as_a_count(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    await hub.join(ROOM, OBSERVERS[0])
    watcher, (welcome,) = await hub.join(ROOM, OBSERVERS[1])
    people = json.loads(welcome)["data"]["state"]["people"]
    assert people["observers"] == 1 and people["present"] == [TEACHER.as_dict()]
    for observer in OBSERVERS[2:5]:
        await hub.join(ROOM, observer)
    await hub.submit(ROOM, TEACHER, command("room.kick", {"user_id": "v-0"}, "t2"))
    await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 1}, "t3"))
    text = json.dumps(drain(watcher), ensure_ascii=False)
    assert "presence.counts" in text and "room.kick" in text
    for observer in (OBSERVERS[0], *OBSERVERS[2:5]):
        assert observer.name not in text and observer.id not in text


async def test_a_leave_is_counted_and_named_to_the_teacher(hub: Hub) -> None:
    teacher, _ = await hub.join(ROOM, TEACHER)
    guest, _ = await hub.join(ROOM, OBSERVERS[0])
    second_tab, _ = await hub.join(ROOM, OBSERVERS[0])
    await hub.leave(second_tab)  # still here in the first tab: nobody went
    await hub.submit(ROOM, TEACHER, command("nav.free", {"on": True}, "t4"))
    drain(teacher)
    await hub.leave(guest)
    await hub.submit(ROOM, TEACHER, command("nav.free", {"on": False}, "t5"))
    counted, _nav = drain(teacher)
    assert counted["type"] == "presence.counts"
    assert counted["data"] == {
        "pupils": 0,
        "observers": 0,
        "joined": [],
        "left": [OBSERVERS[0].as_dict()],
    }


async def test_pupils_still_come_and_go_with_frames_of_their_own(hub: Hub) -> None:
    teacher, _ = await hub.join(ROOM, TEACHER)
    drain(teacher)  # her own arrival
    anna, _ = await hub.join(ROOM, PUPILS[0])
    (joined,) = drain(teacher)
    assert joined["type"] == "presence.join" and joined["data"]["person"] == PUPILS[0].as_dict()
    await hub.leave(anna)
    (left,) = drain(teacher)
    assert (left["type"], left["data"]["here"]) == ("presence.leave", False)


async def test_a_client_that_resumes_gets_one_counted_frame_in_seq_order(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    anna, _ = await hub.join(ROOM, PUPILS[0])
    seen = drain(anna)[-1]["seq"]
    await hub.leave(anna)
    for observer in OBSERVERS[:20]:
        await hub.join(ROOM, observer)
    await hub.submit(ROOM, TEACHER, command("chat.post", {"text": "Welcome, guests"}, "t6"))
    for observer in OBSERVERS[20:30]:
        await hub.join(ROOM, observer)
    _back, frames = await hub.join(ROOM, PUPILS[0], since=seen)
    missed = [json.loads(frame) for frame in frames]
    assert [f["type"] for f in missed] == ["presence.leave", "chat.post", "presence.counts"]
    seqs = [f["seq"] for f in missed]
    assert seqs == sorted(seqs) and seqs[-1] == seen + 1 + 30 + 1
    assert missed[-1]["data"] == {"pupils": 0, "observers": 30}


async def test_a_connection_gets_no_counted_frame_its_welcome_already_holds(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    await hub.join(ROOM, OBSERVERS[0])
    await hub.join(ROOM, OBSERVERS[1])  # held for the tick
    late, (welcome,) = await hub.join(ROOM, PUPILS[0])
    assert json.loads(welcome)["data"]["state"]["people"]["observers"] == 2
    # Anna's own arrival sends the held count on first: to everyone but her.
    assert [f["type"] for f in drain(late)] == ["presence.join"]


async def test_each_event_is_encoded_once_per_distinct_projection(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    for actor in (TEACHER, *PUPILS, *OBSERVERS, BOARD):
        await hub.join(ROOM, actor)
    await hub.submit(ROOM, TEACHER, command("nav.free", {"on": True}, "warm"))
    encoded: list[str] = []
    original = live.hub_support.server_frame

    def counting(type_: str, seq: int, data: dict[str, Any]) -> str:
        encoded.append(type_)
        return original(type_, seq, data)

    monkeypatch.setattr(live.hub_support, "server_frame", counting)
    monkeypatch.setattr(live.presence, "server_frame", counting)
    await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 1}, "t7"))
    # Teacher, pupils, observers and the board see the same: one encoding for 82 sockets.
    assert encoded == ["slide.goto"]
    encoded.clear()
    await hub.submit(ROOM, PUPILS[0], command("chat.post", {"text": "Hi"}, "p1"))
    # The board does not show the chat by default; observers see the author as a pupil, the
    # teacher and the pupils (the author too) by name.
    assert encoded == ["chat.post"] * 2
    encoded.clear()
    await hub.join(ROOM, Actor("v-late", "observer", "Late Guest"))
    await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 0}, "t8"))
    fanned_out = sorted(type_ for type_ in encoded if type_ != "welcome")  # the late one's
    assert fanned_out == ["presence.counts"] * 4 + ["slide.goto"]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def two_processes(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Hub, Hub]]:
    """Two hubs on one broker's storage: two processes of one school."""
    namespace = f"test-presence-{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        store = MemoryStore()
        brokers: list[Broker] = [MemoryBroker(namespace=namespace, store=store) for _ in "ab"]
    else:
        url = os.environ.get("ESCHOOL_TEST_REDIS_URL")
        if not url:
            pytest.skip("ESCHOOL_TEST_REDIS_URL not set: Redis broker tests need a Redis server")
        from eschool.broker.redis import RedisBroker

        brokers = [RedisBroker(url, namespace=namespace) for _ in "ab"]
        for broker in brokers:
            await broker.connect()
    hubs = [Hub(broker, load_room=_load, presence_tick=60.0) for broker in brokers]
    yield hubs[0], hubs[1]
    for made in hubs:
        await made.close()
    for broker in brokers:
        await broker.disconnect()


async def test_observers_who_join_another_process_are_counted_here(
    two_processes: tuple[Hub, Hub],
) -> None:
    here, there = two_processes
    teacher, _ = await here.join(ROOM, TEACHER)
    pupil, _ = await here.join(ROOM, PUPILS[0])
    await asyncio.gather(*(there.join(ROOM, observer) for observer in OBSERVERS[:20]))
    await here.submit(ROOM, TEACHER, command("slide.goto", {"index": 1}, "t9"))
    to_teacher = await frames_until(teacher, "slide.goto")
    to_pupil = await frames_until(pupil, "slide.goto")
    counted = [f for f in to_teacher if f["type"] == "presence.counts"]
    # The first arrival goes out at once, the other nineteen in one frame.
    assert 1 <= len(counted) <= 2
    assert counted[-1]["data"]["observers"] == 20
    named = [person for frame in counted for person in frame["data"]["joined"]]
    assert sorted(p["id"] for p in named) == sorted(o.id for o in OBSERVERS[:20])
    assert [f["data"] for f in to_pupil if f["type"] == "presence.counts"][-1] == {
        "pupils": 1,
        "observers": 20,
    }
    assert "Guest" not in json.dumps(to_pupil)


async def frames_until(connection: Connection, type_: str) -> list[dict[str, Any]]:
    """Every frame up to and with the first of ``type_`` (a bound only so a broken hub fails)."""
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["type"] != type_:
        frame = await asyncio.wait_for(connection.receive(), 10.0)
        assert frame is not None, connection.close_reason
        frames.append(json.loads(frame))
    return frames
