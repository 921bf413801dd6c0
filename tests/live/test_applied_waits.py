"""What an append waits for: the replica's follower applying its event
(:mod:`live.applied_waits`), and the hub's way back when the follower does not."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from eschool.broker import Broker
from eschool.broker.memory import MemoryBroker, MemoryStore
from live.applied_waits import AppliedWaits
from live.hub import Hub
from tests.live.test_hub import (
    ANNA,
    ARRIVAL,
    BORIS,
    ROOM,
    TEACHER,
    Loader,
    command,
    wait_for_frame,
)


@pytest.fixture
async def make_hub() -> AsyncIterator[Callable[..., Hub]]:
    hubs: list[Hub] = []

    def make(broker: Broker, **options: Any) -> Hub:
        hub = Hub(broker, load_room=Loader(), **options)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        await hub.close()


async def test_a_release_wakes_the_waits_up_to_its_seq_only() -> None:
    waits = AppliedWaits()
    three = asyncio.ensure_future(waits.wait(3, ARRIVAL))
    five = asyncio.ensure_future(waits.wait(5, ARRIVAL))
    await asyncio.sleep(0)
    waits.release(4)
    assert await three is True
    await asyncio.sleep(0)
    assert not five.done()
    assert len(waits) == 1
    waits.release(5)
    assert await five is True
    assert len(waits) == 0


async def test_a_wait_gives_up_after_its_time_and_when_let_go() -> None:
    waits = AppliedWaits()
    assert await waits.wait(1, 0.01) is False
    pending = asyncio.ensure_future(waits.wait(2, ARRIVAL))
    await asyncio.sleep(0)
    waits.let_go()
    assert await pending is False
    waits.release(2)  # (nobody left to wake)
    assert len(waits) == 0


def _stroke(index: int) -> dict[str, Any]:
    x = index / 100
    return {"points": [[x, 0.1], [0.5, x]], "color": "#1d4f91", "width": 3}


async def test_commands_of_two_processes_at_once_are_applied_as_the_log_is_read(
    make_hub: Callable[..., Hub],
    shared_brokers: tuple[Broker, Broker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each process's own commands reach its sockets from the follower's reads, with the other
    process's: in seq order, and nothing read back to fill a gap the other left."""
    here, there = make_hub(shared_brokers[0]), make_hub(shared_brokers[1])
    anna, _ = await here.join(ROOM, ANNA)
    await here.join(ROOM, TEACHER)
    await there.join(ROOM, TEACHER)
    await wait_for_frame(anna, lambda frame: frame["type"] == "presence.join" and frame["seq"] == 3)
    anna.take_queued()
    reads: list[int] = []
    read = shared_brokers[0].read

    async def counted_read(room: str, after_seq: int = 0, limit: int = 500) -> list[Any]:
        reads.append(after_seq)
        return await read(room, after_seq, limit)

    monkeypatch.setattr(shared_brokers[0], "read", counted_read)
    seqs = await asyncio.gather(
        *(
            hub.submit(ROOM, TEACHER, command("board.stroke", _stroke(index)))
            for index in range(20)
            for hub in (here, there)
        )
    )
    assert sorted(seqs) == list(range(4, 44))
    seen: list[int] = []
    async with asyncio.timeout(ARRIVAL):
        while len(seen) < 40:
            frame = await wait_for_frame(anna, lambda frame: frame["type"] == "board.stroke")
            seen.append(frame["seq"])
    assert seen == list(range(4, 44))
    assert reads == []
    assert here.replica(ROOM) == there.replica(ROOM)


class StalledBroker(MemoryBroker):
    """A broker whose room streams bring nothing (a follower stuck on a slow connection)."""

    def subscribe_batches(self, room: str, *, after_seq: int | None = None) -> Any:
        class Stalled:
            async def __aenter__(self) -> AsyncIterator[list[dict[str, Any]]]:
                async def nothing() -> AsyncIterator[list[dict[str, Any]]]:
                    await asyncio.Event().wait()
                    yield []

                return nothing()

            async def __aexit__(self, *exc: object) -> None:
                return None

        return Stalled()


async def test_a_command_past_a_gap_is_applied_when_the_follower_brings_nothing(
    make_hub: Callable[..., Hub],
) -> None:
    """The follower is stuck: a command that follows another process's event still gets it
    and its own applied, read here once the wait for the follower is over."""
    store = MemoryStore()
    hub = make_hub(StalledBroker(store=store), follower_wait=0.05)
    elsewhere = MemoryBroker(store=store)
    await hub.join(ROOM, TEACHER)
    anna, _ = await hub.join(ROOM, ANNA)
    await hub.join(ROOM, BORIS)
    moved = {"type": "slide.goto", "data": {"index": 1}, "actor": TEACHER.as_dict()}
    other = (await elsewhere.append(ROOM, moved))["seq"]
    seq = await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 2}))
    assert seq == other + 1
    replica = hub.replica(ROOM)
    assert replica is not None and replica.seq == seq
    first = await wait_for_frame(anna, lambda frame: frame["type"] == "slide.goto")
    second = await wait_for_frame(anna, lambda frame: frame["type"] == "slide.goto")
    assert [(f["seq"], f["data"]["index"]) for f in (first, second)] == [(other, 1), (seq, 2)]
