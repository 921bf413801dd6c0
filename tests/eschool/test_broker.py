"""One contract, every backend: memory always, Redis when ESCHOOL_TEST_REDIS_URL is set."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import pytest

from eschool.broker import Broker, BrokerError, LogBounds, LogMissing, create_broker
from eschool.broker.memory import MemoryBroker, MemoryStore

# Waiting for a message that should arrive; a bound only so a broken broker fails, not hangs.
ARRIVAL = 5.0


class MakeBroker(Protocol):
    def __call__(
        self, *, namespace: str | None = None, max_events: int | None = None
    ) -> Awaitable[Broker]: ...


def redis_url() -> str:
    url = os.environ.get("ESCHOOL_TEST_REDIS_URL")
    if not url:
        pytest.skip("ESCHOOL_TEST_REDIS_URL not set: Redis broker tests need a Redis server")
    return url


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_broker(request: pytest.FixtureRequest) -> AsyncIterator[MakeBroker]:
    """Brokers of one backend that share storage, as several processes of one school would."""
    backend: str = request.param
    url = redis_url() if backend == "redis" else "memory://"
    default_namespace = f"test-{uuid.uuid4().hex[:12]}"
    store = MemoryStore()
    made: list[Broker] = []

    async def make(*, namespace: str | None = None, max_events: int | None = None) -> Broker:
        chosen = namespace or default_namespace
        broker: Broker
        if backend == "memory":
            broker = MemoryBroker(namespace=chosen, store=store, max_events=max_events)
        else:
            from eschool.broker.redis import RedisBroker

            broker = RedisBroker(url, namespace=chosen, max_events=max_events)
        await broker.connect()
        made.append(broker)
        return broker

    yield make
    if backend == "redis" and made:
        client = made[0].client  # type: ignore[attr-defined]
        for namespace in {broker.namespace for broker in made}:
            keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
            if keys:
                await client.delete(*keys)
    for broker in made:
        await broker.disconnect()


@pytest.fixture
async def broker(make_broker: MakeBroker) -> Broker:
    return await make_broker()


async def next_of(iterator: AsyncIterator[Any]) -> Any:
    return await asyncio.wait_for(anext(iterator), ARRIVAL)


def event(number: int, **extra: Any) -> dict[str, Any]:
    return {"type": "test", "data": {"n": number}, **extra}


async def test_append_assigns_consecutive_seqs(broker: Broker) -> None:
    stored = [await broker.append("room", event(n)) for n in range(5)]
    assert [e["seq"] for e in stored] == [1, 2, 3, 4, 5]
    assert stored[2] == {"type": "test", "data": {"n": 2}, "seq": 3}


async def test_rooms_have_their_own_seqs(broker: Broker) -> None:
    await broker.append("a", event(1))
    await broker.append("a", event(2))
    assert (await broker.append("b", event(3)))["seq"] == 1


async def test_a_caller_seq_is_replaced(broker: Broker) -> None:
    assert (await broker.append("room", event(1, seq=99)))["seq"] == 1


async def test_read_after_a_seq(broker: Broker) -> None:
    for n in range(5):
        await broker.append("room", event(n))
    assert [e["seq"] for e in await broker.read("room", 2)] == [3, 4, 5]
    assert [e["data"]["n"] for e in await broker.read("room", 0, limit=2)] == [0, 1]
    assert await broker.read("room", 5) == []
    assert await broker.read("nobody", 0) == []


async def test_the_log_keeps_a_copy(broker: Broker) -> None:
    original = event(1)
    await broker.append("room", original)
    original["data"]["n"] = 42
    (stored,) = await broker.read("room", 0)
    stored["data"]["n"] = 43
    assert (await broker.read("room", 0))[0]["data"] == {"n": 1}


async def test_bounds(broker: Broker) -> None:
    assert await broker.bounds("room") == LogBounds(first=1, last=0)
    for n in range(3):
        await broker.append("room", event(n))
    bounds = await broker.bounds("room")
    assert bounds == LogBounds(first=1, last=3)
    assert bounds.can_resume_after(0) and bounds.can_resume_after(3)
    assert not bounds.can_resume_after(4)


async def test_a_dedupe_key_appends_once(broker: Broker) -> None:
    first = await broker.append("room", event(1), dedupe_key="pupil-7:m1")
    again = await broker.append("room", event(2), dedupe_key="pupil-7:m1")
    assert again == first == {"type": "test", "data": {"n": 1}, "seq": 1}
    assert len(await broker.read("room", 0)) == 1
    other = await broker.append("room", event(3), dedupe_key="pupil-7:m2")
    assert other["seq"] == 2
    elsewhere = await broker.append("other-room", event(4), dedupe_key="pupil-7:m1")
    assert elsewhere["data"] == {"n": 4}


async def test_appends_made_at_once_are_each_answered_in_order(broker: Broker) -> None:
    # On Redis they go in one script: each still gets its own seq, dedupe and refusal.
    stored = await asyncio.gather(
        broker.append("room", event(1), dedupe_key="7:m1"),
        broker.append("room", event(2)),
        broker.append("room", event(3), dedupe_key="7:m1"),
        broker.append("lost", event(4), existing_only=True),
        broker.append("room", event(5), existing_only=True),
        return_exceptions=True,
    )
    assert stored[:3] == [
        {"type": "test", "data": {"n": 1}, "seq": 1},
        {"type": "test", "data": {"n": 2}, "seq": 2},
        {"type": "test", "data": {"n": 1}, "seq": 1},
    ]
    assert isinstance(stored[3], LogMissing)
    assert stored[4] == {"type": "test", "data": {"n": 5}, "seq": 3}
    assert [e["data"]["n"] for e in await broker.read("room")] == [1, 2, 5]
    assert not await broker.has_log("lost")


async def test_concurrent_appends_from_two_processes_get_one_gap_free_order(
    make_broker: MakeBroker,
) -> None:
    one, two = await make_broker(), await make_broker()
    appends = [
        (one if n % 2 else two).append("room", event(n), dedupe_key=f"k{n % 150}")
        for n in range(200)
    ]
    returned = await asyncio.gather(*appends)
    log = await one.read("room", 0, limit=500)
    assert [e["seq"] for e in log] == list(range(1, 151))
    assert sorted(e["data"]["n"] for e in log) == sorted({r["data"]["n"] for r in returned})
    by_seq = {e["seq"]: e for e in log}
    assert all(by_seq[r["seq"]] == r for r in returned)


async def test_a_subscriber_receives_new_events_in_order(make_broker: MakeBroker) -> None:
    one, two = await make_broker(), await make_broker()
    await two.append("room", event(0))
    async with one.subscribe("room") as events:
        for n in range(1, 6):
            await two.append("room", event(n))
        received = [await next_of(events) for _ in range(5)]
    assert [e["seq"] for e in received] == [2, 3, 4, 5, 6]
    assert [e["data"]["n"] for e in received] == [1, 2, 3, 4, 5]


async def test_a_subscriber_from_a_seq_gets_the_rest_then_new_ones(broker: Broker) -> None:
    for n in range(3):
        await broker.append("room", event(n))
    async with broker.subscribe("room", after_seq=1) as events:
        assert (await next_of(events))["seq"] == 2
        assert (await next_of(events))["seq"] == 3
        waiting = asyncio.ensure_future(next_of(events))
        await broker.append("room", event(3))
        assert (await waiting)["seq"] == 4


async def test_events_appended_together_are_handed_over_together(
    make_broker: MakeBroker,
) -> None:
    one, two = await make_broker(), await make_broker()
    async with one.subscribe_batches("room") as batches:
        await asyncio.gather(*(two.append("room", event(n)) for n in range(3)))
        together = await next_of(batches)
        await two.append("room", event(3))
        alone = await next_of(batches)
    assert [e["seq"] for e in together] == [1, 2, 3]
    assert [e["data"]["n"] for e in together] == [0, 1, 2]
    assert [e["seq"] for e in alone] == [4]
    # A broker of its own kind without batches: each event alone, in order (the default).
    async with Broker.subscribe_batches(one, "room", after_seq=1) as singly:
        assert [await next_of(singly) for _ in range(3)] == [[e] for e in [*together[1:], *alone]]


async def test_subscribers_of_other_rooms_see_nothing(broker: Broker) -> None:
    async with broker.subscribe("quiet") as quiet, broker.subscribe("busy") as busy:
        await broker.append("busy", event(1))
        await broker.append("quiet", event(2))
        assert (await next_of(quiet))["data"] == {"n": 2}
        assert (await next_of(busy))["data"] == {"n": 1}


async def test_channels_carry_messages_between_processes(make_broker: MakeBroker) -> None:
    one, two = await make_broker(), await make_broker()
    async with one.subscribe_channel("rtc:room") as messages:
        await two.publish("rtc:other", {"for": "someone else"})
        await two.publish("rtc:room", {"sdp": "v=0", "to": 7})
        assert await next_of(messages) == {"sdp": "v=0", "to": 7}


async def test_channels_are_not_logged(broker: Broker) -> None:
    await broker.publish("room", {"x": 1})
    assert await broker.read("room", 0) == []


async def test_values(make_broker: MakeBroker) -> None:
    one, two = await make_broker(), await make_broker()
    assert await one.get_value("media:room") is None
    assert await one.set_value("media:room", "process-1", ttl=30, only_if_absent=True)
    assert not await two.set_value("media:room", "process-2", ttl=30, only_if_absent=True)
    assert await two.get_value("media:room") == "process-1"
    assert await two.set_value("media:room", "process-2")
    assert await one.get_value("media:room") == "process-2"
    await one.delete_value("media:room")
    assert await two.get_value("media:room") is None


async def test_drop_forgets_a_room(broker: Broker) -> None:
    await broker.append("room", event(1), dedupe_key="k")
    await broker.append("keep", event(2))
    await broker.drop("room")
    assert await broker.read("room", 0) == []
    assert await broker.bounds("room") == LogBounds(first=1, last=0)
    again = await broker.append("room", event(3), dedupe_key="k")
    assert again["seq"] == 1 and again["data"] == {"n": 3}
    assert len(await broker.read("keep", 0)) == 1


async def test_a_durable_room_is_appended_to_only_while_the_broker_holds_its_log(
    make_broker: MakeBroker,
) -> None:
    one, two = await make_broker(), await make_broker()
    assert not await one.has_log("room")
    with pytest.raises(LogMissing):
        await one.append("room", event(0), existing_only=True)
    stored = [{**event(n), "seq": n} for n in (1, 2, 3)]
    # Two processes restore at once: one of them does, and the seqs go on from the stored ones.
    restored = await asyncio.gather(one.restore("room", stored), two.restore("room", stored))
    assert sorted(restored) == [False, True]
    assert not await one.restore("room", stored)
    assert await two.has_log("room")
    assert await one.read("room", 0) == stored
    assert await one.bounds("room") == LogBounds(first=1, last=3)
    again = await two.append("room", event(4), dedupe_key="k", existing_only=True)
    assert again["seq"] == 4
    assert (await one.append("room", event(5), dedupe_key="k"))["seq"] == 4
    await one.drop("room")
    with pytest.raises(LogMissing):
        await two.append("room", event(6), existing_only=True)
    # A new room starts empty and counts from 1.
    assert await one.restore("new", [])
    assert (await one.append("new", event(1), existing_only=True))["seq"] == 1


async def test_a_subscriber_of_a_log_that_was_replaced_ends(make_broker: MakeBroker) -> None:
    one, two = await make_broker(), await make_broker()
    for n in range(3):
        await one.append("room", event(n))
    async with one.subscribe("room", after_seq=2) as events:
        assert (await next_of(events))["seq"] == 3
        await two.drop("room")  # lost: a restart without persistence, a flush
        await two.restore("room", [{**event(n), "seq": n} for n in (1, 2)])
        await two.append("room", event(3), existing_only=True)
        await two.append("room", event(4), existing_only=True)
        # Seq 3 again, or seq 4 of another log: either way not the log it was following.
        with pytest.raises(BrokerError):
            await next_of(events)


async def test_namespaces_keep_schools_apart(make_broker: MakeBroker) -> None:
    one = await make_broker(namespace=f"ns-a-{uuid.uuid4().hex[:8]}")
    two = await make_broker(namespace=f"ns-b-{uuid.uuid4().hex[:8]}")
    await one.append("room", event(1))
    await one.set_value("key", "one")
    assert await two.read("room", 0) == []
    assert await two.get_value("key") is None
    assert (await two.append("room", event(2)))["seq"] == 1


async def test_old_events_can_be_let_go(make_broker: MakeBroker) -> None:
    broker = await make_broker(max_events=3)
    for n in range(5):
        await broker.append("room", event(n))
    bounds = await broker.bounds("room")
    assert bounds == LogBounds(first=3, last=5)
    assert not bounds.can_resume_after(1)
    assert bounds.can_resume_after(2)
    assert [e["seq"] for e in await broker.read("room", 0)] == [3, 4, 5]
    async with broker.subscribe("room", after_seq=0) as events:
        with pytest.raises(BrokerError):
            await next_of(events)


async def test_ping(broker: Broker) -> None:
    assert await broker.ping() is True


async def subscribe_append_receive(broker: Broker, room: str, number: int) -> dict[str, Any]:
    """One participant's visit: follow a room, write into it, see it come back, leave."""
    async with broker.subscribe(room) as events:
        await broker.append(room, event(number))
        return await next_of(events)


async def test_a_crowd_joining_and_leaving_at_once(broker: Broker) -> None:
    appends = [broker.append("busy", event(n)) for n in range(300)]
    visits = [subscribe_append_receive(broker, f"visit-{n}", n) for n in range(100)]
    results = await asyncio.gather(*appends, *visits)
    assert sorted(stored["seq"] for stored in results[:300]) == list(range(1, 301))
    assert [seen["data"] for seen in results[300:]] == [{"n": n} for n in range(100)]
    assert await broker.bounds("busy") == LogBounds(first=1, last=300)


# --- backend specifics -------------------------------------------------------------------------


async def test_memory_values_expire() -> None:
    clock = [1000.0]
    broker = MemoryBroker()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("eschool.broker.memory.time.monotonic", lambda: clock[0])
        await broker.set_value("k", "v", ttl=10)
        clock[0] += 9.9
        assert await broker.get_value("k") == "v"
        clock[0] += 0.2
        assert await broker.get_value("k") is None
        assert await broker.set_value("k", "w", only_if_absent=True)


async def test_memory_disconnect_ends_subscriptions() -> None:
    broker = MemoryBroker()
    async with broker.subscribe("room") as events, broker.subscribe_channel("c") as messages:
        waiting = asyncio.ensure_future(next_of(events))
        listening = asyncio.ensure_future(next_of(messages))
        await asyncio.sleep(0)
        await broker.disconnect()
        with pytest.raises(StopAsyncIteration):
            await waiting
        with pytest.raises(StopAsyncIteration):
            await listening
    assert await broker.ping() is False


@pytest.mark.redis
async def test_redis_values_get_their_ttl() -> None:
    broker = create_broker(redis_url(), namespace=f"test-{uuid.uuid4().hex[:12]}")
    async with broker:
        await broker.set_value("k", "v", ttl=30)
        key = f"{broker.namespace}:value:k"
        milliseconds = await broker.client.pttl(key)  # type: ignore[attr-defined]
        assert 0 < milliseconds <= 30_000
        await broker.delete_value("k")


@pytest.mark.redis
async def test_redis_subscriptions_do_not_take_the_commands_connections() -> None:
    from eschool.broker.redis import RedisBroker

    broker = RedisBroker(redis_url(), namespace=f"test-{uuid.uuid4().hex[:12]}", max_connections=4)
    async with broker:
        try:
            # 40 blocking readers at once, with only 4 connections for commands: the readers
            # hold connections of their own, and every command waits its turn for one of the 4.
            appends = [broker.append("busy", event(n)) for n in range(200)]
            visits = [subscribe_append_receive(broker, f"visit-{n}", n) for n in range(40)]
            results = await asyncio.gather(*appends, *visits)
            assert [seen["data"] for seen in results[200:]] == [{"n": n} for n in range(40)]
            assert broker.connections_in_use() == {"commands": 0, "listening": 0}
            async with broker.subscribe("busy") as _events, broker.subscribe_channel("c"):
                assert broker.connections_in_use()["listening"] == 2
            assert broker.connections_in_use()["listening"] == 0
        finally:
            keys = [key async for key in broker.client.scan_iter(match=f"{broker.namespace}:*")]
            if keys:
                await broker.client.delete(*keys)


@pytest.mark.redis
async def test_redis_disconnect_ends_subscriptions() -> None:
    from eschool.broker.redis import RedisBroker

    broker = RedisBroker(redis_url(), namespace=f"test-{uuid.uuid4().hex[:12]}")
    await broker.connect()
    async with broker.subscribe("room") as events:
        waiting = asyncio.ensure_future(next_of(events))
        await broker.disconnect()
        with pytest.raises(StopAsyncIteration):
            await waiting


@pytest.mark.redis
async def test_redis_failures_are_broker_errors() -> None:
    from eschool.broker.redis import RedisBroker

    broker = RedisBroker("redis://127.0.0.1:1/0", pool_timeout=1.0)
    async with broker:
        with pytest.raises(BrokerError):
            await broker.append("room", event(1))
        with pytest.raises(BrokerError):
            await broker.get_value("k")


async def test_redis_ping_is_false_when_unreachable() -> None:
    broker = create_broker("redis://127.0.0.1:1/0")
    async with broker:
        assert await broker.ping() is False


# --- choosing a backend --------------------------------------------------------------------------


def test_memory_scheme() -> None:
    broker = create_broker("memory://")
    assert isinstance(broker, MemoryBroker)
    assert broker.namespace == "eschool"


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache.example:6380/1"])
def test_redis_schemes(url: str) -> None:
    from eschool.broker.redis import RedisBroker

    broker = create_broker(url)
    assert isinstance(broker, RedisBroker)
    assert broker.url == url


def test_the_namespace_comes_from_the_caller_or_the_url() -> None:
    from eschool.broker.redis import RedisBroker

    from_url = create_broker("redis://127.0.0.1:6379/0?namespace=school-7")
    assert isinstance(from_url, RedisBroker)
    assert from_url.namespace == "school-7"
    assert from_url.url == "redis://127.0.0.1:6379/0"
    assert create_broker("memory://?namespace=a", namespace="b").namespace == "b"


@pytest.mark.parametrize("url", ["kafka://localhost", "postgres://db/x", "", "memory"])
def test_an_unknown_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        create_broker(url)
