"""Fixtures of the live tests that run several server processes (or brokers) on one Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eschool.broker import Broker
from eschool.broker.memory import MemoryBroker, MemoryStore
from eschool.settings import Settings
from tests.live.ws_support import ProcessServer, World, seed_world


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
