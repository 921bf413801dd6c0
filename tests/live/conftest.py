"""Fixtures of the live tests: a seeded world, a test server on a thread with a lesson started on
it (test_ws*), the media hub of the rtc tests (test_rtc*), and several server processes (or
brokers) on one Redis. A module that defines a fixture of the same name uses its own."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eschool.broker import Broker
from eschool.broker.memory import MemoryBroker, MemoryStore
from eschool.settings import Settings
from tests.live.rtc_clients import wait_until
from tests.live.rtc_media import Media, other_tasks
from tests.live.ws_room import Room
from tests.live.ws_support import ProcessServer, ThreadServer, World, seed_world, start_lesson


@pytest.fixture
def redis_url() -> str:
    """The test Redis with a namespace of this test's own (skips without a server)."""
    url = os.environ.get("ESCHOOL_TEST_REDIS_URL")
    if not url:
        pytest.skip("ESCHOOL_TEST_REDIS_URL not set: the Redis variant needs a Redis server")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}namespace=live-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def world(settings: Settings) -> World:
    """A school with a class, a teacher, pupils and a published lesson."""
    return await seed_world(settings.database_url)


@pytest.fixture
def server_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The test's settings; as an indirect parameter ``"idle"`` makes the idle limit one
    second, ``"slow"`` the outbox eight frames and the rate limit high, ``"strict"`` the rate
    limit so low that even a server slowed down by a loaded machine sees a flood."""
    if getattr(request, "param", None) == "idle":
        return dataclasses.replace(settings, live_idle_seconds=1, live_ping_seconds=0.5)
    if getattr(request, "param", None) == "strict":
        return dataclasses.replace(settings, live_rate_per_second=0.5, live_rate_burst=2)
    if getattr(request, "param", None) == "slow":
        return dataclasses.replace(
            settings, live_outbox_size=8, live_rate_per_second=1000, live_rate_burst=1000
        )
    return settings


@pytest.fixture
def server(server_settings: Settings, world: World) -> Iterator[ThreadServer]:
    """A server of ``server_settings`` on a thread of the test, for as long as the test runs."""
    small = server_settings.live_outbox_size < Settings.live_outbox_size
    running = ThreadServer(server_settings, send_buffer=8 * 1024 if small else None).start()
    yield running
    running.stop()


@pytest.fixture
async def room(server: ThreadServer, world: World) -> AsyncIterator[Room]:
    """A lesson started on ``server``; whoever the test connects to it is disconnected after."""
    started = await start_lesson(server.base_url, world)
    opened = Room(server, world, started["code"], [])
    yield opened
    for client in opened.clients:
        await client.close()


@pytest.fixture
async def media() -> AsyncIterator[Media]:
    """A media hub; after the test, every peer connection of it closed and every task ended."""
    media = Media()
    yield media
    await media.close()
    assert media.hub.peer_count() == 0
    await wait_until(lambda: not other_tasks(), "every media task to finish")


@pytest.fixture
def servers(
    settings: Settings, world: World, redis_url: str, tmp_path: Path
) -> Iterator[tuple[ProcessServer, ProcessServer]]:
    """Two server processes sharing the database and Redis, started (and stopped) side by
    side."""
    env = {
        "ESCHOOL_DATA_DIR": str(settings.data_dir),
        "ESCHOOL_DATABASE_URL": settings.database_url,
        "ESCHOOL_SECRET_KEY": settings.secret_key,
        "ESCHOOL_BROKER_URL": redis_url,
    }
    first = ProcessServer(env, tmp_path / "a.log")
    second = ProcessServer(env, tmp_path / "b.log")
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            a, b = pool.map(ProcessServer.start, (first, second))
            yield a, b
        finally:
            list(pool.map(ProcessServer.stop, (first, second)))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def shared_brokers(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Broker, Broker]]:
    """Two brokers on one storage: two processes of one school."""
    namespace = f"test-hub-{uuid.uuid4().hex[:12]}"
    if request.param == "memory":
        store = MemoryStore()
        yield (
            MemoryBroker(namespace=namespace, store=store),
            MemoryBroker(namespace=namespace, store=store),
        )
        return
    url = os.environ.get("ESCHOOL_TEST_REDIS_URL")
    if not url:
        pytest.skip("ESCHOOL_TEST_REDIS_URL not set: Redis broker tests need a Redis server")
    from eschool.broker.redis import RedisBroker

    one, two = RedisBroker(url, namespace=namespace), RedisBroker(url, namespace=namespace)
    await one.connect()
    await two.connect()
    yield one, two
    keys = [key async for key in one.client.scan_iter(match=f"{namespace}:*")]
    if keys:
        await one.client.delete(*keys)
    await one.disconnect()
    await two.disconnect()
