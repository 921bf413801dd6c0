"""Fixtures of the live tests that run several server processes on one Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

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
